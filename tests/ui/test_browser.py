"""End to end in headless Chromium (Debian's, driven by Playwright), one test per complaint of issue 11.

One server over the sample article serves the module; every test opens its own page, so a
conversation, a filter or a tab of one test is not another's. Articles uploaded by a test
stay indexed, so tests find theirs by searching the corpus table, not by counting.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.helpers import TOPIC, story_jsonl

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium floods the closed network with connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000
CHAT_HAS = "([text]) => document.querySelector('#chat') && document.querySelector('#chat').innerText.includes(text)"
# No event of the page is still running: an answer is complete, and a stopped one has ended.
IDLE = """() => ![...document.querySelectorAll('[data-testid=status-tracker]')]
  .some((tracker) => /generating|pending/.test(tracker.className) && !tracker.classList.contains('hide'))"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, ui_server):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ui_server)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    page.goto(ui_server)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()


def _ask(page, question: str, expected: str) -> None:
    page.wait_for_function(IDLE, timeout=WAIT_MS)
    page.fill("#question textarea", question)
    page.wait_for_function("() => !document.querySelector('#ask').disabled", timeout=10_000)
    page.click("#ask")
    page.wait_for_function(CHAT_HAS, arg=[expected], timeout=WAIT_MS)
    # An answer's text streams before its notes ("Understood as", the quotes): the event's end is the answer.
    page.wait_for_function(IDLE, timeout=WAIT_MS)


def _screenshot_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TEST_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _upload(page, tmp_path: Path, name: str, text: str, outlet: str = "") -> str:
    """Upload one file through the Corpus tab; returns the status line."""
    folder = tmp_path / f"upload-{len(list(tmp_path.glob('upload-*')))}"
    folder.mkdir()
    (folder / name).write_text(text)
    page.get_by_role("tab", name="Corpus").click()
    before = page.locator("#upload-status textarea").input_value()
    page.fill("#outlet textarea", outlet)
    page.locator("#upload input[type=file]").set_input_files(str(folder / name))
    # Indexing takes the file once the browser has sent it: the file box then names it.
    page.wait_for_function(
        "([name]) => document.querySelector('#upload').innerText.replace(/\\s/g, '').includes(name)",
        arg=[name],
        timeout=60_000,
    )
    page.click("#index-files")
    page.wait_for_function(
        "([before]) => { const box = document.querySelector('#upload-status textarea');"
        " return box && box.value && box.value !== before; }",
        arg=[before],
        timeout=120_000,
    )
    return page.locator("#upload-status textarea").input_value()


def _table_rows(page, search: str) -> str:
    """The corpus table's text once it answers ``search`` (the table names the search it answers)."""
    page.get_by_role("tab", name="Corpus").click()
    page.fill("#article-search textarea", search)
    page.locator(f'#articles [data-search="{search}"]').wait_for(timeout=30_000)
    return page.locator("#articles").inner_text()


def test_a_cited_answer_with_its_sentence_highlighted(page, tmp_path):
    _ask(page, "Who led the loyalists in Balqasah?", "Shujaa al-Ali")
    highlighted = page.locator("#sources mark.quote")
    highlighted.first.wait_for(timeout=30_000)
    assert "led by a wanted man known as Shujaa al-Ali" in highlighted.first.inner_text()
    link = page.locator("#chat a.cite-link").first
    assert link.inner_text() == "[1]"
    # Named for a screen reader by where it leads, not "[1]".
    page.get_by_role("link", name="source 1: Clashes heat up as Syrian forces lock horns").first.wait_for()
    link.click()
    shot = _screenshot_dir(tmp_path) / "answer.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_1_a_follow_up_asks_its_own_kind_of_question_and_says_how_it_was_understood(page, tmp_path):
    _ask(page, "How many security personnel were killed in the Balqasah fighting?", "Copy with references")
    _ask(page, "And where did this happen?", "Understood as: Where did the Balqasah fighting happen?")
    page.wait_for_function("() => document.querySelectorAll('#chat a.copy-answer').length == 2", timeout=WAIT_MS)
    understood, answer = page.locator("#chat").inner_text().split("Understood as:")[1].strip().split("\n\n")[:2]
    assert understood == "Where did the Balqasah fighting happen?"
    # A place named in the quoted sentence ("west of Homs in central Syria"), not the count asked for before.
    assert "Homs" in answer or "Syria" in answer, "a place, not the casualty count the first question asked for"
    page.get_by_role("tab", name="Corpus").click()
    page.locator("#articles tr.article-row").first.wait_for(timeout=30_000)
    page.screenshot(path=str(_screenshot_dir(tmp_path) / "follow-up.png"), full_page=True)


