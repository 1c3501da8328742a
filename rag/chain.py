"""The answering chain: validate, condense follow-ups, retrieve, answer, cite.

Retrieval is a LangChain runnable (embed the query, then dense and BM25 search in
parallel, fused); :class:`rag.policy.AnsweringPolicy` answers from the passages with
the extractive engine or, with ``settings.engine == "llm"``, an LLM whose citations are
verified. :func:`answer_stream` yields the text as it is produced and then the finished
:class:`~newsqa.types.Answer`; :func:`answer` returns only the Answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnablePassthrough
from pydantic import ValidationError

from newsqa.dates import end_of_day
from newsqa.errors import InputError
from newsqa.settings import Settings
from newsqa.timing import Timer, timed
from newsqa.types import Answer, Filters, Query, Stage
from rag import nlp
from rag.conversation import History, turns_of
from rag.language import language_mismatch
from rag.policy import AnsweringPolicy
from rag.retrieve import Index, build_retriever, is_open, open_index
from rag.when import resolve_time

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
        raise InputError(f"k={k!r}: {e.errors()[0]['msg']}; ask for 1 to 50 passages") from e


def _validate(question: str, settings: Settings) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty; ask something about the indexed articles")
    question = question.strip()
    limit = settings.answer.max_question_chars
    if len(question) > limit:
        raise InputError(f"the question is {len(question):,} characters; keep it under {limit:,}")
    return question


def retrieval_chain(
    index: Index, settings: Settings, *, k: int, timings: dict[str, float], **query_fields: Any
) -> Runnable:
    """A runnable from the search text to ``{"query": Query, "passages": [...]}``, timing each stage.

    ``query_fields`` are the rest of the :class:`Query`: filters, ``as_of``, time range.
    """
    # Copies of one story are folded into one passage, so fetch enough to still fill k.
    retriever = build_retriever(index, settings.retrieval, k=k * _COPIES_HEADROOM)

    def embed(text: str) -> Query:
        with timed(timings, "embed_query"):
            return Query(text=text, vector=index.embedder.embed_query(text), **query_fields)

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
    as_of: date | datetime | None = None,
    settings: Settings | None = None,
    stages: bool = False,
) -> Iterator[str | Stage | Answer]:
    """Like :func:`answer`, but yields pieces of the text as they are ready, then the Answer.

    With the ``llm`` engine the pieces are the model's raw reply as it streams; the final
    Answer holds the verified text, which keeps only supported sentences. With ``stages``,
    a :class:`~newsqa.types.Stage` comes before each step (loading the models on the first
    question, searching, reading), for a screen to show while it waits.
    """
    settings = settings or Settings()
    question = _validate(question, settings)
    chosen_filters = Filters.parse(filters)
    total = Timer()
    if stages and not is_open(settings):
        yield Stage(step="loading")
    index = open_index(settings)
    index.check_sources(chosen_filters)
    if stages:
        yield Stage(step="searching", passages=index.size())
    policy = AnsweringPolicy(index.embedder, settings)
    search_text, notice = policy.standalone(question, turns_of(history))
    moment = _moment(as_of)
    time_range = resolve_time(question, moment.date())
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
    retrieved = chain.invoke(search_text)
    mismatch = language_mismatch(question, retrieved["passages"], settings.answer.language_confidence)
    if mismatch:
        asked, written = mismatch
        raise InputError(f"the question reads as {asked}, but the articles are in {written}; ask it in {written}")
    if stages:
        yield Stage(step="reading", passages=len(retrieved["passages"]))
    result = None
    with timed(timings, "answer"):
        for piece in policy.stream(question, retrieved["query"], retrieved["passages"], notice):
            if isinstance(piece, Answer):
                result = piece
            else:
                yield piece
    assert result is not None
    timings["total"] = total.ms
    result.timings_ms = {name: round(ms, 2) for name, ms in timings.items()}
    result.as_of = moment.date()
    result.time_range = time_range
    result.understood_as = search_text if search_text != question else None
    yield result


def warm_up(settings: Settings) -> None:
    """Load the models and open the index now, so that the first question is as quick as the next."""
    index = open_index(settings)
    index.embedder.embed_query("warm up")
    AnsweringPolicy(index.embedder, settings)
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
    *_, result = answer_stream(question, k=k, filters=filters, history=history, as_of=as_of, settings=settings)
    assert isinstance(result, Answer)
    return result
