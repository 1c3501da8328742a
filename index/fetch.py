"""Articles from the web: a news page by its URL, or every entry of an RSS/Atom feed.

Fetching is bounded: only http and https, a deadline for the whole fetch
(``IndexSettings.fetch_timeout_s``), a size cap (``max_fetch_bytes``, checked while the
body streams in, not only from the header), at most ``max_redirects`` redirects, and only
public addresses unless ``allow_private_hosts`` names the private networks allowed. Every failure is an
:class:`~newsqa.errors.InputError` naming the URL, so one bad link does not stop the rest.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from index.loaders import Article, LoadedFile, article_from_html, html_to_text
from newsqa.errors import InputError
from newsqa.settings import IndexSettings

_WEB_SCHEMES = ("http", "https")


def is_url(text: str) -> bool:
    """Whether an argument is a link (``scheme:...``, such as https: or javascript:) rather than a file."""
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+:", text)) and not Path(text).exists()


def url_id(url: str) -> str:
    """A readable, stable article id for a URL: host and path, with a short hash for uniqueness."""
    parts = urlsplit(url)
    readable = re.sub(r"[^a-zA-Z0-9]+", "-", f"{parts.netloc}{parts.path}").strip("-").lower()[:80]
    return f"{readable}-{hashlib.sha1(url.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Fetched:
    """A fetched body, the charset the server declared for it (None when it declared none), and its validators.

    ``etag`` and ``modified`` are what the server said to send back on the next request
    (``If-None-Match``, ``If-Modified-Since``); ``not_modified`` says it answered 304 to them.
    """

    body: bytes
    charset: str | None
    etag: str | None = None
    modified: str | None = None
    not_modified: bool = False


# A page's own declaration of its charset, in its first few kilobytes: <meta charset="..."> or http-equiv.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_CHARSET_SNIFF_BYTES = 4096


def decode_page(fetched: Fetched) -> str:
    """A page's text, decoded as its server declares, else as its meta tag declares, else as UTF-8.

    A declared charset that is unknown, or that the bytes do not fit, is passed over for the next.
    """
    meta = _META_CHARSET.search(fetched.body[:_CHARSET_SNIFF_BYTES])
    for name in (fetched.charset, meta.group(1).decode("ascii") if meta else None, "utf-8"):
        if name:
            try:
                return fetched.body.decode(name)
            except (LookupError, UnicodeDecodeError):
                continue
    return fetched.body.decode("utf-8", errors="replace")


def fetch(url: str, settings: IndexSettings, *, etag: str | None = None, modified: str | None = None) -> Fetched:
    """The body of ``url`` with its declared charset, or an InputError that says why it could not be had.

    Redirects are followed one by one, each hop's host checked (:func:`_check_host`) before it
    is asked; the whole fetch, every read included, ends at ``fetch_timeout_s``. With the
    validators of an earlier fetch, a page the server says is unchanged comes back empty and
    ``not_modified``.
    """
    import httpx

    deadline = time.monotonic() + settings.fetch_timeout_s
    late = InputError(f"{url}: no answer within {settings.fetch_timeout_s:g}s; try again later")
    limit = settings.max_fetch_bytes
    current = url
    headers = {"User-Agent": "newsqa"}
    headers |= {"If-None-Match": etag} if etag else {}
    headers |= {"If-Modified-Since": modified} if modified else {}
    try:
        with httpx.Client(timeout=settings.fetch_timeout_s, follow_redirects=False) as client:
            for _ in range(settings.max_redirects + 1):
                if urlsplit(current).scheme.lower() not in _WEB_SCHEMES:
                    raise InputError(f"{url}: only http and https links can be fetched")
                _check_host(url, current, settings)
                with client.stream("GET", current, headers=headers) as response:
                    _check_peer(url, response, settings)
                    if response.next_request is not None:  # a redirect, which the loop follows
                        current = str(response.next_request.url)
                        continue
                    validators = response.headers.get("etag"), response.headers.get("last-modified")
                    if response.status_code == 304:
                        return Fetched(b"", None, *validators, not_modified=True)
                    if response.status_code >= 400:
                        raise InputError(f"{url}: the server answered HTTP {response.status_code}; check the link")
                    declared = int(response.headers.get("content-length") or 0)
                    if declared > limit:
                        raise InputError(f"{url}: {declared:,} bytes is over the {limit:,}-byte limit")
                    body = bytearray()
                    for piece in response.iter_bytes():
                        body.extend(piece)
                        if len(body) > limit:
                            raise InputError(f"{url}: more than the {limit:,}-byte limit; not indexed")
                        if time.monotonic() > deadline:
                            raise late
                    return Fetched(bytes(body), response.charset_encoding, *validators)
            raise InputError(f"{url}: more than {settings.max_redirects} redirects; give the final address")
    except httpx.TimeoutException as e:
        raise late from e
    except httpx.HTTPError as e:
        raise InputError(f"{url}: cannot be fetched ({type(e).__name__}); check the link and the network") from e


def _private(address: str, settings: IndexSettings) -> bool:
    """Whether ``address`` is no public one (loopback, private, link-local, unspecified...) and not allowed."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    allowed = (ipaddress.ip_network(n, strict=False) for n in settings.allow_private_hosts)
    return not ip.is_global and not any(ip.version == n.version and ip in n for n in allowed)


