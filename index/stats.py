"""What is indexed: counts, sources and the date range, for the CLI and the UI."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from index.ingest import open_store
from index.lexical import open_lexical
from newsqa.dates import day_text
from newsqa.settings import Settings
from newsqa.types import UNKNOWN_SOURCE


@dataclass
class IndexStats:
    articles: int
    chunks: int
    sources: dict[str, int]
    first_published: str
    last_published: str
    location: str
    near_duplicate_articles: int
    same_text_other_titles: list[list[str]]
    undated_articles: int = 0


def stats(settings: Settings) -> IndexStats:
    """Counts of the index named by ``settings``; chunks per source."""
    store = open_store(settings)
    lexical = open_lexical(store)
    articles = set(lexical.article_ids.tolist())
    known_days = lexical.days[lexical.days > 0]
    return IndexStats(
        articles=len(articles),
        chunks=len(lexical),
        sources=dict(Counter(s or UNKNOWN_SOURCE for s in lexical.sources).most_common()),
        first_published=day_text(int(known_days.min())) if known_days.size else "",
        last_published=day_text(int(known_days.max())) if known_days.size else "",
        location=store.location,
        near_duplicate_articles=lexical.duplicates.members(),
        same_text_other_titles=lexical.duplicates.same_text_other_titles,
        # A date range leaves these out; a screen showing one should say how many.
        undated_articles=len(set(lexical.article_ids[lexical.days == 0].tolist())),
    )


@dataclass
class ArticleInfo:
    id: str
    title: str
    source: str
    published: str
    chunks: int


def list_articles(settings: Settings) -> list[ArticleInfo]:
    """Every indexed article, newest first (undated ones last)."""
    metadata = open_store(settings).article_metadata()
    articles = [
        ArticleInfo(
            id=meta["article_id"],
            title=meta.get("title", ""),
            source=meta.get("source", ""),
            published=meta.get("published", ""),
            chunks=int(meta.get("n_chunks", 0)),
        )
        for meta in metadata
    ]
    return sorted(articles, key=lambda a: (a.published, a.id), reverse=True)
