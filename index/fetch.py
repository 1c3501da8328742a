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
import re
import socket
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from index.loaders import Article, article_from_html, html_to_text
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
    """A fetched body, and the charset the server declared for it (None when it declared none)."""

    body: bytes
    charset: str | None


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


def fetch(url: str, settings: IndexSettings) -> Fetched:
    """The body of ``url`` with its declared charset, or an InputError that says why it could not be had.

    Redirects are followed one by one, each hop's host checked (:func:`_check_host`) before it
    is asked; the whole fetch, every read included, ends at ``fetch_timeout_s``.
    """
    import httpx

    deadline = time.monotonic() + settings.fetch_timeout_s
    late = InputError(f"{url}: no answer within {settings.fetch_timeout_s:g}s; try again later")
    limit = settings.max_fetch_bytes
    current = url
    try:
        with httpx.Client(timeout=settings.fetch_timeout_s, follow_redirects=False) as client:
            for _ in range(settings.max_redirects + 1):
                if urlsplit(current).scheme.lower() not in _WEB_SCHEMES:
                    raise InputError(f"{url}: only http and https links can be fetched")
                _check_host(url, current, settings)
                with client.stream("GET", current, headers={"User-Agent": "newsqa"}) as response:
                    _check_peer(url, response, settings)
                    if response.next_request is not None:  # a redirect, which the loop follows
                        current = str(response.next_request.url)
                        continue
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
                    return Fetched(bytes(body), response.charset_encoding)
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


def load_feed(url: str, settings: IndexSettings) -> list[Article]:
    """Every entry of an RSS or Atom feed with text, taking title, date, outlet and link from the feed."""
    import feedparser

    parsed = feedparser.parse(fetch(url, settings).body)
    outlet = parsed.feed.get("title") or urlsplit(url).netloc
    articles = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        contents = entry.get("content") or []
        html = contents[0].get("value", "") if contents else entry.get("summary", "")
        text = html_to_text(html)
        if not text:
            continue
        articles.append(
            Article(
                id=url_id(entry.get("id") or link or f"{url}#{entry.get('title', '')}"),
                title=(entry.get("title") or "").strip() or link,
                text=text,
                source=outlet,
                url=link if urlsplit(link).scheme in _WEB_SCHEMES else "",
                published=_entry_day(entry),
                path=url,
            )
        )
    if not articles:
        # feedparser reads broken XML leniently; say why nothing came of it.
        problem = f" ({parsed.get('bozo_exception')})" if parsed.get("bozo") else ""
        raise InputError(f"{url}: not an RSS or Atom feed with entries{problem}")
    return articles
