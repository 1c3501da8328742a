"""The UI's handlers on the real index: streaming, sources, uploads, escaping, API."""

from __future__ import annotations

import copy
import json

import gradio as gr
import pytest

from ui.app import NOT_SEEN, NewsQAUI
from ui.render import answer_markdown, plain, sources_html


def _run_ask(ui, question, conversation=None, **overrides):
    args = {"k": 5, "engine": "extractive", "sources": [], "since": "", "until": ""} | overrides
    steps = ui.ask(
        question, [], conversation or [], args["k"], args["engine"], args["sources"], args["since"], args["until"]
    )
    # Each step as it was yielded: the handler goes on changing the reply it already showed.
    return [copy.deepcopy(step) for step in steps]


def test_the_question_shows_at_once_then_each_stage_then_the_answer(sample_settings):
    steps = _run_ask(NewsQAUI(sample_settings), "Who led the loyalists in Balqasah?")
    shown = [history[-1]["content"] for history, *_ in steps]
    assert steps[0][0][0]["content"] == "Who led the loyalists in Balqasah?"
    assert "_Searching 3 passages…_" in shown and "_Reading 3 passages…_" in shown
    history, sources, _, conversation, copy_store, offer_unfiltered, stop = steps[-1]
    assert "Shujaa al-Ali" in history[-1]["content"] and 'href="#cite-1-1"' in history[-1]["content"]
    assert (
        '<mark class="quote">An unspecified number of Assad’s supporters, led by a wanted man known as Shujaa al-Ali'
        in sources
    )
    assert 'id="cite-1-1"' in sources
    assert steps[0][2] == "", "the question box is emptied as soon as the question is taken"
    assert conversation[-1].question == "Who led the loyalists in Balqasah?"
    assert json.loads(copy_store)["1"].startswith("Shujaa al-Ali [1]\n\nReferences\n[1] ")
    assert not offer_unfiltered["visible"]
    # Stop is enabled while the answer is on its way; not after.
    assert steps[0][6]["interactive"] and not stop["interactive"]


def test_a_follow_up_is_understood_by_substitution_and_older_sources_stay(sample_settings):
    ui = NewsQAUI(sample_settings)
    *_, (_, _, _, conversation, *_) = _run_ask(ui, "Who was arrested in the Tartus countryside?")
    *_, (history, sources, _, conversation, *_) = _run_ask(ui, "And who arrested him?", conversation)
    assert "_Understood as: Who arrested Mohammed Kingo al-Hassan?_" in history[-1]["content"]
    assert "security forces arrested Major-General Mohammed Kingo al-Hassan" in sources
    # Both answers keep their own cards, newest first.
    assert sources.index('id="answer-2"') < sources.index('id="answer-1"') and 'id="cite-1-1"' in sources


def test_a_follow_up_asks_its_own_kind_of_question(sample_settings):
    ui = NewsQAUI(sample_settings)
    *_, (_, _, _, conversation, *_) = _run_ask(ui, "How many security personnel were killed in the Balqasah fighting?")
    *_, (history, *_) = _run_ask(ui, "And where did this happen?", conversation)
    answer = history[-1]["content"]
    assert "Understood as: Where did the Balqasah fighting happen?" in answer and "Homs" in answer


def test_clearing_leaves_no_conversation_behind(sample_settings):
    conversation, sources, copy_store, offer = NewsQAUI(sample_settings).cleared()
    assert conversation == [] and "appear here" in sources and copy_store == "{}" and not offer["visible"]


def test_abstention_is_said_plainly(sample_settings):
    *_, (history, sources, _, _, _, offer, *_) = _run_ask(NewsQAUI(sample_settings), "What is the capital of France?")
    assert history[-1]["content"].startswith("**No answer.** The indexed articles do not say.")
    assert "No source" in sources and not offer["visible"]


def test_an_abstention_under_a_filter_says_so_and_offers_to_search_without_it(sample_settings):
    *_, (history, _, _, _, _, offer, *_) = _run_ask(
        NewsQAUI(sample_settings), "Who led the loyalists in Balqasah?", since="2024-01-01"
    )
    answer = history[-1]["content"]
    assert answer.startswith("**No answer.** The indexed articles do not say.") and offer["visible"]
    assert "Only articles published 2024-01-01 to … were searched" in answer


def test_a_question_in_another_language_is_told_so_not_answered_wrongly(sample_settings):
    *_, (history, *_) = _run_ask(NewsQAUI(sample_settings), "¿Quién dirigió a los leales en Balqasah?")
    answer = history[-1]["content"]
    assert answer == (
        "**Cannot answer:** the question reads as Spanish, but the articles are in English; ask it in English"
    )


