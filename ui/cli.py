"""The ``newsqa`` command: ingest, watch, ask, timeline, remove, stats, demo, ui, eval.

User mistakes print one line on stderr (``newsqa: error: ...``) and exit 1; no
traceback. Settings come from ``NEWSQA_*`` environment variables, then these options.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from eval.generate import Kind
from index.samples import SAMPLE_QUESTIONS, sample_article
from newsqa.dates import parse_day
from newsqa.errors import InputError, NewsQAError
from newsqa.settings import ANY_ADDRESS, Settings
from newsqa.text import counted
from newsqa.types import Filters
from rag.timelines import MOST_ENTRIES
from ui.asked import LAST, AskedMemory

app = typer.Typer(
    help="Ask questions about news articles; every answer cites the exact sentence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Index folder (default: NEWSQA_STORE__DATA_DIR or ~/.local/share/newsqa)."),
]
ChromaHost = Annotated[
    str | None, typer.Option("--chroma-host", help="Use the Chroma server on this host instead of the folder.")
]
ChromaPort = Annotated[int | None, typer.Option("--chroma-port", help="Port of the Chroma server.")]
AllowPrivateHosts = Annotated[
    bool,
    typer.Option(
        "--allow-private-hosts",
        help="Fetch from private, loopback and link-local addresses too (an intranet); refused by default.",
    ),
]


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"newsqa: error: {message}", err=True)
    raise typer.Exit(code)


def _user_errors(command):
    """Turn the errors a user can fix into one line and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except NewsQAError as e:
            _fail(str(e))
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            _fail(f"setting {where}: {first['msg']}; check your NEWSQA_* variables and options")
        except KeyboardInterrupt:
            _fail("interrupted; the index stays usable, and running the same command again completes it", 130)

    return wrapper


def _settings(data_dir: Path | None = None, chroma_host: str | None = None, chroma_port: int | None = None) -> Settings:
    settings = Settings()
    updates: dict[str, object] = {}
    if data_dir is not None:
        updates["data_dir"] = data_dir
    if chroma_host is not None:
        updates["chroma_host"] = chroma_host
    if chroma_port is not None:
        updates["chroma_port"] = chroma_port
    if not updates:
        return settings
    store = settings.store.model_validate({**settings.store.model_dump(), **updates})
    return settings.model_copy(update={"store": store})


def _print_answer(result, as_json: bool, new_after: datetime | None = None) -> None:
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    if result.notice:
        typer.echo(f"note: {result.notice}", err=True)
    if result.time_range:
        typer.echo(f"note: {result.time_range.describe()}", err=True)
    typer.echo(result.text)
    for sentence in result.unsupported:
        typer.echo(f"(dropped, no article supports it: {sentence})", err=True)
    _print_citations(result.citations, new_after)
    t = result.timings_ms
    typer.echo(
        f"\n{counted(len(result.passages), 'passage')} · retrieval {t.get('retrieve', 0):.0f} ms · "
        f"answer {t.get('answer', 0):.0f} ms",
        err=True,
    )


SINCE_HELP = "Only articles published on or after YYYY-MM-DD; 'last': since this was last asked."


@contextmanager
def _asking(
    settings: Settings, kind: str, text: str, source: list[str] | None, since: str | None, until: str | None
) -> Iterator[tuple[Filters, datetime | None]]:
    """The filters of --source, --since and --until, and when ``text`` was last asked where --since
    says 'last' (a note on stderr says what that reads); once the block has answered, this
    ask is remembered as the next 'last'."""
    memory, asked_at = AskedMemory(settings.store.data_dir), datetime.now()
    seen = None
    if (since or "").strip().casefold() == LAST:
        seen = memory.last(kind, text)
        first_day = seen.date() if seen else None
        if seen is None:
            note = "never asked before here: every article is read; next time 'last' means now"
        else:
            note = f"--since last: published since {seen.date()} (last asked {seen:%Y-%m-%d %H:%M})"
        typer.echo(f"note: {note}", err=True)
    else:
        first_day = parse_day(since, "--since")
    yield Filters.parse({"sources": source, "since": first_day, "until": parse_day(until, "--until")}), seen
    memory.remember(kind, text, asked_at)


def _is_new(citation, new_after: datetime | None) -> bool:
    return bool(new_after and citation.published and citation.published[:10] > new_after.date().isoformat())


