"""The BM25 index (bm25s), persisted beside the vector store and kept consistent with it.

It is rebuilt from the vector store's own chunks after every change, so the two can
never disagree about what is indexed. A marker file is written before the vector store
is touched and removed once BM25 is saved again: if a run is interrupted in between,
the next open sees the marker (or a different chunk count) and rebuilds.

A long-lived reader holds a :class:`LiveLexical`, which reopens the index whenever a
writer in any process has saved a new one.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from index.duplicates import DuplicateGroups, group_duplicates
from index.store import VectorStore, article_of, storage_error, write_lock
from newsqa.errors import IndexUnavailableError
from newsqa.text import content_terms
from newsqa.types import Filters


def lexical_text(title: str, text: str) -> str:
    """What BM25 and the embedder see for a chunk: the headline gives every chunk its topic."""
    return f"{title}\n{text}" if title else text


# Saved with the index; a saved index of another format is rebuilt. Bump it when the tokenizer changes
# (5: words of every script, CJK as character pairs).
_FORMAT = 5


@dataclass
class LexicalHit:
    chunk_id: str
    score: float
    day: int = 0


class LexicalIndex:
    """BM25 over every chunk, with per-chunk source and date for filtering, and the near-duplicate groups."""

    def __init__(
        self,
        retriever,
        ids: list[str],
        sources: list[str],
        days: np.ndarray,
        duplicates: DuplicateGroups,
        generation: int = 0,
    ) -> None:
        self._retriever = retriever  # bm25s's index; None when no chunk has a term to find
        # The vector store's generation this index was built from (VectorStore.generation).
        self.generation = generation
        self.ids = ids
        self.article_ids = np.array([article_of(i) for i in ids], dtype=object)
        self.sources = np.array(sources, dtype=object)
        self.days = days
        self.duplicates = duplicates

    @classmethod
    def build(cls, store: VectorStore) -> LexicalIndex:
        import bm25s

        # Read first: a write that lands while the chunks are read leaves this index stale, as it is.
        generation = store.generation()
        ids, texts, sources, days = [], [], [], []
        pieces: dict[str, list[tuple[int, str]]] = {}
        titles: dict[str, str] = {}
        for record in store.iter_all():
            meta = record.metadata
            ids.append(record.id)
            texts.append(lexical_text(meta.get("title", ""), record.text))
            sources.append(meta.get("source", ""))
            days.append(int(meta.get("published_day", 0)))
            pieces.setdefault(meta["article_id"], []).append((int(meta.get("chunk_index", 0)), record.text))
            titles[meta["article_id"]] = meta.get("title", "")
        tokens = [content_terms(text) for text in texts]
        # bm25s cannot index chunks none of which has a term (a file of "=" signs): BM25 then has nothing to find.
        retriever = bm25s.BM25() if any(tokens) else None
        if retriever is not None:
            retriever.index(tokens, show_progress=False)
        article_texts = {article: " ".join(text for _, text in sorted(parts)) for article, parts in pieces.items()}
        duplicates = group_duplicates(article_texts, titles, store.settings.index.duplicate_threshold)
        return cls(retriever, ids, sources, np.array(days, dtype=np.int64), duplicates, generation)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "bm25"
        if target.exists() and not target.is_dir():
            # What a damaged index left in place of the folder bm25s writes.
            target.unlink()
        if self._retriever is not None:
            self._retriever.save(str(target))
        (folder / "chunks.json").write_text(
            json.dumps(
                {
                    "format": _FORMAT,
                    "generation": self.generation,
                    "ids": self.ids,
                    "searchable": self._retriever is not None,
                    "sources": self.sources.tolist(),
                    "duplicates": asdict(self.duplicates),
                }
            )
        )
        np.save(folder / "days.npy", self.days)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The saved index, or None when it was saved in another format."""
        import bm25s

        meta = json.loads((folder / "chunks.json").read_text())
        if meta.get("format") != _FORMAT:
            return None
        retriever = bm25s.BM25.load(str(folder / "bm25")) if meta["searchable"] else None
        duplicates = DuplicateGroups(**meta["duplicates"])
        days = np.load(folder / "days.npy")
        return cls(retriever, meta["ids"], meta["sources"], days, duplicates, int(meta["generation"]))

    @cached_property
    def outlets(self) -> dict[str, str]:
        """Each article's outlet (built once: answers ask for it on every question)."""
        return dict(zip(self.article_ids.tolist(), self.sources.tolist()))

    def __len__(self) -> int:
        return len(self.ids)

    def mask(self, filters: Filters) -> np.ndarray | None:
        """A 0/1 weight per chunk for the filters, or None when nothing is filtered."""
        if filters == Filters():
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        if filters.sources:
            keep &= np.isin(self.sources, list(filters.sources))
        if filters.since:
            keep &= self.days >= filters.since_day
        if filters.until:
            keep &= self.days <= filters.until_day
        if filters.exclude_articles:
            keep &= ~np.isin(self.article_ids, list(filters.exclude_articles))
        return keep.astype(np.float32)

    def search(self, query: str, n: int, mask: np.ndarray | None = None) -> list[LexicalHit]:
        terms = content_terms(query)
        if self._retriever is None or not terms:
            return []
        n = min(n, len(self.ids))
        docs, scores = self._retriever.retrieve([terms], k=n, weight_mask=mask, show_progress=False, n_threads=1)
        return [LexicalHit(self.ids[d], float(s), int(self.days[d])) for d, s in zip(docs[0], scores[0]) if s > 0]