def test_2_a_pronoun_with_its_antecedent_in_the_question_is_no_follow_up(page):
    _ask(page, "Who led the loyalists in Balqasah?", "Shujaa al-Ali")
    _ask(page, "When did Assad flee his country?", "Dec. 8")
    assert "Understood as" not in page.locator("#chat").inner_text()


def test_3_clearing_the_chat_forgets_the_conversation_and_its_sources(page):
    _ask(page, "Who was arrested in the Tartus countryside?", "Kingo al-Hassan")
    page.locator("#sources mark.quote").first.wait_for(timeout=30_000)
    page.click('#chat button[aria-label="Clear"]')
    page.wait_for_function(
        "() => document.querySelector('#sources').innerText.includes('Sources of the answer appear here')",
        timeout=30_000,
    )
    assert "Kingo" not in page.locator("#chat").inner_text()
    _ask(page, "And who arrested him?", "And who arrested him?")
    page.wait_for_function(
        "() => /Copy with references|Not in the indexed articles|Cannot answer/.test("
        "document.querySelector('#chat').innerText)",
        timeout=WAIT_MS,
    )
    assert "Understood as" not in page.locator("#chat").inner_text(), "a cleared conversation was leaned on"


# The card is in the window and flashing: what a reader sees after a click on [n].
CARD_SHOWN = """([id]) => { const card = document.getElementById(id);
  if (!card || !card.classList.contains('flash')) return false;
  const box = card.getBoundingClientRect();
  return box.top >= 0 && box.top < window.innerHeight; }"""


def test_4_an_older_answers_citation_opens_its_own_source_from_any_tab(page):
    _ask(page, "Who was arrested in the Tartus countryside?", "Kingo al-Hassan")
    _ask(page, "How many security personnel were killed?", "two security personnel")
    _ask(page, "What is the capital of France?", "No answer")
    for tab in ("Settings", "Corpus"):
        # From another tab: the oldest answer's card is far down the Sources tab once it shows.
        page.get_by_role("tab", name=tab).click()
        page.locator("#chat a.cite-link").first.click()
        page.wait_for_function(CARD_SHOWN, arg=["cite-1-1"], timeout=10_000)
        assert page.get_by_role("tab", name="Sources").get_attribute("aria-selected") == "true"
        card = page.locator("#cite-1-1")
        assert "security forces arrested Major-General Mohammed Kingo al-Hassan" in card.inner_text()
        # Still in view once the flash is over: the tab's layout did not move it away.
        page.wait_for_function("() => !document.querySelector('#cite-1-1').classList.contains('flash')")
        box = card.bounding_box()
        assert box is not None and 0 <= box["y"] < page.viewport_size["height"]


def test_5_the_corpus_table_searches_removes_with_confirmation_and_a_re_upload_replaces(page, tmp_path):
    story = "Ferry resumes\n\nThe ferry between Tartus and Arwad resumed service on {day}, the port said.\n"
    assert "1 added" in _upload(page, tmp_path, "ferry.txt", story.format(day="Monday"))
    assert "1 replaced" in _upload(page, tmp_path, "ferry.txt", story.format(day="Tuesday"))
    rows = _table_rows(page, "ferry")
    assert "Ferry resumes" in rows and "Clashes heat up" not in rows
    row = page.locator("#articles tr.article-row", has_text="Ferry resumes")
    row.click()
    page.wait_for_function("() => /Remove “Ferry resumes”/.test(document.querySelector('#remove').innerText)")
    assert "chosen" in (row.get_attribute("class") or ""), "the chosen row is marked"
    page.click("#remove")
    page.locator("#confirm-text").wait_for(timeout=10_000)
    # The button named the title: so does the confirmation, with the id the status line will name.
    assert "Remove “Ferry resumes” (id ferry-local) from the index?" in page.locator("#confirm-text").inner_text()
    page.click("#confirm")
    page.wait_for_function(
        "() => /Removed ferry-local/.test(document.querySelector('#upload-status textarea').value)", timeout=30_000
    )
    assert "Ferry resumes" not in _table_rows(page, "ferry")


