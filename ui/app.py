"""The chat UI: a thin Gradio layer over :func:`rag.answer_stream` and :func:`index.ingest`.

Handlers are plain methods of :class:`NewsQAUI`, so tests call them directly; the
Blocks layout wires them to components. Requests are queued (two run at a time), and
errors a user can fix show as a message, never a traceback.

The conversation is kept as the list of its :class:`Answer` objects: follow-ups lean on
them (each by the standalone question it was understood as), and the sources panel keeps
every answer's cards, so an older answer's [n] still opens its own source.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
from starlette.middleware import Middleware

from newsqa.dates import parse_day
from newsqa.errors import InputError, NewsQAError
from newsqa.settings import MAX_K, Settings
from newsqa.text import counted
from newsqa.types import UNKNOWN_SOURCE, Answer, Filters, Stage
from ui.login import LoginThrottle
from ui.render import (
    CSS,
    SCRIPT,
    STOPPED,
    TO_ANSWER,
    answer_markdown,
    articles_html,
    plain,
    plain_text,
    sources_html,
    timeline_html,
    watched_html,
)

if TYPE_CHECKING:
    from index import ArticleInfo

MAX_UPLOAD = "20mb"
CONCURRENT_ANSWERS = 2
QUEUE_SIZE = 64
EXAMPLE_COUNT = 4
ENGINES = ["extractive", "llm"]
# How often the corpus tab looks for articles another process (`newsqa ingest`, `watch`) indexed:
# one file's time is read, and the tab is rebuilt only when it changed.
CORPUS_POLL_SECONDS = 5
# A question too long to answer is echoed this far in the chat; the box keeps all of it to edit.
ECHO_CHARS = 200
# The corpus stamp of a page that has not shown the corpus yet: no write's time, not even None (never written).
NOT_SEEN = -1
# The date fields as the Settings tab labels them, for errors to name what to correct.
DATE_FIELDS = ("Published from", "Published to")


class _RateLimit:
    """At most ``per_minute`` requests a client in any sliding minute; 0 lets every request through."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._times: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, request: gr.Request | None) -> None:
        """Count a request, or raise InputError when its client has used up its minute."""
        # A request made in process (tests, the API's own calls) has no connection.
        peer = getattr(request, "client", None)
        client = peer.host if peer is not None else None
        if not self.per_minute or client is None:
            return
        now = time.monotonic()
        with self._lock:
            times = self._times[client]
            while times and now - times[0] >= 60:
                times.popleft()
            if len(times) >= self.per_minute:
                wait = 60 - (now - times[0])
                raise InputError(
                    f"too many requests from {client}: {self.per_minute} a minute at most; try again in {wait:.0f}s"
                )
            times.append(now)


# Marks a filter chip whose field holds no date (the chip's ✕ empties it).
WRONG = "⚠"


def _wrong(check) -> str | None:
    """What is wrong with a filter field, as its chip says it, or None when ``check()`` accepts it."""
    try:
        check()
    except InputError as e:
        return f"{WRONG} {e}"
    return None


class _Stops:
    """The browser sessions whose user pressed Stop, until their answer on its way has seen it."""

    def __init__(self) -> None:
        self._sessions: set[str | None] = set()
        self._lock = threading.Lock()

    def add(self, session: str | None) -> None:
        with self._lock:
            self._sessions.add(session)

    def take(self, session: str | None) -> bool:
        """Whether ``session`` pressed Stop since it was last asked; forgets it."""
        with self._lock:
            stopped = session in self._sessions
            self._sessions.discard(session)
            return stopped


def _turns(conversation: list[Answer]) -> list[tuple[str, str]]:
    return [(a.understood_as or a.question, a.text) for a in conversation]


def _copy_store(conversation: list[Answer]) -> str:
    return json.dumps({str(turn): plain_text(a) for turn, a in enumerate(conversation, start=1)})


