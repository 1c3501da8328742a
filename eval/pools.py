"""Each training question's own passages, found without a vector index: what ``eval.train_reader`` reads it in.

realtimeqa-train has no index of its own (embedding its 9,411 articles takes about an hour
on 2 cores), and its questions come with their own small pool of rivals:

* a question with ``search_result_ids`` is read in its five web search results, chunked as
  ``newsqa ingest`` chunks them, the chunks ranked by BM25 within the pool and the best
  ``k`` kept, as the retriever hands ``k`` passages to the reader;
* a question with only the quiz's ``evidence`` paragraph is read in it and the evidence of
  up to :data:`RIVALS` other questions of the same day: other news of the same week, which
  the reader must tell from the story asked about;
* a question generated from one of those search results (``newsqa eval generate --kind
  wh``: it echoes its sentence, as a user's question echoes the news) is read in the search
  results its article came with, dated as that search was (:func:`generated_pools`).

The ranking is BM25 alone (its fused score is reciprocal rank, as one list fuses): the
dense half of hybrid retrieval would need every chunk embedded. Each pool is then a little
easier than an index's k passages, a little harder than the gold article alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from eval.data import read_corpus
from index.chunking import chunk_text
from index.lexical import lexical_text
from newsqa.settings import Settings
from newsqa.text import content_terms
from newsqa.types import Passage

# Evidence paragraphs of other questions of the same day read beside a question's own.
RIVALS = 4


@dataclass(frozen=True)
class PooledQuestion:
    """A training question's raw row and the passages it is read in, best first."""

    row: dict
    passages: list[Passage]


def _passage(article: dict, chunk_id: str, text: str, start: int, rank: int, rrf_k: int) -> Passage:
    return Passage(
        id=chunk_id,
        article_id=article["id"],
        title=article.get("title") or "",
        source=article.get("source") or "",
        url=article.get("url") or "",
        published=(article.get("published") or "")[:10],
        text=text,
        start=start,
        end=start + len(text),
        score=1 / (rrf_k + rank + 1),
        bm25_rank=rank,
    )


def _ranked(question: str, articles: list[dict], settings: Settings) -> list[Passage]:
    """The chunks of ``articles`` ranked by BM25 for ``question``, the best ``k`` (unmatched ones never)."""
    import bm25s

    chunks = [
        (article, f"{article['id']}:{chunk.index}", chunk)
        for article in articles
        for chunk in chunk_text(article["text"], settings.index.chunk_size, settings.index.chunk_overlap)
    ]
    tokens = [content_terms(lexical_text(article.get("title", ""), chunk.text)) for article, _, chunk in chunks]
    terms = content_terms(question)
    if not terms or not any(tokens):
        return []
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    k = min(settings.retrieval.k, len(chunks))
    docs, scores = bm25.retrieve([terms], k=k, show_progress=False, n_threads=1)
    ranked = [int(d) for d, s in zip(docs[0], scores[0]) if s > 0]
    return [
        _passage(chunks[d][0], chunks[d][1], chunks[d][2].text, chunks[d][2].start, rank, settings.retrieval.rrf_k)
        for rank, d in enumerate(ranked)
    ]


def _search_results(row: dict) -> list[str]:
    return list(row.get("search_result_ids") or [])


def generated_pools(
    generated_path: Path, questions_path: Path, corpus_path: Path, settings: Settings
) -> Iterator[PooledQuestion]:
    """Each generated question read in the first search whose results hold its article, with that search's date.

    The date places the question on the same side of a ``--validate-from`` split as the
    quiz question it was searched for. A question whose article is in no search is skipped.
    """
    corpus = {article["id"]: article for article in read_corpus(corpus_path)}
    search_of: dict[str, dict] = {}
    for row in read_corpus(questions_path):
        for article_id in _search_results(row):
            search_of.setdefault(article_id, row)
    for row in read_corpus(generated_path):
        gold = (row.get("gold_doc_ids") or [None])[0]
        search = search_of.get(gold)
        if search is None:
            continue
        results = [corpus[i] for i in _search_results(search) if i in corpus]
        yield PooledQuestion({**row, "date": search["date"]}, _ranked(row["question"], results, settings))


def pools(questions_path: Path, corpus_path: Path, settings: Settings) -> Iterator[PooledQuestion]:
    """Every question that has a pool (search results or evidence), with its passages."""
    rows = read_corpus(questions_path)
    corpus = {article["id"]: article for article in read_corpus(corpus_path)}
    by_day: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if row.get("evidence"):
            by_day[row["date"][:10]].append(row)
    for row in rows:
        results = [corpus[i] for i in _search_results(row) if i in corpus]
        if results:
            yield PooledQuestion(row, _ranked(row["question"], results, settings))
        elif row.get("evidence"):
            day = row["date"][:10]
            rivals = [r for r in by_day[day] if r["id"] != row["id"]][:RIVALS]
            articles = [
                {"id": f"evidence-{r['id']}", "source": r.get("source", ""), "published": day, "text": r["evidence"]}
                for r in [row, *rivals]
            ]
            yield PooledQuestion(row, _ranked(row["question"], articles, settings))