def test_6_an_uploaded_page_keeps_its_outlet_unless_one_is_given(page, tmp_path):
    html = (
        "<html><head><meta property='og:site_name' content='Coast Daily'><title>Storm shuts harbour</title></head>"
        "<body><article><p>A storm closed the harbour of Lattakia for three days, port director Rami Haddad said "
        "on Tuesday.</p></article></body></html>"
    )
    assert "1 added" in _upload(page, tmp_path, "storm.html", html)
    assert "Coast Daily" in _table_rows(page, "storm")
    assert "1 added" in _upload(page, tmp_path, "notes.txt", "Notes\n\nThe harbour fees rose again in May.\n", "Desk")
    assert "Desk" in _table_rows(page, "notes")


def test_7_status_lines_name_the_file_and_count_in_the_right_number(page, tmp_path):
    status = _upload(page, tmp_path, "quay.txt", "Quay repaired\n\nWorkers repaired the old quay of Jableh.\n")
    assert status.startswith("1 article from 1 file: 1 added") and "1 chunk added" in status
    assert "/tmp" not in status and "gradio" not in status
    bad = _upload(page, tmp_path, "empty.txt", "   ")
    assert bad.startswith("Not indexed: empty.txt: is empty"), bad


def test_8_the_question_shows_at_once_then_stages_and_ask_waits_for_a_question(page):
    assert page.locator("#ask").is_disabled()
    page.evaluate(
        """() => { window.seen = []; new MutationObserver(() => window.seen.push(
             document.querySelector('#chat').innerText)).observe(document.querySelector('#chat'),
             {subtree: true, childList: true, characterData: true}); }"""
    )
    page.fill("#question textarea", "Who led the loyalists in Balqasah?")
    page.wait_for_function("() => !document.querySelector('#ask').disabled", timeout=10_000)
    page.click("#ask")
    page.wait_for_function(CHAT_HAS, arg=["Copy with references"], timeout=WAIT_MS)
    seen = page.evaluate("window.seen")
    first_with_question = next(i for i, text in enumerate(seen) if "Who led the loyalists" in text)
    assert "Shujaa" not in seen[first_with_question], "the question waited for its answer"
    stages = [text for text in seen if re.search(r"(Searching|Reading) [\d,]+ passages…", text)]
    assert stages, f"no stage was shown while answering: {seen}"
    # The box emptied when the question was taken; Ask follows it, Stop follows the answer.
    page.wait_for_function("() => document.querySelector('#ask').disabled", timeout=10_000)
    page.wait_for_function("() => document.querySelector('#stop').disabled", timeout=10_000)


def test_9_filters_show_as_chips_and_an_abstention_under_one_offers_to_search_without(page):
    page.get_by_role("tab", name="Settings").click()
    page.fill("#since textarea", "2024-01-01")
    page.locator("#since textarea").press("Enter")
    chip = page.locator("#chip-dates")
    chip.wait_for(timeout=10_000)
    assert re.search(r"^Published 2024-01-01 to … \(\d+ undated articles? left out\) ✕$", chip.inner_text())
    _ask(page, "Who led the loyalists in Balqasah?", "were searched: the answer may be in articles they leave out")
    page.click("#search-unfiltered")
    page.wait_for_function(CHAT_HAS, arg=["Shujaa al-Ali"], timeout=WAIT_MS)
    assert not chip.is_visible() and page.locator("#since textarea").input_value() == ""


