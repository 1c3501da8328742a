"""Hybrid retrieval: dense (Chroma) and BM25 candidates, fused by reciprocal rank.

    index = open_index(settings)
    retriever = build_retriever(index, settings.retrieval, k=5)
    passages = retriever.invoke(index.query(q))

:func:`open_index` returns the process-wide :class:`Index` for a store (the model, the
Chroma collection and BM25 load once; BM25 reopens by itself when an ingestion in this
or another process saved a new one). :func:`build_retriever` is a LangChain runnable
from a :class:`~newsqa.types.Query` to a list of :class:`~newsqa.types.Passage`: dense
and BM25 search run in parallel, and :func:`rag.retrieval.fusion.fuse` merges them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnablePassthrough

from index import open_store
from index.embed import Embedder, get_embedder
from index.lexical import LexicalHit, LexicalIndex, LiveLexical, saved_version
from index.store import ChunkRecord, VectorStore, article_of, database_file, release_local_clients
from newsqa.dates import day_from_number
from newsqa.errors import InputError
from newsqa.settings import RetrievalSettings, Settings, StoreSettings
from newsqa.types import Filters, Passage, Query, RetrievalMode
from rag.retrieval.fusion import Fused, fuse


@dataclass
class Index:
    """The open stores and the model that retrieval needs."""

    store: VectorStore
    embedder: Embedder
    lexical: LiveLexical
    generation: int | None = None

    def outdated(self) -> bool:
        """Whether another process committed a write since this index was opened, or deleted it.

        Chroma keeps a local database's vectors in memory: without reopening, articles
        ingested elsewhere would stay invisible to dense search. A Chroma server serves
        every client the same vectors, but another folder's writes to it leave this folder's
        BM25 files as they were: the generation stamped in the collection tells.
        """
        if self.store.is_remote:
            return self.lexical.current().generation != self.store.generation()
        if not database_file(self.store.settings).exists():
            return True  # deleted under this process: reopening says so, instead of answering from memory
        current = saved_version(self.store)
        return current is not None and current != self.generation

    def query(self, text: str, **fields: Any) -> Query:
        """The :class:`Query` for ``text``: its embedding, and ``fields`` (filters, ``as_of``, time range)."""
        return Query(text=text, vector=self.embedder.embed_query(text), **fields)

    def size(self) -> int:
        """How many passages (chunks) there are to search."""
        return len(self.lexical.current())

    def sources(self) -> list[str]:
        return sorted(set(self.lexical.current().sources.tolist()))

    def check_sources(self, filters: Filters) -> None:
        """Refuse outlets that are not indexed, naming those that are."""
        if not filters.sources:
            return
        known = self.sources()
        unknown = [s for s in filters.sources if s not in known]
        if unknown:
            raise InputError(
                f"unknown source {', '.join(map(repr, unknown))}; indexed sources: {', '.join(known) or 'none'}"
            )

    def distinct(self, passages: list[Passage], k: int) -> list[Passage]:
        """The first ``k`` passages keeping one article per near-duplicate group (see index.duplicates).

        The kept article's passages list the other copies' outlets in ``also_reported_by``. A
        copy's passage that replaces words of a kept one is kept too, right after it and
        beyond the first ``k`` if it ranked lower: a copy that changed a name or a figure is
        another outlet saying something else, to be read beside what it contradicts.
        """
        lexical = self.lexical.current()
        duplicates = lexical.duplicates
        representative = duplicates.representative
        outlets = lexical.outlets if representative else {}
        kept_article: dict[str, str] = {}
        kept_texts: dict[str, list[list[str]]] = {}
        kept: list[Passage] = []
        for passage in passages:
            group = representative.get(passage.article_id)
            if group is not None:
                first = kept_article.setdefault(group, passage.article_id)
                words = passage.text.split()
                if first != passage.article_id and not _a_variant(words, kept_texts[group]):
                    continue
                kept_texts.setdefault(group, []).append(words)
                copies = (a for a in duplicates.groups[group] if a != passage.article_id)
                others = {outlets.get(a, "") for a in copies} - {passage.source, ""}
                passage = passage.model_copy(update={"also_reported_by": sorted(others)})
            kept.append(passage)
            if len(kept) == k:
                break
        return _with_variants(kept, passages, representative)


def _with_variants(kept: list[Passage], retrieved: list[Passage], representative: dict[str, str]) -> list[Passage]:
    """``kept``, each passage followed by the retrieved variants of it that did not make the cut."""
    taken = {p.id for p in kept}
    with_variants: list[Passage] = []
    for passage in kept:
        with_variants.append(passage)
        group = representative.get(passage.article_id)
        if group is None:
            continue
        words = passage.text.split()
        for other in retrieved:
            if (
                other.id not in taken
                and other.article_id != passage.article_id
                and representative.get(other.article_id) == group
                and _a_variant(other.text.split(), [words])
            ):
                with_variants.append(other)
                taken.add(other.id)
    return with_variants


# A copy's passage sharing at least this share of words with a kept one is the same passage,
# perhaps edited: kept beside it when a word was replaced, since that may be what outlets disagree on.
_VARIANT_OVERLAP = 0.8


def _a_variant(words: list[str], kept: list[list[str]]) -> bool:
    """Whether a passage is a kept one with some words replaced (a name, a figure): not the same
    text, not another part of the story, and not only longer or shorter (a sign-off, another cut)."""
    from difflib import SequenceMatcher

    for other in kept:
        if other == words:  # a word-for-word copy: no word replaced, and a syndicated story has many of them
            continue
        shared, either = set(words) & set(other), set(words) | set(other)
        if not either or len(shared) / len(either) < _VARIANT_OVERLAP:
            continue
        edits = SequenceMatcher(None, other, words, autojunk=False).get_opcodes()
        if any(tag == "replace" for tag, *_ in edits):
            return True
    return False


_open_indexes: dict[tuple[StoreSettings, str], Index] = {}
_open_lock = threading.Lock()


def open_index(settings: Settings) -> Index:
    """The shared :class:`Index` for these settings' store and embedding model."""
    key = (settings.store, settings.index.embedding_model)
    with _open_lock:
        index = _open_indexes.get(key)
        if index is None or index.outdated():
            if index is not None:
                release_local_clients()
            store = open_store(settings)
            embedder = get_embedder(settings.index)  # questions at fp32 over any index (see get_embedder)
            index = Index(store, embedder, LiveLexical(store), saved_version(store))
            _open_indexes[key] = index
        return index


