"""The scale benchmark on a small index: real ingestion of copies with replayed vectors, every figure measured."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.scale import STEP, ReplayEmbedder, bench_scale
from tests.helpers import story_jsonl


def test_a_copy_gets_its_originals_vector_moved_by_the_step_and_always_the_same_one():
    rng = np.random.default_rng(0)
    original = rng.standard_normal(384).astype(np.float32)
    original /= np.linalg.norm(original)
    replay = ReplayEmbedder({"Headline\nText.": original})
    same, copy, again = replay.embed_documents(["Headline\nText.", "⟦3⟧ Headline\nText.", "⟦3⟧ Headline\nText."])
    assert np.allclose(same, original)
    assert np.isclose(np.linalg.norm(copy), 1.0, atol=1e-5) and np.allclose(copy, again)
    assert np.isclose(copy @ original, 1 / np.sqrt(1 + STEP**2), atol=0.02)
    assert replay.embed_documents(["⟦4⟧ Headline\nText."])[0] @ copy < 0.999


@pytest.mark.slow
def test_the_benchmark_grows_an_index_to_each_size_and_measures_it(tmp_path):
    from index import ingest
    from newsqa.settings import Settings

    corpus = tmp_path / "story.jsonl"
    corpus.write_text(story_jsonl())
    base = Settings().with_data_dir(tmp_path / "base")
    ingest([corpus], base, progress=False)
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": "Who leads the talks?", "answer": "x"}) + "\n")
    out = tmp_path / "scale.json"
    result = bench_scale(base.store.data_dir, corpus, questions, [30, 60], out, tmp_path / "work")
    assert json.loads(out.read_text()) == result
    first, second = result["sizes"]
    assert 30 <= first["chunks"] < second["chunks"] and second["chunks"] >= 60
    for entry in result["sizes"]:
        assert entry["visible_to_other_process_s"] < 60 and entry["add10_s"] > 0 and entry["remove10_s"] > 0
        assert entry["rss_mb"] > 100 and entry["disk_mb"] > 0 and entry["answer_p50_ms"] > 0
    assert out.with_suffix(".png").stat().st_size > 10_000
    assert not list((tmp_path / "work").glob("scale-*")), "the scale index is removed afterwards"