def test_10_copy_gives_plain_text_with_references_a_sentence_shows_once_and_amounts_keep_units(page, tmp_path):
    _ask(page, "Who was arrested in the Tartus countryside?", "Copy with references")
    page.locator("#chat a.copy-answer").first.click()
    page.wait_for_function(CHAT_HAS, arg=["Copied"], timeout=10_000)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Major-General Mohammed Kingo al-Hassan [1]\n\nReferences\n[1] Clashes heat up")
    assert "<a" not in copied and "“Earlier Thursday, security forces arrested" in copied
    plant = "Novatek picks Dresden\n\nThe new Novatek chip plant in Dresden will cost $48 million, its chief said.\n"
    assert "1 added" in _upload(page, tmp_path, "novatek.txt", plant)
    _ask(page, "How much will the Novatek chip plant cost?", "$48 million")
    example = page.get_by_text("What happened in “Novatek picks Dresden”?")
    assert example.count() == 1, "examples ignore uploads"
    example.click()
    page.wait_for_function("() => !document.querySelector('#ask').disabled", timeout=10_000)
    page.click("#ask")
    page.wait_for_function("() => document.querySelectorAll('#chat a.copy-answer').length == 3", timeout=WAIT_MS)
    sentence = "The new Novatek chip plant in Dresden will cost $48 million, its chief said."
    last_answer = page.locator("#chat").inner_text().split("What happened in “Novatek picks Dresden”?")[-1]
    assert last_answer.count(sentence) == 1, "a whole-sentence answer is shown twice"


def test_11_a_question_in_another_language_is_told_plainly(page):
    _ask(page, "¿Quién dirigió a los leales en Balqasah?", "Cannot answer")
    chat = page.locator("#chat").inner_text()
    assert "the question reads as Spanish, but the articles are in English; ask it in English" in chat
    assert "support" not in chat and "below" not in chat


def test_12_a_reversed_date_range_is_explained_without_command_line_flags(page):
    page.get_by_role("tab", name="Settings").click()
    page.fill("#since textarea", "2024-02-01")
    page.fill("#until textarea", "2024-01-01")
    page.locator("#until textarea").press("Enter")
    _ask(page, "Who led the loyalists in Balqasah?", "Cannot answer")
    chat = page.locator("#chat").inner_text()
    assert "the date range starts (2024-02-01) after it ends (2024-01-01); swap the dates" in chat
    assert "--since" not in chat


def test_an_uploaded_article_shows_as_text_not_markup(page, tmp_path):
    article = (
        "Harbour reopens after storm <script>alert('x')</script>\n\n"
        "The harbour of Baniyas reopened on Tuesday after a storm closed it for three days, port director "
        "Samir Nasser said. <img src=x onerror=alert('y')>\n"
    )
    assert "1 added" in _upload(page, tmp_path, "harbour.txt", article)
    _ask(page, "Who is the port director of Baniyas?", "Samir Nasser")
    page.get_by_role("tab", name="Sources").click()
    sources = page.locator("#sources").inner_text()
    assert "<img src=x onerror=alert('y')>" in sources, "article HTML must show as text"
    assert "Harbour reopens after storm <script>alert('x')</script>" in sources
    assert page.dialogs == [], "article HTML ran as script"


def test_a_story_shows_as_a_timeline_by_day_and_a_question_about_its_development_gets_it(page, tmp_path):
    status = _upload(page, tmp_path, "harbor-fire.jsonl", story_jsonl())
    assert "6 articles from 1 file" in status, status
    page.get_by_role("tab", name="Timeline").click()
    page.fill("#timeline-topic textarea", TOPIC)
    page.click("#timeline-build")
    page.wait_for_function("() => document.querySelectorAll('#timeline .timeline-entry').length === 3", timeout=WAIT_MS)
    days = page.locator("#timeline .timeline-day h4").all_inner_texts()
    assert days == ["2025-03-03", "2025-03-05", "2025-03-10"]
    first, second, _ = page.locator("#timeline .timeline-entry").all_inner_texts()
    assert "A fire broke out late on Sunday" in first and "Coastal Tribune · Valley Post" in first
    assert "firefighter: up from 2 on 2025-03-03 [5]" in second
    assert "Earlier [5], 2025-03-03: “Two firefighters were injured" in second
    page.screenshot(path=str(_screenshot_dir(tmp_path) / "timeline.png"), full_page=True)
    _ask(page, "How has the Harbor Street warehouse fire developed?", "2025-03-10")
    chat = page.locator("#chat").inner_text()
    assert chat.index("2025-03-03") < chat.index("Four firefighters were injured") < chat.index("2025-03-10")
    # A timeline's lines are its quotes: each shows once.
    assert chat.count("Four firefighters were injured") == 1


