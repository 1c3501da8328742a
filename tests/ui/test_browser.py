"""End to end in headless Chromium (Debian's, driven by Playwright): ask, read the sources, upload, ask again."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

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


@pytest.fixture(scope="module")
def page(ui_server):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.dialogs = dialogs
        page.goto(ui_server)
        page.wait_for_selector("#question textarea")
        yield page
        browser.close()


def _ask(page, question: str, expected: str) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        "([text]) => document.querySelector('#chat') && document.querySelector('#chat').innerText.includes(text)",
        arg=[expected],
        timeout=60_000,
    )


def _screenshot_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TEST_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_cited_answer_with_its_sentence_highlighted(page, tmp_path):
    _ask(page, "Who led the loyalists in Balqasah?", "Shujaa al-Ali")
    highlighted = page.locator("#sources mark.quote")
    highlighted.first.wait_for(timeout=30_000)
    assert "led by a wanted man known as Shujaa al-Ali" in highlighted.first.inner_text()
    assert page.locator("#sources #cite-1").count() == 1
    link = page.locator("#chat a.cite-link").first
    assert link.inner_text() == "[1]"
    link.click()
    shot = _screenshot_dir(tmp_path) / "answer.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_upload_an_article_and_ask_about_it(page, tmp_path):
    article = tmp_path / "harbour.txt"
    article.write_text(
        "Harbour reopens after storm <script>alert('x')</script>\n\n"
        "The harbour of Lattakia reopened on Tuesday after a storm closed it for three days, port director "
        "Rami Haddad said. <img src=x onerror=alert('y')>\n"
    )
    page.get_by_role("tab", name="Corpus").click()
    page.locator("#upload input[type=file]").set_input_files(str(article))
    page.click("#index-files")
    page.wait_for_function(
        "() => { const box = document.querySelector('#upload-status textarea');"
        " return box && /1 added/.test(box.value); }",
        timeout=120_000,
    )
    page.wait_for_function("() => /2 articles/.test(document.querySelector('#stats').innerText)", timeout=30_000)
    _ask(page, "Who is the port director of Lattakia?", "Rami Haddad")
    page.get_by_role("tab", name="Sources").click()
    sources = page.locator("#sources").inner_text()
    assert "<img src=x onerror=alert('y')>" in sources, "article HTML must show as text"
    assert re.search(r"Harbour reopens after storm <script>alert\('x'\)</script>", sources)
    assert page.dialogs == [], "article HTML ran as script"
    page.screenshot(path=str(_screenshot_dir(tmp_path) / "upload.png"), full_page=True)


def test_clearing_the_chat_forgets_the_conversation_and_its_sources(page):
    _ask(page, "Who was arrested in the Tartus countryside?", "Kingo al-Hassan")
    page.get_by_role("tab", name="Sources").click()
    page.locator("#sources mark.quote").first.wait_for(timeout=30_000)
    page.click('#chat button[aria-label="Clear"]')
    page.wait_for_function(
        "() => document.querySelector('#sources').innerText.includes('Sources of the answer appear here')",
        timeout=30_000,
    )
    assert "Kingo" not in page.locator("#chat").inner_text()
