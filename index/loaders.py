"""Read news articles from files: .txt, .md, .html and .jsonl.

Every loader returns :class:`Article` objects whose ``text`` is the body that chunk
offsets and citation spans refer to. Files that cannot be used raise
:class:`newsqa.errors.InputError` naming the file and what to do about it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path

from newsqa.dates import day_number
from newsqa.errors import InputError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
_BINARY_SNIFF_BYTES = 8192
# A news article has prose; a page whose every extracted line is shorter than this is a
# menu, a list of links or a cookie wall, and is refused rather than indexed as "Section 1 ...".
MIN_PROSE_WORDS = 8
# A Unix timestamp in seconds (9 to 11 digits: 1973 to 5138), not a date written without dashes.
_TIMESTAMP = re.compile(r"\d{9,11}(?:\.\d+)?")
# Headlines run to about 70 characters, the longest news headlines to about 200: a first line
# longer than this is the story itself, with no headline.
MAX_HEADLINE_CHARS = 300


@dataclass(frozen=True)
class Article:
    """One news article, ready to be chunked."""

    id: str
    title: str
    text: str
    source: str = ""
    url: str = ""
    published: str = ""
    path: str = ""

    @cached_property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index, so any change re-indexes the article.

        Cached: every chunk id carries it, and hashing a long article once per chunk is quadratic.
        """
        parts = (self.title, self.text, self.source, self.url, self.published)
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]

    @property
    def published_day(self) -> int:
        """The published date as YYYYMMDD, or 0 when unknown, for range filters."""
        published = date.fromisoformat(self.published) if self.published else None
        return day_number(published) or 0


def normalize_date(value: object, *, where: str) -> str:
    """An ISO date ``YYYY-MM-DD`` from a date or datetime string or a Unix timestamp, or "" when absent.

    A date after tomorrow (anywhere on Earth) is refused: it is a typo or a unit mistaken,
    and an article dated in the future would never be read by a question asked today.
    """
    if value in (None, ""):
        return ""
    text = str(value).strip()
    try:
        if _TIMESTAMP.fullmatch(text):
            day = datetime.fromtimestamp(float(text), tz=UTC).date()
        else:
            day = date.fromisoformat(text[:10])
    except (ValueError, OverflowError, OSError) as e:
        raise InputError(f"{where}: published date {text!r} is not YYYY-MM-DD; fix or remove it") from e
    if day > date.today() + timedelta(days=1):
        raise InputError(f"{where}: published date {day} lies in the future; fix or remove it")
    return day.isoformat()


def _slug(name: str) -> str:
    """An article id from a file name: its letters and digits of any script ("été" and "ütü" stay two)."""
    slug = re.sub(r"[^\w.-]+", "-", unicodedata.normalize("NFC", name)).strip("-").lower()
    return slug or hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _read_text(path: Path, max_bytes: int) -> str:
    try:
        info = path.stat()
        # A FIFO would block and /dev/zero never ends; only regular files are articles.
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: is not a regular file (a pipe, device or socket); give an article file")
        size = info.st_size
        if size > max_bytes:
            raise InputError(f"{path}: {size:,} bytes is over the {max_bytes:,}-byte limit; split the file")
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror}); check the path and its permissions") from e
    if b"\x00" in raw[:_BINARY_SNIFF_BYTES]:
        raise InputError(f"{path}: looks like a binary file, not an article; give .txt, .md, .html or .jsonl")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: is not UTF-8 text (byte {e.start}); convert it, e.g. iconv -t UTF-8") from e
    if not text.strip():
        raise InputError(f"{path}: is empty; give a file with an article in it")
    return text


def _split_headline(text: str) -> tuple[str, str]:
    """The first line as the headline, the rest as the story; a first line too long to be a headline is story."""
    lines = text.strip().splitlines()
    title = lines[0].strip().lstrip("#").strip()
    if len(title) > MAX_HEADLINE_CHARS:
        # A headline is repeated in every chunk's metadata and embedded text: a whole story
        # taken for one (a file without line breaks) multiplied the index by its chunk count.
        return "", text.strip()
    body = "\n".join(lines[1:]).strip()
    return title, body or title


