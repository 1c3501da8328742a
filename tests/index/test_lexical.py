"""BM25 in segments: the same scores as one index built from scratch, updates that write only what changed."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from index import ingest, open_store, remove
from index.duplicates import Fingerprints
from index.lexical import LexicalChunk, LexicalIndex, LiveLexical, lexical_folder, open_lexical
from newsqa.text import content_terms

WORDS = (
    "port harbour ship strike union wage council mayor election vote flood river dam rain storm court judge "
    "minister budget tax school teacher hospital nurse fire forest police border army talks ceasefire"
).split()
QUERIES = ["port strike wage", "flood dam river river", "court judge minister", "ceasefire talks border army", "zebra"]
NO_COPIES = Fingerprints.empty()


def _corpus(articles: int, seed: int = 7) -> list[LexicalChunk]:
    rng = random.Random(seed)
    chunks = []
    for a in range(articles):
        for c in range(rng.randint(1, 4)):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 40)))
            chunks.append(LexicalChunk(f"a{a:03d}::h::{c}", text, rng.choice(["Wire", "Herald"]), 19000 + a))
    return chunks


def _index(chunks: list[LexicalChunk]) -> LexicalIndex:
    return LexicalIndex.from_chunks(chunks, NO_COPIES, threshold=0.5, generation=0)


def _by_article(chunks: list[LexicalChunk]) -> dict[str, list[LexicalChunk]]:
    articles: dict[str, list[LexicalChunk]] = {}
    for chunk in chunks:
        articles.setdefault(chunk.id.split("::")[0], []).append(chunk)
    return articles


def test_scores_are_bm25s_lucene_scores():
    import bm25s

    chunks = _corpus(60)
    reference = bm25s.BM25()
    reference.index([content_terms(c.text) for c in chunks], show_progress=False)
    index = _index(chunks)
    for query in QUERIES[:-1]:
        expected = reference.get_scores(content_terms(query))
        assert np.allclose(index.scores(content_terms(query)), expected, atol=1e-5), query
    assert index.search("zebra", 5) == []


def test_added_and_removed_articles_score_as_an_index_built_from_scratch():
    articles = _by_article(_corpus(120))
    names = sorted(articles)
    index = _index([c for name in names[:40] for c in articles[name]])
    for start in range(40, len(names), 3):
        index = index.updated(
            [c for name in names[start : start + 3] for c in articles[name]], NO_COPIES, [], generation=0
        )
    gone = {c.id for name in names[10:50:2] for c in articles[name]}
    index = index.updated([], NO_COPIES, gone, generation=0)
    kept = [c for name in names for c in articles[name] if c.id not in gone]
    scratch = _index(kept)
    assert sorted(index.ids) == sorted(c.id for c in kept)
    # What a writer asks before it writes: each article's live chunks, none for one removed or never seen.
    assert index.chunks_of([names[10], names[11], "nobody"]) == {
        names[10]: set(),
        names[11]: {c.id for c in articles[names[11]]},
        "nobody": set(),
    }
    for query in QUERIES:
        ours = dict(zip(index.ids, index.scores(content_terms(query))))
        theirs = dict(zip(scratch.ids, scratch.scores(content_terms(query))))
        assert all(math.isclose(ours[i], theirs[i], abs_tol=1e-5) for i in theirs), query
        assert [h.chunk_id for h in index.search(query, 10)] == [h.chunk_id for h in scratch.search(query, 10)]
    # Small segments merged as they came: their count grows with the logarithm of the updates, not with them.
    assert len(index.segments()) <= math.log2(len(names)) + 1


def test_near_copy_groups_kept_through_updates_are_the_groups_of_a_rebuild(tmp_path):
    rng = random.Random(3)
    stories = [" ".join(rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(60)) for _ in range(6)]
    # Three outlets' copies of each story, one word changed: near-copies, not the same text.
    texts = {
        f"s{s}o{o}": story.replace(story.split()[o], "edited", 1) for s, story in enumerate(stories) for o in range(3)
    }

    def chunks(names):
        return [LexicalChunk(f"{n}::h::0", texts[n], "Wire", 19000) for n in names]

    def copies(names):
        return Fingerprints.of({n: texts[n] for n in names}, dict.fromkeys(names, "News"))

    names = sorted(texts)
    index = LexicalIndex.from_chunks(chunks(names[:9]), copies(names[:9]), threshold=0.5, generation=0)
    index = index.updated(chunks(names[9:]), copies(names[9:]), [], generation=0)
    # An article removed, another removed and indexed again, then a copy of a removed one added.
    index = index.updated([], NO_COPIES, ["s0o0::h::0", "s1o1::h::0"], generation=0)
    index = index.updated(chunks(["s1o1"]), copies(["s1o1"]), [], generation=0)
    live = [n for n in names if n != "s0o0"]
    scratch = LexicalIndex.from_chunks(chunks(live), copies(live), threshold=0.5, generation=0)
    assert index.duplicates.representative == scratch.duplicates.representative
    assert set(index.duplicates.representative) == set(live)
    index.save(tmp_path)  # the pairs as saved (numbers) and read back make the same groups
    assert LexicalIndex.load(tmp_path).duplicates.representative == scratch.duplicates.representative
    assert sorted(index.article_ids) == sorted(live)


def test_filters_apply_to_the_live_chunks_only():
    articles = _by_article(_corpus(30))
    index = _index([c for chunks in articles.values() for c in chunks])
    herald = [c.id for chunks in articles.values() for c in chunks if c.source == "Herald"]
    index = index.updated([], NO_COPIES, herald[:5], generation=0)
    from newsqa.types import Filters

    hits = index.search("port strike wage flood court fire", 50, index.mask(Filters(sources=["Herald"])))
    assert hits and {h.chunk_id for h in hits} <= set(herald[5:])


def test_part_of_an_article_still_indexed_is_refused_for_a_rebuild():
    articles = _by_article(_corpus(10))
    chunks = [c for group in articles.values() for c in group]
    index = _index(chunks)
    again = LexicalChunk(chunks[0].id.replace("::0", "::9"), "port strike", "Wire", 1)
    assert index.updated([again], NO_COPIES, [], generation=0) is None


def test_an_ingest_writes_one_segment_and_a_reader_reads_only_that_one(settings, tmp_path):
    first, second = tmp_path / "port.txt", tmp_path / "dam.txt"
    rng = random.Random(3)
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(150)) + "." for _ in range(8)]
    first.write_text("Port reopens\n\nThe port of Tartus reopened on Monday.\n\n" + "\n\n".join(paragraphs) + "\n")
    second.write_text("Dam bursts\n\nThe Kessler dam burst on Tuesday, flooding three villages.\n")
    assert ingest([first], settings, progress=False).chunks_added >= 4
    store = open_store(settings)
    folder = lexical_folder(store)
    (segment,) = [p for p in folder.iterdir() if p.is_dir()]
    written = {p.name: p.stat().st_mtime_ns for p in segment.iterdir()}
    reader = LiveLexical(store)
    before = reader.current()

    ingest([second], settings, progress=False)
    segments = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert segment.name in segments and len(segments) == 2, "the first segment was rewritten"
    assert {p.name: p.stat().st_mtime_ns for p in segment.iterdir()} == written
    after = reader.current()
    assert after is not before and after.segments()[segment.name] is before.segments()[segment.name]
    assert after.search("Kessler dam", 1)[0].chunk_id.startswith("dam::")

    remove(["port"], settings)
    lexical = open_lexical(open_store(settings))
    assert not any(h.chunk_id.startswith("port::") for h in lexical.search("Tartus port", 5))
    assert len(lexical) == open_store(settings).count()


def test_a_write_never_scans_the_store_and_a_reader_finds_chunks_removed_behind_its_back(
    settings, tmp_path, monkeypatch
):
    """Writers trust BM25's dirty marker and the store's generation stamp, so that a write costs what it
    writes; readers also count the store's chunks, which catches a change no write of newsqa's made."""
    from index.store import VectorStore

    first, second = tmp_path / "port.txt", tmp_path / "dam.txt"
    first.write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Monday, officials said.\n")
    second.write_text("Dam bursts\n\nThe Kessler dam burst on Tuesday, flooding three villages.\n")
    ingest([first], settings, progress=False)
    with monkeypatch.context() as scans:
        for name in ("count", "ids_of_articles", "iter_all"):
            scans.setattr(VectorStore, name, lambda *a, name=name: pytest.fail(f"a write called {name}"))
        ingest([second], settings, progress=False)
        first.write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Friday, officials said.\n")
        assert ingest([first], settings, progress=False).replaced == 1
        remove(["dam"], settings)
    ingest([second], settings, progress=False)
    store = open_store(settings)
    # Chroma's own call, not newsqa's: no marker, no stamp.
    store._collection.delete(ids=sorted(store.ids_of_articles(["dam"])["dam"]))
    lexical = open_lexical(open_store(settings))
    assert len(lexical) == store.count() and set(lexical.article_ids) == {"port"}
    assert lexical.search("Tartus Friday", 1)[0].chunk_id.startswith("port::")


@pytest.mark.parametrize("damaged", ["manifest.json", "REBUILD"])
def test_an_index_whose_manifest_is_lost_or_marked_stale_is_rebuilt(settings, tmp_path, damaged):
    article = tmp_path / "port.txt"
    article.write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Monday, officials said.\n")
    ingest([article], settings, progress=False)
    folder = lexical_folder(open_store(settings))
    (folder / "manifest.json").unlink() if damaged == "manifest.json" else (folder / "REBUILD").touch()
    lexical = open_lexical(open_store(settings))
    assert lexical.search("Tartus", 1)[0].chunk_id.startswith("port::")
    assert (folder / "manifest.json").exists() and not (folder / "REBUILD").exists()


def test_a_reader_meeting_a_write_in_progress_searches_the_index_as_it_was(settings, tmp_path):
    from index.lexical import mark_dirty
    from index.store import write_lock

    article = tmp_path / "port.txt"
    article.write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Monday, officials said.\n")
    ingest([article], settings, progress=False)
    store = open_store(settings)
    saved = {p.name for p in lexical_folder(store).iterdir() if p.is_dir()}
    with write_lock(settings.store.data_dir):
        mark_dirty(store)  # what a writer does before it touches the vector store
        during = open_lexical(store)
    # The saved segments, read: not an index built again from the store (its segments would have new names).
    assert set(during.segments()) == saved
    assert during.search("Tartus", 1)[0].chunk_id.startswith("port::")