def _print_citations(citations, new_after: datetime | None = None) -> None:
    for citation in citations:
        mark = " (new since last asked)" if _is_new(citation, new_after) else ""
        typer.echo(f"\n[{citation.number}]{mark} “{citation.quote}”")
        where = " · ".join(x for x in (citation.title, citation.source, citation.published, citation.url) if x)
        typer.echo(f"    {where} (characters {citation.start}-{citation.end} of {citation.article_id})")
        if citation.also_reported_by:
            typer.echo(f"    also reported by {', '.join(citation.also_reported_by)}")


@app.command()
@_user_errors
def ingest(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files (.txt .md .html .jsonl), folders, or web page URLs.")
    ] = None,
    feed: Annotated[list[str] | None, typer.Option("--feed", help="An RSS or Atom feed URL (repeatable).")] = None,
    source: Annotated[
        str, typer.Option(help="Outlet for files that name none (.txt, .md, pages without a site name).")
    ] = "local",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse a .jsonl file with any bad line, instead of skipping the line.")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace articles whose ids are already indexed from another file.")
    ] = False,
    allow_private_hosts: AllowPrivateHosts = False,
    data_dir: DataDir = None,
    chroma_host: ChromaHost = None,
    chroma_port: ChromaPort = None,
) -> None:
    """Index articles; unchanged ones are skipped, changed ones replaced."""
    from index import ingest as run_ingest

    if not paths and not feed:
        raise InputError("nothing to ingest; give files, folders, URLs or --feed URL")
    settings = _fetching(_settings(data_dir, chroma_host, chroma_port), allow_private_hosts)
    report = run_ingest(
        paths or [], settings, source=source, progress=not quiet, strict=strict, feeds=feed or [], replace=replace
    )
    typer.echo(report.summary())
    _print_problems(report)
    if report.failed:
        raise typer.Exit(1)


def _fetching(settings: Settings, allow_private_hosts: bool) -> Settings:
    """The settings, with every private network allowed to fetch from when the user said so."""
    if not allow_private_hosts:
        return settings
    index = settings.index.model_copy(update={"allow_private_hosts": ANY_ADDRESS})
    return settings.model_copy(update={"index": index})


def _print_problems(report) -> None:
    """An ingestion's warnings and skipped inputs, one line each on stderr."""
    for warning in report.warnings:
        typer.echo(f"newsqa: warning: {warning}", err=True)
    for failure in report.failed:
        typer.echo(f"newsqa: skipped: {failure}", err=True)


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smh])$")


def _seconds(every: str) -> float:
    match = _DURATION.match(every.strip())
    if not match:
        raise InputError(f"--every {every!r} is not a duration; use e.g. 30s, 15m or 1h")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]


@app.command()
@_user_errors
def watch(
    feeds_file: Annotated[Path, typer.Argument(help="A text file of feed URLs, one a line (# starts a comment).")],
    every: Annotated[str, typer.Option(help="Time between polls: 30s, 15m, 1h.")] = "15m",
    allow_private_hosts: AllowPrivateHosts = False,
    polls: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many polls (default: until Ctrl-C).")
    ] = None,
    question: Annotated[
        list[str] | None,
        typer.Option("--question", help="Ask this again after each poll that indexed something (repeatable)."),
    ] = None,
    questions: Annotated[
        Path | None, typer.Option("--questions", help="A text file of questions to watch, one a line.")
    ] = None,
    log: Annotated[
        Path | None,
        typer.Option(
            help="JSON-lines log of the watched questions' answers (default: watched.jsonl in the index folder)."
        ),
    ] = None,
    data_dir: DataDir = None,
    chroma_host: ChromaHost = None,
    chroma_port: ChromaPort = None,
) -> None:
    """Poll feeds and index only their new or changed entries; Ctrl-C stops after the current poll.

    With watched questions, each is answered after the first poll and again after every poll that
    indexed something; a new answer is printed with the one before and appended to the log.
    """
    from index import ingest as run_ingest

    interval = _seconds(every)
    try:
        lines = feeds_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{feeds_file}: cannot be read ({e}); give a text file of feed URLs") from e
    feeds = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not feeds:
        raise InputError(f"{feeds_file}: lists no feed URL; one a line")
    settings = _fetching(_settings(data_dir, chroma_host, chroma_port), allow_private_hosts)
    watched = _watched(question or [], questions, settings, log)
    done = 0
    try:
        while polls is None or done < polls:
            if done:
                time.sleep(interval)
            try:
                report = run_ingest([], settings, progress=False, feeds=feeds)
            except NewsQAError as e:
                typer.echo(f"{datetime.now():%H:%M:%S} poll failed: {e}", err=True)
            else:
                typer.echo(f"{datetime.now():%H:%M:%S} {report.summary()}")
                _print_problems(report)
                if watched and (not done or report.added or report.replaced):
                    try:
                        _print_changes(watched.check())
                    except NewsQAError as e:
                        typer.echo(f"{datetime.now():%H:%M:%S} watched questions not asked: {e}", err=True)
            done += 1
    except KeyboardInterrupt:
        typer.echo("stopped; the index holds everything up to the last finished poll", err=True)


