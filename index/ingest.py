"""Ingestion: files to articles to chunks to vectors, idempotent and resumable.

Chunk ids are derived from the article id, a hash of the article's content and of the
chunk settings, and the chunk's position, so:

* re-ingesting the same files finds every id already stored and embeds nothing;
* a changed article, or one ingested again with other chunk settings, gets new ids: its
  new chunks are added, then its old ones deleted;
* an interrupted run leaves whole groups written; the rerun adds what is missing and
  deletes what is stale, then rebuilds BM25 from the vector store.

A run that completes adds a BM25 segment for what it added and marks what it removed
(:mod:`index.lexical`): its cost follows the update, not the index's size.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from index.chunking import chunk_text
from index.duplicates import Fingerprints
from index.embed import document_precision, get_embedder
from index.fetch import FeedMemory, PoliteClock, is_url, load_feed, load_page
from index.lexical import LexicalChunk, article_texts, lexical_text, mark_dirty, open_for_writing, update
from index.loaders import Article, LoadedFile, as_upload, find_files, load_file
from index.store import VectorStore, chunk_id, write_lock
from newsqa.errors import InputError
from newsqa.settings import Settings
from newsqa.text import counted
from newsqa.timing import Timer


@dataclass
class IngestReport:
    """What one ingestion did, for the CLI, the UI and benchmarks."""

    files: int = 0
    articles: int = 0
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    chunks_added: int = 0
    chunks_deleted: int = 0
    chunks_embedded: int = 0
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    same_text_other_titles: int = 0

    def summary(self) -> str:
        return (
            f"{counted(self.articles, 'article')} from {counted(self.files, 'file')}: {self.added} added, "
            f"{self.replaced} replaced, {self.unchanged} unchanged; {counted(self.chunks_added, 'chunk')} added, "
            f"{self.chunks_deleted} removed in {self.seconds:.1f}s"
            + (f"; {counted(len(self.failed), 'file')} failed" if self.failed else "")
            + (
                f"; {counted(self.same_text_other_titles, 'article')} share their text with others under other "
                "headlines "
                "(likely extraction failures; `newsqa stats` lists them)"
                if self.same_text_other_titles
                else ""
            )
        )


@dataclass
class _PendingChunk:
    id: str
    text: str
    embed_text: str
    metadata: dict


def open_store(settings: Settings, *, create: bool = False) -> VectorStore:
    """The vector store for these settings, checked against the configured embedding model.

    Opening does not load the model: the dimension recorded on creation comes from it,
    so only ``create=True`` loads it.
    """
    model = settings.index.embedding_model
    dimension = get_embedder(settings.index, documents=True).dimension if create else 0
    precision = document_precision(settings.index) if create else "fp32"  # an opened index reads its own
    return VectorStore(settings, model, dimension, create=create, precision=precision)


def _chunks_of(article: Article, settings: Settings) -> list[_PendingChunk]:
    size, overlap = settings.index.chunk_size, settings.index.chunk_overlap
    pieces = chunk_text(article.text, size, overlap)
    # Positions alone would let a chunk cut at another size keep the id of the old one.
    version = hashlib.sha256(f"{article.content_hash}/{size}/{overlap}".encode()).hexdigest()
    base = {
        "article_id": article.id,
        "title": article.title,
        "source": article.source,
        "url": article.url,
        "published": article.published,
        "published_day": article.published_day,
        "path": article.path,
        "article_hash": article.content_hash,
        "chunking": f"{size}/{overlap}",
        "n_chunks": len(pieces),
    }
    return [
        _PendingChunk(
            id=chunk_id(article.id, version, piece.index),
            text=piece.text,
            embed_text=lexical_text(article.title, piece.text),
            metadata={**base, "chunk_index": piece.index, "start": piece.start, "end": piece.end},
        )
        for piece in pieces
    ]


def _lexical(pending: list[_PendingChunk], articles: list[Article]) -> tuple[list[LexicalChunk], Fingerprints]:
    """What BM25 keeps of the chunks written: each chunk, and its article's near-copy signature."""
    chunks = [LexicalChunk(c.id, c.embed_text, c.metadata["source"], c.metadata["published_day"]) for c in pending]
    pieces: dict[str, list[tuple[int, str]]] = {}
    for c in pending:
        pieces.setdefault(c.metadata["article_id"], []).append((c.metadata["chunk_index"], c.text))
    titles = {a.id: a.title for a in articles}
    return chunks, Fingerprints.of(article_texts(pieces), titles)


