"""The served app over HTTP: the documented API through gradio_client, and the queue under load."""

from __future__ import annotations

import os
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
