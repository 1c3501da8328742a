"""HTML and Markdown for the chat UI, built from escaped text only.

Article text and user input are always passed through :func:`html.escape` before they
meet markup of ours, so an article holding ``<script>`` shows those characters and
runs nothing.
"""

from __future__ import annotations

import html
import re

from newsqa.text import MARKER, counted, strip_markers
from newsqa.types import Answer, Citation, Passage, Timeline

# The heading of an abstention in the chat; the answer's own text says why.
NO_ANSWER = "No answer"
# What the chat shows in place of an answer the user stopped.
STOPPED = "Stopped before an answer."

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def plain(text: str) -> str:
    """Text that the chat's Markdown renderer shows as typed: no HTML, no Markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _cite_link(turn: int, number: int | str) -> str:
    return f'<a href="#cite-{turn}-{number}" class="cite-link">[{number}]</a>'


def _linked(text: str, turn: int) -> str:
    """``text`` shown as typed, but for its [n] markers, which link to their source cards."""
    # Splitting on a pattern with a group alternates text and the captured marker numbers.
    pieces = MARKER.split(text)
    return "".join(_cite_link(turn, piece) if i % 2 else plain(piece) for i, piece in enumerate(pieces))


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.split()).rstrip(".").casefold() == " ".join(b.split()).rstrip(".").casefold()


def answer_markdown(result: Answer, turn: int, filters_note: str = "") -> str:
    """The chat message for the ``turn``-th answer of the conversation: the answer with [n]
    markers linking to that turn's source cards, or a clear abstention.

    ``filters_note`` names the filters that were on, for an abstention to say so.
    """
    understood = [f"_Understood as: {plain(result.understood_as)}_"] if result.understood_as else []
    if result.abstained:
        filtered = [f"_Only {plain(filters_note)} were searched: the answer may be in articles they leave out._"]
        # The text says why ("The indexed articles do not say. (…)"); the heading only marks it as no answer.
        return "\n\n".join(
            [*understood, f"**{NO_ANSWER}.** " + plain(result.text), *(filtered if filters_note else [])]
        )
    answer_text = strip_markers(result.text)
    # A whole-sentence answer is its own quote, and a timeline's lines are theirs: shown once, not twice.
    quotes = [
        f"> {plain(c.quote)} {_cite_link(turn, c.number)}"
        for c in result.citations
        if not _same_words(c.quote, answer_text) and c.quote not in result.text
    ]
    notes = [*understood]
    if result.time_range:
        notes.append(f"_{plain(result.time_range.describe())}_")
    if result.notice:
        notes.append(f"_Note: {plain(result.notice)}_")
    if result.unsupported:
        notes.append(f"_Dropped {len(result.unsupported)} generated sentence(s) that no article supports._")
    copy = f'<a href="#copy-{turn}" class="copy-answer">Copy with references</a>'
    # A line break of the answer (a timeline's days and lines) is a line break on screen too.
    shown = _linked(result.text, turn).replace("\n", "  \n")
    return "\n\n".join([*notes, shown, *quotes, copy])


def plain_text(result: Answer) -> str:
    """The answer as plain text with a numbered reference list: what "copy" puts on the clipboard."""
    lines = [result.text]
    if result.citations:
        lines.append("")
        lines.append("References")
    for citation in result.citations:
        where = ", ".join(x for x in (citation.source, citation.published or "undated") if x)
        link = f" {citation.url}" if citation.url.startswith(("http://", "https://")) else ""
        lines.append(f"[{citation.number}] {citation.title or citation.article_id}. {where}.{link}")
        lines.append(f"    “{citation.quote}”")
    return "\n".join(lines)


def _highlighted(passage: Passage, citation: Citation) -> str:
    local_start = citation.start - passage.start
    local_end = citation.end - passage.start
    if not (0 <= local_start < local_end <= len(passage.text)):
        return html.escape(passage.text)
    text = passage.text
    return (
        html.escape(text[:local_start])
        + f'<mark class="quote">{html.escape(text[local_start:local_end])}</mark>'
        + html.escape(text[local_end:])
    )


def _cards(result: Answer, turn: int) -> str:
    if result.text == STOPPED:
        return f'<div class="sources-empty">No source: {STOPPED[0].lower()}{STOPPED[1:]}</div>'
    if result.abstained or not result.citations:
        return '<div class="sources-empty">No source: the answer abstained.</div>'
    passages = {p.id: p for p in result.passages}
    cards = []
    for citation in result.citations:
        passage = passages.get(citation.passage_id)
        also = f"also reported by {', '.join(citation.also_reported_by)}" if citation.also_reported_by else ""
        meta = " · ".join(html.escape(x) for x in (citation.source, citation.published, also) if x)
        title = _title_link(citation)
        body = (
            _highlighted(passage, citation) if passage else f'<mark class="quote">{html.escape(citation.quote)}</mark>'
        )
        cards.append(
            f'<div class="source-card" id="cite-{turn}-{citation.number}">'
            f'<div class="source-head"><span class="source-number">[{citation.number}]</span> {title}</div>'
            f'<div class="source-meta">{meta} · characters {citation.start}–{citation.end}</div>'
            f'<div class="source-passage">{body}</div></div>'
        )
    return "".join(cards)


def sources_html(conversation: list[Answer]) -> str:
    """The sources panel: for each answer of the conversation, newest first, its cited articles
    with the quoted sentence highlighted; every answer keeps its cards, so older [n] links work."""
    if not conversation:
        return '<div class="sources-empty">Sources of the answer appear here.</div>'
    groups = []
    for turn in range(len(conversation), 0, -1):
        result = conversation[turn - 1]
        groups.append(
            f'<div class="answer-sources" id="answer-{turn}">'
            f'<div class="answer-question">{html.escape(result.question)}</div>{_cards(result, turn)}</div>'
        )
    return "".join(groups)


TABLE_HEADERS = ("Title", "Outlet", "Published", "Chunks", "Id")

# After the question box in the tab order, shown only when focused: Enter moves to the latest
# answer's first [n] (the chat comes before the box, so Tab alone would go round the page).
TO_ANSWER = '<a href="#chat" class="to-answer">Go to the latest answer\'s sources</a>'


def articles_html(rows: list[list], chosen: str | None = None, search: str = "") -> str:
    """The corpus table: a row per article (title, outlet, published, chunks, id), the ``chosen``
    article's marked. A row is chosen by clicking it or its title's button (the page's script);
    on a narrow screen each row reads as a title over a line of the rest. The table says which
    ``search`` it answers, so a page can tell the new table from the one before."""
    words = html.escape(" ".join(search.split()))
    label = f"Indexed articles matching “{words}”" if words else "Indexed articles"
    if not rows:
        return (
            f'<div class="sources-empty" data-search="{words}">No article here: upload some below, '
            "or search for other words.</div>"
        )
    head = "".join(f'<th scope="col">{name}</th>' for name in TABLE_HEADERS)
    body = []
    for title, outlet, published, chunks, article_id in rows:
        picked = article_id == chosen
        pressed = "true" if picked else "false"
        ident = html.escape(article_id)
        # The title is a toggle button, pressed for the chosen article: what a screen reader announces.
        body.append(
            f'<tr class="article-row{" chosen" if picked else ""}" data-id="{ident}">'
            f'<td class="article-title"><button type="button" class="article-pick" aria-pressed="{pressed}">'
            f"{html.escape(title)}</button></td>"
            f'<td class="article-outlet">{html.escape(outlet)}</td>'
            f'<td class="article-published">{html.escape(published)}</td>'
            f'<td class="article-chunks">{counted(chunks, "chunk")}</td>'
            f'<td class="article-id">{ident}</td></tr>'
        )
    return (
        f'<div class="article-scroll" data-search="{words}"><table class="article-table" aria-label="{label}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _title_link(citation: Citation) -> str:
    title = html.escape(citation.title or citation.article_id)
    if citation.url.startswith(("http://", "https://")):
        return f'<a href="{html.escape(citation.url)}" target="_blank" rel="noopener noreferrer">{title}</a>'
    return title


def timeline_html(story: Timeline) -> str:
    """The Timeline tab: a heading per day, and under it each article's sentence, its outlets
    and title, and what changed since an earlier line (that line's sentence quoted)."""
    if not story.entries:
        return f'<div class="sources-empty">{html.escape(story.render())}</div>'
    days = []
    for day, entries in story.days():
        lines = []
        for entry in entries:
            citation = entry.citation
            changes = "".join(
                f'<div class="timeline-change">Earlier [{c.number}], {html.escape(c.published or "undated")}: '
                f"“{html.escape(c.quote)}”</div>"
                for c in entry.earlier
            )
            meta = " · ".join(html.escape(x) for x in entry.outlets)
            # Every sentence the line quotes, where the article has it: its opening too, not the main one alone.
            spans = ", ".join(f"[{c.number}] characters {c.start}–{c.end}" for c in entry.quoted)
            lines.append(
                f'<li class="timeline-entry" id="timeline-{citation.number}">'
                f'<span class="source-number">[{citation.number}]</span> {html.escape(entry.text)}'
                f'<div class="source-meta">{_title_link(citation)} · {meta} · {spans}</div>{changes}</li>'
            )
        heading = html.escape(day or "Undated")
        days.append(f'<section class="timeline-day"><h4>{heading}</h4><ol>{"".join(lines)}</ol></section>')
    return f'<div class="timeline" aria-label="Timeline of {html.escape(story.topic)}">{"".join(days)}</div>'


def _said_with_source(record: dict) -> str:
    if record.get("abstained"):
        return "<em>not in the indexed articles</em>"
    cited = "".join(
        f'<div class="source-meta">[{c["number"]}] “{html.escape(c["quote"])}” · {html.escape(c["source"])} · '
        f"{html.escape(c['published'] or 'undated')}</div>"
        for c in record.get("citations", [])
    )
    return f"{html.escape(record.get('answer', ''))}{cited}"


def watched_html(last: dict) -> str:
    """The Watched tab: each watched question with its answer now, and when it last changed
    and from what (``rag.watched.latest`` of the log)."""
    if not last:
        return (
            '<div class="sources-empty">No watched question yet: '
            '<code>newsqa watch feeds.txt --question "…"</code> asks them after every poll.</div>'
        )
    rows = []
    for question, change in last.items():
        before = _said_with_source(change.before) if change.before else "<em>first answer</em>"
        rows.append(
            f'<div class="source-card watched"><div class="source-head">{html.escape(question)}</div>'
            f"<div>Now: {_said_with_source(change.now)}</div>"
            f'<div class="timeline-change">Since {html.escape(change.at)}; before: {before}</div></div>'
        )
    return "".join(rows)


CSS = """
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px; margin-bottom: 10px; }
.source-head { font-weight: 600; }
.source-meta { font-size: 0.85em; opacity: 0.75; margin: 4px 0 8px; }
.source-passage { white-space: pre-wrap; line-height: 1.45; }
mark.quote { background: #ffe58a; color: #222; padding: 0 2px; border-radius: 3px; }
.sources-empty { opacity: 0.7; font-style: italic; }
.answer-question { font-weight: 600; margin: 12px 0 6px; }
.source-card.flash { outline: 3px solid #f0b400; transition: outline 0.3s; }
.copy-answer { font-size: 0.85em; }
#filter-chips { gap: 6px; }
#filter-chips button { flex: 0 0 auto; }
.timeline-day h4 { margin: 12px 0 4px; }
.timeline-day ol { list-style: none; padding-left: 0; margin: 0; }
.timeline-entry { border-left: 3px solid #f0b400; padding: 4px 0 6px 10px; margin-bottom: 8px; line-height: 1.45; }
.timeline-change { font-size: 0.9em; margin-top: 4px; padding-left: 8px; border-left: 2px solid #bbb; }
#stop { align-self: center; }
/* Hidden until a keyboard user tabs to it. */
.to-answer { position: absolute; left: -10000px; }
.to-answer:focus { position: static; display: inline-block; margin: 4px 0; }
.article-scroll { max-height: 320px; overflow: auto; }
.article-table { width: 100%; border-collapse: collapse; font-size: 0.9em; border: 0; }
.article-table th, .article-table td, .article-table tr { border-left: 0; border-right: 0; }
.article-table th { text-align: left; white-space: nowrap; padding: 4px 6px; position: sticky; top: 0;
  background: var(--block-background-fill); }
.article-table td { padding: 4px 6px; border-top: 1px solid var(--border-color-primary); vertical-align: top;
  overflow-wrap: break-word; }
.article-table .article-published, .article-table .article-chunks { white-space: nowrap; }
.article-row { cursor: pointer; }
.article-row:hover { background: var(--background-fill-secondary); }
.article-row.chosen { background: #ffe58a; color: #222; }
.article-pick { all: unset; cursor: pointer; font-weight: 600; }
.article-pick:focus-visible { outline: 2px solid #f0b400; }
/* A phone: each article is its title over one line of the rest; the headers stay for screen readers. */
@media (max-width: 640px) {
  .article-table thead { position: absolute; left: -10000px; }
  .article-table tr { display: block; padding: 6px 4px; border-top: 1px solid var(--border-color-primary); }
  .article-table td { display: inline; border: 0; padding: 0; }
  .article-table td.article-title { display: block; }
  .article-table td:not(.article-title):not(:last-child)::after { content: " · "; }
}
"""

# Clicks on links inside chat messages (whose HTML is sanitised, so no handlers of their own):
# [n] shows the Sources tab and scrolls to that answer's card; "copy" puts the answer's plain
# text with references on the clipboard, from the store the server fills. Also: the link after
# the question box to the latest answer's [n], a clicked corpus row chosen (its id written to
# a hidden box the server listens to), and a new question brought to the top of the chat.
SCRIPT = """
<script>
(() => {
  const sourcesTab = () => [...document.querySelectorAll('button[role="tab"]')]
    .find((b) => b.innerText.trim() === 'Sources');
  // A tab just shown lays out over several frames: a card is scrolled to once it has stopped
  // moving (else the scroll aims where it was), and again if the layout moved it after all.
  const reveal = (id, tries, lastTop) => {
    const card = document.getElementById(id);
    const shown = card && card.getClientRects().length > 0;
    const top = shown ? card.getBoundingClientRect().top : null;
    if ((!shown || top !== lastTop) && tries > 0) {
      setTimeout(() => reveal(id, tries - 1, top), 60);
      return;
    }
    if (!card) return;
    card.scrollIntoView({block: 'center'});
    card.classList.add('flash');
    setTimeout(() => {
      const box = card.getBoundingClientRect();
      if (box.bottom < 0 || box.top > window.innerHeight) card.scrollIntoView({block: 'center'});
    }, 300);
    setTimeout(() => card.classList.remove('flash'), 2000);
  };
  const pick = (row) => {
    document.querySelectorAll('#articles tr.chosen').forEach((r) => {
      r.classList.remove('chosen');
      r.querySelector('.article-pick').setAttribute('aria-pressed', 'false');
    });
    row.classList.add('chosen');
    row.querySelector('.article-pick').setAttribute('aria-pressed', 'true');
    const box = document.querySelector('#picked-article textarea');
    // The server hears a change of the box's value: the row's id, set as if typed.
    if (box) {
      box.value = row.dataset.id;
      box.dispatchEvent(new Event('input', {bubbles: true}));
    }
  };
  const scroller = (element) => {
    for (let e = element.parentElement; e; e = e.parentElement) {
      if (e.scrollHeight > e.clientHeight && /auto|scroll/.test(getComputedStyle(e).overflowY)) return e;
    }
    return null;
  };
  // A screen reader names a link by its text, and "[1]" does not say where it leads; the chat's
  // sanitiser drops attributes of ours, so the name is given here, from the card the link opens
  // (named again when the card comes after the link).
  const name = (link) => {
    const head = document.querySelector(`#${link.getAttribute('href').slice(1)} .source-head`);
    const title = head ? head.textContent.replace(/^\\s*\\[\\d+\\]\\s*/, '').trim() : '';
    const label = `source ${link.textContent.replace(/\\D/g, '')}${title ? ': ' + title : ''}`;
    if (link.getAttribute('aria-label') !== label) link.setAttribute('aria-label', label);
  };
  // The newest question is kept at the top of the chat while its answer grows below it, until the
  // reader scrolls; an answer shorter than the chat just ends at its bottom.
  let questions = 0;
  let anchor = null;
  ['wheel', 'touchmove', 'keydown', 'pointerdown'].forEach((kind) => document.addEventListener(kind, (event) => {
    if (event.target.closest && event.target.closest('#chat')) anchor = null;
  }, {passive: true}));
  new MutationObserver(() => {
    document.querySelectorAll('#chat a.cite-link').forEach(name);
    const asked = document.querySelectorAll('#chat .user-row');
    if (asked.length > questions) anchor = asked[asked.length - 1];
    questions = asked.length;
    const box = anchor && anchor.isConnected && scroller(anchor);
    if (box) box.scrollTop += anchor.getBoundingClientRect().top - box.getBoundingClientRect().top;
  }).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
  const copy = async (text) => {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
  };
  document.addEventListener('click', (event) => {
    if (!event.target.closest) return;
    const row = event.target.closest('#articles tr.article-row');
    if (row) {
      pick(row);
      return;
    }
    if (event.target.closest('a.to-answer')) {
      event.preventDefault();
      const answers = document.querySelectorAll('#chat .bot-row');
      const first = answers.length && answers[answers.length - 1].querySelector('a.cite-link');
      if (first) first.focus();
      return;
    }
    const link = event.target.closest('a.cite-link, a.copy-answer');
    if (!link) return;
    event.preventDefault();
    const target = link.getAttribute('href').slice(1);
    if (link.classList.contains('cite-link')) {
      const tab = sourcesTab();
      if (tab && tab.getAttribute('aria-selected') !== 'true') tab.click();
      reveal(target, 40);
      return;
    }
    const store = document.querySelector('#copy-store textarea');
    const texts = JSON.parse((store && store.value) || '{}');
    const turn = target.replace('copy-', '');
    if (texts[turn]) {
      copy(texts[turn]);
      link.textContent = 'Copied';
      setTimeout(() => { link.textContent = 'Copy with references'; }, 1500);
    }
  }, true);
})();
</script>
"""