class NewsQAUI:
    """Handlers of the chat UI for one index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._rate_limit = _RateLimit(settings.ui.requests_per_minute)
        self._stops = _Stops()

    def _filters(
        self, sources: list[str] | None, since: str | None, until: str | None, names: tuple[str, str] = DATE_FIELDS
    ) -> Filters:
        """The filters of the Settings tab (or the API, whose fields ``names`` are named in errors);
        the outlet listed as "(unknown)" is the articles that name none."""
        outlets = ["" if s == UNKNOWN_SOURCE else s for s in sources or []]
        return Filters.parse(
            {"sources": outlets, "since": parse_day(since, names[0]), "until": parse_day(until, names[1])}
        )

    def filters_note(self, sources: list[str] | None, since: str | None, until: str | None) -> str:
        """The filters in words ("articles from AP and articles published from 2024-01-01"), "" for none."""
        parts = []
        if sources:
            parts.append(f"articles from {', '.join(sources)}")
        if since or until:
            parts.append(f"articles published {since or '…'} to {until or '…'}")
        return " and ".join(parts)

    def ask(
        self,
        message,
        history,
        conversation,
        k,
        engine,
        sources,
        since,
        until,
        as_of="",
        request: gr.Request | None = None,
    ):
        """Stream the answer into the chat: the question at once, then each stage, then the answer.

        Yields the chat, the sources panel, the question box (emptied once, at the start, so
        that a question typed meanwhile is kept; a question too long to answer stays in it, to be
        shortened), the conversation and the copy store (each answer's plain text, for the copy
        links; both sent only once an answer joins them), the "search without the filters" button,
        shown after an abstention under filters, and the Stop button, enabled while an answer is
        on its way. After Stop, the answer ends at its next step (see :meth:`stop`).
        """
        from rag import answer_stream

        history = list(history or [])
        conversation = list(conversation or [])

        def step(panel: str, box: str | None = None, offer: bool = False, answered: bool = False, busy: bool = True):
            box_update = gr.skip() if box is None else box
            kept = (conversation, _copy_store(conversation)) if answered else (gr.skip(), gr.skip())
            return history, panel, box_update, *kept, gr.update(visible=offer), gr.update(interactive=busy)

        if not (message or "").strip():
            yield step(sources_html(conversation), "", busy=False)
            return
        limit = self.settings.answer.max_question_chars
        if len(message.strip()) > limit:
            shown = message.strip()[:ECHO_CHARS]
            history.append({"role": "user", "content": plain(f"{shown}… ({len(message.strip()):,} characters)")})
            history.append(
                {
                    "role": "assistant",
                    "content": f"**Cannot answer:** the question is {len(message.strip()):,} characters; "
                    f"keep it under {limit:,}. It is still in the box: shorten it and ask again.",
                }
            )
            yield step(sources_html(conversation), busy=False)
            return
        history.append({"role": "user", "content": plain(message)})
        reply = {"role": "assistant", "content": "_Starting…_"}
        history.append(reply)
        panel = sources_html(conversation)
        session = request.session_hash if request is not None else None
        self._stops.take(session)  # a Stop that came after the last answer was done stops nothing
        yield step(panel, "")
        try:
            self._rate_limit.check(request)
            if engine not in ENGINES:
                raise InputError(f"engine {engine!r} is not available; choose one of {', '.join(ENGINES)}")
            stream = answer_stream(
                message,
                k=k,
                filters=self._filters(sources, since, until),
                history=_turns(conversation),
                as_of=parse_day(as_of, "As of"),
                settings=self.settings.model_copy(update={"engine": engine}),
                stages=True,
            )
            shown = ""
            for piece in stream:
                if self._stops.take(session):
                    # Its question joins the conversation unanswered: a follow-up refers to it, not the turn before.
                    conversation.append(Answer(question=message, text=STOPPED, abstained=True))
                    reply["content"] = f"{plain(shown)}\n\n_{STOPPED}_" if shown else f"_{STOPPED}_"
                    yield step(sources_html(conversation), answered=True, busy=False)
                    return
                if isinstance(piece, Answer):
                    conversation.append(piece)
                    note = self.filters_note(sources, since, until) if piece.abstained else ""
                    reply["content"] = answer_markdown(piece, len(conversation), note)
                    yield step(sources_html(conversation), offer=bool(note), answered=True, busy=False)
                    return
                if isinstance(piece, Stage):
                    reply["content"] = f"_{plain(piece.describe())}_"
                else:
                    shown += piece
                    reply["content"] = plain(shown)
                yield step(panel)
        except NewsQAError as e:
            reply["content"] = f"**Cannot answer:** {plain(str(e))}"
            yield step(panel, busy=False)

    def stop(self, request: gr.Request | None = None):
        """Stop: the answer on its way in this browser session ends at its next step (a stage, or a
        piece of text an LLM writes), saying it was stopped. Returns the Stop button, disabled.

        Ending the answer itself, rather than cancelling Gradio's event, leaves no event half
        ended: a question asked right after is taken, as the same session's next event."""
        self._stops.add(request.session_hash if request is not None else None)
        return gr.update(interactive=False)

    def timeline_view(self, topic, sources, since, until, as_of="", request: gr.Request | None = None) -> str:
        """The Timeline tab's view of ``topic`` under the Settings tab's filters, or the one line of what was wrong."""
        from rag import timeline

        try:
            self._rate_limit.check(request)
            story = timeline(
                topic,
                filters=self._filters(sources, since, until),
                as_of=parse_day(as_of, "As of"),
                settings=self.settings,
            )
        except NewsQAError as e:
            return f'<div class="sources-empty">Cannot build the timeline: {html.escape(str(e))}</div>'
        return timeline_html(story)

    def watched_view(self) -> str:
        """The questions ``newsqa watch --question`` watches (logged in the index folder), with their last change."""
        from rag.watched import LOG_NAME, latest, read_log

        try:
            return watched_html(latest(read_log(self.settings.store.data_dir / LOG_NAME)))
        except NewsQAError as e:
            return f'<div class="sources-empty">{html.escape(str(e))}</div>'

    def cleared(self):
        """After the chat's clear button: no conversation for follow-ups to lean on, no sources shown."""
        return [], sources_html([]), _copy_store([]), gr.update(visible=False)

    def chips(self, sources, since, until, as_of):
        """The active filters as removable chips above the chat (a hidden chip is an unused filter);
        a date that is none says so at once, on its chip, rather than when a question is asked."""
        dates = ""
        if since or until:
            dates = _wrong(lambda: self._filters(None, since, until)) or f"Published {since or '…'} to {until or '…'}"
            undated = self._undated_articles()
            if undated and not dates.startswith(WRONG):
                dates += f" ({counted(undated, 'undated article')} left out)"
        day = _wrong(lambda: parse_day(as_of, "As of")) or f"As of {as_of}"
        return (
            gr.update(value=f"Only {', '.join(sources or [])} ✕", visible=bool(sources)),
            gr.update(value=f"{dates} ✕", visible=bool(dates)),
            gr.update(value=f"{day} ✕", visible=bool(as_of)),
        )

    def _undated_articles(self) -> int:
        from index import stats

        try:
            return stats(self.settings).undated_articles
        except NewsQAError:
            return 0

    def api_answer(
        self,
        question: str,
        k: int = 5,
        sources: list[str] | None = None,
        since: str = "",
        until: str = "",
        as_of: str = "",
        request: gr.Request | None = None,
    ) -> dict:
        """The whole Answer as JSON, for gradio_client; errors come back as {"error": ...}.

        ``as_of`` (YYYY-MM-DD, "" for now) is the day the question is asked about.
        """
        from rag import answer

        try:
            self._rate_limit.check(request)
            return answer(
                question,
                k=k,
                filters=self._filters(sources, since, until, names=("since", "until")),
                as_of=parse_day(as_of, "as_of"),
                settings=self.settings,
            ).model_dump(mode="json")
        except NewsQAError as e:
            return {"error": str(e)}

    def upload(self, files: list[str] | None, outlet: str = "", search: str = "", progress=None, request=None):
        """Index uploaded files, then delete them; returns a status line and the refreshed corpus view.

        Uploads are known by file name and outlet (the page's own unless ``outlet`` is
        given), so uploading a changed file again replaces its article. Gradio's temporary
        copies serve no purpose once indexed (or refused), and kept they would pile up unseen.
        """
        from index import ingest

        if not files:
            return "Choose .txt, .md, .html or .jsonl files first.", *self.corpus_view(search)
        paths = [Path(f) for f in files]
        try:
            self._rate_limit.check(request)
            # A file naming no outlet gets ingest's default outlet, as from the command line.
            report = ingest(paths, self.settings, outlet=outlet.strip() or None, uploaded=True, progress=progress)
        except NewsQAError as e:
            return _without_upload_folders(f"Not indexed: {e}", paths), *self.corpus_view(search)
        finally:
            for path in paths:
                path.unlink(missing_ok=True)
        status = report.summary()
        if report.failed:
            status += "\n" + "\n".join(f"Skipped: {failure}" for failure in report.failed)
        if report.warnings:
            status += "\n" + "\n".join(f"Warning: {warning}" for warning in report.warnings)
        return _without_upload_folders(status, paths), *self.corpus_view(search)

    def corpus_view(self, search: str = ""):
        """Stats Markdown, the source filter's choices, example questions and the article table."""
        from index import stats

        articles = self._articles()
        try:
            info = stats(self.settings)
        except NewsQAError as e:
            return (
                f"Nothing indexed yet ({plain(str(e))}). Upload articles below.",
                gr.update(choices=[]),
                gr.update(samples=[]),
                articles_html(_rows(articles, search), search=search),
            )
        head = [f"**{counted(info.articles, 'article')}**, {counted(info.chunks, 'chunk')}"]
        if info.first_published:
            head.append(f"Published {info.first_published} to {info.last_published}")
        if info.undated_articles:
            head.append(f"{counted(info.undated_articles, 'article')} without a date")
        outlets = "\n".join(f"- {plain(name)}: {counted(count, 'chunk')}" for name, count in info.sources.items())
        sources = list(info.sources)
        return (
            "\n\n".join(head) + "\n\n" + outlets,
            gr.update(choices=sources),
            gr.update(samples=[[q] for q in _examples(articles)]),
            articles_html(_rows(articles, search), search=search),
        )

    def _articles(self) -> list[ArticleInfo]:
        from index import list_articles

        try:
            return list_articles(self.settings)
        except NewsQAError:
            return []

    def article_rows(self, search: str = "") -> list[list]:
        """The article table, newest first, keeping rows whose title, outlet or id hold every word of ``search``."""
        return _rows(self._articles(), search)

    def article_table(self, search: str = "", chosen: str | None = None) -> str:
        """The article table as HTML, the ``chosen`` article's row marked."""
        return articles_html(self.article_rows(search), chosen, search)

    def corpus_if_changed(self, seen: int | None, search: str = ""):
        """On the corpus poll: the stamp of the index's last write, and the corpus view if another
        process wrote since ``seen`` (every output skipped otherwise)."""
        from index import written_at

        now = written_at(self.settings)
        if now == seen:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return now, *self.corpus_view(search)

    def example_questions(self) -> list[str]:
        """Questions about what is indexed: headlines of the newest articles, then the sample's own."""
        return _examples(self._articles())

    def _article(self, article_id: str | None) -> ArticleInfo | None:
        return next((a for a in self._articles() if a.id == article_id), None) if article_id else None

    def chosen(self, article_id: str | None):
        """The article of the clicked table row (by id), and the remove button naming it."""
        article = self._article(article_id)
        if article is None:
            return None, gr.update(interactive=False, value="Remove selected article")
        return article.id, gr.update(interactive=True, value=f"Remove “{article.title}”…")

    def confirm_removal(self, article_id: str | None):
        """The confirmation step before a removal: what goes (its title as the button said, and its
        id), and that it cannot be undone."""
        article = self._article(article_id)
        if article is None:
            return gr.update(visible=False), ""
        return gr.update(visible=True), (
            f"Remove “{plain(article.title)}” (id {plain(article.id)}) from the index? Its passages stop being "
            "searched; to have it back, index its file again."
        )

    def remove_article(self, article_id: str | None, search: str = ""):
        """Remove the confirmed article; returns a status line, the hidden confirmation and the corpus view."""
        from index import remove

        if not article_id:
            status = "Choose an article in the table first."
        else:
            try:
                status = f"Removed {article_id} ({counted(remove([article_id], self.settings), 'chunk')})."
            except NewsQAError as e:
                status = f"Not removed: {e}"
        button = gr.update(interactive=False, value="Remove selected article")
        return status, gr.update(visible=False), None, button, *self.corpus_view(search)

    def build(self):
        with gr.Blocks(title="newsqa") as blocks:
            gr.Markdown("## newsqa: ask the news, get the sentence that says so")
            with gr.Row():
                with gr.Column(scale=3):
                    with gr.Row(elem_id="filter-chips"):
                        sources_chip = gr.Button(visible=False, size="sm", elem_id="chip-sources")
                        dates_chip = gr.Button(visible=False, size="sm", elem_id="chip-dates")
                        as_of_chip = gr.Button(visible=False, size="sm", elem_id="chip-as-of")
                    # No built-in copy button: it copies the message's markup; each answer has its own copy link.
                    # No label shown: on a phone it covers the first line. No scrolling to the bottom either:
                    # the page's script brings a new question to the top, so a long answer is read from its start.
                    chat = gr.Chatbot(
                        label="Answers",
                        show_label=False,
                        height=460,
                        elem_id="chat",
                        sanitize_html=True,
                        buttons=[],
                        autoscroll=False,
                    )
                    unfiltered = gr.Button(
                        "Search all articles instead", visible=False, size="sm", elem_id="search-unfiltered"
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            label="Question",
                            placeholder="Ask about the indexed articles…",
                            show_label=False,
                            scale=5,
                            elem_id="question",
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, interactive=False, elem_id="ask")
                        # Enabled only while an answer is on its way, and lighter than Ask.
                        stop = gr.Button("Stop", size="sm", scale=0, min_width=60, interactive=False, elem_id="stop")
                    # Next in the tab order after the question box: straight to the latest answer's [1].
                    gr.HTML(TO_ANSWER, elem_id="to-answer")
                    examples = gr.Dataset(
                        components=[question], samples=[[q] for q in self.example_questions()], label="Examples"
                    )
                with gr.Column(scale=2):
                    with gr.Tab("Sources"):
                        sources_panel = gr.HTML(sources_html([]), elem_id="sources")
                    with gr.Tab("Timeline", elem_id="timeline-tab"):
                        with gr.Row():
                            topic = gr.Textbox(
                                label="Story",
                                placeholder="What the story is about: Balqasah fighting",
                                scale=4,
                                elem_id="timeline-topic",
                            )
                            build_timeline = gr.Button("Show timeline", scale=1, elem_id="timeline-build")
                        timeline_panel = gr.HTML(
                            '<div class="sources-empty">One sentence per article about the story, by day.</div>',
                            elem_id="timeline",
                        )
                    with gr.Tab("Watched", elem_id="watched-tab"):
                        watched_panel = gr.HTML(elem_id="watched")
                        refresh_watched = gr.Button("Refresh", size="sm", elem_id="watched-refresh")
                    with gr.Tab("Corpus", elem_id="corpus-tab"):
                        stats_view = gr.Markdown(elem_id="stats")
                        search = gr.Textbox(
                            label="Search articles",
                            placeholder="Search titles, outlets and ids…",
                            show_label=False,
                            elem_id="article-search",
                        )
                        table = gr.HTML(articles_html([]), elem_id="articles")
                        # The page's script writes the id of a clicked row here.
                        picked = gr.Textbox(visible="hidden", interactive=True, elem_id="picked-article")
                        remove_button = gr.Button(
                            "Remove selected article", interactive=False, size="sm", elem_id="remove"
                        )
                        with gr.Group(visible=False, elem_id="confirm-box") as confirm_box:
                            confirm_text = gr.Markdown(elem_id="confirm-text")
                            with gr.Row():
                                confirm = gr.Button("Yes, remove it", variant="stop", size="sm", elem_id="confirm")
                                cancel = gr.Button("Cancel", size="sm", elem_id="cancel")
                        files = gr.File(
                            label="Add articles (.txt, .md, .html, .jsonl)",
                            file_count="multiple",
                            file_types=[".txt", ".md", ".html", ".htm", ".jsonl"],
                            elem_id="upload",
                        )
                        outlet = gr.Textbox(
                            label="Outlet (optional)",
                            placeholder="the page's own, or none",
                            info="Given, it is the outlet of every file but .jsonl rows, whatever the file says.",
                            elem_id="outlet",
                        )
                        index_button = gr.Button("Index these files", elem_id="index-files")
                        upload_status = gr.Textbox(label="Indexing", interactive=False, elem_id="upload-status")
                    with gr.Tab("Settings", elem_id="settings-tab"):
                        k = gr.Slider(1, MAX_K, value=self.settings.retrieval.k, step=1, label="Passages to retrieve")
                        engine = gr.Dropdown(ENGINES, value=ENGINES[0], label="Engine")
                        source_filter = gr.Dropdown([], multiselect=True, label="Only these sources")
                        since = gr.Textbox(label="Published from (YYYY-MM-DD)", elem_id="since")
                        until = gr.Textbox(label="Published to (YYYY-MM-DD)", elem_id="until")
                        as_of = gr.Textbox(
                            label="As of (YYYY-MM-DD; empty: today)",
                            info="Nothing published later is read; 'this week' in a question means the week before.",
                            elem_id="as-of",
                        )
            # Each answer's plain text with its references, read by the copy links' script.
            copy_store = gr.Textbox(visible="hidden", elem_id="copy-store")
            conversation = gr.State([])
            selected = gr.State(None)
            corpus_stamp = gr.State(NOT_SEEN)

            inputs = [question, chat, conversation, k, engine, source_filter, since, until, as_of]
            outputs = [chat, sources_panel, question, conversation, copy_store, unfiltered, stop]

            for trigger in (question.submit, send.click):
                # A question asked while the last is still ending runs once that one is done, instead of
                # being dropped as Gradio drops a trigger of an event still running by default.
                trigger(self.ask, inputs, outputs, api_visibility="private", trigger_mode="always_last")
            # Not Gradio's cancel: a cancelled event could leave the next question's trigger dropped.
            stop.click(self.stop, None, stop, api_visibility="private", queue=False)
            # On every change, typed, pasted, an example chosen or the box emptied by asking.
            question.change(
                lambda text: gr.update(interactive=bool(text.strip())), question, send, api_visibility="private"
            )
            examples.click(lambda sample: sample[0], examples, question, api_visibility="private")
            chat.clear(
                self.cleared, None, [conversation, sources_panel, copy_store, unfiltered], api_visibility="private"
            )

            filter_fields = [source_filter, since, until, as_of]
            for trigger in (topic.submit, build_timeline.click):
                trigger(self.timeline_view, [topic, *filter_fields], timeline_panel, api_visibility="private")
            changed = [source_filter.change, since.change, until.change, as_of.change]
            gr.on(changed, self.chips, filter_fields, [sources_chip, dates_chip, as_of_chip], api_visibility="private")
            sources_chip.click(lambda: [], None, source_filter, api_visibility="private")
            dates_chip.click(lambda: ("", ""), None, [since, until], api_visibility="private")
            as_of_chip.click(lambda: "", None, as_of, api_visibility="private")

            def unfiltered_question(answers: list[Answer]):
                last = answers[-1].understood_as or answers[-1].question if answers else ""
                return last, [], "", "", gr.update(visible=False)

            unfiltered.click(
                unfiltered_question,
                conversation,
                [question, source_filter, since, until, unfiltered],
                api_visibility="private",
            ).then(self.ask, inputs, outputs, api_visibility="private")

            corpus_outputs = [stats_view, source_filter, examples, table]
            search.change(self.article_table, [search, selected], table, api_visibility="private")
            picked.change(self.chosen, picked, [selected, remove_button], api_visibility="private")
            remove_button.click(self.confirm_removal, selected, [confirm_box, confirm_text], api_visibility="private")
            cancel.click(lambda: gr.update(visible=False), None, confirm_box, api_visibility="private")
            confirm.click(
                self.remove_article,
                [selected, search],
                [upload_status, confirm_box, selected, remove_button, *corpus_outputs],
                api_visibility="private",
                # Emptied, so that choosing an article of the same id again (uploaded anew) is a change.
            ).then(lambda: "", None, picked, api_visibility="private")

            # Gradio injects progress tracking through this default; it is its documented idiom.
            def upload_with_progress(
                uploaded,
                outlet_name,
                search_text,
                request: gr.Request,
                progress=gr.Progress(track_tqdm=True),  # noqa: B008
            ):
                status, *view = self.upload(uploaded, outlet_name, search_text, progress=progress, request=request)
                # The uploads are deleted once read: the file box empties, so they are not sent again.
                return status, None, *view

            index_button.click(
                upload_with_progress,
                [files, outlet, search],
                [upload_status, files, *corpus_outputs],
                api_visibility="private",
            )
            blocks.load(
                self.corpus_if_changed,
                [corpus_stamp, search],
                [corpus_stamp, *corpus_outputs],
                api_visibility="private",
            )
            gr.Timer(CORPUS_POLL_SECONDS).tick(
                self.corpus_if_changed,
                [corpus_stamp, search],
                [corpus_stamp, *corpus_outputs],
                api_visibility="private",
                show_progress="hidden",
            )
            blocks.load(self.watched_view, None, watched_panel, api_visibility="private")
            refresh_watched.click(self.watched_view, None, watched_panel, api_visibility="private")
            gr.api(self.api_answer, api_name="answer")
        blocks.queue(default_concurrency_limit=CONCURRENT_ANSWERS, max_size=QUEUE_SIZE)
        return blocks


