"""Failed logins slow down the next ones, per client and per account.

Gradio checks a password at ``POST /login`` and answers every guess at once: 100 wrong
passwords took 3.1 s. :class:`LoginThrottle` (ASGI middleware around Gradio's app) counts
the failures of each client address and of each account name; after
:data:`FREE_FAILURES`, each further login waits a delay that doubles with every failure, up
to :data:`LONGEST_DELAY_S`, and one that comes sooner is answered 429 with the wait in a
``Retry-After`` header, its password never checked. A success clears its client's and its
account's count. Counting the account as well as the address holds a guesser who spreads
over many addresses; counting the address as well as the account keeps one guesser from
locking every account for long.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qs

# A user mistypes a password now and then: these failures cost nothing.
FREE_FAILURES = 5
# The wait after the first failure past the free ones, doubling with each one more.
FIRST_DELAY_S = 1.0
# The longest wait: a forgotten password is not a lockout for the day.
LONGEST_DELAY_S = 300.0
# Clients and accounts remembered at most; the oldest go first (the memory stays bounded).
REMEMBERED = 10_000
# A login form is a few hundred bytes; a longer body is no login.
MAX_FORM_BYTES = 16_384


@dataclass
class _Failures:
    count: int = 0
    until: float = 0.0  # no login before this (time.monotonic())


class _Counts:
    """Failures by key, the most recently touched last."""

    def __init__(self) -> None:
        self._by_key: OrderedDict[str, _Failures] = OrderedDict()

    def wait(self, key: str, now: float) -> float:
        found = self._by_key.get(key)
        return max(0.0, found.until - now) if found else 0.0

    def failed(self, key: str, now: float) -> None:
        found = self._by_key.pop(key, _Failures())
        found.count += 1
        beyond = found.count - FREE_FAILURES
        if beyond > 0:
            found.until = now + min(LONGEST_DELAY_S, FIRST_DELAY_S * 2 ** (beyond - 1))
        self._by_key[key] = found
        while len(self._by_key) > REMEMBERED:
            self._by_key.popitem(last=False)

    def cleared(self, key: str) -> None:
        self._by_key.pop(key, None)


class LoginThrottle:
    """ASGI middleware: see the module docstring."""

    def __init__(self, app) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._clients = _Counts()
        self._accounts = _Counts()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].rstrip("/").endswith("/login"):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        client = scope["client"][0] if scope.get("client") else "unknown"
        account = "account:" + (parse_qs(body.decode("utf-8", "replace")).get("username", [""])[0].strip())
        with self._lock:
            now = time.monotonic()
            wait = max(self._clients.wait(client, now), self._accounts.wait(account, now))
        if wait > 0:
            await _too_soon(send, wait)
            return
        status = 0

        async def replay():
            return {"type": "http.request", "body": body, "more_body": False}

        async def watch(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, replay, watch)
        with self._lock:
            if status == 200:
                self._clients.cleared(client)
                self._accounts.cleared(account)
            else:
                now = time.monotonic()
                self._clients.failed(client, now)
                self._accounts.failed(account, now)


async def _read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body") or len(body) > MAX_FORM_BYTES:
            return body[:MAX_FORM_BYTES]


async def _too_soon(send, wait: float) -> None:
    seconds = int(wait) + 1
    detail = json.dumps({"detail": f"too many failed logins; try again in {seconds}s"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(seconds).encode()),
                (b"content-length", str(len(detail)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": detail})