@pytest.mark.parametrize(
    ("question", "overrides", "message"),
    [
        ("Who?", {"since": "soon"}, "Published from 'soon' is not a date"),
        ("Who?", {"engine": "gpt-9"}, "engine 'gpt-9' is not available"),
    ],
)
def test_user_errors_become_a_message(sample_settings, question, overrides, message):
    *_, (history, *_) = _run_ask(NewsQAUI(sample_settings), question, **overrides)
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
    *_, (history, sources, *_) = _run_ask(NewsQAUI(settings), "When did the mayor of Springfield resign?")
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
    # Files are named as the user knows them, not by the server's temporary folder.
    assert str(tmp_path) not in status
    assert "**1 article**, 1 chunk" in stats_md
    # Uploads are temporary copies, deleted once read.
    assert not good.exists() and not bad.exists()
    bad.write_bytes(b"\x00\x01\x02")
    status, *_ = ui.upload([str(bad)])
    assert status.startswith("Not indexed:") and "binary" in status and not bad.exists()
    assert ui.upload([])[0].startswith("Choose")


def test_a_changed_file_uploaded_again_replaces_its_article_and_outlets_keep_theirs(settings, tmp_path):
    ui = NewsQAUI(settings)

    folders = iter(range(100))

    def upload(name, text, outlet=""):
        # Each upload lands in a temporary folder of its own, as Gradio's do.
        folder = tmp_path / f"upload{next(folders)}"
        folder.mkdir()
        (folder / name).write_text(text)
        return ui.upload([str(folder / name)], outlet)

    story = "Port reopens\n\nThe port of Tartus reopened to shipping on {day}, officials said.\n"
    assert "1 added" in upload("news.txt", story.format(day="Monday"))[0]
    assert "1 replaced" in upload("news.txt", story.format(day="Tuesday"))[0]
    page = "<html><head><meta property='og:site_name' content='{outlet}'><title>Storm</title></head><body><article>"
    page += "<p>A storm closed the harbour of Lattakia for three days, port director Rami Haddad said.</p></article>"
    assert "1 added" in upload("article.html", page.format(outlet="Harbour News"))[0]
    assert "1 added" in upload("article.html", page.format(outlet="Coast Daily"))[0]
    assert "1 added" in upload("notes.txt", story.format(day="Friday"), outlet="My Notes")[0]
    rows = ui.article_rows()
    assert sorted((row[1], row[4]) for row in rows) == [
        ("Coast Daily", "article-coast-daily"),
        ("Harbour News", "article-harbour-news"),
        ("My Notes", "notes-my-notes"),
        # A file naming no outlet gets the command line's default outlet.
        ("local", "news-local"),
    ]
    assert [row[4] for row in ui.article_rows("coast")] == ["article-coast-daily"]
    assert ui.article_rows("harbour storm")[0][0] == "Storm"


def test_removing_an_article_asks_first_then_leaves_the_others(settings, tmp_path):
    from index import ingest

    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text(f"Story {name}\n\nThe council of town {name} met on Monday to vote.\n")
    ingest([tmp_path], settings, progress=False)
    ui = NewsQAUI(settings)
    box, question = ui.confirm_removal("a")
    assert box["visible"] and question.startswith("Remove “Story a” (id a) from the index?")
    status, box, chosen, *_ = ui.remove_article("a")
    assert status == "Removed a (1 chunk)." and not box["visible"] and chosen is None
    assert [row[4] for row in ui.article_rows()] == ["b"]
    assert ui.remove_article("a")[0].startswith("Not removed: not in the index: a")


def test_examples_come_from_the_newest_articles(settings, tmp_path):
    from index import ingest
    from index.samples import sample_article

    ingest([sample_article()], settings, source="sample", progress=False)
    ui = NewsQAUI(settings)
    assert ui.example_questions()[0] == "Who led the loyalists in Balqasah?"
    (tmp_path / "port.txt").write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Monday.\n")
    ingest([tmp_path / "port.txt"], settings, progress=False)
    assert ui.example_questions()[0] == "What happened in “Port reopens”?"


def test_filter_chips_name_each_active_filter_and_undated_articles_left_out(sample_settings):
    sources, dates, as_of = NewsQAUI(sample_settings).chips([], "2024-01-01", "", "")
    assert not sources["visible"] and not as_of["visible"]
    assert dates["visible"] and dates["value"] == "Published 2024-01-01 to … (1 undated article left out) ✕"


