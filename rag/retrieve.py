"""Hybrid retrieval: dense (Chroma) and BM25 candidates, fused by reciprocal rank.

:func:`open_index` returns the process-wide :class:`Index` for a store (the model, the
Chroma collection and BM25 load once); it reloads BM25 by itself when an ingestion in
this or another process changed it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from langchain_core.runnables import RunnableLambda, RunnableParallel

from index import open_lexical, open_store
from index.embed import Embedder, get_embedder
from index.lexical import LexicalIndex, lexical_folder
from index.store import ChunkRecord, VectorStore, article_of
from rag.errors import InputError
from rag.settings import RetrievalSettings, Settings, StoreSettings
from rag.types import Filters, Passage


@dataclass
class Index:
    """The open stores and the model that retrieval needs."""

    store: VectorStore
    embedder: Embedder
    _lexical: LexicalIndex | None = None
    _lexical_stamp: float = -1.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def lexical(self) -> LexicalIndex:
        folder = lexical_folder(self.store)
        marker = folder / "REBUILD"
        saved = folder / "chunks.json"
        stamp = saved.stat().st_mtime if saved.exists() else -1.0
        with self._lock:
            if self._lexical is None or marker.exists() or stamp != self._lexical_stamp:
                self._lexical = open_lexical(self.store)
                self._lexical_stamp = saved.stat().st_mtime if saved.exists() else -1.0
            return self._lexical

    def sources(self) -> list[str]:
        return sorted(set(self.lexical.sources.tolist()))


_open_indexes: dict[tuple[StoreSettings, str], Index] = {}
_open_lock = threading.Lock()


def open_index(settings: Settings) -> Index:
    """The shared :class:`Index` for these settings' store and embedding model."""
    key = (settings.store, settings.index.embedding_model)
    with _open_lock:
        if key not in _open_indexes:
            _open_indexes[key] = Index(open_store(settings), get_embedder(settings.index.embedding_model))
        return _open_indexes[key]


def forget_indexes() -> None:
    """Drop the open indexes, e.g. after a folder was replaced underneath this process."""
    with _open_lock:
        _open_indexes.clear()


def _chroma_where(filters: Filters) -> dict | None:
    clauses = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.since:
        clauses.append({"published_day": {"$gte": Filters.day(filters.since)}})
    if filters.until:
        clauses.append({"published_day": {"$lte": Filters.day(filters.until)}})
    if filters.exclude_articles:
        clauses.append({"article_id": {"$nin": list(filters.exclude_articles)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def validate_filters(index: Index, filters: Filters) -> None:
    """Refuse filters that can only match nothing, naming what would work."""
    if filters.since and filters.until and filters.since > filters.until:
        raise InputError(f"--since {filters.since} is after --until {filters.until}; swap them")
    if filters.sources:
        known = index.sources()
        unknown = [s for s in filters.sources if s not in known]
        if unknown:
            raise InputError(
                f"unknown source {', '.join(map(repr, unknown))}; indexed sources: {', '.join(known) or 'none'}"
            )


def _passage(record: ChunkRecord, score: float) -> Passage:
    meta = record.metadata
    return Passage(
        id=record.id,
        article_id=meta["article_id"],
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        published=meta.get("published", ""),
        text=record.text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", len(record.text))),
        score=score,
    )


def build_retriever(index: Index, retrieval: RetrievalSettings, *, k: int, mode: str = "hybrid") -> RunnableLambda:
    """A runnable from ``{"query", "filters", "query_vector"}`` to the top ``k`` passages.

    ``mode`` is ``hybrid`` (the default), ``dense`` or ``bm25``; the last two exist so
    the evaluation harness can measure each retriever alone.
    """
    n = max(retrieval.candidates, k)

    def dense(inputs: dict) -> list[tuple[ChunkRecord, float]]:
        if mode == "bm25":
            return []
        return index.store.query(inputs["query_vector"], n, _chroma_where(inputs["filters"]))

    def lexical(inputs: dict) -> list[tuple[str, float]]:
        if mode == "dense":
            return []
        f: Filters = inputs["filters"]
        lex = index.lexical
        mask = lex.mask(list(f.sources), Filters.day(f.since), Filters.day(f.until), list(f.exclude_articles))
        return [(hit.chunk_id, hit.score) for hit in lex.search(inputs["query"], n, mask)]

    def fuse(ranked: dict) -> list[Passage]:
        """Reciprocal rank fusion at two levels: chunks, and the articles they belong to.

        An article scores, per retriever, its best chunk's reciprocal rank, summed over
        retrievers; passages are ordered by their article's score, then their own. An
        article that both retrievers find, through any of its chunks, thus comes first.
        """
        scores: dict[str, float] = {}
        article_scores: dict[str, float] = {}
        records: dict[str, ChunkRecord] = {}
        dense_rank: dict[str, tuple[int, float]] = {}
        bm25_rank: dict[str, int] = {}
        dense_ids = [record.id for record, _ in ranked["dense"]]
        bm25_ids = [chunk_id for chunk_id, _ in ranked["bm25"]]
        for rank, (record, similarity) in enumerate(ranked["dense"], start=1):
            records[record.id] = record
            dense_rank[record.id] = (rank, similarity)
        for rank, chunk_id in enumerate(bm25_ids, start=1):
            bm25_rank[chunk_id] = rank
        for weight, ids in ((retrieval.dense_weight, dense_ids), (retrieval.bm25_weight, bm25_ids)):
            seen_articles: set[str] = set()
            for rank, chunk_id in enumerate(ids, start=1):
                contribution = weight / (retrieval.rrf_k + rank)
                scores[chunk_id] = scores.get(chunk_id, 0.0) + contribution
                article = article_of(chunk_id)
                if article not in seen_articles:
                    seen_articles.add(article)
                    article_scores[article] = article_scores.get(article, 0.0) + contribution
        best = sorted(scores, key=lambda c: (article_scores[article_of(c)], scores[c]), reverse=True)[:k]
        missing = [i for i in best if i not in records]
        if missing:
            records.update(index.store.get(missing))
        passages = []
        for chunk_id in best:
            if chunk_id not in records:
                continue
            passage = _passage(records[chunk_id], scores[chunk_id])
            passage.article_score = article_scores[passage.article_id]
            passage.bm25_rank = bm25_rank.get(chunk_id)
            if chunk_id in dense_rank:
                passage.dense_rank, passage.dense_similarity = dense_rank[chunk_id]
            passages.append(passage)
        return passages

    return RunnableParallel(dense=RunnableLambda(dense), bm25=RunnableLambda(lexical)) | RunnableLambda(fuse)