def test_13_stop_says_so_and_a_follow_up_refers_to_the_stopped_question(page):
    _ask(page, "Who led the loyalists in Balqasah?", "Copy with references")
    page.wait_for_function("() => document.querySelector('#stop').disabled", timeout=10_000)
    # Stop is clicked the moment it is enabled, from inside the page, before the answer can come.
    page.evaluate(
        """() => { const stop = document.querySelector('#stop');
             new MutationObserver((_, watcher) => { if (!stop.disabled) { watcher.disconnect(); stop.click(); } })
               .observe(stop, {attributes: true}); }"""
    )
    page.fill("#question textarea", "What did SANA report about the clashes?")
    page.wait_for_function("() => !document.querySelector('#ask').disabled", timeout=10_000)
    page.click("#ask")
    page.wait_for_function(CHAT_HAS, arg=["Stopped before an answer."], timeout=WAIT_MS)
    page.wait_for_function("() => document.querySelector('#stop').disabled", timeout=10_000)
    chat = page.locator("#chat").inner_text()
    assert "passages…" not in chat.split("What did SANA report")[-1], "a stage was left in the chat"
    _ask(page, "Who confirmed them?", "Who confirmed them?")
    page.wait_for_function("() => document.querySelector('#stop').disabled", timeout=WAIT_MS)
    assert "Understood as: Who confirmed the clashes?" in page.locator("#chat").inner_text(), page.locator(
        "#chat"
    ).inner_text()


def test_14_a_question_too_long_stays_in_the_box_to_be_shortened(page):
    question = "Who led the loyalists in Balqasah? " * 142 + "Who?"
    page.fill("#question textarea", question)
    page.wait_for_function("() => !document.querySelector('#ask').disabled", timeout=10_000)
    page.click("#ask")
    page.wait_for_function(CHAT_HAS, arg=["keep it under 2,000"], timeout=WAIT_MS)
    assert page.locator("#question textarea").input_value() == question
    bubble = page.locator("#chat .user-row").last.inner_text()
    assert len(bubble) < 300 and bubble.endswith("(4,974 characters)")


def test_15_a_date_that_is_none_is_told_on_its_chip_at_once(page):
    page.get_by_role("tab", name="Settings").click()
    # The slider offers as many passages as the API takes.
    assert page.locator("input[type=range]").first.get_attribute("max") == "50"
    page.fill("#since textarea", "2025-02-30")
    page.locator("#since textarea").press("Enter")
    page.wait_for_function(
        "() => /^⚠ Published from '2025-02-30' is not a date; use YYYY-MM-DD ✕$/.test("
        "document.querySelector('#chip-dates')?.innerText.trim())",
        timeout=10_000,
    )
    page.fill("#as-of textarea", "next tuesday")
    page.locator("#as-of textarea").press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#chip-as-of')?.innerText.includes(\"'next tuesday' is not a date\")",
        timeout=10_000,
    )
    page.click("#chip-dates")
    page.wait_for_function("() => document.querySelector('#since textarea').value === ''", timeout=10_000)


