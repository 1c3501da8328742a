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
