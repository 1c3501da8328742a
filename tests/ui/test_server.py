"""The served app over HTTP: the documented API through gradio_client, and the queue under load."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from gradio_client import Client

from index import ingest
from index.samples import sample_article
from newsqa.settings import Settings
from tests.helpers import free_port, newsqa_command, serving

pytestmark = pytest.mark.slow


def test_the_api_answers_through_gradio_client(ui_server):
    client = Client(ui_server, verbose=False)
    payload = client.predict("Who led the loyalists in Balqasah?", 5, [], "", "", api_name="/answer")
    assert payload["short_answer"] == "Shujaa al-Ali"
    assert "led by a wanted man known as Shujaa al-Ali" in payload["citations"][0]["quote"]
    assert client.predict("", 5, [], "", "", api_name="/answer")["error"].startswith("the question is empty")


def test_many_simultaneous_questions_are_queued_not_dropped(ui_server):
    client = Client(ui_server, verbose=False)
    questions = ["When did Assad flee the country?", "Who was arrested in the Tartus countryside?"] * 6
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda q: client.predict(q, 5, [], "", "", api_name="/answer"), questions))
    assert [r["short_answer"] for r in results] == ["Dec. 8", "Major-General Mohammed Kingo al-Hassan"] * 6


@contextmanager
def _sample_server(tmp_path, *args: str, **env: str):
    """A UI server of its own over the sample article, started with ``args`` and NEWSQA_* ``env``; yields its URL."""
    data_dir = tmp_path / "index"
    ingest([sample_article()], Settings().with_data_dir(data_dir), source="sample", progress=False)
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    environment |= {"GRADIO_ANALYTICS_ENABLED": "False", **env}
    command = [*newsqa_command(), "ui", "--port", str(port), "--data-dir", str(data_dir), *args]
    with serving(command, port, env=environment):
        yield f"http://127.0.0.1:{port}"


def test_a_login_is_required_when_one_is_set(tmp_path):
    (tmp_path / "login").write_text("editor:s3cret-words\n")
    with _sample_server(tmp_path, "--auth-file", str(tmp_path / "login")) as url:
        with pytest.raises(Exception, match="(?i)login|auth|401|403"):
            Client(url, verbose=False).predict("When did Assad flee the country?", api_name="/answer")
        client = Client(url, auth=("editor", "s3cret-words"), verbose=False)
        assert client.predict("When did Assad flee the country?", api_name="/answer")["short_answer"] == "Dec. 8"


def test_one_client_is_held_to_its_requests_a_minute(tmp_path):
    with _sample_server(tmp_path, NEWSQA_UI__REQUESTS_PER_MINUTE="3") as url:
        client = Client(url, verbose=False)
        answers = [client.predict("When did Assad flee the country?", api_name="/answer") for _ in range(4)]
    assert [a.get("short_answer") for a in answers[:3]] == ["Dec. 8"] * 3
    assert answers[3]["error"].startswith("too many requests from 127.0.0.1: 3 a minute at most; try again in ")


def _errors(url: str, headers: list[dict[str, str]]) -> list[str]:
    """One empty question a client, each client sending its own headers: what each reply's error says.

    An empty question is refused at once after the rate limit counted it, so the calls cost no answering.
    """
    return [Client(url, verbose=False, headers=h).predict("", api_name="/answer")["error"] for h in headers]


def test_addresses_a_client_writes_in_its_headers_do_not_lift_its_limit(tmp_path):
    spoofs = [
        {"X-Forwarded-For": f"10.0.0.{i}", "Forwarded": f"for=10.0.1.{i}", "X-Real-IP": f"10.0.2.{i}"}
        for i in range(40)
    ]
    with _sample_server(tmp_path) as url:  # the default limit, 30 a minute
        errors = _errors(url, spoofs)
    assert all(e.startswith("the question is empty") for e in errors[:30])
    assert all(e.startswith("too many requests from 127.0.0.1: 30 a minute") for e in errors[30:]), errors[30:]


def test_behind_a_trusted_proxy_each_client_it_forwards_has_a_limit_of_its_own(tmp_path):
    # The test's own loopback connection plays the proxy, which appends the address it saw last.
    first = {"X-Forwarded-For": "10.9.9.9, 10.0.0.1"}  # a client-written 10.9.9.9 before the proxy's hop
    second = {"X-Forwarded-For": "10.0.0.2"}
    env = {"NEWSQA_UI__REQUESTS_PER_MINUTE": "3", "NEWSQA_UI__TRUSTED_PROXIES": "127.0.0.1"}
    with _sample_server(tmp_path, **env) as url:
        errors = _errors(url, [first] * 4 + [second])
    assert all(e.startswith("the question is empty") for e in errors[:3])
    assert errors[3].startswith("too many requests from 10.0.0.1: 3 a minute"), errors[3]
    assert errors[4].startswith("the question is empty"), "another client behind the proxy is not held"


def test_a_trusted_proxy_that_is_no_address_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from ui.cli import app

    result = CliRunner().invoke(app, ["ui", "--data-dir", str(tmp_path)], env={"NEWSQA_UI__TRUSTED_PROXIES": "nginx"})
    assert result.exit_code != 0
    assert "'nginx' is not an IP address or network; give e.g. 127.0.0.1" in result.output
    assert "Traceback" not in result.output


def _login(url: str, username: str, password: str, client: str | None = None) -> tuple[int, str]:
    """Log in by the form Gradio's login page posts; ``client`` is the address a trusted proxy forwards for."""
    import httpx

    headers = {"X-Forwarded-For": client} if client else {}
    reply = httpx.post(f"{url}/login", data={"username": username, "password": password}, headers=headers, timeout=30)
    return reply.status_code, reply.headers.get("retry-after", "")