def test_a_date_that_is_none_shows_on_its_chip_at_once(sample_settings):
    ui = NewsQAUI(sample_settings)
    _, dates, as_of = ui.chips([], "2025-02-30", "", "next tuesday")
    assert dates["visible"] and dates["value"] == "⚠ Published from '2025-02-30' is not a date; use YYYY-MM-DD ✕"
    assert as_of["visible"] and as_of["value"] == "⚠ As of 'next tuesday' is not a date; use YYYY-MM-DD ✕"
    _, dates, _ = ui.chips([], "2025-02-01", "2025-13-01", "")
    assert dates["value"].startswith("⚠ Published to '2025-13-01' is not a date")


def test_stop_ends_the_answer_at_its_next_step_and_a_follow_up_refers_to_the_stopped_question(sample_settings):
    ui = NewsQAUI(sample_settings)
    mine, other = gr.Request(session_hash="mine"), gr.Request(session_hash="other")
    *_, (history, _, _, conversation, *_) = _run_ask(ui, "Who led the loyalists in Balqasah?")
    question = "What did SANA report about the clashes?"
    steps = ui.ask(question, history, conversation, 5, "extractive", [], "", "", request=mine)
    started = copy.deepcopy(next(steps))
    assert started[0][-1]["content"] == "_Starting…_" and started[6]["interactive"]
    ui.stop(other)  # another browser's Stop stops only its own answer
    assert not ui.stop(mine)["interactive"]
    *_, (chat, sources, _, conversation, _, _, stop) = [copy.deepcopy(step) for step in steps]
    assert chat[-1]["content"] == "_Stopped before an answer._" and chat[-2]["content"] == question
    assert not stop["interactive"] and "No source: stopped before an answer." in sources
    assert conversation[-1].question == question and conversation[-1].abstained
    *_, (history, *_) = _run_ask(ui, "Who confirmed them?", conversation)
    assert "_Understood as: Who confirmed the clashes?_" in history[-1]["content"]
    # A Stop that came after the answer was done stops nothing: the next question is answered.
    ui.stop(mine)
    *_, (chat, *_) = ui.ask("Who led the loyalists in Balqasah?", [], [], 5, "extractive", [], "", "", request=mine)
    assert "Shujaa al-Ali" in chat[-1]["content"]


def test_a_question_too_long_stays_in_the_box_and_is_echoed_short(sample_settings):
    ui = NewsQAUI(sample_settings)
    question = "Who led the loyalists in Balqasah? " * 199 + "Who led them?"
    (step,) = _run_ask(ui, question)
    history, _, box, *_ = step
    assert box is not None and box.__class__.__name__ != "str", "the box keeps the question to shorten it"
    assert len(history[0]["content"]) < 300 and history[0]["content"].endswith("(6,978 characters)")
    assert history[1]["content"] == (
        "**Cannot answer:** the question is 6,978 characters; keep it under 2,000. "
        "It is still in the box: shorten it and ask again."
    )


def test_the_corpus_view_is_rebuilt_when_another_process_indexed_something(settings, tmp_path):
    from index import ingest

    ui = NewsQAUI(settings)
    stamp, stats, *_ = ui.corpus_if_changed(NOT_SEEN)
    assert stamp is None and stats.startswith("Nothing indexed yet"), "a page's first view is built"
    (tmp_path / "port.txt").write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Monday.\n")
    ingest([tmp_path / "port.txt"], settings, progress=False)
    stamp, stats, _, _, table = ui.corpus_if_changed(None)
    assert stamp is not None and "**1 article**" in stats and "Port reopens" in table
    assert all(out.__class__.__name__ != "str" for out in ui.corpus_if_changed(stamp)), "unchanged: all skipped"


def test_the_article_table_marks_the_chosen_row_and_escapes(settings, tmp_path):
    from ui.render import articles_html

    rows = [["<b>Storm</b>", "Coast Daily", "2025-03-01", 1, "storm"], ["Port", "local", "undated", 2, "port"]]
    table = articles_html(rows, "port")
    assert "&lt;b&gt;Storm&lt;/b&gt;" in table and "<b>" not in table
    assert '<tr class="article-row chosen" data-id="port"><td class="article-title">' in table
    assert table.count('aria-pressed="true"') == 1 and table.index('aria-pressed="true"') > table.index("port")
    assert '<tr class="article-row" data-id="storm">' in table and "1 chunk<" in table and "2 chunks<" in table
    assert "No article here" in articles_html([])


