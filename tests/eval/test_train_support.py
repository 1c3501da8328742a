"""The support model: learned from labelled pools, exported for ONNX Runtime, read back as the engine reads it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from eval.train_support import PooledSentences, export, sentence_precision, train
from newsqa.errors import ModelMissingError
from rag.extractive.support import SupportScorer

# Stories written for these tests: each pool holds one sentence that answers its question.
_POOLS = [
    PooledSentences(
        "t1",
        "2024-03-01",
        "Who won the Quelmor mayoral election?",
        (
            "Greta Nakamura won the Quelmor mayoral election on Sunday with 54 percent of the vote.",
            "Quelmor's town hall, built in 1910, was closed for repairs during the count.",
            "Turnout in the mayoral election was the lowest in two decades.",
        ),
        (True, False, False),
    ),
    PooledSentences(
        "t2",
        "2024-03-02",
        "How much will the Lorn tram extension cost?",
        (
            "The Lorn tram extension will be 6.4 kilometres long.",
            "The council said the extension would cost 412 million euros.",
            "Work on the line is due to start in the spring.",
        ),
        (False, True, False),
    ),
]


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    """The support model learned from the pools above, and its exported graph."""
    model = train(_POOLS)
    return model, export(model, tmp_path_factory.mktemp("support") / "support.onnx", {"questions": 2})


@pytest.mark.slow
def test_the_exported_support_model_scores_as_the_trained_one_and_says_what_it_learned_from(learned):
    import torch
    from transformers import AutoTokenizer

    from eval.train_support import _model_path
    from rag.extractive.support import MAX_TOKENS

    model, graph = learned
    assert graph.stat().st_size < 15_000_000, "three layers' weights as float16, without the word-piece table"
    scorer = SupportScorer(graph)
    assert scorer.trained_on == {"questions": 2}
    tokenizer = AutoTokenizer.from_pretrained(_model_path())
    for pool in _POOLS:
        encoded = tokenizer(
            [pool.question] * len(pool.sentences),
            list(pool.sentences),
            truncation="longest_first",
            max_length=MAX_TOKENS,
            padding=True,
            return_tensors="pt",
        )
        with torch.no_grad():
            logits = model(encoded["attention_mask"], encoded["token_type_ids"], input_ids=encoded["input_ids"])
        expected = torch.sigmoid(logits).numpy()
        assert np.abs(scorer.scores(pool.question, pool.sentences) - expected).max() < 0.02
    assert scorer.scores("Who won?", ()).shape == (0,)
    assert scorer.scores("x " * 300, ("A long question is cut, never refused.",)).shape == (1,)
    figures = sentence_precision(_POOLS, {p.question_id: scorer.scores(p.question, p.sentences) for p in _POOLS})
    assert figures["pools_holding_the_answer"] == 2 and figures["overlap_first_contains"] == 0.5


def test_a_damaged_support_model_is_one_clear_error(tmp_path):
    graph = tmp_path / "support.onnx"
    graph.write_bytes(b"not a graph")
    with pytest.raises(ModelMissingError, match=r"support model .* cannot be read .*retrain it") as caught:
        SupportScorer(graph)
    assert "\n" not in str(caught.value)


@pytest.mark.slow
def test_a_reader_model_reading_support_makes_the_engine_measure_it_and_one_that_does_not_never_loads_it(
    learned, sample_settings
):
    from rag.extractive.engine import ExtractiveEngine
    from rag.extractive.features import FEATURES
    from rag.extractive.model import ReaderModel, load_model
    from rag.retrieval.retriever import build_retriever, open_index

    _, graph = learned
    index = open_index(sample_settings)
    question = "Who led the loyalists in Balqasah?"
    query = index.query(question)
    passages = index.distinct(build_retriever(index, sample_settings.retrieval, k=30).invoke(query), 5)
    names = ("type", "support", "support_share")
    reads_support = ReaderModel(names, (0.0,) * 3, (1.0,) * 3, (1.0, 2.0, 0.0), -1.0, 0.0)
    settings = sample_settings.answer.model_copy(update={"support_model": graph})
    engine = ExtractiveEngine(index.embedder, settings, reads_support)
    reading = engine.reader.read(question, passages)
    supports = [m.features["support"] for c in reading.candidates for m in c.mentions]
    assert supports and all(0.0 < v < 1.0 for v in supports)
    assert max(m.features["support_share"] for c in reading.candidates for m in c.mentions) == 1.0
    shipped = load_model(None)
    assert not set(shipped.features) & {"support", "support_share"} and set(names) <= set(FEATURES)
    missing = sample_settings.answer.model_copy(update={"support_model": graph.with_name("none.onnx")})
    assert ExtractiveEngine(index.embedder, missing).reader.support is None, "never loaded when not read"


@pytest.mark.slow
def test_the_support_model_learns_from_half_the_earlier_questions_and_scores_only_the_others(tmp_path):
    from eval.train_reader import learn_support

    earlier = [dataclasses.replace(p, question_id=f"{p.question_id}-{n}") for n in range(4) for p in _POOLS]
    later = [dataclasses.replace(p, question_id=f"{p.question_id}-late", date="2024-09-01") for p in _POOLS]
    scores, taught, figures = learn_support([*earlier, *later], "2024-07-01", tmp_path / "support.onnx", False)
    assert taught and taught < {p.question_id for p in earlier}, "half the earlier questions, by their ids"
    assert set(scores) == {p.question_id for p in [*earlier, *later]} - taught
    assert all(len(scores[p.question_id]) == len(p.sentences) for p in later)
    assert figures["pools_holding_the_answer"] == 2
    assert SupportScorer(tmp_path / "support.onnx").trained_on["questions"] == len(taught)