def _load_plain(path: Path, text: str, source: str) -> Article:
    title, body = _split_headline(text)
    if not body.strip():
        raise InputError(f"{path}: holds no article text, only markup; give a headline line and the story")
    return Article(id=_slug(path.stem), title=title, text=body, source=source, path=str(path))


_WRAPPERS = re.compile(r"</?(?:div|span|section)\b[^>]*>", re.IGNORECASE)


def article_from_html(
    html: str,
    *,
    where: str,
    article_id: str,
    source: str = "",
    fallback_source: str = "",
    url: str = "",
    path: str = "",
    outlet_before_host: str = "",
) -> Article:
    """The article in a news page's HTML (trafilatura).

    ``source`` overrides the page's own outlet; ``fallback_source`` is used when the page names
    none, not even a host; ``outlet_before_host`` (a feed's title) when it names no site.
    """
    import trafilatura
    from trafilatura.settings import Document

    def extract(page: str):
        # bare_extraction returns a Document, or None when the page holds no text.
        found = trafilatura.bare_extraction(page, with_metadata=True, favor_recall=True, include_comments=False)
        return (found, found.text or "") if isinstance(found, Document) else (None, "")

    doc, body = extract(html)
    if not body.strip():
        # libxml2 stops at 256 nested elements: a page wrapped in thousands of divs parses as
        # empty. Wrappers hold no text of their own, so the page without them is the same story.
        doc, body = extract(_WRAPPERS.sub(" ", html))
    if doc is None or not body.strip():
        raise InputError(f"{where}: no article text found in this HTML; is it a news page?")
    if max(len(line.split()) for line in body.splitlines()) < MIN_PROSE_WORDS:
        raise InputError(
            f"{where}: only menu or link text found in this HTML (no line of {MIN_PROSE_WORDS} words or more); "
            "give the page of an article"
        )
    title = (doc.title or "").strip()
    return Article(
        id=article_id,
        title=title or article_id,
        text=_without_headline(body.strip(), title),
        source=source or _as_written(doc.sitename, html) or outlet_before_host or doc.hostname or fallback_source,
        url=url or doc.url or "",
        published=normalize_date(doc.date, where=where) if doc.date else "",
        path=path,
    )


def _as_written(sitename: str | None, page: str) -> str | None:
    """The site name as the page writes it: trafilatura title-cases one that starts in lower case
    ("nrc" becomes "Nrc"), so it is looked up in the page's attribute values again."""
    if not sitename:
        return None
    written = re.search(rf'content\s*=\s*["\']\s*@?({re.escape(sitename)})\s*["\']', page, flags=re.IGNORECASE)
    return written.group(1) if written else sitename


def _without_headline(body: str, title: str) -> str:
    """The body without a first line that only repeats the headline, as trafilatura often keeps it."""
    first, _, rest = body.partition("\n")
    if title and rest.strip() and first.strip().casefold() == title.casefold():
        return rest.strip()
    return body


def as_upload(article: Article) -> Article:
    """An uploaded article, known by its file name and outlet rather than by the temporary path
    it was uploaded to: a corrected ``news.txt`` uploaded again replaces the first, while two
    outlets' ``article.html`` stay two articles."""
    name = Path(article.path).name
    if name.endswith(".jsonl"):
        return replace(article, path=f"uploaded {name}")
    article_id = _slug(f"{Path(name).stem}-{article.source}") if article.source else article.id
    return replace(article, id=article_id, path=f"uploaded {name}")


def html_to_text(html: str) -> str:
    """The text of an HTML fragment (a feed entry's summary), whitespace folded."""
    import lxml.html

    if not html.strip():
        return ""
    return " ".join(lxml.html.fragment_fromstring(html, create_parent="div").text_content().split())