def _without_unsafe_link(article: Article, *, report: IngestReport) -> Article:
    """The article, with its link dropped (and a warning) unless it is http or https: a
    ``javascript:`` or ``data:`` link must not even be stored."""
    scheme = urlsplit(article.url).scheme.lower()
    if not article.url or scheme in ("http", "https"):
        return article
    report.warnings.append(
        f"{article.path}: article {article.id!r} links to a {scheme or 'relative'}: address; "
        "the link was dropped, the article indexed without it"
    )
    return replace(article, url="")


def _page(url: str, settings: Settings) -> LoadedFile:
    return LoadedFile([load_page(url, settings.index)])


def _feed(url: str, settings: Settings, memory: dict[str, dict], clock: PoliteClock) -> LoadedFile:
    return load_feed(url, settings.index, memory, clock)


def _origins(
    paths: Sequence[Path | str],
    feeds: Sequence[str],
    settings: Settings,
    *,
    source: str,
    strict: bool,
    report: IngestReport,
) -> list[Callable[[], LoadedFile]]:
    """A loader for each thing to read: files (folders searched), web pages, feeds."""
    urls = [str(p) for p in paths if is_url(str(p))]
    local = [Path(p) for p in paths if not is_url(str(p))]
    files = find_files(local, report.warnings) if local else []
    if local and not files and not urls and not feeds:
        raise InputError(f"no .txt, .md, .html or .jsonl files in {', '.join(map(str, local))}")
    origins: list[Callable[[], LoadedFile]] = [
        partial(load_file, path, source=source, max_bytes=settings.index.max_file_bytes, strict=strict)
        for path in files
    ]
    origins += [partial(_page, url, settings) for url in urls]
    memory = FeedMemory(settings.store.data_dir).read() if feeds else {}
    clock = PoliteClock(settings.index)
    origins += [partial(_feed, feed, settings, memory, clock) for feed in feeds]
    return origins


def load_articles(
    paths: Sequence[Path | str],
    settings: Settings,
    *,
    source: str,
    strict: bool,
    report: IngestReport,
    feeds: Sequence[str] = (),
    outlet: str | None = None,
    uploaded: bool = False,
) -> tuple[list[Article], dict[str, dict]]:
    """Every article in ``paths`` (files, folders, web pages) and ``feeds``, and what the feeds taught
    of their entries (to keep once the articles are indexed: :class:`index.fetch.FeedMemory`).

    ``outlet`` replaces the outlet of every article but .jsonl rows (which name their own);
    ``uploaded`` files are known by name and outlet, not path (:func:`index.loaders.as_upload`).
    Unreadable files or URLs, skipped jsonl lines and articles whose id came earlier in the
    run are listed in ``report.failed``, never silently dropped; the rest are read.
    """
    origins = _origins(paths, feeds, settings, source=source, strict=strict, report=report)
    by_id: dict[str, Article] = {}
    learned: dict[str, dict] = {}
    for load in origins:
        try:
            loaded = load()
        except InputError as e:
            if len(origins) == 1:
                raise
            report.failed.append(str(e))
            continue
        report.files += 1
        report.failed.extend(loaded.skipped)
        report.warnings.extend(loaded.warnings)
        report.unchanged += loaded.unchanged
        report.articles += loaded.unchanged
        learned |= loaded.learned
        for loaded_article in loaded.articles:
            article = _without_unsafe_link(loaded_article, report=report)
            if outlet and not article.path.endswith(".jsonl"):
                article = replace(article, source=outlet)
            if uploaded:
                article = as_upload(article)
            earlier = by_id.get(article.id)
            if earlier is not None:
                report.failed.append(
                    f"{article.path}: article id {article.id!r} is also the id of an article in {earlier.path}; "
                    "give each article its own id (rename one of the files, or fix the jsonl ids)"
                )
                continue
            by_id[article.id] = article
    return list(by_id.values()), learned


def _embed_and_write(
    store: VectorStore, pending: list[_PendingChunk], settings: Settings, report: IngestReport, progress: bool
) -> None:
    from tqdm import tqdm

    embedder = get_embedder(settings.index, documents=True, precision=store.precision)
    group = settings.index.write_group
    with tqdm(total=len(pending), unit="chunk", desc="embedding", disable=not progress, file=sys.stderr) as bar:
        for start in range(0, len(pending), group):
            batch = pending[start : start + group]
            # Scraped news repeats boilerplate word for word: embed each distinct text once.
            distinct = list(dict.fromkeys(c.embed_text for c in batch))
            timer = Timer()
            vectors = embedder.embed_documents(distinct)
            report.embed_seconds += timer.seconds
            report.chunks_embedded += len(distinct)
            row = {text: i for i, text in enumerate(distinct)}
            store.add(
                [c.id for c in batch],
                [c.text for c in batch],
                [c.metadata for c in batch],
                vectors[[row[c.embed_text] for c in batch]],
            )
            report.chunks_added += len(batch)
            bar.update(len(batch))