def _rows(articles: list[ArticleInfo], search: str) -> list[list]:
    """Table rows of ``articles`` whose title, outlet or id hold every word of ``search``."""
    words = (search or "").casefold().split()
    rows = [[a.title, a.source or UNKNOWN_SOURCE, a.published or "undated", a.chunks, a.id] for a in articles]
    return [row for row in rows if all(w in f"{row[0]} {row[1]} {row[4]}".casefold() for w in words)]


def _examples(articles: list[ArticleInfo]) -> list[str]:
    """Questions about ``articles`` (newest first): their headlines, then the sample's own questions."""
    from index.samples import SAMPLE_ARTICLE_ID, SAMPLE_QUESTIONS

    questions = [f"What happened in “{a.title}”?" for a in articles if a.id != SAMPLE_ARTICLE_ID and a.title]
    questions = questions[: EXAMPLE_COUNT - 1]
    if any(a.id == SAMPLE_ARTICLE_ID for a in articles):
        questions += SAMPLE_QUESTIONS
    return questions[:EXAMPLE_COUNT]


def _without_upload_folders(text: str, paths: list[Path]) -> str:
    """A status line naming uploaded files by name, not by the server's temporary folders."""
    for path in paths:
        text = text.replace(str(path), path.name).replace(str(path.resolve()), path.name)
    return text


