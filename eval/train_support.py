"""Learn the support model (:mod:`rag.extractive.support`): a cross-encoder over (question, pooled sentence).

:func:`pooled_sentences` reads each training question's pool as the reader pools it
(:meth:`rag.extractive.pool.Reader.pooled`) and labels each sentence by whether it contains
a gold answer. :func:`train` fine-tunes the first :data:`LAYERS` layers of the installed
MiniLM with a linear head on the mean of its token vectors (binary cross-entropy, the
word-piece table frozen so that the shipped graph need not hold it), on the questions whose
pool holds the answer. :func:`export` writes the graph for ONNX Runtime.

``eval.train_reader --support`` calls these: the support model learns from half the
questions and the reader's model from the other half, so the reader's model does not learn
to trust a support that knew the answer (:func:`eval.train_reader.learn_support`).
"""

from __future__ import annotations

import json
import random
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.pools import PooledQuestion
from rag.extractive.pool import Reader
from rag.extractive.support import MAX_TOKENS

#: MiniLM's first layers kept: three cost half of six, and a pool of 20-odd sentences still
#: took ~240 ms on 2 cores (p50), more than the rest of an answer.
LAYERS = 3
#: Passes over the pairs, examples a step, peak learning rate (linear warm-up then decay):
#: the usual fine-tuning settings for a BERT-sized encoder.
EPOCHS = 2
BATCH = 32
LEARNING_RATE = 5e-5
WARMUP_STEPS = 50
BASE_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class PooledSentences:
    """A training question's pooled sentences, in the reader's order, and which contain a gold answer."""

    question_id: str
    date: str
    question: str
    sentences: tuple[str, ...]
    labels: tuple[bool, ...]


def pooled_sentences(reader: Reader, pooled: PooledQuestion, contains) -> PooledSentences:
    """The pool the reader reads ``pooled``'s question in; ``contains(text, answers)`` labels a sentence."""
    row = pooled.row
    answers = tuple(row.get("answers") or [row["answer"]])
    texts = tuple(s.sentence.text for s in reader.pooled(row["question"], pooled.passages).pool)
    return PooledSentences(
        row["id"], row.get("date", "")[:10], row["question"], texts, tuple(contains(t, answers) for t in texts)
    )


def _pairs(pools: Sequence[PooledSentences]) -> list[tuple[str, str, float]]:
    """Every sentence of the pools that hold an answer: a pool without one teaches nothing about which sentence."""
    return [(p.question, s, float(label)) for p in pools if any(p.labels) for s, label in zip(p.sentences, p.labels)]


def _model_path() -> str:
    from index.embed import resolve_model_path

    return resolve_model_path(BASE_MODEL)


def train(pools: Sequence[PooledSentences], seed: int = 0, progress: str = ""):
    """The cross-encoder (a torch module) fine-tuned on ``pools``; deterministic for a seed on one machine."""
    import torch
    from transformers import AutoTokenizer, BertModel
    from transformers.utils import logging as transformers_logging

    # MiniLM's unused pooler weights are expected, and a progress bar of weights loading is noise.
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    torch.manual_seed(seed)
    path = _model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel.from_pretrained(path, add_pooling_layer=False)
            self.bert.encoder.layer = self.bert.encoder.layer[:LAYERS]
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

        def forward(self, attention_mask, token_type_ids, input_ids=None, inputs_embeds=None):
            tokens = self.bert(
                input_ids=input_ids,
                inputs_embeds=inputs_embeds,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            return self.head((tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).squeeze(-1)

    model = CrossEncoder()
    for parameter in model.bert.embeddings.word_embeddings.parameters():
        parameter.requires_grad = False
    pairs = _pairs(pools)
    steps = EPOCHS * -(-len(pairs) // BATCH)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / WARMUP_STEPS) * max(0.0, 1 - step / steps)
    )
    started, step = time.perf_counter(), 0
    model.train()
    for epoch in range(EPOCHS):
        random.Random(seed + epoch).shuffle(pairs)
        for start in range(0, len(pairs), BATCH):
            batch = pairs[start : start + BATCH]
            encoded = tokenizer(
                [q for q, _, _ in batch],
                [s for _, s, _ in batch],
                truncation="longest_first",
                max_length=MAX_TOKENS,
                padding=True,
                return_tensors="pt",
            )
            logits = model(encoded["attention_mask"], encoded["token_type_ids"], input_ids=encoded["input_ids"])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor([y for *_, y in batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if progress and step % 100 == 0:
                print(
                    f"{progress}: step {step}/{steps}, loss {loss.item():.3f}, {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
    return model.eval()


def export(model, path: Path, trained_on: dict) -> Path:
    """The graph of ``model`` at ``path``: word vectors in, a logit per pair out; weights kept as float16."""
    import onnx
    import torch
    from onnx import helper, numpy_helper

    class FromWords(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, words, token_type_ids, attention_mask):
            return self.model(attention_mask, token_type_ids, inputs_embeds=words)

    width = model.bert.config.hidden_size
    names = ["words", "token_type_ids", "attention_mask"]
    sample = (torch.zeros(2, 5, width), torch.zeros(2, 5, dtype=torch.long), torch.ones(2, 5, dtype=torch.long))
    axes = {n: {0: "pairs", 1: "tokens"} for n in names} | {"logit": {0: "pairs"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on transformers' Python branches are not ours
        torch.onnx.export(
            FromWords(),
            sample,
            str(path),
            input_names=names,
            output_names=["logit"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    graph = onnx.load(str(path))
    # Weights stored as float16 and cast to float32 when the session loads (ONNX Runtime folds the
    # casts): half the file, and scores within 1e-3 of float32's (checked below).
    halved, casts = [], []
    for initializer in graph.graph.initializer:
        values = numpy_helper.to_array(initializer)
        if values.dtype == np.float32 and values.size >= 1024:
            half = f"{initializer.name}_float16"
            halved.append(numpy_helper.from_array(values.astype(np.float16), half))
            casts.append(helper.make_node("Cast", [half], [initializer.name], to=onnx.TensorProto.FLOAT))
        else:
            halved.append(initializer)
    del graph.graph.initializer[:]
    graph.graph.initializer.extend(halved)
    nodes = list(graph.graph.node)
    del graph.graph.node[:]
    graph.graph.node.extend(casts + nodes)
    for key, value in (("base", BASE_MODEL), ("trained_on", json.dumps(trained_on))):
        graph.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    onnx.checker.check_model(graph)
    onnx.save(graph, str(path))
    return path


def sentence_precision(pools: Sequence[PooledSentences], scores: dict[str, np.ndarray]) -> dict:
    """How often the best-scored sentence contains the answer, against the pool's own first (best by overlap).

    ``scores`` are the support model's, by question id, as it scored the pools already.
    """
    held = [p for p in pools if any(p.labels)]
    best = [p.labels[int(np.argmax(scores[p.question_id]))] for p in held]
    return {
        "pools_holding_the_answer": len(held),
        "support_first_contains": round(float(np.mean(best)), 3) if best else None,
        "overlap_first_contains": round(float(np.mean([p.labels[0] for p in held])), 3) if held else None,
    }