def test_16_the_corpus_table_reads_on_a_phone_and_shows_what_another_process_indexed(page, tmp_path, ui_data_dir):
    import subprocess

    from tests.helpers import newsqa_command

    page.get_by_role("tab", name="Corpus").click()
    page.locator("#articles tr.article-row").first.wait_for()
    # Headers are whole words on one line each.
    heights = page.eval_on_selector_all("#articles th", "cells => cells.map((c) => c.getBoundingClientRect().height)")
    assert max(heights) < 1.8 * min(heights), heights
    article = tmp_path / "tram.txt"
    article.write_text("Tram line extended\n\nThe city council approved a 6.4-kilometre tram extension on Monday.\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    done = subprocess.run(
        [*newsqa_command(), "ingest", str(article), "--data-dir", str(ui_data_dir), "-q"], env=env, timeout=300
    )
    assert done.returncode == 0
    # No reload: the open page learns of it.
    page.locator("#articles tr.article-row", has_text="Tram line extended").wait_for(timeout=30_000)
    assert "**" not in page.locator("#stats").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    row = page.locator("#articles tr.article-row", has_text="Tram line extended")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#articles td.article-title')).display === 'block'"
    )
    # On a phone: the title over one line of the rest, nothing cut letter by letter, no sideways scroll.
    assert row.locator("td.article-outlet").bounding_box()["width"] > 30
    scroll = page.locator("#articles .article-scroll")
    assert scroll.evaluate("(s) => s.scrollWidth <= s.clientWidth"), "the table scrolls sideways on a phone"
    row.click()
    page.wait_for_function("() => /Remove “Tram line extended”/.test(document.querySelector('#remove').innerText)")
    shot = _screenshot_dir(tmp_path) / "corpus-phone.png"
    page.locator("#corpus-tab").screenshot(path=str(shot))
    assert shot.stat().st_size > 5_000


def test_17_every_control_has_a_name_and_the_answers_1_is_two_presses_from_the_question_box(page):
    names = """() => [...document.querySelectorAll('button, input, textarea, select, a[href], [role=tab]')]
      .filter((e) => e.checkVisibility() && e.type !== 'hidden' && e.type !== 'file')
      .map((e) => [e.outerHTML.slice(0, 80), (e.getAttribute('aria-label') || (e.labels && e.labels[0]
        && e.labels[0].innerText) || e.innerText || e.value || e.title || '').trim()])
      .filter(([, name]) => !name || name === 'Textbox')"""
    assert page.evaluate(names) == []
    assert page.get_by_role("textbox", name="Question").count() == 1
    _ask(page, "Who led the loyalists in Balqasah?", "Copy with references")
    _ask(page, "Who was arrested in the Tartus countryside?", "Kingo al-Hassan")
    page.wait_for_function("() => document.querySelector('#stop').disabled", timeout=10_000)
    assert page.evaluate(names) == []
    page.focus("#question textarea")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "to-answer"
    page.keyboard.press("Enter")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.getAttribute('href')]")
    assert focused == ["cite-link", "#cite-2-1"], "the latest answer's [1]"
    page.get_by_role("tab", name="Corpus").click()
    assert page.get_by_role("textbox", name="Search articles").count() == 1
    assert page.evaluate(names) == []


def test_18_a_three_turn_conversation_reads_from_each_questions_start(page, tmp_path):
    page.set_viewport_size({"width": 390, "height": 844})
    _ask(page, "How many security personnel were killed in the Balqasah fighting?", "Sources differ")
    _ask(page, "And where did this happen?", "Understood as: Where did the Balqasah fighting happen?")
    _ask(page, "Who led the loyalists there?", "Shujaa al-Ali")
    assert "Understood as: Who led the loyalists in " in page.locator("#chat").inner_text()
    # The last question is in the chat's view, so its answer is read from its start, not scrolled past.
    page.wait_for_function(
        """() => { const rows = document.querySelectorAll('#chat .user-row'); const row = rows[rows.length - 1];
             const log = document.querySelector('#chat [role=log]'); if (!row || !log) return false;
             const top = row.getBoundingClientRect().top - log.getBoundingClientRect().top;
             const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 2;
             return top >= -2 && (top < 60 || (atEnd && top < log.clientHeight - 60)); }""",
        timeout=10_000,
    )
    # No "Answers" label over the first line.
    assert not page.locator("#chat label").is_visible()
    page.set_viewport_size({"width": 1400, "height": 1000})
    # For the picture only: the whole conversation, not the chat's scrolled window of it.
    page.add_style_tag(content="#chat { height: auto !important; } #chat [role=log] { max-height: none; }")
    shot = _screenshot_dir(tmp_path) / "conversation.png"
    page.locator("#chat").screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    _ask(page, "What is the capital of France?", "No answer")
    chat = page.locator("#chat").inner_text()
    assert "Not in the indexed articles" not in chat, "an abstention says it once"
    page.get_by_role("tab", name="Sources").click()
    sources = page.locator("#sources").inner_text()
    assert "Q1" not in sources and "And where did this happen?" in sources
