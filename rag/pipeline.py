"""The answering pipeline: validate, condense follow-ups, retrieve, answer, cite.

Retrieval is a LangChain runnable (embed the query, then dense and BM25 search in
parallel, fused); :class:`rag.policy.AnsweringPolicy` plans which engine answers and runs
it over the passages: the extractive engine, or with ``settings.engine == "llm"`` an LLM
whose citations are verified. :func:`answer_stream` returns a :class:`~rag.response.Response`
that yields the text as it is produced and then the finished
:class:`~newsqa.types.Answer`; :func:`answer` returns only the Answer.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import date, datetime
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnablePassthrough
from pydantic import ValidationError

from newsqa.dates import end_of_day
from newsqa.errors import InputError
from newsqa.settings import MAX_K, Settings
from newsqa.text import content_terms
from newsqa.timing import Timer, timed
from newsqa.types import Answer, Filters, Query, Stage, Timeline
from rag import nlp
from rag.conversation import History, turns_of
from rag.nlp.language import language_mismatch
from rag.policy import policy_for
from rag.response import Response, build_answer
from rag.retrieval.retriever import Index, build_retriever, is_open, open_index
from rag.retrieval.when import resolve_time
from rag.timelines import MOST_ENTRIES, PASSAGES, build_timeline, timeline_topic, topic_name_terms

# Copies of one story are folded into one passage: fetch this many times k to still fill k.
_COPIES_HEADROOM = 3


def _moment(as_of: date | datetime | None) -> datetime:
    """``as_of`` as a datetime; a bare date means the end of that day, and None means now."""
    if as_of is None:
        return datetime.now()
    if isinstance(as_of, datetime):
        return as_of
    if isinstance(as_of, date):
        return end_of_day(as_of)
    raise InputError(f"as_of {as_of!r} is not a date; give a date or datetime")


def _passages_wanted(k: object, settings: Settings) -> int:
    """``k`` checked by the same settings model as ``NEWSQA_RETRIEVAL__K``; None means the setting."""
    if k is None:
        return settings.retrieval.k
    try:
        return settings.retrieval.model_validate({**settings.retrieval.model_dump(), "k": k}).k
    except ValidationError as e:
        raise InputError(f"k={k!r}: {e.errors()[0]['msg']}; ask for 1 to {MAX_K} passages") from e


# What to do about an empty question or topic.
_WHAT_TO_GIVE = {"question": "ask something about the indexed articles", "topic": 'name a story: "Balqasah fighting"'}


def _validate(question: str, settings: Settings, what: str = "question") -> str:
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"the {what} is empty; {_WHAT_TO_GIVE[what]}")
    question = question.strip()
    try:
        question.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(f"the {what} holds a lone surrogate (such as \\ud800), no character; retype it") from e
    limit = settings.answer.max_question_chars
    if len(question) > limit:
        raise InputError(f"the {what} is {len(question):,} characters; keep it under {limit:,}")
    return question


def retrieval_chain(
    index: Index, settings: Settings, *, k: int, timings: dict[str, float], **query_fields: Any
) -> Runnable:
    """A runnable from the search text to ``{"query": Query, "passages": [...]}``, timing each stage.

    ``query_fields`` are the rest of the :class:`Query`: filters, ``as_of``, time range.
    """
    retriever = build_retriever(index, settings.retrieval, k=k * _COPIES_HEADROOM)

    def embed(text: str) -> Query:
        with timed(timings, "embed_query"):
            return index.query(text, **query_fields)

    def retrieve(query: Query):
        with timed(timings, "retrieve"):
            return index.distinct(retriever.invoke(query), k)

    return RunnableLambda(embed) | RunnableParallel(query=RunnablePassthrough(), passages=RunnableLambda(retrieve))


def answer_stream(
    question: str,
    *,
    k: int | None = None,
    filters: Filters | dict | None = None,
    history: History | None = None,
    stages: bool = False,
    as_of: date | datetime | None = None,
    settings: Settings | None = None,
) -> Response:
    """Like :func:`answer`, but a :class:`~rag.response.Response`: the text's pieces as they come, then the Answer.

    With the ``llm`` engine the pieces are the model's raw reply as it streams; the final
    Answer holds the verified text, which keeps only supported sentences. With ``stages``,
    a :class:`~newsqa.types.Stage` comes before each step (loading the models on the first
    question, searching, reading), for a screen to show while it waits. Errors in the input
    are raised when the stream starts.
    """
    return Response(_steps(question, k, filters, history, as_of, settings or Settings(), stages))


def _steps(
    question: str,
    k: int | None,
    filters: Filters | dict | None,
    history: History | None,
    as_of: date | datetime | None,
    settings: Settings,
    stages: bool,
) -> Generator[str | Stage, None, Answer]:
    question = _validate(question, settings)
    chosen_filters = Filters.parse(filters)
    total = Timer()
    if stages and not is_open(settings):
        yield Stage(step="loading")
    index = open_index(settings)
    index.check_sources(chosen_filters)
    if stages:
        yield Stage(step="searching", passages=index.size())
    policy = policy_for(index.embedder, settings)
    plan = policy.plan(question, turns_of(history))
    moment = _moment(as_of)
    topic = timeline_topic(plan.search_text)
    if topic:
        story = _timeline(index, topic, chosen_filters, moment, settings)
        text = story.render()
        yield text
        return Answer(
            question=question,
            understood_as=plan.search_text if plan.search_text != question else None,
            text=text,
            abstained=not story.entries,
            citations=story.citations,
            timings_ms={**story.timings_ms, "total": round(total.ms, 2)},
            as_of=moment.date(),
        )
    # The time words of the question as understood: a follow-up keeps those of the turn it refers to.
    time_range = resolve_time(plan.search_text, moment.date())
    timings: dict[str, float] = {}
    chain = retrieval_chain(
        index,
        settings,
        k=_passages_wanted(k, settings),
        timings=timings,
        filters=chosen_filters,
        as_of=moment,
        time_range=time_range,
    )
    retrieved = chain.invoke(plan.search_text)
    mismatch = language_mismatch(question, retrieved["passages"], settings.answer.language_confidence)
    if mismatch:
        asked, written = mismatch
        raise InputError(f"the question reads as {asked}, but the articles are in {written}; ask it in {written}")
    if stages:
        yield Stage(step="reading", passages=len(retrieved["passages"]))
    with timed(timings, "answer"):
        reply = yield from policy.respond(retrieved["query"], retrieved["passages"], plan)
    timings["total"] = total.ms
    return build_answer(
        question,
        reply,
        retrieved["passages"],
        understood_as=plan.search_text if plan.search_text != question else None,
        timings_ms={name: round(ms, 2) for name, ms in timings.items()},
        as_of=moment.date(),
        time_range=time_range,
    )


def warm_up(settings: Settings | None = None) -> None:
    """Load the models and open the index now, so that the first question is as quick as the next."""
    settings = settings or Settings()
    index = open_index(settings)
    index.embedder.embed_query("warm up")
    policy_for(index.embedder, settings)
    nlp.parse(["Who warmed up the reader?"])


def answer(
    question: str,
    *,
    k: int | None = None,
    filters: Filters | dict | None = None,
    history: History | None = None,
    as_of: date | datetime | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer ``question`` from the indexed articles, citing the exact sentences.

    ``k`` passages are retrieved (default ``settings.retrieval.k``); ``filters`` limits
    them by ``sources``, a ``since``/``until`` published-date range and
    ``exclude_articles``; ``history`` is the conversation so far, as (question, answer)
    pairs or role/content messages, and lets a follow-up such as "And who arrested
    him?" lean on it. ``as_of`` is the moment the question is asked about (default: now):
    nothing published after its day is read, newer articles rank higher, and time words in
    the question ("this week", "in June") are read against it, as ``Answer.time_range``
    shows. Undated articles are always read, with no recency boost. ``settings.engine``
    picks the extractive engine (offline, the default) or ``llm``, whose sentences are each
    verified against the sentence they cite; if the LLM fails, the extractive answer comes
    back with ``notice`` saying why.

    When the passages hold no answer, the result has ``abstained=True`` and no citations.
    Raises :class:`newsqa.errors.InputError` for an empty or oversized question or unusable
    filters, and :class:`newsqa.errors.IndexUnavailableError` when there is no index yet.
    """
    return answer_stream(question, k=k, filters=filters, history=history, as_of=as_of, settings=settings).answer()


