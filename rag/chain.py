"""The answering chain: validate, condense follow-ups, retrieve, answer, cite.

Retrieval is a LangChain runnable (``prepare | retrieve``, with dense and BM25 in
parallel inside); the answer comes from the extractive engine or, with
``settings.engine == "llm"``, from an LLM whose citations are verified.
:func:`answer_stream` yields the text as it is produced and then the finished
:class:`~rag.types.Answer`; :func:`answer` returns only the Answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from datetime import date

from langchain_core.runnables import RunnableLambda

from rag.errors import EngineError, InputError
from rag.extractive import ExtractiveEngine, citations_for, compose
from rag.llm import REFUSAL, Generator, answer_messages, condense_messages, make_generator
from rag.retrieve import build_retriever, open_index, validate_filters
from rag.settings import Settings
from rag.types import Answer, Filters, Passage
from rag.verify import CitationVerifier

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


def _turns(history: History | None) -> list[tuple[str, str]]:
    """The conversation as (question, answer) pairs, from pairs or role/content messages."""
    if not history:
        return []
    if isinstance(history[0], dict):
        users = [str(m["content"]) for m in history if m.get("role") == "user"]
        bots = [str(m["content"]) for m in history if m.get("role") == "assistant"]
        return list(zip(users, bots + [""] * (len(users) - len(bots))))
    return [(str(q), str(a or "")) for q, a in history]


def condense(question: str, history: History | None) -> str:
    """A standalone query for a follow-up: earlier subject and answer join a question that leans on them."""
    turns = _turns(history)
    if not turns or not _PRONOUN.search(question):
        return question
    earlier_question, earlier_answer = turns[-1]
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
    """The extractive engine's answer to ``query`` from these passages, with citations or an abstention."""
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


def generative_answer(
    question: str, passages: list[Passage], generator: Generator, verifier: CitationVerifier
) -> Iterator[str | Answer]:
    """Stream the LLM's reply, then yield it verified: only supported sentences, exact citations."""
    raw = ""
    for piece in generator.stream(answer_messages(question, passages)):
        raw += piece
        yield piece
    if REFUSAL.search(raw) or not passages:
        yield Answer(
            question=question,
            text=ABSTAIN_TEXT.format(reason="the model found no answer in the passages"),
            abstained=True,
            passages=passages,
            engine="llm",
            raw_text=raw,
        )
        return
    verified = verifier.verify(raw, passages)
    if not verified.citations:
        raise EngineError(
            f"no sentence of the LLM's answer is supported by the articles ({len(verified.unsupported)} unsupported)"
        )
    yield Answer(
        question=question,
        text=verified.text,
        abstained=False,
        citations=verified.citations,
        passages=passages,
        engine="llm",
        support=verified.support,
        unsupported=verified.unsupported,
        raw_text=raw,
    )


def answer_stream(
    question: str,
    *,
    k: int | None = None,
    filters: Filters | dict | None = None,
    history: History | None = None,
    settings: Settings | None = None,
) -> Iterator[str | Answer]:
    """Like :func:`answer`, but yields pieces of the text as they are ready, then the Answer.

    With the ``llm`` engine the pieces are the model's raw reply as it streams; the final
    Answer holds the verified text, which keeps only supported sentences.
    """
    settings = settings or Settings()
    question = _validate(question, settings)
    inputs = {"question": question, "filters": _as_filters(filters), "history": history}
    started = time.perf_counter()
    index = open_index(settings)
    retrieval = _retrieval_chain(index, settings, k or settings.retrieval.k)
    extractive = ExtractiveEngine(index.embedder, settings.answer)
    notice = None
    if settings.engine == "llm":
        try:
            generator = make_generator(settings.llm)
            if history and _turns(history):
                inputs["standalone"] = generator.complete(condense_messages(question, _turns(history)))
        except EngineError as e:
            notice = f"{e}; showing the extractive answer instead."
    state = retrieval.invoke(inputs)
    timings = state["timings"]
    t0 = time.perf_counter()
    result = None
    if settings.engine == "llm" and notice is None:
        try:
            standalone = state.get("standalone") or question
            verifier = CitationVerifier(index.embedder, settings.verify)
            for piece in generative_answer(standalone, state["passages"], generator, verifier):
                if isinstance(piece, Answer):
                    result = piece
                    result.question = question
                else:
                    yield piece
        except EngineError as e:
            notice = f"{e}; showing the extractive answer instead."
    if result is None:
        result = answer_from_passages(extractive, question, state["query"], state["query_vector"], state["passages"])
        result.notice = notice
        yield from re.findall(r"\S+\s*", result.text)
    timings["answer"] = (time.perf_counter() - t0) * 1000
    timings["total"] = (time.perf_counter() - started) * 1000
    result.timings_ms = {name: round(ms, 2) for name, ms in timings.items()}
    yield result


def _retrieval_chain(index, settings: Settings, k: int):
    """A runnable: validate filters, condense, embed the query, retrieve the top ``k`` passages."""
    retriever = build_retriever(index, settings.retrieval, k=k)

    def prepare(inputs: dict) -> dict:
        t0 = time.perf_counter()
        validate_filters(index, inputs["filters"])
        query = inputs.get("standalone") or condense(inputs["question"], inputs.get("history"))
        vector = index.embedder.embed_query(query)
        return {
            **inputs,
            "query": query,
            "query_vector": vector,
            "timings": {"embed_query": (time.perf_counter() - t0) * 1000},
        }

    def retrieve(inputs: dict) -> dict:
        t0 = time.perf_counter()
        passages = retriever.invoke(inputs)
        inputs["timings"]["retrieve"] = (time.perf_counter() - t0) * 1000
        return {**inputs, "passages": passages}

    return RunnableLambda(prepare) | RunnableLambda(retrieve)


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
    them by ``sources``, a ``since``/``until`` published-date range and
    ``exclude_articles``; ``history`` is the conversation so far, as (question, answer)
    pairs or role/content messages, and lets a follow-up such as "And who arrested
    him?" lean on it. ``settings.engine`` picks the extractive engine (offline, the
    default) or ``llm``, whose sentences are each verified against the sentence they
    cite; if the LLM fails, the extractive answer comes back with ``notice`` saying why.

    When the passages hold no answer, the result has ``abstained=True`` and no citations.
    Raises :class:`rag.errors.InputError` for an empty or oversized question or unusable
    filters, and :class:`rag.errors.IndexUnavailableError` when there is no index yet.
    """
    *_, result = answer_stream(question, k=k, filters=filters, history=history, settings=settings)
    return result


def parse_day(value: str, option: str) -> date:
    """A date from ``YYYY-MM-DD`` text, or a clear error naming the option."""
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise InputError(f"{option} {value!r} is not a date; use YYYY-MM-DD") from e
