"""Indexing news articles: ingest files, remove articles, open the stores, see what is indexed.

from index import ingest, remove, open_store, stats
report = ingest(["articles/"], settings)
"""

from index.ingest import IngestReport, ingest, open_store, remove
from index.lexical import open_lexical, written_at
from index.stats import ArticleInfo, IndexStats, list_articles, stats

__all__ = [
    "ArticleInfo",
    "IndexStats",
    "IngestReport",
    "ingest",
    "list_articles",
    "open_lexical",
    "open_store",
    "remove",
    "stats",
    "written_at",
]
