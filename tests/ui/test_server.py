"""The served app over HTTP: the documented API through gradio_client, and the queue under load."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.slow


def test_the_api_answers_through_gradio_client(ui_server):
    from gradio_client import Client

    client = Client(ui_server, verbose=False)
    payload = client.predict("Who led the loyalists in Balqasah?", 5, [], "", "", api_name="/answer")
    assert payload["short_answer"] == "Shujaa al-Ali"
    assert "led by a wanted man known as Shujaa al-Ali" in payload["citations"][0]["quote"]
    assert client.predict("", 5, [], "", "", api_name="/answer")["error"].startswith("the question is empty")


def test_many_simultaneous_questions_are_queued_not_dropped(ui_server):
    from gradio_client import Client

    client = Client(ui_server, verbose=False)
    questions = ["When did Assad flee the country?", "Who was arrested in the Tartus countryside?"] * 6
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda q: client.predict(q, 5, [], "", "", api_name="/answer"), questions))
    assert [r["short_answer"] for r in results] == ["Dec. 8", "Major-General Mohammed Kingo al-Hassan"] * 6