def is_open(settings: Settings) -> bool:
    """Whether this process already holds these settings' index and model (no wait to load them)."""
    with _open_lock:
        return (settings.store, settings.index.embedding_model) in _open_indexes


def forget_indexes() -> None:
    """Drop the open indexes, e.g. after a folder was replaced underneath this process."""
    with _open_lock:
        _open_indexes.clear()


def _filters(query: Query, lexical: LexicalIndex) -> Filters:
    """The query's filters, without an end that no indexed chunk is past.

    Every answer is "as of" now, so its filters end today, which excludes nothing; yet
    Chroma filters by reading every chunk's metadata (and BM25 by a mask over every chunk):
    answer() grew with the index (0.45 s at 30k chunks, 2.8 s at 300k, 50 ms of it
    unfiltered retrieval) until such an end was dropped.
    """
    filters = query.effective_filters
    if filters.until_day is not None and filters.until_day >= lexical.latest_day:
        return filters.model_copy(update={"until": None})
    return filters


def _chroma_where(filters: Filters) -> dict | None:
    clauses: list[dict] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.since:
        clauses.append({"published_day": {"$gte": filters.since_day}})
    if filters.until:
        clauses.append({"published_day": {"$lte": filters.until_day}})
    if filters.exclude_articles:
        clauses.append({"article_id": {"$nin": list(filters.exclude_articles)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _recency(days: dict[str, int], query: Query, half_life_days: float) -> dict[str, float]:
    """Each dated chunk's recency prior: 1 on the day asked about or inside the range the
    question names, halving every ``half_life_days`` away from the nearer of the two.
    Undated chunks get none."""
    if query.as_of is None:
        return {}
    as_of = query.as_of.date()
    prior = {}
    for chunk_id, number in days.items():
        published = day_from_number(number)
        if published is None:
            continue
        distance = abs((as_of - published).days)
        if query.time_range:
            # News reports an event after it happens: "in 2019" asked in 2023 is answered by
            # 2023's reporting as well as 2019's, so an article is as close as it is to either.
            distance = min(distance, query.time_range.days_from(published))
        prior[chunk_id] = 0.5 ** (distance / half_life_days)
    return prior


def _passage(record: ChunkRecord, fused: Fused, similarity: float | None) -> Passage:
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
        score=fused.score,
        article_score=fused.article_score,
        dense_rank=fused.ranks.get("dense"),
        bm25_rank=fused.ranks.get("bm25"),
        dense_similarity=similarity,
    )


def build_retriever(
    index: Index, retrieval: RetrievalSettings, *, k: int, mode: RetrievalMode = "hybrid"
) -> Runnable[Query, list[Passage]]:
    """A runnable from a :class:`Query` to its top ``k`` passages, best first.

    ``mode`` is ``hybrid`` (the default), ``dense`` or ``bm25``; the last two exist so
    the evaluation harness can measure each retriever alone.
    """
    n = max(retrieval.candidates, k)
    weights = {"dense": retrieval.dense_weight, "bm25": retrieval.bm25_weight}

    def dense(query: Query) -> list[tuple[ChunkRecord, float]]:
        return index.store.query(query.vector, n, _chroma_where(_filters(query, index.lexical.current())))

    def lexical(query: Query) -> list[LexicalHit]:
        bm25 = index.lexical.current()
        return bm25.search(query.text, n, bm25.mask(_filters(query, bm25)))

    def merge(ranked: dict) -> list[Passage]:
        query: Query = ranked["query"]
        dense_hits = ranked.get("dense", [])
        lexical_hits: list[LexicalHit] = ranked.get("bm25", [])
        records = {record.id: record for record, _ in dense_hits}
        similarity = {record.id: value for record, value in dense_hits}
        rankings = {"dense": list(records), "bm25": [hit.chunk_id for hit in lexical_hits]}
        days = {hit.chunk_id: hit.day for hit in lexical_hits}
        days.update((record.id, int(record.metadata.get("published_day", 0))) for record, _ in dense_hits)
        best = fuse(
            rankings,
            weights,
            rrf_k=retrieval.rrf_k,
            k=k,
            article_of=article_of,
            prior=_recency(days, query, retrieval.recency_half_life_days),
            prior_weight=retrieval.recency_weight,
            per_article=retrieval.passages_per_article,
        )
        missing = [f.chunk_id for f in best if f.chunk_id not in records]
        if missing:
            records.update(index.store.get(missing))
        return [_passage(records[f.chunk_id], f, similarity.get(f.chunk_id)) for f in best if f.chunk_id in records]

    branches: dict[str, Runnable] = {"query": RunnablePassthrough()}
    if mode != "bm25":
        branches["dense"] = RunnableLambda(dense)
    if mode != "dense":
        branches["bm25"] = RunnableLambda(lexical)
    return RunnableParallel(branches) | RunnableLambda(merge)
