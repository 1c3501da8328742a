"""Pages and feeds served by a real HTTP server on 127.0.0.1, ingested into a real index."""

from __future__ import annotations

import json
import threading
import time
from datetime import date

import pytest
from typer.testing import CliRunner

from index import ingest, open_store
from newsqa.errors import InputError
from newsqa.settings import Settings
from tests.helpers import serving_routes
from ui.cli import app

PAGE = b"""<html><head><title>Dam bursts in the valley</title>
<meta property="og:site_name" content="Valley Herald">
<meta property="article:published_time" content="2022-06-14T08:00:00Z"></head>
<body><nav>Home | World | Sport</nav><article><h1>Dam bursts in the valley</h1>
<p>The Kessler dam burst on Monday, flooding three villages in the northern valley.</p>
<p>Engineer Maria Lopez said the spillway had been blocked for weeks before the collapse.</p>
<p>About 400 residents were evacuated by boat, the regional council said on Tuesday.</p>
</article></body></html>"""


def rss(entries: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<item><title>Story {i}</title><link>https://news.example/{i}</link><guid>https://news.example/{i}</guid>"
        f"<pubDate>Tue, 14 Jun 2022 08:00:00 GMT</pubDate><description>{text}</description></item>"
        for i, text in entries
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire Daily</title>{items}</channel></rss>'.encode()


def entries(count: int, changed: frozenset[int] = frozenset()) -> list[tuple[str, str]]:
    return [
        (str(i), f"Council {i} {'revised' if i in changed else 'approved'} a budget of {i} million for roads.")
        for i in range(count)
    ]


def _with_index(settings, **changes):
    return settings.model_copy(update={"index": settings.index.model_copy(update=changes)})


# The test servers listen on this machine's loopback address, which newsqa refuses unless allowed.
LOOPBACK = ("127.0.0.1",)


@pytest.fixture
def settings(tmp_path):
    """Settings of an empty index of this test's own that may fetch from the loopback test servers."""
    return _with_index(
        Settings().with_data_dir(tmp_path / "index"), allow_private_hosts=LOOPBACK, feed_host_delay_s=0.0
    )


@pytest.fixture
def fast_settings(settings):
    """Short timeouts, so the slow server's test takes a second."""
    return _with_index(settings, fetch_timeout_s=1.0)


def test_a_page_is_fetched_and_its_outlet_and_date_kept(settings):
    with serving_routes({"/dam.html": (200, "text/html", PAGE, 0.0)}) as base:
        report = ingest([f"{base}/dam.html"], settings, progress=False)
    assert report.added == 1 and not report.failed
    (chunk,) = open_store(settings).iter_all()
    meta = chunk.metadata
    assert (meta["source"], meta["published"], meta["url"]) == ("Valley Herald", "2022-06-14", f"{base}/dam.html")
    assert "Maria Lopez said the spillway" in chunk.text and "Home | World" not in chunk.text


def test_a_feed_is_ingested_and_a_repoll_embeds_only_the_changed_entries(settings):
    routes = {"/feed.xml": (200, "application/rss+xml", rss(entries(200)), 0.0)}
    with serving_routes(routes) as base:
        first = ingest([], settings, feeds=[f"{base}/feed.xml"], progress=False)
        assert (first.articles, first.added, first.chunks_embedded) == (200, 200, 200)
        routes["/feed.xml"] = (200, "application/rss+xml", rss(entries(200, frozenset({3, 50, 99, 150, 199}))), 0.0)
        second = ingest([], settings, feeds=[f"{base}/feed.xml"], progress=False)
    assert (second.replaced, second.unchanged, second.added) == (5, 195, 0)
    assert second.chunks_embedded == 5 and second.chunks_deleted == 5
    stored = {r.metadata["title"]: r for r in open_store(settings).iter_all()}
    assert len(stored) == 200 and "revised" in stored["Story 50"].text
    meta = stored["Story 7"].metadata
    assert (meta["source"], meta["published"], meta["url"]) == ("Wire Daily", "2022-06-14", "https://news.example/7")


def test_each_bad_url_gets_one_line_and_the_rest_is_ingested(fast_settings):
    big = b"<html><body><p>" + b"x" * 30_000_000 + b"</p></body></html>"
    routes = {
        "/dam.html": (200, "text/html", PAGE, 0.0),
        "/slow.html": (200, "text/html", PAGE, 3.0),
        "/big.html": (200, "text/html", big, 0.0),
        "/broken.xml": (200, "application/rss+xml", b"<rss><channel><item><title>oops</channel", 0.0),
        "/loop": (302, "text/plain", b"/loop", 0.0),
    }
    with serving_routes(routes) as base:
        urls = [f"{base}/{name}" for name in ("dam.html", "slow.html", "big.html", "gone.html", "loop")]
        report = ingest([*urls, "javascript:alert(1)"], fast_settings, feeds=[f"{base}/broken.xml"], progress=False)
    assert report.added == 1
    failures = "\n".join(report.failed)
    assert f"{base}/slow.html: no answer within 1s" in failures
    assert f"{base}/big.html: {len(big):,} bytes is over the 20,000,000-byte limit" in failures
    assert f"{base}/gone.html: the server answered HTTP 404" in failures
    assert f"{base}/loop: more than 5 redirects" in failures
    assert f"{base}/broken.xml: not an RSS or Atom feed with entries" in failures
    assert "javascript:alert(1): only http and https links can be fetched" in failures
    assert len(report.failed) == 6 and all("\n" not in line for line in report.failed)


def test_watch_polls_feeds_and_stops(tmp_path):
    routes = {"/feed.xml": (200, "application/rss+xml", rss(entries(3)), 0.0)}
    with serving_routes(routes) as base:
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(f"# my feeds\n{base}/feed.xml\n")
        env = {"NEWSQA_STORE__DATA_DIR": str(tmp_path / "index"), "NEWSQA_INDEX__FEED_HOST_DELAY_S": "0"}
        arguments = ["watch", str(feeds), "--every", "0s", "--polls", "2", "--allow-private-hosts"]
        result = CliRunner().invoke(app, arguments, env=env)
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()
    assert "3 articles from 1 file: 3 added" in first and "0 added, 0 replaced, 3 unchanged" in second
    bad = CliRunner().invoke(app, ["watch", str(feeds), "--every", "soon"], env=env)
    assert bad.exit_code == 1 and "--every 'soon' is not a duration" in bad.stderr


def page(headline: str, *paragraphs: str) -> bytes:
    """A news page with no site name of its own: its outlet comes from the feed."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{headline}</title></head><body><nav>Home | News</nav>"
        f"<article><h1>{headline}</h1>{body}</article></body></html>"
    ).encode()


def teasers(base: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS feed whose entries carry a one-line teaser and link to their page on ``base``."""
    entries = "".join(
        f"<item><title>{title}</title><link>{base}/{slug}.html</link><guid>{base}/{slug}.html</guid>"
        f"<pubDate>{day}</pubDate><description>{title}.</description></item>"
        for slug, title, day in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Town Wire</title>{entries}</channel></rss>'.encode()
    )


MAYOR = page(
    "Nakamura elected",
    "Voters in the town of Quelmor4 elected Greta Nakamura as their new mayor on Sunday, ending a long count.",
    "Nakamura, a former teacher, won 54 percent of the vote and takes office next month, the council said.",
)
RECOUNT = page(
    "Recount reverses Quelmor4 vote",
    "A recount in the town of Quelmor4 elected Ilse Varga as its new mayor on Thursday, reversing Sunday's result.",
    "Varga won by 212 votes after postal ballots were added to the count, the electoral board said.",
)
# The same statement, days later, with another name: an update, not another story.
RERUN = page(
    "Quelmor4 recount: Varga elected",
    "Voters in the town of Quelmor4 elected Ilse Varga as their new mayor on Thursday, ending a long recount.",
    "Varga won by 212 votes once postal ballots were added to the count, the electoral board said.",
)
SUNDAY, THURSDAY = "Mon, 12 Jan 2026 08:00:00 GMT", "Fri, 16 Jan 2026 08:00:00 GMT"


def _pages_asked(requests: list) -> list[str]:
    return [path for path, _, _ in requests if path.endswith(".html")]


@pytest.mark.slow
def test_a_feed_of_teasers_is_answered_from_the_pages_and_a_changed_page_gives_the_new_answer(settings):
    from rag import answer

    requests: list = []
    routes = {"/mayor.html": (200, "text/html", MAYOR, 0.0)}
    with serving_routes(routes, requests) as base:
        routes["/feed.xml"] = (200, "application/rss+xml", teasers(base, [("mayor", "Nakamura elected", SUNDAY)]), 0.0)
        first = ingest([], settings, feeds=[f"{base}/feed.xml"], progress=False)
        (chunk,) = open_store(settings).iter_all()
        question = "Who was elected mayor of Quelmor4?"
        before = answer(question, settings=settings, as_of=date(2026, 1, 20))
        again = ingest([], settings, feeds=[f"{base}/feed.xml"], progress=False)
        routes["/mayor.html"] = (200, "text/html", RECOUNT, 0.0)
        routes["/feed.xml"] = (
            200,
            "application/rss+xml",
            teasers(base, [("mayor", "Recount reverses Quelmor4 vote", THURSDAY)]),
            0.0,
        )
        changed = ingest([], settings, feeds=[f"{base}/feed.xml"], progress=False)
        after = answer(question, settings=settings, as_of=date(2026, 1, 20))
    assert (first.added, first.warnings) == (1, [])
    assert "Voters in the town of Quelmor4 elected Greta Nakamura" in chunk.text and "Home | News" not in chunk.text
    meta = chunk.metadata
    assert (meta["title"], meta["source"], meta["published"]) == ("Nakamura elected", "Town Wire", "2026-01-12")
    assert before.short_answer == "Greta Nakamura", before.text
    assert (again.unchanged, again.added, again.replaced) == (1, 0, 0)
    assert _pages_asked(requests) == ["/mayor.html", "/mayor.html"], "the unchanged entry's page is not asked again"
    assert "If-None-Match" in requests[-1][1], "the changed entry's page is asked for with its validator"
    assert changed.replaced == 1
    assert after.short_answer == "Ilse Varga", after.text


def test_a_changed_entry_whose_page_is_unchanged_costs_one_304_and_no_embedding(settings):
    requests: list = []
    routes = {"/mayor.html": (200, "text/html", MAYOR, 0.0)}
    with serving_routes(routes, requests) as base:
        routes["/feed.xml"] = (200, "application/rss+xml", teasers(base, [("mayor", "Nakamura elected", SUNDAY)]), 0.0)
        ingest([], settings, feeds=[f"{base}/feed.xml"], progress=False)
        routes["/feed.xml"] = (200, "application/rss+xml", teasers(base, [("mayor", "Nakamura wins", SUNDAY)]), 0.0)
        second = ingest([], settings, feeds=[f"{base}/feed.xml"], progress=False)
        third = ingest([], settings, feeds=[f"{base}/feed.xml"], progress=False)
    assert (second.unchanged, second.chunks_embedded) == (1, 0) and third.unchanged == 1
    assert _pages_asked(requests) == ["/mayor.html", "/mayor.html"], "asked once more, answered 304, then remembered"


def test_an_entry_whose_page_fails_is_indexed_from_the_feed_with_one_line_and_its_page_tried_again(settings):
    requests: list = []
    routes: dict = {}
    with serving_routes(routes, requests) as base:
        items = [("mayor", "Nakamura elected", SUNDAY), ("gone", "Bridge reopens after repairs", SUNDAY)]
        routes["/feed.xml"] = (200, "application/rss+xml", teasers(base, items), 0.0)
        routes["/mayor.html"] = (200, "text/html", MAYOR, 0.0)
        first = ingest([], settings, feeds=[f"{base}/feed.xml"], progress=False)
        second = ingest([], settings, feeds=[f"{base}/feed.xml"], progress=False)
    assert first.added == 2 and first.warnings == [
        f"{base}/gone.html: the server answered HTTP 404; check the link (indexed the feed's own text)"
    ]
    texts = {r.metadata["title"]: r.text for r in open_store(settings).iter_all()}
    assert texts["Bridge reopens after repairs"] == "Bridge reopens after repairs."
    assert second.unchanged == 2 and _pages_asked(requests).count("/gone.html") == 2


def test_pages_of_one_host_are_asked_for_a_polite_delay_apart(settings):
    requests: list = []
    routes: dict = {
        f"/{n}.html": (200, "text/html", MAYOR.replace(b"Sunday", f"day {n}".encode()), 0.0) for n in range(3)
    }
    with serving_routes(routes, requests) as base:
        items = [(str(n), f"Story {n}", SUNDAY) for n in range(3)]
        routes["/feed.xml"] = (200, "application/rss+xml", teasers(base, items), 0.0)
        ingest([], _with_index(settings, feed_host_delay_s=0.4), feeds=[f"{base}/feed.xml"], progress=False)
    times = [at for path, _, at in requests if path.endswith(".html")]
    assert len(times) == 3 and min(b - a for a, b in zip(times, times[1:])) >= 0.4


def test_a_feed_past_its_budget_indexes_the_rest_from_its_own_text_and_fetches_them_next_poll(settings):
    requests: list = []
    slow = {f"/{n}.html": (200, "text/html", MAYOR.replace(b"Sunday", f"day {n}".encode()), 0.5) for n in range(4)}
    routes: dict = dict(slow)
    with serving_routes(routes, requests) as base:
        items = [(str(n), f"Story {n}", SUNDAY) for n in range(4)]
        routes["/feed.xml"] = (200, "application/rss+xml", teasers(base, items), 0.0)
        budget = _with_index(settings, feed_budget_s=1.2)
        first = ingest([], budget, feeds=[f"{base}/feed.xml"], progress=False)
        fetched_first = len(_pages_asked(requests))
        ingest([], _with_index(settings, feed_budget_s=60.0), feeds=[f"{base}/feed.xml"], progress=False)
    late = 4 - fetched_first
    assert 1 <= fetched_first < 4 and first.added == 4
    assert first.warnings == [
        f"{base}/feed.xml: {late} entries indexed from the feed's own text: the 1.2s for pages ran out; "
        "the next poll fetches their pages"
    ]
    texts = [r.text for r in open_store(settings).iter_all()]
    assert all("Greta Nakamura" in text for text in texts) and len(texts) == 4
    assert len(_pages_asked(requests)) == 4, "the next poll fetched only the pages it had not"


@pytest.mark.slow
def test_watch_stops_cleanly_on_ctrl_c(tmp_path):
    import os
    import signal
    import subprocess

    from tests.helpers import newsqa_command

    routes = {"/feed.xml": (200, "application/rss+xml", rss(entries(2)), 0.0)}
    with serving_routes(routes) as base:
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(f"{base}/feed.xml\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
        command = [*newsqa_command(), "watch", str(feeds), "--every", "1h", "--data-dir", str(tmp_path / "index")]
        env["NEWSQA_INDEX__ALLOW_PRIVATE_HOSTS"] = "127.0.0.1"
        # A terminal's Ctrl-C reaches a process whose SIGINT is not ignored; a test runner started in the
        # background (`cmd &`) ignores it, and a child inherits that, so it is restored as in a terminal.
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "2 articles from 1 file: 2 added" in first
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "stopped; the index holds everything up to the last finished poll" in stderr and "Traceback" not in stderr


@pytest.mark.parametrize(
    ("content_type", "meta"),
    [
        ("text/html; charset=ISO-8859-1", '<meta charset="ISO-8859-1">'),
        ("text/html; charset=ISO-8859-1", ""),
        ("text/html", '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'),
    ],
)
def test_a_page_in_the_charset_it_declares_is_read_in_it(content_type, meta, settings):
    page = PAGE.decode().replace("<head>", f"<head>{meta}").replace("Maria Lopez", "José Núñez").encode("latin-1")
    with serving_routes({"/dam.html": (200, content_type, page, 0.0)}) as base:
        assert ingest([f"{base}/dam.html"], settings, progress=False).added == 1
    (chunk,) = open_store(settings).iter_all()
    assert "José Núñez said the spillway" in chunk.text


def test_this_machine_and_private_networks_are_not_fetched_unless_allowed(tmp_path):
    default = Settings().with_data_dir(tmp_path / "index")
    with serving_routes({"/dam.html": (200, "text/html", PAGE, 0.0)}) as base:
        port = base.rsplit(":", 1)[1]
        # No request reaches 10.0.0.1 or 169.254.169.254: their addresses are refused before connecting.
        hosts = ["127.0.0.1", "localhost", "0x7f000001", "[::1]", "10.0.0.1", "169.254.169.254"]
        report = ingest([f"http://{host}:{port}/dam.html" for host in hosts], default, progress=False)
        assert report.added == 0 and len(report.failed) == len(hosts)
        for host, line in zip(hosts, report.failed):
            assert line.startswith(f"http://{host}:{port}/dam.html: ") and "is a private address" in line, line
            assert "give --allow-private-hosts or set NEWSQA_INDEX__ALLOW_PRIVATE_HOSTS" in line
        allowed = CliRunner().invoke(
            app, ["ingest", f"{base}/dam.html", "--allow-private-hosts", "--data-dir", str(tmp_path / "index")]
        )
    assert allowed.exit_code == 0 and "1 added" in allowed.stdout, allowed.output


def test_a_redirect_to_a_private_address_is_refused_at_that_hop(settings):
    routes = {
        "/to-loopback": (302, "text/plain", b"http://127.0.0.2:9/secret", 0.0),
        "/to-metadata": (302, "text/plain", b"http://169.254.169.254/latest/meta-data/", 0.0),
        "/to-intranet": (301, "text/plain", b"http://10.0.0.1/admin", 0.0),
    }
    with serving_routes(routes) as base:  # 127.0.0.1 alone is allowed, for the test server itself
        report = ingest([f"{base}{path}" for path in routes], settings, progress=False)
    assert report.added == 0
    for path, address, line in zip(routes, ("127.0.0.2", "169.254.169.254", "10.0.0.1"), report.failed):
        assert line.startswith(f"{base}{path}: {address} is a private address ({address})"), line


def test_a_page_that_drips_in_is_cut_at_the_deadline(fast_settings):
    import time

    # A byte every 0.3 s: 18 s for the page, each read well within the 1 s timeout.
    with serving_routes({"/drip.html": (200, "text/html", PAGE[:60], 0.0, 0.3)}) as base:
        started = time.monotonic()
        with pytest.raises(InputError, match=rf"^{base}/drip.html: no answer within 1s; try again later$"):
            ingest([f"{base}/drip.html"], fast_settings, progress=False)
        took = time.monotonic() - started
    assert took < 5, f"the fetch was cut after {took:.1f}s, not at its 1s deadline"


@pytest.mark.slow
def test_a_watched_question_whose_answer_a_new_article_changes_is_printed_and_logged_with_both_answers(tmp_path):
    requests: list = []
    routes = {"/mayor.html": (200, "text/html", MAYOR, 0.0), "/recount.html": (200, "text/html", RERUN, 0.0)}
    log = tmp_path / "changes.jsonl"
    question = "Who was elected mayor of Quelmor4?"
    with serving_routes(routes, requests) as base:
        routes["/feed.xml"] = (200, "application/rss+xml", teasers(base, [("mayor", "Nakamura elected", SUNDAY)]), 0.0)
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(f"{base}/feed.xml\n")
        newer = teasers(base, [("mayor", "Nakamura elected", SUNDAY), ("recount", "Recount reverses vote", THURSDAY)])

        def publish_the_recount_once_the_first_answer_is_logged():
            deadline = time.monotonic() + 240
            while not log.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            routes["/feed.xml"] = (200, "application/rss+xml", newer, 0.0)

        publisher = threading.Thread(target=publish_the_recount_once_the_first_answer_is_logged, daemon=True)
        publisher.start()
        env = {"NEWSQA_STORE__DATA_DIR": str(tmp_path / "index"), "NEWSQA_INDEX__FEED_HOST_DELAY_S": "0"}
        arguments = ["watch", str(feeds), "--every", "2s", "--polls", "3", "--allow-private-hosts"]
        arguments += ["--question", question, "--log", str(log)]
        result = CliRunner().invoke(app, arguments, env=env)
        publisher.join()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    watching = next(line for line in lines if "watching “Who was elected mayor of Quelmor4?”" in line)
    assert "Greta Nakamura" in watching and "(published 2026-01-12)" in watching
    changed = next(line for line in lines if "changed “Who was elected mayor of Quelmor4?”" in line)
    assert "Ilse Varga" in changed.split("; before:")[0] and "Greta Nakamura" in changed.split("; before:")[1]
    assert "“Voters in the town of Quelmor4 elected Ilse Varga as their new mayor on Thursday" in result.stdout
    first, second = [json.loads(line) for line in log.read_text().splitlines()]  # the third poll changed nothing
    assert first["question"] == second["question"] == question and first["before"] is None
    assert first["short_answer"] == "Greta Nakamura" and second["short_answer"] == "Ilse Varga"
    assert second["before"]["short_answer"] == "Greta Nakamura"
    assert second["before"]["citations"] == first["citations"]
    (cited,) = [c for c in second["citations"] if "Ilse Varga" in c["quote"]]
    assert (cited["source"], cited["published"]) == ("Town Wire", "2026-01-16")
    assert cited["title"] == "Quelmor4 recount: Varga elected"
    assert first["citations"][0]["quote"].startswith("Voters in the town of Quelmor4 elected Greta Nakamura")
