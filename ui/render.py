"""HTML and Markdown for the chat UI, built from escaped text only.

Article text and user input are always passed through :func:`html.escape` before they
meet markup of ours, so an article holding ``<script>`` shows those characters and
runs nothing.
"""

from __future__ import annotations

import html
import re

from newsqa.text import MARKER
from newsqa.types import Answer, Citation, Passage

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def plain(text: str) -> str:
    """Text that the chat's Markdown renderer shows as typed: no HTML, no Markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _cite_link(number: int | str) -> str:
    return f'<a href="#cite-{number}" class="cite-link">[{number}]</a>'


def _linked(text: str) -> str:
    """``text`` shown as typed, but for its [n] markers, which link to their source cards."""
    # Splitting on a pattern with a group alternates text and the captured marker numbers.
    pieces = MARKER.split(text)
    return "".join(_cite_link(piece) if i % 2 else plain(piece) for i, piece in enumerate(pieces))


def answer_markdown(result: Answer) -> str:
    """The chat message: the answer with clickable [n] markers, or a clear abstention."""
    if result.abstained:
        return "**Not in the indexed articles.** " + plain(result.text)
    quotes = [f"> {plain(c.quote)} {_cite_link(c.number)}" for c in result.citations]
    notes = []
    if result.time_range:
        notes.append(f"_{plain(result.time_range.describe())}_")
    if result.notice:
        notes.append(f"_Note: {plain(result.notice)}_")
    if result.unsupported:
        notes.append(f"_Dropped {len(result.unsupported)} generated sentence(s) that no article supports._")
    return "\n\n".join([*notes, _linked(result.text), *quotes])


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


def sources_html(result: Answer | None) -> str:
    """The sources panel: each citation's article, with its sentence highlighted in the passage."""
    if result is None:
        return '<div class="sources-empty">Sources of the answer appear here.</div>'
    if result.abstained or not result.citations:
        return '<div class="sources-empty">No source: the answer abstained.</div>'
    passages = {p.id: p for p in result.passages}
    cards = []
    for citation in result.citations:
        passage = passages.get(citation.passage_id)
        also = f"also reported by {', '.join(citation.also_reported_by)}" if citation.also_reported_by else ""
        meta = " · ".join(html.escape(x) for x in (citation.source, citation.published, also) if x)
        title = html.escape(citation.title or citation.article_id)
        if citation.url.startswith(("http://", "https://")):
            title = f'<a href="{html.escape(citation.url)}" target="_blank" rel="noopener noreferrer">{title}</a>'
        body = (
            _highlighted(passage, citation) if passage else f'<mark class="quote">{html.escape(citation.quote)}</mark>'
        )
        cards.append(
            f'<div class="source-card" id="cite-{citation.number}">'
            f'<div class="source-head"><span class="source-number">[{citation.number}]</span> {title}</div>'
            f'<div class="source-meta">{meta} · characters {citation.start}–{citation.end} · '
            f"support {citation.support:.2f}</div>"
            f'<div class="source-passage">{body}</div></div>'
        )
    return "".join(cards)


CSS = """
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px; margin-bottom: 10px; }
.source-head { font-weight: 600; }
.source-meta { font-size: 0.85em; opacity: 0.75; margin: 4px 0 8px; }
.source-passage { white-space: pre-wrap; line-height: 1.45; }
mark.quote { background: #ffe58a; color: #222; padding: 0 2px; border-radius: 3px; }
.sources-empty { opacity: 0.7; font-style: italic; }
"""
