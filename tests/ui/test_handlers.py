"""The UI's handlers on the real index: streaming, sources, uploads, escaping, API."""

from __future__ import annotations

import pytest

from ui.app import NewsQAUI
from ui.render import answer_markdown, plain, sources_html


def _run_ask(ui, question, turns=None, **overrides):
    args = {"k": 5, "engine": "extractive", "sources": [], "since": "", "until": ""} | overrides
    return list(
        ui.ask(question, [], turns or [], args["k"], args["engine"], args["sources"], args["since"], args["until"])
    )


def test_answers_stream_and_the_last_step_fills_the_sources(sample_settings):
    steps = _run_ask(NewsQAUI(sample_settings), "Who led the loyalists in Balqasah?")
    assert len(steps) >= 2
    history, sources, cleared, turns = steps[-1]
    assert history[-1]["role"] == "assistant"
    assert "Shujaa al-Ali" in history[-1]["content"] and 'href="#cite-1"' in history[-1]["content"]
    assert (
        '<mark class="quote">An unspecified number of Assad’s supporters, led by a wanted man known as Shujaa al-Ali'
        in sources
    )
    assert 'id="cite-1"' in sources
    assert cleared == "" and turns[-1][0] == "Who led the loyalists in Balqasah?"


def test_follow_up_questions_use_the_conversation(sample_settings):
    ui = NewsQAUI(sample_settings)
    *_, (_, _, _, turns) = _run_ask(ui, "Who was arrested in the Tartus countryside?")
    *_, (history, sources, _, _) = _run_ask(ui, "And who arrested him?", turns=turns)
    assert "security forces arrested Major-General Mohammed Kingo al-Hassan" in sources


def test_clearing_leaves_no_conversation_behind(sample_settings):
    turns, sources = NewsQAUI(sample_settings).cleared()
    assert turns == [] and "appear here" in sources


def test_abstention_is_said_plainly(sample_settings):
    *_, (history, sources, _, _) = _run_ask(NewsQAUI(sample_settings), "What is the capital of France?")
    assert history[-1]["content"].startswith("**Not in the indexed articles.**")
    assert "No source" in sources


@pytest.mark.parametrize(
    ("question", "overrides", "message"),
    [
        ("   ", {}, "the question is empty"),
        ("Who?", {"since": "soon"}, "From &#x27;soon&#x27; is not a date".replace("&#x27;", "'")),
        ("Who?", {"engine": "gpt-9"}, "engine 'gpt-9' is not available"),
    ],
)
def test_user_errors_become_a_message(sample_settings, question, overrides, message):
    *_, (history, _, _, _) = _run_ask(NewsQAUI(sample_settings), question, **overrides)
    content = history[-1]["content"]
    assert content.startswith("**Cannot answer:**")
    assert message.replace("'", "'") in content.replace("\\", "")


def test_article_html_is_shown_as_text(settings, tmp_path):
    from index import ingest

    path = tmp_path / "xss.txt"
    path.write_text(
        "Mayor <script>alert(1)</script> resigns\n\n"
        "The mayor of Springfield resigned on Monday <img src=x onerror=alert(2)> after a vote.\n"
    )
    ingest([path], settings, progress=False)
    *_, (history, sources, _, _) = _run_ask(NewsQAUI(settings), "When did the mayor of Springfield resign?")
    assert "<script>" not in sources and "<img" not in sources
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sources
    assert "&lt;img src=x onerror=alert(2)&gt;" in sources
    assert "<img" not in history[-1]["content"] and "<script" not in history[-1]["content"]


def test_plain_escapes_html_and_markdown():
    assert plain("<b>*x*</b> [1]") == "&lt;b&gt;\\*x\\*&lt;/b&gt; \\[1\\]"


def test_upload_indexes_files_and_reports_bad_ones(settings, tmp_path):
    good = tmp_path / "port.txt"
    good.write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Monday, officials said.\n")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02")
    ui = NewsQAUI(settings)
    status, stats_md, *_ = ui.upload([str(good), str(bad)])
    assert "1 added" in status and "Skipped:" in status and "bad.txt" in status
    assert "**1 articles**" in stats_md
    # Uploads are temporary copies, deleted once read.
    assert not good.exists() and not bad.exists()
    bad.write_bytes(b"\x00\x01\x02")
    status, *_ = ui.upload([str(bad)])
    assert status.startswith("Not indexed:") and "binary" in status and not bad.exists()
    assert ui.upload([])[0].startswith("Choose")


def test_examples_come_from_the_corpus(sample_settings):
    examples = NewsQAUI(sample_settings).example_questions()
    assert examples[0] == "Who led the loyalists in Balqasah?"


def test_api_answer_returns_the_answer_as_data(sample_settings):
    ui = NewsQAUI(sample_settings)
    payload = ui.api_answer("When did Assad flee the country?")
    assert payload["short_answer"] == "Dec. 8" and payload["citations"][0]["quote"].endswith("lightning offensive.")
    assert ui.api_answer("")["error"].startswith("the question is empty")
    # The sample article is undated, so it is read as of any day.
    dated = ui.api_answer("When did Assad flee the country?", as_of="2022-06-17")
    assert dated["short_answer"] == "Dec. 8" and dated["as_of"] == "2022-06-17"
    assert ui.api_answer("Who?", as_of="soon")["error"] == "as_of 'soon' is not a date; use YYYY-MM-DD"
    for bad_k, reason in (
        ("abc", "valid integer"),
        (-3, "greater than or equal to 1"),
        (10**6, "less than or equal to 50"),
    ):
        assert reason in ui.api_answer("When did Assad flee the country?", k=bad_k)["error"]
    assert len(ui.api_answer("When did Assad flee the country?", k="2")["passages"]) <= 2


def test_the_chat_shows_how_time_words_were_read(sample_settings):
    *_, (history, _, _, _) = _run_ask(NewsQAUI(sample_settings), "When did Assad flee the country this year?")
    assert "“this year” read as" in history[-1]["content"]


def test_markdown_of_an_abstention_and_empty_sources():
    assert "appear here" in sources_html(None)
    from newsqa.types import Answer

    assert answer_markdown(Answer(question="q", text="no", abstained=True)).startswith("**Not in")


def test_choosing_an_unconfigured_llm_falls_back_with_a_note(sample_settings, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    *_, (history, sources, _, _) = _run_ask(
        NewsQAUI(sample_settings), "Who led the loyalists in Balqasah?", engine="llm"
    )
    content = history[-1]["content"]
    assert content.startswith("_Note: no LLM configured") and "Shujaa al" in content
    assert '<mark class="quote">' in sources
