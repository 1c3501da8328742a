"""Retrieval's parts on hand-made text."""

from __future__ import annotations


def test_a_copy_with_a_changed_passage_is_kept_beside_the_original():
    from rag.retrieval.retriever import _a_variant

    chunk = (
        "Clashes broke out on Thursday in the village of Balqasah, west of Homs, where remnants of the old regime "
        "had taken refuge, the monitor said. The loyalists were led by a wanted man known as Shujaa al-Ali, and "
        "four security personnel were killed before the army took the hills around the village on Friday."
    )
    original = chunk.split()
    changed = chunk.replace("Shujaa al-Ali,", "Kamal Haddad,").split()
    signed = (chunk + " Reporting by the Herald desk.").split()
    other_part = "Security forces arrested a general in the Tartus countryside on Thursday".split()
    assert _a_variant(changed, [original])
    assert not _a_variant(original, [original]), "an identical copy is folded"
    assert not _a_variant(signed, [original]), "a copy that only adds a sign-off is folded"
    assert not _a_variant(other_part, [original]), "another part of the same story is folded"


def test_an_as_of_that_excludes_nothing_asks_chroma_for_no_filter_and_one_that_does_still_filters(
    tmp_path, monkeypatch
):
    """Every answer is as of now: a filter to today kept nothing out, yet made Chroma read every chunk's
    metadata (365 ms a query against 36 ms on the 29.5k-chunk dev index; answer() grew with the index)."""
    from datetime import datetime

    from index import ingest
    from newsqa.settings import Settings
    from rag.retrieval.retriever import build_retriever, open_index
    from tests.helpers import story_jsonl

    corpus = tmp_path / "story.jsonl"
    corpus.write_text(story_jsonl())
    settings = Settings().with_data_dir(tmp_path / "index")
    ingest([corpus], settings, progress=False)
    index = open_index(settings)
    asked: list = []
    query_store = index.store.query

    def recorded(vector, n, where):
        asked.append(where)
        return query_store(vector, n, where)

    monkeypatch.setattr(index.store, "query", recorded)
    dense = build_retriever(index, settings.retrieval, k=10, mode="dense")
    now = dense.invoke(index.query("Harbor Street fire station", as_of=datetime(2026, 1, 1)))
    unfiltered = dense.invoke(index.query("Harbor Street fire station"))
    assert asked[0] is None and [p.id for p in now] == [p.id for p in unfiltered]
    before = dense.invoke(index.query("Harbor Street fire station", as_of=datetime(2025, 3, 6)))
    assert asked[-1] is not None
    assert "fire-3" in {p.article_id for p in now} and "fire-3" not in {p.article_id for p in before}


def test_a_past_time_named_in_a_question_keeps_the_latest_reporting_as_close_as_the_time_itself():
    """'Who won the festival's prize in 2019?' asked in 2023: the 2023 article reporting the
    verdict is as current as a 2019 one, and an article from 2021 (near neither) is not."""
    from datetime import date, datetime

    import numpy as np

    from newsqa.dates import day_number
    from newsqa.types import Query
    from rag.retrieval.retriever import _recency
    from rag.retrieval.when import resolve_time

    asked = date(2023, 6, 9)
    days = {
        name: day_number(day)
        for name, day in {"then": date(2019, 5, 1), "mid": date(2021, 6, 1), "now": date(2023, 6, 7)}.items()
    }
    vector = np.zeros(3, dtype=np.float32)
    named = Query(
        text="q", vector=vector, as_of=datetime(2023, 6, 9), time_range=resolve_time("Who won in 2019?", asked)
    )
    prior = _recency(days, named, half_life_days=7)
    assert prior["then"] == 1.0 and prior["now"] == 0.5 ** (2 / 7) and prior["mid"] < 1e-6
    this_week = Query(
        text="q", vector=vector, as_of=datetime(2023, 6, 9), time_range=resolve_time("Who won this week?", asked)
    )
    assert _recency(days, this_week, half_life_days=7)["then"] < 1e-6, "a range ending today is as before"