def _refusal(url: str, host: str, address: str) -> InputError:
    return InputError(
        f"{url}: {host} is a private address ({address}); newsqa fetches only public hosts: to index an "
        "intranet, give --allow-private-hosts or set NEWSQA_INDEX__ALLOW_PRIVATE_HOSTS to its networks"
    )


def _check_host(url: str, current: str, settings: IndexSettings) -> None:
    """Refuse a hop whose host resolves to any private address, before anything is sent to it."""
    parts = urlsplit(current)
    host = parts.hostname or ""
    try:
        resolved = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return  # the request itself fails and says so
    for *_, sockaddr in resolved:
        if _private(str(sockaddr[0]), settings):
            raise _refusal(url, host, str(sockaddr[0]))


def _check_peer(url: str, response, settings: IndexSettings) -> None:
    """Refuse a response from a private address: the one actually connected to, not a second lookup."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer and _private(str(peer[0]), settings):
        raise _refusal(url, response.url.host, str(peer[0]))


def load_page(url: str, settings: IndexSettings) -> Article:
    """The article on a news page."""
    html = decode_page(fetch(url, settings))
    return article_from_html(html, where=url, article_id=url_id(url), url=url)


def _entry_day(entry) -> str:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return date(*parsed[:3]).isoformat() if parsed else ""


def _entry_article(entry, url: str, outlet: str) -> Article:
    """An entry as the feed tells it: title, date, outlet, link, and its own text (often a teaser)."""
    link = entry.get("link") or ""
    contents = entry.get("content") or []
    html = contents[0].get("value", "") if contents else entry.get("summary", "")
    return Article(
        id=url_id(entry.get("id") or link or f"{url}#{entry.get('title', '')}"),
        title=(entry.get("title") or "").strip() or link,
        text=html_to_text(html),
        source=outlet,
        url=link if urlsplit(link).scheme in _WEB_SCHEMES else "",
        published=_entry_day(entry),
        path=url,
    )


_ENTRY_VERSION = ("id", "link", "title", "summary", "updated", "published")


def _fingerprint(entry) -> str:
    """What identifies an entry's version: a changed title, text, link or date is a changed entry."""
    # Only keys the entry has: asking feedparser for a missing "updated" maps it to "published", with a warning.
    fields = [str(entry.get(key) or "") if key in entry.keys() else "" for key in _ENTRY_VERSION]
    return hashlib.sha1("\x1f".join(fields).encode()).hexdigest()


class PoliteClock:
    """Waits between one host's answer and the next request to it, and says when a command's time for pages is spent.

    One clock serves every feed of a command (an ingest, a poll of ``watch``): a host shared
    by two feeds is paced once, and a slow host cannot stall the whole poll.
    """

    def __init__(self, settings: IndexSettings) -> None:
        self.delay = settings.feed_host_delay_s
        self.deadline = time.monotonic() + settings.feed_budget_s
        self.last: dict[str, float] = {}

    def spent(self) -> bool:
        return time.monotonic() >= self.deadline

    def wait_for(self, host: str) -> None:
        """Sleep until ``feed_host_delay_s`` has passed since the host last finished answering."""
        if host in self.last:
            time.sleep(max(0.0, self.last[host] + self.delay - time.monotonic()))

    def done(self, host: str) -> None:
        self.last[host] = time.monotonic()