def launch(settings: Settings, *, host: str = "127.0.0.1", port: int = 7860, block: bool = True):
    """Serve the UI on ``host:port``; loopback by default, so the index stays private.

    The models load in the background from the start, so the first question is not the slow one.
    """
    # Local-first: no usage analytics leave the machine unless the user asks for them.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Gradio serves with uvicorn, which by default takes a loopback peer's X-Forwarded-For for
    # the client's address: any local client, or a proxy passing the header on, could name
    # itself anew in each request and lift every per-client limit. uvicorn reads whom to
    # trust from this variable when the server starts; an empty list trusts no one.
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(settings.ui.trusted_proxies)
    threading.Thread(target=_warm_up, args=(settings,), daemon=True, name="warm-up").start()
    blocks = NewsQAUI(settings).build()
    credentials = settings.ui.credentials()
    blocks.launch(
        server_name=host,
        server_port=port,
        auth=credentials,
        # Gradio answers every password guess at once: failures slow the next logins down.
        app_kwargs={"middleware": [Middleware(LoginThrottle)]} if credentials else None,
        max_file_size=MAX_UPLOAD,
        css=CSS,
        head=SCRIPT,
        prevent_thread_lock=not block,
        show_error=False,
        footer_links=["api"],
    )
    return blocks


def _warm_up(settings: Settings) -> None:
    from rag import warm_up

    try:
        warm_up(settings)
    except NewsQAError:
        # Nothing indexed yet, or no model: the first question will say so in one line.
        return
