"""What is indexed: counts, sources and the date range, for the CLI and the UI."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from index.ingest import open_store
from index.lexical import open_lexical
from rag.settings import Settings


def _day_iso(day: int) -> str:
    text = str(day)
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


@dataclass
class IndexStats:
    articles: int
    chunks: int
    sources: dict[str, int]
    first_published: str
    last_published: str
    location: str


def stats(settings: Settings) -> IndexStats:
    """Counts of the index named by ``settings``; chunks per source."""
    store = open_store(settings)
    lexical = open_lexical(store)
    articles = set(lexical.article_ids.tolist())
    known_days = lexical.days[lexical.days > 0]
    return IndexStats(
        articles=len(articles),
        chunks=len(lexical),
        sources=dict(Counter(s or "(unknown)" for s in lexical.sources).most_common()),
        first_published=_day_iso(int(known_days.min())) if known_days.size else "",
        last_published=_day_iso(int(known_days.max())) if known_days.size else "",
        location=store.location,
    )