def load_feed(
    url: str, settings: IndexSettings, memory: dict[str, dict] | None = None, clock: PoliteClock | None = None
) -> LoadedFile:
    """Every entry of an RSS or Atom feed, its text taken from the page it links to.

    Title, date and outlet come from the page, else from the feed. An entry whose page
    cannot be had is indexed from the feed's own text, with one warning; an entry unchanged
    since ``memory`` (what earlier polls learned, :class:`FeedMemory`) is not fetched again,
    and a changed one is asked for with its page's validators. Pages are fetched one at a
    time, ``feed_host_delay_s`` apart on one host, until ``clock`` (the command's) says
    ``feed_budget_s`` is spent.
    """
    import feedparser

    memory = memory or {}
    parsed = feedparser.parse(fetch(url, settings).body)
    outlet = parsed.feed.get("title") or urlsplit(url).netloc
    loaded = LoadedFile()
    clock = clock or PoliteClock(settings)
    out_of_time = 0
    for entry in parsed.entries:
        article = _entry_article(entry, url, outlet)
        fingerprint = _fingerprint(entry)
        known = memory.get(article.id, {})
        if settings.feed_pages and article.url:
            if known.get("entry") == fingerprint:
                loaded.unchanged += 1
                continue
            if clock.spent():
                out_of_time += 1
            else:
                page = _entry_page(article, outlet, settings, clock, known, loaded)
                if page is not None:
                    loaded.learned[article.id] = {"entry": fingerprint, **page[1]}
                    if page[0] is None:
                        loaded.unchanged += 1
                        continue
                    article = page[0]
        if article.text:
            loaded.articles.append(article)
    if out_of_time:
        loaded.warnings.append(
            f"{url}: {out_of_time} entries indexed from the feed's own text: the {settings.feed_budget_s:g}s "
            "for pages ran out; the next poll fetches their pages"
        )
    if not loaded.articles and not loaded.unchanged:
        # feedparser reads broken XML leniently; say why nothing came of it.
        problem = f" ({parsed.get('bozo_exception')})" if parsed.get("bozo") else ""
        raise InputError(f"{url}: not an RSS or Atom feed with entries{problem}")
    return loaded


def _entry_page(
    entry: Article, outlet: str, settings: IndexSettings, clock: PoliteClock, known: dict, loaded: LoadedFile
) -> tuple[Article | None, dict] | None:
    """The entry's article read from its page (None when the server says it is unchanged), and the
    page's validators; None, with a warning, when the page cannot be had."""
    host = urlsplit(entry.url).netloc
    clock.wait_for(host)
    try:
        try:
            fetched = fetch(entry.url, settings, etag=known.get("etag"), modified=known.get("modified"))
        finally:
            clock.done(host)
        validators = {"etag": fetched.etag, "modified": fetched.modified}
        if fetched.not_modified:
            return None, validators
        page = article_from_html(
            decode_page(fetched), where=entry.url, article_id=entry.id, url=entry.url, outlet_before_host=outlet
        )
    except InputError as e:
        fallback = "indexed the feed's own text" if entry.text else "the entry has no text of its own; not indexed"
        loaded.warnings.append(f"{e} ({fallback})")
        return None
    title = page.title if page.title != page.id else entry.title
    return replace(page, title=title, published=page.published or entry.published, path=entry.path), validators


class FeedMemory:
    """What polls learned of feed entries, kept in the data folder: each indexed entry's version
    and its page's validators, so an unchanged entry's page is not fetched again."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "feed_entries.json"

    def read(self) -> dict[str, dict]:
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # none yet, or damaged: every entry's page is fetched again, nothing is lost
        return entries if isinstance(entries, dict) else {}

    def write(self, learned: dict[str, dict], forgotten: Sequence[str] = ()) -> None:
        """Add what a poll learned and forget removed articles; written whole, then renamed into place."""
        if not learned and not forgotten:
            return
        gone = set(forgotten)
        entries = {k: v for k, v in self.read().items() if k not in gone} | learned
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(entries), encoding="utf-8")
        os.replace(partial, self.path)
