"""The BM25 index, in segments beside the vector store, and kept consistent with it.

An update costs what it adds, at any index size: the chunks an ingestion adds become a
new segment (their postings, and their articles' near-copy signatures), the chunks it
removes are marked deleted in the manifest, and small segments merge into larger ones
(never past :data:`SEGMENT_CHUNKS`, so a merge's cost is bounded too), as Lucene and tantivy
keep their indexes. Scores need the whole index's statistics (how many chunks, their mean
length, how many hold a term): they are summed over the segments' live chunks when a
question is searched, so a segmented index scores every chunk exactly as one index built
from scratch over the same chunks would (bm25s's Lucene BM25, which built it before).

Segments never change once written; ``manifest.json`` names the live ones and the deleted
chunks, and is replaced in one rename. A marker file is written before the vector store is
touched and removed once the manifest is saved, which records the generation the vector
store was stamped with by that write: if a run is interrupted in between, the next open sees
the marker (or another generation) and rebuilds from the vector store, which holds
everything BM25 is made of. A writer trusts that proof alone and learns which chunks an
article has from BM25, so it never scans the store; a reader also compares the chunk
counts on opening, which catches a change made behind newsqa's back.

A long-lived reader holds a :class:`LiveLexical`, which reopens the index whenever a
writer in any process saved a new manifest, reading only the segments it has not seen.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from index.duplicates import (
    BandIndex,
    DuplicateGroups,
    Fingerprints,
    Pairs,
    copies_in,
    copy_pairs,
    groups_of,
    places_in,
)
from index.store import VectorStore, article_of, storage_error, write_lock
from newsqa.errors import IndexUnavailableError
from newsqa.settings import Settings
from newsqa.text import content_terms
from newsqa.types import Filters


def lexical_text(title: str, text: str) -> str:
    """What BM25 and the embedder see for a chunk: the headline gives every chunk its topic."""
    return f"{title}\n{text}" if title else text


# Saved in the manifest; an index of another format is rebuilt. Bump it when the tokenizer or the files
# change (5: words of every script, CJK as character pairs; 6: segments; 7: near-copy pairs in segments;
# 8: those pairs as arrays of numbers, read without parsing; 9: curly apostrophes read as straight ones).
_FORMAT = 9
# A merge never writes a segment larger than this, so no update rewrites more (a full rebuild cuts the
# index into segments of this size). At ~100 postings a chunk, such a merge takes about a second.
SEGMENT_CHUNKS = 50_000
# The newest segment merges into the one before it once it holds at least this share of that one's chunks:
# segment sizes then fall geometrically, so there are O(log n) small ones and each chunk is rewritten
# O(log n) times.
MERGE_SHARE = 0.5
# A segment whose chunks are mostly deleted is rewritten without them, so deleted chunks do not pile up.
PURGE_SHARE = 0.5
# bm25s's defaults (Lucene's BM25), with which this index was built before it had segments: same scores.
K1, B = 1.5, 0.75
# Readers that find a segment gone (merged away by a writer after they read the manifest) read again.
_LOAD_TRIES = 5


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: str
    score: float
    day: int = 0


@dataclass(frozen=True)
class LexicalChunk:
    """What BM25 keeps of a chunk: its id, the text it searches (headline and text), outlet and day."""

    id: str
    text: str
    source: str
    day: int


@dataclass(frozen=True)
class _Segment:
    """Some chunks' postings (term → chunks and counts, column by column) and their articles' signatures."""

    name: str
    ids: list[str]
    sources: list[str]
    days: np.ndarray
    lengths: np.ndarray  # terms per chunk
    terms: list[str]
    indptr: np.ndarray  # term i's postings are docs/tf[indptr[i]:indptr[i + 1]]
    docs: np.ndarray
    tf: np.ndarray
    copies: Fingerprints
    # Near-copy pairs found when this segment's articles were added; a pair holds while both its articles
    # live in this segment or an older one (see LexicalIndex.duplicates).
    pairs: Pairs
    _band_indexes: dict[float, BandIndex] = field(default_factory=dict, compare=False, repr=False)

    def band_index(self, threshold: float) -> BandIndex:
        """The segment's signatures' bands, sorted once per threshold."""
        if threshold not in self._band_indexes:
            self._band_indexes[threshold] = BandIndex.of(np.asarray(self.copies.signatures), threshold)
        return self._band_indexes[threshold]

    def live_rows(self, article: str, position: np.ndarray) -> np.ndarray | None:
        """The rows of the article's chunks in this segment still live (``position``: -1 for a deleted
        chunk); None where the segment never held the article."""
        rows = self.article_rows.get(article)
        return None if rows is None else rows[position[rows] >= 0]

    def lives_here(self, article: str, position: np.ndarray) -> bool:
        """Whether the article has a live chunk in this segment."""
        rows = self.live_rows(article, position)
        return rows is not None and len(rows) > 0

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        return {term: i for i, term in enumerate(self.terms)}

    # Built once per segment: an index made of segments it has seen before gathers these in C, not per chunk.
    @cached_property
    def id_array(self) -> np.ndarray:
        return np.array(self.ids, dtype=object)

    @cached_property
    def article_array(self) -> np.ndarray:
        return np.array([article_of(i) for i in self.ids], dtype=object)

    @cached_property
    def source_array(self) -> np.ndarray:
        return np.array(self.sources, dtype=object)

    @cached_property
    def article_rows(self) -> dict[str, np.ndarray]:
        """Each article's chunks in this segment (an article's chunks all live in one segment)."""
        rows: dict[str, list[int]] = {}
        for i, article in enumerate(self.article_array):
            rows.setdefault(article, []).append(i)
        return {article: np.array(found) for article, found in rows.items()}

    @classmethod
    def build(
        cls, name: str, chunks: list[LexicalChunk], copies: Fingerprints, pairs: Iterable[tuple[str, str]] = ()
    ) -> _Segment:
        vocabulary: dict[str, int] = {}
        tokens = [[vocabulary.setdefault(t, len(vocabulary)) for t in content_terms(c.text)] for c in chunks]
        lengths = np.array([len(t) for t in tokens], dtype=np.int32)
        term = np.fromiter((t for doc in tokens for t in doc), dtype=np.int64, count=int(lengths.sum()))
        doc = np.repeat(np.arange(len(chunks), dtype=np.int64), lengths)
        return cls._from_postings(
            name,
            [c.id for c in chunks],
            [c.source for c in chunks],
            np.array([c.day for c in chunks], dtype=np.int64),
            lengths,
            list(vocabulary),
            term,
            doc,
            np.ones(len(term), dtype=np.int32),
            copies,
            Pairs.of(pairs),
        )

    @classmethod
    def _from_postings(cls, name, ids, sources, days, lengths, terms, term, doc, tf, copies, pairs) -> _Segment:
        """A segment from (term, doc, count) triples in any order; a (term, doc) pair given twice is summed."""
        width = max(len(ids), 1)  # a key per (term, doc): term * width + doc sorts by term, then doc
        unique, where = np.unique(term * width + doc, return_inverse=True)
        counts = np.bincount(where, weights=tf, minlength=len(unique)).astype(np.int32)
        indptr = np.searchsorted(unique // width, np.arange(len(terms) + 1)).astype(np.int64)
        docs = (unique % width).astype(np.int32)
        return cls(name, ids, sources, days, lengths, terms, indptr, docs, counts, copies, pairs)

    @classmethod
    def merged(cls, name: str, parts: list[tuple[_Segment, np.ndarray]]) -> _Segment:
        """One segment of the live chunks (``keep``) of several, in their order.

        A part's near-copy pairs go with it unless they name an article deleted here or living in a later
        part (indexed again since the pair was found: the pair no longer holds)."""
        vocabulary: dict[str, int] = {}
        ids: list[str] = []
        sources: list[str] = []
        days, lengths, terms, docs, tfs = [], [], [], [], []
        # Each part's live articles (a part's pairs lapse where a later part holds one of them again).
        alive = [set(segment.article_array[keep].tolist()) for segment, keep in parts]
        live_articles = set().union(*alive)
        for segment, keep in parts:
            position = np.cumsum(keep) - 1 + len(ids)
            kept = np.flatnonzero(keep)
            ids += [segment.ids[i] for i in kept]
            sources += [segment.sources[i] for i in kept]
            days.append(segment.days[kept])
            lengths.append(segment.lengths[kept])
            column = np.array([vocabulary.setdefault(t, len(vocabulary)) for t in segment.terms], dtype=np.int64)
            term = np.repeat(column, np.diff(segment.indptr))
            live_postings = keep[segment.docs]
            terms.append(term[live_postings])
            docs.append(position[segment.docs[live_postings]])
            tfs.append(segment.tf[live_postings])
        copies = Fingerprints.joined(segment.copies for segment, _ in parts).only(live_articles)
        deleted_here = {a for segment, _ in parts for a in segment.article_rows} - live_articles
        kept_pairs = [
            segment.pairs.where(~segment.pairs.naming(set().union(*alive[i + 1 :]) | deleted_here))
            for i, (segment, _) in enumerate(parts)
        ]
        return cls._from_postings(
            name,
            ids,
            sources,
            np.concatenate(days),
            np.concatenate(lengths),
            list(vocabulary),
            np.concatenate(terms),
            np.concatenate(docs).astype(np.int64),
            np.concatenate(tfs),
            copies,
            Pairs.joined(kept_pairs),
        )

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        column = self.vocabulary.get(term)
        if column is None:
            return None
        start, end = self.indptr[column], self.indptr[column + 1]
        return self.docs[start:end], self.tf[start:end]

    def save(self, folder: Path) -> None:
        """Write the segment's files, then rename their folder into place: a segment is whole or absent."""
        staging = folder / f".{self.name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        (staging / "chunks.json").write_text(json.dumps({"ids": self.ids, "sources": self.sources}))
        (staging / "terms.json").write_text(json.dumps(self.terms))
        np.save(staging / "pair_names.npy", self.pairs.names)
        np.save(staging / "pairs.npy", self.pairs.rows)
        (staging / "copies.json").write_text(
            json.dumps({"articles": self.copies.articles, "titles": self.copies.titles, "keys": self.copies.text_keys})
        )
        for array in ("days", "lengths", "indptr", "docs", "tf"):
            np.save(staging / f"{array}.npy", getattr(self, array))
        np.save(staging / "signatures.npy", self.copies.signatures)
        staging.rename(folder / self.name)

    @classmethod
    def load(cls, folder: Path) -> _Segment:
        chunks = json.loads((folder / "chunks.json").read_text())
        copies = json.loads((folder / "copies.json").read_text())

        def array(name: str) -> np.ndarray:
            # Mapped, not read: a segment costs memory for the postings questions touch.
            return np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)

        segment = cls(
            folder.name,
            chunks["ids"],
            chunks["sources"],
            np.asarray(array("days")),
            np.asarray(array("lengths")),
            json.loads((folder / "terms.json").read_text()),
            array("indptr"),
            array("docs"),
            array("tf"),
            Fingerprints(copies["articles"], copies["titles"], copies["keys"], np.asarray(array("signatures"))),
            Pairs(
                np.load(folder / "pair_names.npy", allow_pickle=False),
                np.load(folder / "pairs.npy", allow_pickle=False),
            ),
        )
        if not (len(segment.ids) == len(segment.sources) == len(segment.days) == len(segment.lengths)) or (
            segment.pairs.rows.ndim != 2
            or segment.pairs.rows.shape[1] != 2
            or (len(segment.pairs) and int(segment.pairs.rows.max()) >= len(segment.pairs.names))
        ):
            raise ValueError(f"segment {folder.name} is damaged")
        if (
            len(segment.indptr) != len(segment.terms) + 1
            or len(segment.docs) != len(segment.tf)
            or len(segment.docs) != segment.indptr[-1]
            or (len(segment.docs) and int(segment.docs.max()) >= len(segment.ids))
        ):
            raise ValueError(f"segment {folder.name} is damaged")
        return segment