def lexical_folder(store: VectorStore) -> Path:
    return store.settings.store.data_dir / "bm25" / store.settings.store.collection


def _dirty_marker(store: VectorStore) -> Path:
    return lexical_folder(store) / "REBUILD"


def mark_dirty(store: VectorStore) -> None:
    """Record, before the vector store changes, that BM25 must be rebuilt."""
    marker = _dirty_marker(store)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError as e:
        raise _unwritable(e, store) from e


def rebuild(store: VectorStore) -> LexicalIndex:
    """Rebuild BM25 from the vector store, save it, and clear the marker.

    If the files cannot be written (a full disk), the marker stays: the next command rebuilds.
    """
    folder = lexical_folder(store)
    index = LexicalIndex.build(store)
    try:
        index.save(folder)
        _dirty_marker(store).unlink(missing_ok=True)
    except OSError as e:
        raise _unwritable(e, store) from e
    return index


def _unwritable(error: OSError, store: VectorStore) -> IndexUnavailableError:
    folder = str(store.settings.store.data_dir)
    return storage_error(error, folder) or IndexUnavailableError(
        f"BM25 files in {folder} cannot be written ({error.strerror}); check the folder, then run the command again"
    )


def saved_version(store: VectorStore) -> int | None:
    """The index's generation: when BM25 was last saved, which every committed write ends with;
    None while it must be rebuilt before use (missing, or marked stale by a write in progress)."""
    saved = lexical_folder(store) / "chunks.json"
    if _dirty_marker(store).exists() or not saved.exists():
        return None
    return saved.stat().st_mtime_ns


def open_lexical(store: VectorStore) -> LexicalIndex:
    """The saved BM25 index, rebuilt first if it is missing, marked stale, out of step or unreadable.

    BM25 is derived data: whatever happened to its files, the vector store holds everything
    needed to build it again.
    """
    if saved_version(store) is not None:
        try:
            index = LexicalIndex.load(lexical_folder(store))
        except (OSError, ValueError, KeyError, TypeError):
            index = None
        if index is not None and len(index) == store.count() and index.generation == store.generation():
            return index
    try:
        with write_lock(store.settings.store.data_dir):
            return rebuild(store)
    except IndexUnavailableError:
        # A writer is busy and will rebuild when it is done; meanwhile search what is there.
        return LexicalIndex.build(store)


class LiveLexical:
    """A store's BM25 index for a long-lived reader: reopened whenever any process saved a new one."""

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
