"""The chat UI: a thin Gradio layer over :func:`rag.answer_stream` and :func:`index.ingest`.

Handlers are plain methods of :class:`NewsQAUI`, so tests call them directly; the
Blocks layout wires them to components. Requests are queued (two run at a time), and
errors a user can fix show as a message, never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from newsqa.dates import parse_day
from newsqa.errors import InputError, NewsQAError
from newsqa.settings import Settings
from newsqa.types import Answer, Filters
from ui.render import CSS, answer_markdown, plain, sources_html

MAX_UPLOAD = "20mb"
CONCURRENT_ANSWERS = 2
QUEUE_SIZE = 64
EXAMPLE_COUNT = 4
ENGINES = ["extractive", "llm"]


class NewsQAUI:
    """Handlers of the chat UI for one index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _filters(self, sources: list[str] | None, since: str | None, until: str | None) -> Filters:
        return Filters.parse({"sources": sources, "since": parse_day(since, "From"), "until": parse_day(until, "To")})

    def ask(self, message: str, history: list[dict], turns: list, k: int, engine: str, sources, since, until, as_of=""):
        """Stream the answer into the chat; the last yield also fills the sources panel.

        ``turns`` holds the conversation as (question, answer text) pairs, unescaped, so
        a follow-up question can lean on it.
        """
        from rag import answer_stream

        history = list(history or [])
        turns = list(turns or [])
        history.append({"role": "user", "content": plain(message or "")})
        reply = {"role": "assistant", "content": ""}
        history.append(reply)
        try:
            if engine not in ENGINES:
                raise InputError(f"engine {engine!r} is not available; choose one of {', '.join(ENGINES)}")
            filters = self._filters(sources, since, until)
            settings = self.settings.model_copy(update={"engine": engine})
            shown = ""
            moment = parse_day(as_of, "As of")
            for piece in answer_stream(
                message, k=int(k), filters=filters, history=turns, as_of=moment, settings=settings
            ):
                if isinstance(piece, Answer):
                    reply["content"] = answer_markdown(piece)
                    turns.append((piece.question, piece.text))
                    yield history, sources_html(piece), "", turns
                else:
                    shown += piece
                    reply["content"] = plain(shown)
                    yield history, sources_html(None), "", turns
        except NewsQAError as e:
            reply["content"] = f"**Cannot answer:** {plain(str(e))}"
            yield history, sources_html(None), "", turns

    def cleared(self) -> tuple[list, str]:
        """After the chat's clear button: no conversation for follow-ups to lean on, no sources shown."""
        return [], sources_html(None)

    def api_answer(
        self,
        question: str,
        k: int = 5,
        sources: list[str] | None = None,
        since: str = "",
        until: str = "",
        as_of: str = "",
    ) -> dict:
        """The whole Answer as JSON, for gradio_client; errors come back as {"error": ...}.

        ``as_of`` (YYYY-MM-DD, "" for now) is the day the question is asked about.
        """
        from rag import answer

        try:
            return answer(
                question,
                k=k,
                filters=self._filters(sources, since, until),
                as_of=parse_day(as_of, "as_of"),
                settings=self.settings,
            ).model_dump(mode="json")
        except NewsQAError as e:
            return {"error": str(e)}

    def upload(self, files: list[str] | None, progress=None):
        """Index uploaded files, then delete them; returns a status line and the refreshed corpus view.

        The uploads are Gradio's temporary copies: once indexed (or refused) they serve no
        purpose, and kept they would pile up unseen.
        """
        from index import ingest

        if not files:
            return "Choose .txt, .md, .html or .jsonl files first.", *self.corpus_view()
        paths = [Path(f) for f in files]
        try:
            report = ingest(paths, self.settings, source="upload", progress=progress is not None)
        except NewsQAError as e:
            return f"Not indexed: {e}", *self.corpus_view()
        finally:
            for path in paths:
                path.unlink(missing_ok=True)
        status = report.summary()
        if report.failed:
            status += "\n" + "\n".join(f"Skipped: {failure}" for failure in report.failed)
        return status, *self.corpus_view()

    def corpus_view(self):
        """Stats Markdown, the source filter's choices, and example questions."""
        import gradio as gr

        from index import stats

        try:
            info = stats(self.settings)
        except NewsQAError as e:
            return (
                f"Nothing indexed yet ({plain(str(e))}). Upload articles below.",
                gr.update(choices=[]),
                gr.update(samples=[]),
            )
        lines = [f"**{info.articles} articles**, {info.chunks} chunks"]
        if info.first_published:
            lines.append(f"Published {info.first_published} to {info.last_published}")
        lines += [f"- {plain(name)}: {count} chunks" for name, count in info.sources.items()]
        sources = [s for s in info.sources if s != "(unknown)"]
        return (
            "\n\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:]),
            gr.update(choices=sources),
            gr.update(samples=[[q] for q in self.example_questions()]),
        )

    def example_questions(self) -> list[str]:
        """Questions about what is indexed: the sample's own, then headlines of the latest articles."""
        from index import open_store
        from index.samples import SAMPLE_ARTICLE_ID, SAMPLE_QUESTIONS

        try:
            articles = {meta["article_id"]: meta for meta in open_store(self.settings).article_metadata()}
        except NewsQAError:
            return []
        questions = [q for q in SAMPLE_QUESTIONS if SAMPLE_ARTICLE_ID in articles]
        latest = sorted(articles.values(), key=lambda m: m.get("published", ""), reverse=True)
        for meta in latest:
            if len(questions) >= EXAMPLE_COUNT:
                break
            if meta["article_id"] != SAMPLE_ARTICLE_ID and meta.get("title"):
                questions.append(f"What happened in “{meta['title']}”?")
        return questions[:EXAMPLE_COUNT]

    def build(self):
        import gradio as gr

        with gr.Blocks(title="newsqa") as blocks:
            gr.Markdown("## newsqa: ask the news, get the sentence that says so")
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Answers", height=460, elem_id="chat", sanitize_html=True)
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder="Ask about the indexed articles…", show_label=False, scale=5, elem_id="question"
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    examples = gr.Dataset(
                        components=[question], samples=[[q] for q in self.example_questions()], label="Examples"
                    )
                with gr.Column(scale=2):
                    with gr.Tab("Sources"):
                        sources_panel = gr.HTML(sources_html(None), elem_id="sources")
                    with gr.Tab("Corpus", elem_id="corpus-tab"):
                        stats_view = gr.Markdown(elem_id="stats")
                        files = gr.File(
                            label="Add articles (.txt, .md, .html, .jsonl)",
                            file_count="multiple",
                            file_types=[".txt", ".md", ".html", ".htm", ".jsonl"],
                            elem_id="upload",
                        )
                        index_button = gr.Button("Index these files", elem_id="index-files")
                        upload_status = gr.Textbox(label="Indexing", interactive=False, elem_id="upload-status")
                    with gr.Tab("Settings", elem_id="settings-tab"):
                        k = gr.Slider(1, 20, value=self.settings.retrieval.k, step=1, label="Passages to retrieve")
                        engine = gr.Dropdown(ENGINES, value=ENGINES[0], label="Engine")
                        source_filter = gr.Dropdown([], multiselect=True, label="Only these sources")
                        since = gr.Textbox(label="Published from (YYYY-MM-DD)")
                        until = gr.Textbox(label="Published to (YYYY-MM-DD)")
                        as_of = gr.Textbox(
                            label="As of (YYYY-MM-DD; empty: today)",
                            info="Nothing published later is read; 'this week' in a question means the week before.",
                        )

            turns = gr.State([])
            inputs = [question, chat, turns, k, engine, source_filter, since, until, as_of]
            outputs = [chat, sources_panel, question, turns]
            question.submit(self.ask, inputs, outputs, api_visibility="private")
            send.click(self.ask, inputs, outputs, api_visibility="private")
            examples.click(lambda sample: sample[0], examples, question, api_visibility="private")
            chat.clear(self.cleared, None, [turns, sources_panel], api_visibility="private")

            # Gradio injects progress tracking through this default; it is its documented idiom.
            def upload_with_progress(uploaded, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
                return self.upload(uploaded, progress=progress)

            index_button.click(
                upload_with_progress,
                files,
                [upload_status, stats_view, source_filter, examples],
                api_visibility="private",
            )
            blocks.load(self.corpus_view, None, [stats_view, source_filter, examples], api_visibility="private")
            gr.api(self.api_answer, api_name="answer")
        blocks.queue(default_concurrency_limit=CONCURRENT_ANSWERS, max_size=QUEUE_SIZE)
        return blocks


def launch(settings: Settings, *, host: str = "127.0.0.1", port: int = 7860, block: bool = True):
    """Serve the UI on ``host:port``; loopback by default, so the index stays private."""
    # Local-first: no usage analytics leave the machine unless the user asks for them.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    blocks = NewsQAUI(settings).build()
    blocks.launch(
        server_name=host,
        server_port=port,
        auth=settings.ui.credentials(),
        max_file_size=MAX_UPLOAD,
        css=CSS,
        prevent_thread_lock=not block,
        show_error=False,
        footer_links=["api"],
    )
    return blocks