@dataclass(frozen=True)
class _Manifest:
    segments: list[str]
    deleted: dict[str, list[int]]  # per segment, its deleted chunks' positions
    generation: int
    threshold: float

    def save(self, folder: Path) -> None:
        staging = folder / ".manifest.json.partial"
        staging.write_text(
            json.dumps(
                {
                    "format": _FORMAT,
                    "segments": self.segments,
                    "deleted": self.deleted,
                    "generation": self.generation,
                    "threshold": self.threshold,
                }
            )
        )
        os.replace(staging, folder / "manifest.json")

    @classmethod
    def load(cls, folder: Path) -> _Manifest | None:
        """The manifest, or None when it was saved in another format."""
        meta = json.loads((folder / "manifest.json").read_text())
        if meta.get("format") != _FORMAT:
            return None
        deleted = {str(k): [int(i) for i in v] for k, v in meta["deleted"].items()}
        segments = [str(s) for s in meta["segments"]]
        return cls(segments, deleted, int(meta["generation"]), float(meta["threshold"]))


def bm25_idf(documents: int, df: int) -> float:
    """BM25's (Lucene's) inverse document frequency of a term that ``df`` of ``documents`` hold."""
    return math.log(1 + (documents - df + 0.5) / (df + 0.5))


class LexicalIndex:
    """BM25 over every chunk, with per-chunk source and date for filtering, and the near-duplicate groups.

    ``ids``, ``article_ids``, ``sources`` and ``days`` describe the live chunks, in segment order.
    """

    def __init__(self, segments: list[_Segment], manifest: _Manifest) -> None:
        self._segments = segments
        self._manifest = manifest
        # The vector store's generation this index was built from (VectorStore.generation).
        self.generation = manifest.generation
        # Where each segment's chunks sit among the live ones (-1: deleted).
        self._positions: list[np.ndarray] = []
        self._live: list[np.ndarray] = []  # each segment's live chunks
        count = 0
        for segment in segments:
            keep = _kept(segment, manifest.deleted)
            self._positions.append(np.where(keep, np.cumsum(keep) - 1 + count, -1))
            self._live.append(np.flatnonzero(keep))
            count += len(self._live[-1])
        self._count = count

    def _concatenated(self, attribute: str, dtype) -> np.ndarray:
        """A per-chunk attribute of the live chunks, in segment order."""
        parts = [np.asarray(getattr(s, attribute))[rows] for s, rows in zip(self._segments, self._live)]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    # Gathered when first asked: a writer adding articles never needs them, a reader once per reopening.
    @cached_property
    def days(self) -> np.ndarray:
        return self._concatenated("days", np.int64)

    @cached_property
    def _lengths(self) -> np.ndarray:
        return self._concatenated("lengths", np.float32)

    @cached_property
    def _mean_length(self) -> float:
        return float(self._lengths.mean()) if len(self._lengths) else 0.0

    @cached_property
    def ids(self) -> np.ndarray:
        return self._concatenated("id_array", object)

    @cached_property
    def article_ids(self) -> np.ndarray:
        return self._concatenated("article_array", object)

    @cached_property
    def sources(self) -> np.ndarray:
        return self._concatenated("source_array", object)

    @classmethod
    def from_chunks(
        cls, chunks: list[LexicalChunk], copies: Fingerprints, *, threshold: float, generation: int
    ) -> LexicalIndex:
        """An index of these chunks (ordered by article), cut into segments of at most SEGMENT_CHUNKS."""
        pairs = copy_pairs(copies, Fingerprints.empty(), threshold)
        parts: list[list[LexicalChunk]] = []
        start = 0
        while start < len(chunks):
            end = min(start + SEGMENT_CHUNKS, len(chunks))
            # Never between two chunks of one article: an article's signature lives with its chunks.
            while (
                end < len(chunks) and end > start + 1 and article_of(chunks[end].id) == article_of(chunks[end - 1].id)
            ):
                end -= 1
            parts.append(chunks[start:end])
            start = end
        where = {article_of(c.id): i for i, part in enumerate(parts) for c in part}
        # A pair goes with the later of its articles' segments, as if that article had been added last.
        segments = [
            _Segment.build(
                _new_name(),
                part,
                copies.only({article_of(c.id) for c in part}),
                [p for p in pairs if max(where.get(p[0], -1), where.get(p[1], -1)) == i],
            )
            for i, part in enumerate(parts)
        ]
        return cls(segments, _Manifest([s.name for s in segments], {}, generation, threshold))

    @classmethod
    def build(cls, store: VectorStore) -> LexicalIndex:
        # Read first: a write that lands while the chunks are read leaves this index stale, as it is.
        generation = store.generation()
        chunks: list[LexicalChunk] = []
        pieces: dict[str, list[tuple[int, str]]] = {}
        titles: dict[str, str] = {}
        for record in store.iter_all():
            meta = record.metadata
            chunks.append(
                LexicalChunk(
                    record.id,
                    lexical_text(meta.get("title", ""), record.text),
                    meta.get("source", ""),
                    int(meta.get("published_day", 0)),
                )
            )
            pieces.setdefault(meta["article_id"], []).append((int(meta.get("chunk_index", 0)), record.text))
            titles[meta["article_id"]] = meta.get("title", "")
        chunks.sort(key=lambda c: article_of(c.id))
        return cls.from_chunks(
            chunks,
            Fingerprints.of(article_texts(pieces), titles),
            threshold=store.settings.index.duplicate_threshold,
            generation=generation,
        )

    def updated(
        self, added: list[LexicalChunk], copies: Fingerprints, removed: Collection[str], *, generation: int
    ) -> LexicalIndex | None:
        """This index with ``added`` chunks (whole articles, with ``copies`` their signatures) and without
        ``removed`` chunk ids; None when ``added`` holds part of an article whose other chunks stay (only
        a rebuild from the store then knows the article's whole text)."""
        removed = set(removed)
        deleted = {name: list(positions) for name, positions in self._manifest.deleted.items()}
        new_articles = {article_of(c.id) for c in added}
        dropped: set[str] = set()  # articles whose every live chunk goes
        # Only the articles this write touches are looked at: the cost is the write's, not the index's.
        for article in {article_of(c) for c in removed} | new_articles:
            for segment, rows in self._live_rows(article):
                gone = [int(i) for i in rows if segment.ids[i] in removed]
                if gone:
                    deleted[segment.name] = sorted(deleted.get(segment.name, []) + gone)
                if len(gone) < len(rows):
                    if article in new_articles:
                        return None
                elif len(rows):
                    dropped.add(article)
        segments = list(self._segments)
        if added:
            pairs = self._copy_pairs(copies, dropped | new_articles)
            segments.append(_Segment.build(_new_name(), sorted(added, key=lambda c: article_of(c.id)), copies, pairs))
        manifest = _Manifest([s.name for s in segments], deleted, generation, self._manifest.threshold)
        return LexicalIndex(segments, manifest)._merged()

    def _live_rows(self, article: str) -> Iterator[tuple[_Segment, np.ndarray]]:
        """Each segment holding chunks of the article, with the rows of those still live."""
        for segment, position in zip(self._segments, self._positions):
            if (rows := segment.live_rows(article, position)) is not None:
                yield segment, rows

    def chunks_of(self, articles: Iterable[str]) -> dict[str, set[str]]:
        """The live chunk ids of each of these articles (none for one not indexed), found in the segments
        holding them: the cost is the articles', not the index's."""
        return {
            article: {segment.ids[int(i)] for segment, rows in self._live_rows(article) for i in rows}
            for article in articles
        }

    def _copy_pairs(self, copies: Fingerprints, retired: set[str]) -> list[tuple[str, str]]:
        """The near-copy pairs among new articles (``copies``) and between them and the live articles but
        ``retired`` ones (removed or indexed again by this write). Each segment's sorted bands are searched,
        none sorted again: the cost is the new articles' times the segments' count."""
        threshold = self._manifest.threshold
        pairs = set(copy_pairs(copies, Fingerprints.empty(), threshold))
        for segment, position in zip(self._segments, self._positions):

            def keep(article: str, segment: _Segment = segment, position: np.ndarray = position) -> bool:
                return article not in retired and segment.lives_here(article, position)

            pairs |= copies_in(copies, segment.copies, segment.band_index(threshold), threshold, keep)
        return sorted(pairs)

    def _merged(self) -> LexicalIndex:
        """This index after the merges its segment sizes call for (see MERGE_SHARE and PURGE_SHARE)."""
        segments = list(self._segments)
        deleted = dict(self._manifest.deleted)

        def rewrite(parts: list[_Segment]) -> _Segment:
            merged = _Segment.merged(_new_name(), [(s, _kept(s, deleted)) for s in parts])
            for s in parts:
                deleted.pop(s.name, None)
            return merged

        segments = [rewrite([s]) if len(deleted.get(s.name, [])) > PURGE_SHARE * len(s.ids) else s for s in segments]
        segments = [s for s in segments if len(s.ids)]
        while len(segments) >= 2:
            older, newer = (int(_kept(s, deleted).sum()) for s in segments[-2:])
            if newer < MERGE_SHARE * older or older + newer > SEGMENT_CHUNKS:
                break
            segments[-2:] = [rewrite(segments[-2:])]
        if [s.name for s in segments] == self._manifest.segments:
            return self
        manifest = _Manifest([s.name for s in segments], deleted, self.generation, self._manifest.threshold)
        return LexicalIndex(segments, manifest)

    def save(self, folder: Path) -> None:
        """Write the segments not on disk yet, then the manifest; then drop the files no manifest names."""
        folder.mkdir(parents=True, exist_ok=True)
        for segment in self._segments:
            if not (folder / segment.name).is_dir():
                segment.save(folder)
        self._manifest.save(folder)
        named = set(self._manifest.segments) | {"manifest.json", "REBUILD"}
        for entry in folder.iterdir():
            if entry.name not in named:
                # Earlier formats' files, segments merged away, what an interrupted save left.
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

    @classmethod
    def load(cls, folder: Path, known: dict[str, _Segment] | None = None) -> LexicalIndex | None:
        """The saved index (segments in ``known`` are reused, not read), or None when it was saved in
        another format."""
        known = known or {}
        for attempt in range(_LOAD_TRIES):
            manifest = _Manifest.load(folder)
            if manifest is None:
                return None
            try:
                segments = [known.get(name) or _Segment.load(folder / name) for name in manifest.segments]
            except FileNotFoundError:
                if attempt == _LOAD_TRIES - 1:
                    raise
                continue  # merged away since the manifest was read: read the new one
            return cls(segments, manifest)
        return None

    def segments(self) -> dict[str, _Segment]:
        return {s.name: s for s in self._segments}

    @cached_property
    def _home_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Every live article with a signature, in order, and the segment (its place) holding its chunks."""
        names, places = [], []
        for place, (segment, position) in enumerate(zip(self._segments, self._positions)):
            held = segment.copies.articles
            if len(self._live[place]) < len(segment.ids):  # some of its chunks deleted: which articles live?
                held = [a for a in held if segment.lives_here(a, position)]
            names.append(np.array(held, dtype=str))
            places.append(np.full(len(held), place, dtype=np.int64))
        every = np.concatenate(names) if names else np.zeros(0, dtype=str)
        order = np.argsort(every, kind="stable")
        return every[order], (np.concatenate(places) if places else np.zeros(0, np.int64))[order]

    def _homes_of(self, articles: np.ndarray) -> np.ndarray:
        """Where each of these articles lives (its segment's place), -1 for one that does not."""
        names, places = self._home_table
        if not len(names):  # no live article: every place is -1, and ``places`` has none to index
            return np.full(len(articles), -1, dtype=np.int64)
        at = places_in(names, articles)
        return np.where(at >= 0, places[at], -1)

    def _home(self, article: str) -> int | None:
        """Where one article lives, found without :attr:`_home_table` (which costs every article of the index)."""
        for place in reversed(range(len(self._segments))):
            if self._segments[place].lives_here(article, self._positions[place]):
                return place
        return None

    def _holding(self, segments: Iterable[int], homes_of: Callable[[np.ndarray], np.ndarray]) -> Pairs:
        """The near-copy pairs kept by these segments that still hold: both articles live (``homes_of`` says
        where), neither indexed again (into a later segment) since the pair was found."""
        kept = []
        for place in segments:
            pairs = self._segments[place].pairs
            if len(pairs):
                where = homes_of(pairs.names)[pairs.rows]
                kept.append(pairs.where(((where >= 0) & (where <= place)).all(axis=1)))
        return Pairs.joined(kept)

    def _copies(self, articles: np.ndarray, places: np.ndarray) -> Fingerprints:
        """These articles' signatures, each from the segment it lives in (``places``, -1 for none; one indexed
        again also has a row where it was deleted)."""
        return Fingerprints.joined(
            self._segments[place].copies.only(set(articles[places == place].tolist()))
            for place in np.unique(places[places >= 0]).tolist()
        )

    @cached_property
    def duplicates(self) -> DuplicateGroups:
        pairs = self._holding(range(len(self._segments)), self._homes_of)
        return groups_of(self._copies(pairs.names, self._homes_of(pairs.names)), pairs)

    def same_text_other_titles(self, articles: Collection[str]) -> list[list[str]]:
        """The sets of articles with one text under several headlines that hold one of ``articles`` (which
        were just added): found among the pairs kept where those articles live, not over the whole index."""
        home = lru_cache(maxsize=None)(self._home)

        def homes_of(names: np.ndarray) -> np.ndarray:
            return np.array([-1 if (p := home(a)) is None else p for a in names.tolist()], dtype=np.int64)

        places = [p for p in map(home, articles) if p is not None]
        if not places:
            return []
        pairs = self._holding(range(min(places), len(self._segments)), homes_of)
        members = np.union1d(pairs.names, np.array(sorted(articles), dtype=str))
        groups = groups_of(self._copies(members, homes_of(members)), pairs)
        return [same for same in groups.same_text_other_titles if set(same) & set(articles)]

    @cached_property
    def latest_day(self) -> int:
        """The day number of the most recently published chunk (0 for none)."""
        return int(self.days.max()) if len(self.days) else 0

    @cached_property
    def outlets(self) -> dict[str, str]:
        """Each article's outlet (built once: answers ask for it on every question)."""
        return dict(zip(self.article_ids.tolist(), self.sources.tolist()))

    def __len__(self) -> int:
        return self._count

    def mask(self, filters: Filters) -> np.ndarray | None:
        """A 0/1 weight per chunk for the filters, or None when nothing is filtered."""
        if filters == Filters():
            return None
        keep = np.ones(len(self), dtype=bool)
        if filters.sources:
            keep &= np.isin(self.sources, list(filters.sources))
        if filters.since:
            keep &= self.days >= filters.since_day
        if filters.until:
            keep &= self.days <= filters.until_day
        if filters.exclude_articles:
            keep &= ~np.isin(self.article_ids, list(filters.exclude_articles))
        return keep.astype(np.float32)

    def _live_postings(self, term: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """Where ``term`` occurs among the live chunks, and how often, per segment that holds it."""
        hits = []
        for segment, position in zip(self._segments, self._positions):
            postings = segment.postings(term)
            if postings is None:
                continue
            docs, tf = postings
            where = position[docs]
            alive = where >= 0
            hits.append((where[alive], np.asarray(tf)[alive]))
        return hits

    def _idf(self, df: int) -> float:
        return bm25_idf(len(self), df)

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each term; a term no live chunk holds gets the highest."""
        return {term: self._idf(sum(len(where) for where, _ in self._live_postings(term))) for term in set(terms)}

    def scores(self, terms: Iterable[str]) -> np.ndarray:
        """Each live chunk's BM25 score for these query terms (a term given twice counts twice)."""
        scores = np.zeros(len(self), dtype=np.float32)
        for term, count in Counter(terms).items():
            hits = self._live_postings(term)
            df = sum(len(where) for where, _ in hits)
            if not df:
                continue
            idf = self._idf(df)
            for where, tf in hits:
                norm = K1 * (1 - B + B * self._lengths[where] / self._mean_length)
                scores[where] += count * idf * tf / (tf + norm)
        return scores

    def search(self, query: str, n: int, mask: np.ndarray | None = None) -> list[LexicalHit]:
        terms = content_terms(query)
        if not terms or not len(self):
            return []
        scores = self.scores(terms)
        if mask is not None:
            scores *= mask
        n = min(n, len(self))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [LexicalHit(self.ids[d], float(scores[d]), int(self.days[d])) for d in top if scores[d] > 0]


def _kept(segment: _Segment, deleted: dict[str, list[int]]) -> np.ndarray:
    """Which of a segment's chunks are live."""
    keep = np.ones(len(segment.ids), dtype=bool)
    keep[deleted.get(segment.name, [])] = False
    return keep


def _new_name() -> str:
    """A name no segment had: a rebuild after damage must not take the name of a segment left on disk."""
    return f"s{uuid.uuid4().hex[:16]}"


def article_texts(pieces: dict[str, list[tuple[int, str]]]) -> dict[str, str]:
    """Each article's text as its chunks give it (chunk index, text), joined in order."""
    return {article: " ".join(text for _, text in sorted(parts)) for article, parts in pieces.items()}


def _folder(settings: Settings) -> Path:
    return settings.store.data_dir / "bm25" / settings.store.collection


def lexical_folder(store: VectorStore) -> Path:
    return _folder(store.settings)


def written_at(settings: Settings) -> int | None:
    """When a write to the index was last committed (every write ends by saving the BM25 manifest),
    None before the first: tells a long-lived reader that another process changed the index,
    without opening it."""
    try:
        return (_folder(settings) / "manifest.json").stat().st_mtime_ns
    except OSError:
        return None


def _dirty_marker(store: VectorStore) -> Path:
    return lexical_folder(store) / "REBUILD"


def mark_dirty(store: VectorStore) -> None:
    """Record, before the vector store changes, that BM25 must be rebuilt if the change is not seen through."""
    marker = _dirty_marker(store)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError as e:
        raise _unwritable(e, store) from e


# The segments this process last read or wrote, by folder. Segments never change once written, so a
# process that opens the index again (a LiveLexical reader after another's write; watch, the UI's
# uploads or a benchmark writing again) reads only the segments it has not seen: neither a reopening
# nor an update costs reading the whole index again.
_SEEN: dict[Path, dict[str, _Segment]] = {}


def _saved(store: VectorStore, index: LexicalIndex) -> LexicalIndex:
    """Save the index and clear the marker. If the files cannot be written (a full disk), the marker
    stays: the next command rebuilds."""
    try:
        index.save(lexical_folder(store))
        _dirty_marker(store).unlink(missing_ok=True)
    except OSError as e:
        raise _unwritable(e, store) from e
    _SEEN[lexical_folder(store)] = index.segments()
    return index


def rebuild(store: VectorStore) -> LexicalIndex:
    """Rebuild BM25 from the vector store, save it, and clear the marker."""
    return _saved(store, LexicalIndex.build(store))


def update(
    store: VectorStore,
    before: LexicalIndex,
    added: list[LexicalChunk],
    copies: Fingerprints,
    removed: Collection[str],
    *,
    generation: int,
) -> LexicalIndex:
    """``before`` (the index as the store was before this write) with the write applied, stamped with the
    store's ``generation`` after it, saved, marker cleared; rebuilt from the store instead when ``added``
    holds part of an article whose other chunks stay."""
    after = before.updated(added, copies, removed, generation=generation)
    return rebuild(store) if after is None else _saved(store, after)


def _unwritable(error: OSError, store: VectorStore) -> IndexUnavailableError:
    folder = str(store.settings.store.data_dir)
    return storage_error(error, folder) or IndexUnavailableError(
        f"BM25 files in {folder} cannot be written ({error.strerror}); check the folder, then run the command again"
    )


def saved_version(store: VectorStore) -> int | None:
    """The index's generation: when BM25 was last saved, which every committed write ends with;
    None while it must be rebuilt before use (missing, or marked stale by a write in progress)."""
    if _dirty_marker(store).exists():
        return None
    return written_at(store.settings)


def _loaded(store: VectorStore) -> LexicalIndex | None:
    """The saved index as its files are, or None when they are missing, damaged or of another format."""
    folder = lexical_folder(store)
    try:
        index = LexicalIndex.load(folder, _SEEN.get(folder))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    if index is not None:
        _SEEN[folder] = index.segments()
    return index


def _current(store: VectorStore, *, counted: bool = True) -> LexicalIndex | None:
    """The saved index if it holds exactly the store's chunks as of its last write, else None.

    No write of newsqa's leaves it otherwise unseen: each marks BM25 stale before touching the store and
    stamps the store's generation into BM25 when done. ``counted`` also compares the number of chunks (a
    scan of the store, 0.055 s at a million chunks), which catches what no such write leaves: chunks
    changed behind newsqa's back, or an update gone wrong. Readers count on every reopening; a writer
    does not, so that a write costs what it writes, and the next reader's count still finds any error.
    """
    if saved_version(store) is None:
        return None
    index = _loaded(store)
    if index is None or index.generation != store.generation():
        return None
    if counted and len(index) != store.count():
        return None
    if index._manifest.threshold != store.settings.index.duplicate_threshold:
        return None
    return index


def open_for_writing(store: VectorStore) -> LexicalIndex:
    """The saved index, rebuilt first if it is not current; the caller holds the write lock."""
    return _current(store, counted=False) or rebuild(store)


def open_lexical(store: VectorStore) -> LexicalIndex:
    """The saved BM25 index, rebuilt first if it is missing, marked stale, out of step or unreadable.

    BM25 is derived data: whatever happened to its files, the vector store holds everything
    needed to build it again.
    """
    index = _current(store)
    if index is not None:
        return index
    try:
        with write_lock(store.settings.store.data_dir):
            return rebuild(store)
    except IndexUnavailableError:
        # A writer is busy and saves when it is done; meanwhile search the index as it was before its write
        # (building one from the store would take as long as a rebuild, on every question until then).
        return _loaded(store) or LexicalIndex.build(store)


class LiveLexical:
    """A store's BM25 index for a long-lived reader: reopened whenever any process saved a new one,
    reading only the segments it has not read before."""

    def __init__(self, store: VectorStore) -> None:
        self.store = store
        self._index: LexicalIndex | None = None
        self._version: int | None = None
        self._lock = threading.Lock()

    def current(self) -> LexicalIndex:
        version = saved_version(self.store)
        with self._lock:
            if self._index is None or version is None or version != self._version:
                self._index = open_lexical(self.store)
                self._version = saved_version(self.store)
            return self._index