def ingest(
    paths: Sequence[Path | str],
    settings: Settings,
    *,
    source: str = "local",
    progress: bool = True,
    strict: bool = False,
    feeds: Sequence[str] = (),
    outlet: str | None = None,
    uploaded: bool = False,
    replace: bool = False,
) -> IngestReport:
    """Index the articles in ``paths`` (files, folders or web page URLs) and ``feeds`` (RSS/Atom URLs).

    ``source`` names the outlet for files that do not carry one (.txt, .md, a page without
    ``og:site_name``); .jsonl lines and HTML metadata bring their own. ``outlet``, when
    given, is the outlet of every file but .jsonl rows, whatever the file says. ``uploaded``
    files (the UI's) are known by file name and outlet, so uploading a changed file again
    replaces the article. An article whose id is already indexed from another file (a
    .jsonl of another dataset reusing ids, a file of the same name in another folder) is
    refused and named, unless ``replace`` says to replace it. Bad lines of a .jsonl file are skipped and named in
    the report (``strict`` refuses the whole file instead). Returns what was added,
    replaced and left as is.
    Raises :class:`newsqa.errors.InputError` for unusable input before anything is written.
    """
    timer = Timer()
    report = IngestReport()
    articles, learned = load_articles(
        paths, settings, source=source, strict=strict, report=report, feeds=feeds, outlet=outlet, uploaded=uploaded
    )
    report.articles += len(articles)
    # The lock comes first: Chroma is never opened for writing while another writer is inside it.
    with write_lock(settings.store.data_dir, settings.store.lock_wait_s):
        store = open_store(settings, create=True)
        before = open_for_writing(store)
        stored = before.chunks_of(a.id for a in articles)
        # Only an article read from a file is checked against the file it was indexed from.
        paths_stored = store.paths_of([min(stored[a.id]) for a in articles if a.path and stored[a.id]])
        pending: list[_PendingChunk] = []
        stale: list[str] = []
        for article in articles:
            previous_path = paths_stored.get(article.id) if article.path else None
            if previous_path and previous_path != article.path and not replace:
                report.failed.append(
                    f"{article.path}: article id {article.id!r} is already indexed from {previous_path}; "
                    "give it another id (or rename the file), or ingest with --replace to replace it"
                )
                learned.pop(article.id, None)
                continue
            chunks = _chunks_of(article, settings)
            new_ids = {c.id for c in chunks}
            old_ids = stored[article.id]
            missing = [c for c in chunks if c.id not in old_ids]
            stale.extend(old_ids - new_ids)
            if not missing and old_ids == new_ids:
                report.unchanged += 1
                continue
            if old_ids:
                report.replaced += 1
            else:
                report.added += 1
            pending.extend(missing)
        if pending or stale:
            mark_dirty(store)
            _embed_and_write(store, pending, settings, report, progress)
            store.delete(stale)
            report.chunks_deleted = len(stale)
            after = update(store, before, *_lexical(pending, articles), stale, generation=store.bump_generation())
            written = {c.metadata["article_id"] for c in pending}
            report.same_text_other_titles = sum(len(same) for same in after.same_text_other_titles(written))
        # Only now that the index holds the entries: an interrupted run fetches their pages again.
        FeedMemory(settings.store.data_dir).write(learned)
    report.seconds = timer.seconds
    return report


def remove(article_ids: list[str], settings: Settings) -> int:
    """Delete these articles' chunks from the index; returns how many chunks went."""
    with write_lock(settings.store.data_dir, settings.store.lock_wait_s):
        store = open_store(settings)
        before = open_for_writing(store)
        stored = before.chunks_of(article_ids)
        unknown = [a for a, ids in stored.items() if not ids]
        if unknown:
            raise InputError(f"not in the index: {', '.join(unknown)}; `newsqa stats` lists what is indexed")
        doomed = sorted(i for ids in stored.values() for i in ids)
        mark_dirty(store)
        store.delete(doomed)
        update(store, before, [], Fingerprints.empty(), doomed, generation=store.bump_generation())
        # A removed feed entry is fetched again if its feed still lists it.
        FeedMemory(settings.store.data_dir).write({}, forgotten=article_ids)
    return len(doomed)