def _timeline(
    index: Index, topic: str, filters: Filters, moment: datetime, settings: Settings, most: int = MOST_ENTRIES
) -> Timeline:
    timings: dict[str, float] = {}
    chain = retrieval_chain(index, settings, k=PASSAGES, timings=timings, filters=filters, as_of=moment)
    passages = chain.invoke(topic)["passages"]
    with timed(timings, "timeline"):
        lexical = index.lexical.current()
        entries = build_timeline(
            passages,
            lexical.idf(content_terms(topic)),
            lexical.duplicates.representative,
            most,
            topic_name_terms(topic),
        )
    return Timeline(
        topic=topic,
        entries=entries,
        as_of=moment.date(),
        filters=filters,
        timings_ms={name: round(ms, 2) for name, ms in timings.items()},
    )


def timeline(
    topic: str,
    *,
    since: date | str | None = None,
    until: date | str | None = None,
    as_of: date | datetime | None = None,
    filters: Filters | dict | None = None,
    most: int = MOST_ENTRIES,
    settings: Settings | None = None,
) -> Timeline:
    """How the story of ``topic`` developed in the indexed articles, each line cited to its sentence.

    The articles about the topic (near-copies folded into one line naming every outlet),
    each represented by its sentence that tells most about the topic, in order of
    publication and grouped by day (``Timeline.days()``; ``Timeline.render()`` gives text).
    A line whose figure for something differs from an earlier line's says so and cites
    both. ``since``/``until`` bound the published days (inclusive), ``filters`` takes
    ``sources`` and the rest as :func:`answer` does, and ``as_of`` reads only what was
    published by that day. A question such as "How has the Balqasah fighting developed?"
    put to :func:`answer` is answered with the timeline of its topic.
    Raises :class:`newsqa.errors.InputError` for an empty topic or unusable dates.
    """
    settings = settings or Settings()
    topic = _validate(topic, settings, "topic")
    if not isinstance(most, int) or most < 1:
        raise InputError(f"most={most!r}: a timeline needs at least 1 line; give a whole number")
    chosen = Filters.parse(filters)
    if since or until:
        chosen = Filters.parse({**chosen.model_dump(), "since": since or chosen.since, "until": until or chosen.until})
    index = open_index(settings)
    index.check_sources(chosen)
    return _timeline(index, topic, chosen, _moment(as_of), settings, most)
