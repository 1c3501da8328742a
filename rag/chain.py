"""The answering chain: validate, condense follow-ups, retrieve, answer, cite.

It is a LangChain runnable: ``validate | retrieve | answer``. :func:`answer` invokes
it; :func:`answer_stream` yields the answer's text as it is composed and then the
finished :class:`~rag.types.Answer`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from datetime import date

from langchain_core.runnables import RunnableLambda

from rag.errors import InputError
from rag.extractive import ExtractiveEngine, citations_for, compose
from rag.retrieve import build_retriever, open_index, validate_filters
from rag.settings import Settings
from rag.types import Answer, Filters, Passage

_PRONOUN = re.compile(r"\b(he|him|his|she|her|they|them|their|it|its|this|that|there)\b", re.IGNORECASE)

ABSTAIN_TEXT = "The indexed articles do not say. ({reason})"

History = Sequence[tuple[str, str]] | Sequence[dict]


def _as_filters(filters: Filters | dict | None) -> Filters:
    if filters is None:
        return Filters()
    if isinstance(filters, Filters):
        return filters
    try:
        return Filters.model_validate(filters)
    except ValueError as e:
        first = e.errors()[0] if hasattr(e, "errors") else {"loc": ("filters",), "msg": str(e)}
        field = ".".join(str(p) for p in first["loc"])
        raise InputError(f"bad filter {field}: {first['msg']}; use sources=[...], since/until=YYYY-MM-DD") from e


def _previous_turn(history: History | None) -> tuple[str, str] | None:
    if not history:
        return None
    last = history[-1]
    if isinstance(last, dict):
        users = [m["content"] for m in history if m.get("role") == "user"]
        bots = [m["content"] for m in history if m.get("role") == "assistant"]
        if not users:
            return None
        return str(users[-1]), str(bots[-1]) if bots else ""
    question, reply = last
    return str(question), str(reply or "")


def condense(question: str, history: History | None) -> str:
    """A standalone query for a follow-up: earlier subject and answer join a question that leans on them."""
    previous = _previous_turn(history)
    if not previous or not _PRONOUN.search(question):
        return question
    earlier_question, earlier_answer = previous
    earlier_answer = re.sub(r"\[\d+\]", "", earlier_answer.split("\n")[0]).strip()
    return f"{question} ({earlier_question} {earlier_answer})"


def _validate(question: str, settings: Settings) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty; ask something about the indexed articles")
    question = question.strip()
    limit = settings.answer.max_question_chars
    if len(question) > limit:
        raise InputError(f"the question is {len(question):,} characters; keep it under {limit:,}")
    return question


def answer_from_passages(
    engine: ExtractiveEngine, question: str, query: str, query_vector, passages: list[Passage]
) -> Answer:
    """The engine's answer to ``query`` from these passages, with citations or an abstention."""
    extraction = engine.extract(query, query_vector, passages)
    if extraction.abstained:
        text, short, citations = ABSTAIN_TEXT.format(reason=extraction.reason), None, []
    else:
        (text, short), citations = compose(extraction), citations_for(extraction)
    return Answer(
        question=question,
        text=text,
        short_answer=short,
        abstained=extraction.abstained,
        citations=citations,
        passages=passages,
    )


def _build_chain(settings: Settings, k: int):
    index = open_index(settings)
    engine = ExtractiveEngine(index.embedder, settings.answer)
    retriever = build_retriever(index, settings.retrieval, k=k)

    def prepare(inputs: dict) -> dict:
        timings = {}
        t0 = time.perf_counter()
        validate_filters(index, inputs["filters"])
        query = condense(inputs["question"], inputs.get("history"))
        vector = index.embedder.embed_query(query)
        timings["embed_query"] = (time.perf_counter() - t0) * 1000
        return {**inputs, "query": query, "query_vector": vector, "timings": timings}

    def retrieve(inputs: dict) -> dict:
        t0 = time.perf_counter()
        passages = retriever.invoke(inputs)
        inputs["timings"]["retrieve"] = (time.perf_counter() - t0) * 1000
        return {**inputs, "passages": passages}

    def respond(inputs: dict) -> Answer:
        t0 = time.perf_counter()
        result = answer_from_passages(
            engine, inputs["question"], inputs["query"], inputs["query_vector"], inputs["passages"]
        )
        timings = inputs["timings"]
        timings["answer"] = (time.perf_counter() - t0) * 1000
        result.timings_ms = {name: round(ms, 2) for name, ms in timings.items()}
        return result

    return RunnableLambda(prepare) | RunnableLambda(retrieve) | RunnableLambda(respond)


def answer(
    question: str,
    *,
    k: int | None = None,
    filters: Filters | dict | None = None,
    history: History | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer ``question`` from the indexed articles, citing the exact sentences.

    ``k`` passages are retrieved (default ``settings.retrieval.k``); ``filters`` limits
    them by ``sources`` and a ``since``/``until`` published-date range; ``history`` is
    the conversation so far, as (question, answer) pairs or role/content messages, and
    lets a follow-up such as "And who arrested him?" lean on it.

    When the passages hold no answer, the result has ``abstained=True`` and no citations.
    Raises :class:`rag.errors.InputError` for an empty or oversized question or unusable
    filters, and :class:`rag.errors.IndexUnavailableError` when there is no index yet.
    """
    settings = settings or Settings()
    question = _validate(question, settings)
    inputs = {"question": question, "filters": _as_filters(filters), "history": history}
    started = time.perf_counter()
    result = _build_chain(settings, k or settings.retrieval.k).invoke(inputs)
    result.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def answer_stream(
    question: str,
    *,
    k: int | None = None,
    filters: Filters | dict | None = None,
    history: History | None = None,
    settings: Settings | None = None,
) -> Iterator[str | Answer]:
    """Like :func:`answer`, but yields pieces of the text as they are ready, then the Answer."""
    result = answer(question, k=k, filters=filters, history=history, settings=settings)
    yield from re.findall(r"\S+\s*", result.text)
    yield result


def parse_day(value: str, option: str) -> date:
    """A date from ``YYYY-MM-DD`` text, or a clear error naming the option."""
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise InputError(f"{option} {value!r} is not a date; use YYYY-MM-DD") from e