def _watched(asked: list[str], listed: Path | None, settings: Settings, log: Path | None):
    """The watched questions of --question and --questions, or None when there are none."""
    from rag.watched import WatchedQuestions

    if listed is not None:
        try:
            asked = asked + listed.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{listed}: cannot be read ({e}); give a text file of questions, one a line") from e
    if not asked and listed is None:
        return None
    return WatchedQuestions(asked, settings, log)


def _print_changes(changes) -> None:
    for change in changes:
        typer.echo(f"{datetime.now():%H:%M:%S} {change.describe()}")
        for record in (change.now, change.before or {}):
            for citation in record.get("citations", []):
                where = f"{citation['source']}, {citation['published'] or 'undated'}"
                typer.echo(f"    [{citation['number']}] “{citation['quote']}” ({where})")


@app.command()
@_user_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    k: Annotated[int | None, typer.Option("--k", min=1, max=50, help="Passages to retrieve.")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this outlet (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    until: Annotated[str | None, typer.Option(help="Only articles published on or before YYYY-MM-DD.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Ask as of YYYY-MM-DD: nothing later is read, newer ranks higher (default: now)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole Answer as JSON.")] = False,
    engine: Annotated[
        str | None, typer.Option(help="extractive (offline) or llm (NEWSQA_LLM__* settings); default from settings.")
    ] = None,
    data_dir: DataDir = None,
    chroma_host: ChromaHost = None,
    chroma_port: ChromaPort = None,
) -> None:
    """Answer a question from the indexed articles, with cited sentences."""
    from rag import answer

    settings = _settings(data_dir, chroma_host, chroma_port)
    if engine is not None:
        settings = Settings.model_validate({**settings.model_dump(), "engine": engine})
    with _asking(settings, "ask", question, source, since, until) as (filters, last_seen):
        result = answer(question, k=k, filters=filters, as_of=parse_day(as_of, "--as-of"), settings=settings)
    _print_answer(result, as_json, new_after=last_seen)


@app.command()
@_user_errors
def timeline(
    topic: Annotated[str, typer.Argument(help='What the story is about, in quotes: "Balqasah fighting".')],
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this outlet (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    until: Annotated[str | None, typer.Option(help="Only articles published on or before YYYY-MM-DD.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="As of YYYY-MM-DD: nothing published later is read.")
    ] = None,
    most: Annotated[int, typer.Option("--most", min=1, max=50, help="At most this many lines.")] = MOST_ENTRIES,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole Timeline as JSON.")] = False,
    data_dir: DataDir = None,
    chroma_host: ChromaHost = None,
    chroma_port: ChromaPort = None,
) -> None:
    """How a story developed: one cited sentence per article about it, by day of publication."""
    from rag import timeline as story_of

    settings = _settings(data_dir, chroma_host, chroma_port)
    with _asking(settings, "timeline", topic, source, since, until) as (filters, last_seen):
        story = story_of(topic, filters=filters, as_of=parse_day(as_of, "--as-of"), most=most, settings=settings)
    if as_json:
        typer.echo(story.model_dump_json(indent=2))
        return
    typer.echo(story.render(new_after=last_seen.date() if last_seen else None))
    _print_citations(story.citations, new_after=last_seen)


@app.command()
@_user_errors
def remove(
    article_ids: Annotated[
        list[str], typer.Argument(help="Ids of the articles to delete (`newsqa stats --articles` lists them).")
    ],
    data_dir: DataDir = None,
    chroma_host: ChromaHost = None,
    chroma_port: ChromaPort = None,
) -> None:
    """Delete articles from the index."""
    from index import remove as run_remove

    removed = run_remove(article_ids, _settings(data_dir, chroma_host, chroma_port))
    typer.echo(f"removed {counted(len(article_ids), 'article')} ({counted(removed, 'chunk')})")


@app.command()
@_user_errors
def stats(
    data_dir: DataDir = None,
    chroma_host: ChromaHost = None,
    chroma_port: ChromaPort = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    articles: Annotated[
        bool, typer.Option("--articles", help="Also list every article: id, date, outlet, title.")
    ] = False,
) -> None:
    """Show what is indexed: articles, chunks, sources, date range."""
    from dataclasses import asdict

    from index import list_articles
    from index import stats as index_stats

    settings = _settings(data_dir, chroma_host, chroma_port)
    info = index_stats(settings)
    listed = list_articles(settings) if articles else []
    if as_json:
        payload = asdict(info) | ({"article_list": [asdict(a) for a in listed]} if articles else {})
        typer.echo(json.dumps(payload, indent=2))
        return
    for article in listed:
        typer.echo(f"{article.id}\t{article.published or 'undated'}\t{article.source}\t{article.title}")
    typer.echo(f"{counted(info.articles, 'article')}, {counted(info.chunks, 'chunk')} in {info.location}")
    if info.first_published:
        typer.echo(f"published {info.first_published} to {info.last_published}")
    for name, count in info.sources.items():
        typer.echo(f"  {name}: {counted(count, 'chunk')}")
    if info.near_duplicate_articles:
        typer.echo(
            f"near-copies of another article: {counted(info.near_duplicate_articles, 'article')} "
            "(answers read one per story)"
        )
    for same in info.same_text_other_titles:
        typer.echo(f"warning: same text under different headlines, likely an extraction failure: {', '.join(same)}")


@app.command()
@_user_errors
def demo(data_dir: DataDir = None) -> None:
    """Index the bundled sample article and answer the sample question."""
    from index import ingest as run_ingest
    from rag import answer

    settings = _settings(data_dir)
    # The sample is newsqa's own: indexed before from an earlier install's folder, it is the same article.
    report = run_ingest([sample_article()], settings, source="sample", progress=False, replace=True)
    typer.echo(report.summary(), err=True)
    typer.echo(f"Q: {SAMPLE_QUESTIONS[0]}")
    _print_answer(answer(SAMPLE_QUESTIONS[0], settings=settings), as_json=False)


@app.command()
@_user_errors
def ui(
    host: Annotated[str, typer.Option(help="Address to bind; 127.0.0.1 keeps it on this machine.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    auth_file: Annotated[
        Path | None,
        typer.Option(help="A file holding user:password, required to use the UI (or set NEWSQA_UI__AUTH)."),
    ] = None,
    data_dir: DataDir = None,
    chroma_host: ChromaHost = None,
    chroma_port: ChromaPort = None,
) -> None:
    """Start the chat UI in the browser."""
    from ui.app import launch

    settings = _settings(data_dir, chroma_host, chroma_port)
    if auth_file is not None:
        try:
            secret = auth_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{auth_file}: cannot be read ({e}); give a file holding user:password") from e
        # The login joins the UI's other settings from the environment (its request limit, its proxies).
        login = settings.ui.model_validate({**settings.ui.model_dump(), "auth": secret})
        settings = settings.model_copy(update={"ui": login})
    try:
        settings.ui.credentials()
    except ValueError as e:
        raise InputError(f"{e}; put user:password in NEWSQA_UI__AUTH or the --auth-file") from e
    warning = exposure_warning(host, port, settings)
    if warning:
        typer.echo(f"newsqa: warning: {warning}", err=True)
    launch(settings, host=host, port=port)


def exposure_warning(host: str, port: int, settings: Settings) -> str | None:
    """What to tell a user who serves the UI beyond this machine without a login; None when it is not so."""
    if ipaddress.ip_address(_resolved(host)).is_loopback or settings.ui.auth is not None:
        return None
    return (
        f"the UI listens on {host} without a login: anyone who reaches port {port} can read the index and "
        "upload to it; set NEWSQA_UI__AUTH=user:password or use --auth-file"
    )


def _resolved(host: str) -> str:
    """The address a host name stands for, so "localhost" counts as loopback; IPv6 ones too ("::")."""
    try:
        return str(socket.getaddrinfo(host, None)[0][4][0])
    except (OSError, UnicodeError) as e:
        raise InputError(f"--host {host!r} is not an address of this machine; use e.g. 127.0.0.1") from e


eval_app = typer.Typer(
    help="Measure retrieval, answers and citations on a corpus and its questions.", no_args_is_help=True
)
app.add_typer(eval_app, name="eval")


@eval_app.command("run")
@_user_errors
def eval_run(
    corpus: Annotated[Path, typer.Option(help="Articles, one JSON object a line (id, title, text, ...).")],
    questions: Annotated[Path, typer.Option(help="Questions, one JSON object a line (question, answer, gold ids).")],
    mode: Annotated[str, typer.Option(help="Retrieval feeding the answers: hybrid, dense or bm25.")] = "hybrid",
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Passages per answer.")] = 5,
    date_window: Annotated[bool, typer.Option(help="Only articles from the week before each question's date.")] = False,
    as_of_question_date: Annotated[
        bool,
        typer.Option(help="Ask each question as of its date: nothing later is read, newer articles rank higher."),
    ] = False,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
    folds: Annotated[
        int,
        typer.Option(
            help="Cross-validate the reader: answer each fold of questions with a reader model trained on the "
            "others (0: the shipped model)."
        ),
    ] = 0,
    train_questions: Annotated[
        Path | None,
        typer.Option(
            help="With --folds: questions (e.g. from `eval generate --kind wh`) every fold's reader also learns from."
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder that receives the run folder.")] = Path("eval/runs"),
    engine: Annotated[str, typer.Option(help="extractive, or llm (configured by NEWSQA_LLM__*).")] = "extractive",
    data_dir: DataDir = None,
    chroma_host: ChromaHost = None,
    chroma_port: ChromaPort = None,
) -> None:
    """Index the corpus if needed, evaluate, and write results.json, report.md and plots."""
    from eval.harness import ENGINES, RETRIEVAL_MODES, EvalConfig, load_run, run_eval

    if mode not in RETRIEVAL_MODES:
        raise InputError(f"--mode {mode!r} is unknown; use one of {', '.join(RETRIEVAL_MODES)}")
    for path in (corpus, questions, *([train_questions] if train_questions else [])):
        if not path.is_file():
            raise InputError(f"{path}: no such file; give the jsonl file's path")
    if engine not in ENGINES:
        raise InputError(f"--engine {engine!r} is unknown; use extractive or llm")
    config = EvalConfig(
        mode=mode,
        k=k,
        date_window=date_window,
        as_of_question_date=as_of_question_date,
        limit=limit,
        engine=engine,
        folds=folds,
        train_questions=str(train_questions) if train_questions else None,
    )
    folder = run_eval(corpus, questions, _settings(data_dir, chroma_host, chroma_port), config, out_root=out)
    typer.echo((folder / "report.md").read_text())
    for warning in load_run(folder).get("warnings", []):
        typer.echo(f"newsqa: warning: {warning}", err=True)
    typer.echo(f"run written to {folder}", err=True)


@eval_app.command("compare")
@_user_errors
def eval_compare(
    runs: Annotated[list[Path], typer.Argument(help="Run folders written by `newsqa eval run`.")],
    plot: Annotated[Path | None, typer.Option(help="Also draw the metrics as bars into this PNG.")] = None,
) -> None:
    """Print the runs' headline metrics side by side, with deltas to the first."""
    from eval.harness import compare_runs, load_run
    from eval.report import comparison_plot

    for run in runs:
        if not ((run / "results.json").is_file() or (run / "metrics.json").is_file()):
            raise InputError(f"{run}: not a run folder (no results.json); give folders from `newsqa eval run`")
    typer.echo(compare_runs(runs))
    if plot:
        comparison_plot([load_run(r) for r in runs], [r.name for r in runs], plot)
        typer.echo(f"plot written to {plot}", err=True)


@eval_app.command("generate")
@_user_errors
def eval_generate(
    corpus: Annotated[Path, typer.Option(help="Your articles as jsonl (id, title, text, ...).")],
    out: Annotated[Path, typer.Option(help="Where to write the questions (jsonl).")],
    count: Annotated[int, typer.Option(min=1, help="How many questions, at most one per article.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed, for a reproducible set.")] = 0,
    conflicts: Annotated[
        bool,
        typer.Option(
            "--conflicts",
            help="Also write, beside OUT as OUT.corpus.jsonl, each question's article and a copy from another "
            "outlet with the answer swapped; `eval run` on that corpus measures whether answers name both sides.",
        ),
    ] = False,
    kind: Annotated[
        Kind,
        typer.Option(help="cloze (fill in the blank) or wh (who/where/when/how many questions)."),
    ] = "cloze",
) -> None:
    """Make cloze or wh-questions from your own articles, with each sentence's article as gold."""
    from eval.data import write_rows
    from eval.generate import generate, generate_conflicts

    if not corpus.is_file():
        raise InputError(f"{corpus}: no such file; give a corpus .jsonl")
    if not conflicts:
        questions = generate(corpus, count, seed, kind)
        write_rows(questions, out)
        typer.echo(f"wrote {len(questions)} questions to {out}")
        return
    questions, articles = generate_conflicts(corpus, count, seed)
    conflict_corpus = write_rows(articles, out.with_suffix(".corpus.jsonl"))
    write_rows(questions, out)
    typer.echo(f"wrote {len(questions)} questions to {out} and their {len(articles)} articles to {conflict_corpus}")


def main() -> None:
    """Entry point of the ``newsqa`` script."""
    app()