def test_api_answer_returns_the_answer_as_data(sample_settings):
    ui = NewsQAUI(sample_settings)
    payload = ui.api_answer("When did Assad flee the country?")
    assert payload["short_answer"] == "Dec. 8" and payload["citations"][0]["quote"].endswith("lightning offensive.")
    assert ui.api_answer("")["error"].startswith("the question is empty")
    # The sample article is undated, so it is read as of any day.
    dated = ui.api_answer("When did Assad flee the country?", as_of="2022-06-17")
    assert dated["short_answer"] == "Dec. 8" and dated["as_of"] == "2022-06-17"
    assert ui.api_answer("Who?", as_of="soon")["error"] == "as_of 'soon' is not a date; use YYYY-MM-DD"
    assert ui.api_answer("Who?", since="soon")["error"] == "since 'soon' is not a date; use YYYY-MM-DD"
    for bad_k, reason in (
        ("abc", "valid integer"),
        (-3, "greater than or equal to 1"),
        (10**6, "less than or equal to 50"),
    ):
        assert reason in ui.api_answer("When did Assad flee the country?", k=bad_k)["error"]
    assert len(ui.api_answer("When did Assad flee the country?", k="2")["passages"]) <= 2


def test_the_chat_shows_how_time_words_were_read(sample_settings):
    *_, (history, *_) = _run_ask(NewsQAUI(sample_settings), "When did Assad flee the country this year?")
    assert "“this year” read as" in history[-1]["content"]


def test_markdown_of_an_abstention_and_empty_sources():
    assert "appear here" in sources_html([])
    from newsqa.types import Answer

    assert answer_markdown(Answer(question="q", text="no", abstained=True), 1).startswith("**No answer.**")


def test_choosing_an_unconfigured_llm_falls_back_with_a_note(sample_settings, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    *_, (history, sources, *_) = _run_ask(NewsQAUI(sample_settings), "Who led the loyalists in Balqasah?", engine="llm")
    content = history[-1]["content"]
    assert content.startswith("_Note: no LLM configured") and "Shujaa al" in content
    assert '<mark class="quote">' in sources


def test_the_watched_tab_lists_each_watched_question_with_its_answer_and_last_change(settings):
    from index import ingest
    from index.samples import sample_article
    from rag.watched import LOG_NAME, WatchedQuestions

    ingest([sample_article()], settings, source="sample", progress=False)
    ui = NewsQAUI(settings)
    assert "No watched question yet" in ui.watched_view()
    question = "Who led the loyalists in Balqasah?"
    # As if an earlier poll had answered otherwise: the log's last answer is what a change is told against.
    earlier = {"answer": "Ahmad Haidar [1]", "short_answer": "Ahmad Haidar", "abstained": False, "citations": []}
    log = settings.store.data_dir / LOG_NAME
    log.write_text(json.dumps({"question": question, "at": "2026-11-30T09:00:00", **earlier, "before": None}) + "\n")
    watched = WatchedQuestions([question, question, " "], settings)
    (change,) = watched.check()
    assert change.before == earlier and change.now["short_answer"] == "Shujaa al-Ali"
    assert watched.check() == [], "an unchanged answer is not logged again"
    assert len(log.read_text().splitlines()) == 2
    view = ui.watched_view()
    assert view.count(question) == 1
    assert "Now: Shujaa al-Ali [1]" in view and "led by a wanted man known as Shujaa al-Ali" in view
    assert f"Since {change.at}; before: Ahmad Haidar [1]" in view


def test_articles_that_name_no_outlet_can_be_chosen_as_their_own_source(settings, tmp_path):
    from index import ingest

    (tmp_path / "rows.jsonl").write_text(
        '{"id": "a1", "title": "Port reopens", "text": "The port of Tartus reopened to shipping on Monday."}\n'
    )
    (tmp_path / "ferry.txt").write_text("Ferry resumes\n\nThe ferry to Arwad resumed service on Friday.\n")
    ingest([tmp_path / "rows.jsonl", tmp_path / "ferry.txt"], settings, progress=False)
    ui = NewsQAUI(settings)
    _, choices, *_ = ui.corpus_view()
    assert sorted(choices["choices"]) == ["(unknown)", "local"]
    *_, (history, *_) = _run_ask(ui, "When did the port of Tartus reopen?", sources=["(unknown)"])
    assert "Monday" in history[-1]["content"]
    *_, (history, *_) = _run_ask(ui, "When did the port of Tartus reopen?", sources=["local"])
    assert history[-1]["content"].startswith("**No answer.**")