def _load_html(path: Path, text: str, source: str) -> Article:
    return article_from_html(text, where=str(path), article_id=_slug(path.stem), fallback_source=source, path=str(path))


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _encodable(record: object) -> bool:
    """Whether a parsed line's strings are text: a lone surrogate cannot be written as UTF-8."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _jsonl_article(record: object, path: Path, where: str) -> Article:
    """The article of one parsed jsonl line, or an InputError saying what the line lacks."""
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object with id, title and text")
    body = str(record.get("text") or "").strip()
    if not body:
        raise InputError(f"{where}: the article has no 'text'; skipped")
    article_id = str(record.get("id") or "").strip()
    if not article_id:
        raise InputError(f"{where}: the article has no 'id'; give each line a unique id")
    return Article(
        id=article_id,
        title=str(record.get("title") or "").strip() or article_id,
        text=body,
        source=str(record.get("source") or "").strip(),
        url=str(record.get("url") or "").strip(),
        published=normalize_date(record.get("published"), where=where),
        path=str(path),
    )


def _load_jsonl(path: Path, text: str, strict: bool) -> LoadedFile:
    loaded = LoadedFile()
    seen: dict[str, int] = {}
    # Lines end at "\n" alone: JSON strings may hold U+2028 or U+0085, at which splitlines() would cut a row.
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{where}: not valid JSON ({e.msg}); one article object per line") from e
            if _SURROGATE.search(line) and not _encodable(record):
                raise InputError(f"{where}: holds a lone surrogate escape (such as \\ud800), not text; fix the line")
            article = _jsonl_article(record, path, where)
            if article.id in seen:
                raise InputError(f"{where}: article id {article.id!r} was already given on line {seen[article.id]}")
        except InputError as problem:
            if strict:
                raise
            loaded.skipped.append(str(problem))
            continue
        seen[article.id] = line_no
        loaded.articles.append(article)
    if not loaded.articles:
        raise InputError(loaded.skipped[0] if loaded.skipped else f"{path}: holds no article; one JSON object a line")
    return loaded


@dataclass
class LoadedFile:
    """The articles read from one file, and the lines of it that were skipped, each with its reason."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unchanged: int = 0  # articles known unchanged without being read again (a feed entry whose page is indexed)
    # What a feed taught of its entries, kept once the index holds them (index.fetch.FeedMemory).
    learned: dict[str, dict] = field(default_factory=dict)


def load_file(path: Path, *, source: str = "local", max_bytes: int = 50_000_000, strict: bool = False) -> LoadedFile:
    """Articles in one file; the format follows the file's suffix.

    A .jsonl file keeps its good lines and names each bad one in ``skipped``; with
    ``strict`` the first bad line refuses the whole file. A file with no usable article
    raises :class:`InputError`.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(f"{path}: unsupported file type {suffix or '(none)'}; give {', '.join(SUPPORTED_SUFFIXES)}")
    text = _read_text(path, max_bytes)
    if suffix == ".jsonl":
        return _load_jsonl(path, text, strict)
    if suffix in (".html", ".htm"):
        return LoadedFile([_load_html(path, text, source)])
    return LoadedFile([_load_plain(path, text, source)])


def find_files(paths: list[Path], unreadable: list[str] | None = None) -> list[Path]:
    """The supported files named, or found below the folders named, in a stable order.

    Paths are resolved, so one file reached by two paths (relative, absolute, a link) is
    recognised as the same file when it is ingested again. A folder below that cannot be
    read is named in ``unreadable`` (when given) rather than passed over in silence.
    """
    found: list[Path] = []
    for given in paths:
        if not given.exists():
            raise InputError(f"{given}: no such file or folder; check the path")
        path = given.resolve()
        if not path.is_dir():
            found.append(path)
            continue

        def skipped(error: OSError) -> None:
            if unreadable is not None:
                unreadable.append(f"{error.filename}: folder skipped, it cannot be read ({error.strerror})")

        below = []
        for folder, subfolders, files in os.walk(path, onerror=skipped):
            subfolders.sort()
            below += [Path(folder) / name for name in files if Path(name).suffix.lower() in SUPPORTED_SUFFIXES]
        found.extend(sorted(below))
    return found