def test_failed_logins_slow_down_the_next_ones_per_client_and_per_account(tmp_path):
    from ui.login import FREE_FAILURES

    (tmp_path / "login").write_text("editor:s3cret-words\n")
    with _sample_server(tmp_path, "--auth-file", str(tmp_path / "login")) as url:
        guesses = [_login(url, "editor", f"guess-{n}") for n in range(FREE_FAILURES + 1)]
        refused_at_once = _login(url, "editor", "s3cret-words")
        other_account = _login(url, "reader", "s3cret-words")
        time.sleep(1.1)  # the first wait, one second, is over
        after_the_wait = _login(url, "editor", "s3cret-words")
        cleared = [_login(url, "editor", f"again-{n}")[0] for n in range(FREE_FAILURES)]
    assert [status for status, _ in guesses] == [400] * (FREE_FAILURES + 1), "wrong passwords are checked and refused"
    assert refused_at_once == (429, "1"), "within the wait even the right password is not checked"
    assert other_account[0] == 429, "the client waits too, whichever account it tries"
    assert after_the_wait[0] == 200
    assert cleared == [400] * FREE_FAILURES, "a success clears the count: the next few failures are free again"


def test_guesses_spread_over_many_clients_still_slow_down_their_account(tmp_path):
    from ui.login import FREE_FAILURES

    (tmp_path / "login").write_text("editor:s3cret-words\n")
    env = {"NEWSQA_UI__TRUSTED_PROXIES": "127.0.0.1"}
    with _sample_server(tmp_path, "--auth-file", str(tmp_path / "login"), **env) as url:
        guesses = [_login(url, "editor", "guess", client=f"10.0.0.{n}")[0] for n in range(FREE_FAILURES + 1)]
        new_client = _login(url, "editor", "s3cret-words", client="10.0.0.99")
        other_account = _login(url, "nobody", "guess", client="10.0.0.98")
    assert guesses == [400] * (FREE_FAILURES + 1)
    assert new_client[0] == 429, "the account waits, whichever address the next guess comes from"
    assert other_account[0] == 400, "a client with no failures of its own tries another account at once"
