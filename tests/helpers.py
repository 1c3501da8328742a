"""Helpers for tests that start servers and commands, and a story of several dated articles."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


def newsqa_command() -> list[str]:
    return [sys.executable, "-c", "from ui.cli import main; main()"]


@contextmanager
def serving(command: list[str], port: int, *, env: dict | None = None, timeout: float = 120):
    """Run a server process until the block ends; yields once it listens on ``port``."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process, timeout=timeout)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


# Status, content type, body, seconds to wait before answering, and optionally seconds between
# the body's bytes (a server that drips its page in).
Route = tuple[int, str, bytes, float] | tuple[int, str, bytes, float, float]


@contextmanager
def serving_routes(routes: dict[str, Route], requests: list | None = None):
    """A real HTTP server on a free loopback port answering each path from ``routes``; yields its base URL.

    ``routes`` may be changed while it runs, so a test can edit a page between two fetches.
    Each page has an ETag (a hash of its body) and is answered 304 to an ``If-None-Match``
    naming it, as web servers do; ``requests`` gets (path, headers, monotonic time) of each.
    """
    import hashlib
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            if requests is not None:
                requests.append((self.path, dict(self.headers), time.monotonic()))
            status, content_type, body, delay, *drip = routes.get(self.path, (404, "text/plain", b"not found", 0.0))
            time.sleep(delay)
            etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            self.send_response(status)
            if 300 <= status < 400 and status != 304:
                self.send_header("Location", body.decode())
                body = b""
            self.send_header("ETag", etag)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for piece in [body[i : i + 1] for i in range(len(body))] if drip else [body]:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    time.sleep(drip[0] if drip else 0)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# A story told by dated articles of two outlets, with a near-copy, a count that changes and
# two other stories (timelines: tests/rag/test_timelines.py, the CLI and the browser).
TOPIC = "Harbor Street warehouse fire"
FIRST = (
    "A fire broke out late on Sunday at a storage warehouse on Harbor Street in Port Anselm, the city fire "
    "service said. Two firefighters were injured while fighting the blaze, which sent black smoke over the "
    "harbour. Residents of nearby streets were told to keep their windows closed."
)
STORY = [
    ("fire-1", "Coastal Tribune", "2025-03-03", "Fire breaks out at Harbor Street warehouse", FIRST),
    # A near-copy run by another outlet: one line naming both.
    ("fire-1-valley", "Valley Post", "2025-03-03", "Fire breaks out at Harbor Street warehouse", FIRST),
    (
        "fire-2",
        "Coastal Tribune",
        "2025-03-05",
        "Harbor Street fire: more firefighters hurt",
        "Four firefighters were injured in the Harbor Street warehouse fire, the fire service said on Tuesday, "
        "correcting its first count. Investigators have not yet found what caused the blaze in Port Anselm.",
    ),
    (
        "fire-3",
        "Valley Post",
        "2025-03-10",
        "New fire station for Harbor Street",
        "Port Anselm's council will build a new fire station near Harbor Street after last week's warehouse "
        "fire, the mayor said on Monday. The station will cost 3 million euros and open next year.",
    ),
    # Other stories, one sharing a word of the topic.
    (
        "elm-bakery",
        "Valley Post",
        "2025-03-04",
        "Bakery fire in Lund",
        "A small fire at a bakery on Elm Road in Lund was put out within minutes, and nobody was hurt, "
        "the owner said. The bakery will open again on Friday.",
    ),
    (
        "rovers-coach",
        "Coastal Tribune",
        "2025-03-06",
        "Rovers name new coach",
        "Rovers named Ilse Varga as head coach on Thursday, a week after Tomas Berg was sacked. Varga's first "
        "match is at home against Lund on Saturday.",
    ),
]


def story_jsonl() -> str:
    """The story as the lines of a .jsonl file."""
    rows = ({"id": i, "source": s, "published": d, "title": t, "text": text} for i, s, d, t, text in STORY)
    return "".join(json.dumps(row) + "\n" for row in rows)
