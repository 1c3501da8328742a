"""The answering policy, one place for it: which engine answers, and what happens when the LLM fails.

With ``settings.engine == "extractive"`` the extractive engine answers. With ``llm``,
the LLM rewrites a follow-up into a standalone query, then writes the answer, whose
every sentence :class:`rag.verify.CitationVerifier` checks against the passages. Any
:class:`~newsqa.errors.EngineError` on the way (no model configured, unreachable,
slow, rate-limited, garbage, nothing supported) hands the question to the extractive
engine, and the Answer's ``notice`` says why. :func:`rag.chain.answer_stream` and the
evaluation harness both answer through :class:`AnsweringPolicy`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from index.embed import Embedder
from newsqa.errors import EngineError
from newsqa.settings import Settings
from newsqa.types import Answer, Passage, Query
from rag.conversation import standalone_question
from rag.extractive import ExtractiveEngine, citations_for, compose
from rag.llm import REFUSAL, Generator, answer_messages, condense_messages, make_generator
from rag.reader import ReaderModel
from rag.verify import CitationVerifier

ABSTAIN_TEXT = "The indexed articles do not say. ({reason})"
_WORD_PIECES = re.compile(r"\S+\s*")


def _fallback_notice(error: EngineError) -> str:
    return f"{error}; showing the extractive answer instead."


class AnsweringPolicy:
    """Answers a question from its passages with the configured engine; see the module docstring."""

    def __init__(self, embedder: Embedder, settings: Settings, reader: ReaderModel | None = None) -> None:
        """``reader`` overrides the reader model of the settings (the harness passes one per fold)."""
        self.extractive = ExtractiveEngine(embedder, settings.answer, reader)
        self.verifier = CitationVerifier(embedder, settings.verify)
        self._generator: Generator | None = None
        self._unavailable: str | None = None
        if settings.engine == "llm":
            try:
                self._generator = make_generator(settings.llm)
            except EngineError as e:
                self._unavailable = _fallback_notice(e)

    def standalone(self, question: str, turns: list[tuple[str, str]]) -> tuple[str, str | None]:
        """The search query for ``question`` in this conversation, and why the LLM will not answer, if so."""
        if self._generator is None:
            return standalone_question(question, turns), self._unavailable
        if not turns:
            return question, None
        try:
            return self._generator.complete(condense_messages(question, turns)), None
        except EngineError as e:
            return standalone_question(question, turns), _fallback_notice(e)

    def stream(
        self, question: str, query: Query, passages: list[Passage], notice: str | None = None
    ) -> Iterator[str | Answer]:
        """Pieces of the answer's text as they come, then the :class:`Answer`.

        A ``notice`` (from :meth:`standalone`) skips the LLM and is kept on the Answer.
        """
        if self._generator is not None and notice is None:
            try:
                for piece in self._generate(query.text, passages, self._generator):
                    if isinstance(piece, Answer):
                        piece.question = question
                    yield piece
                return
            except EngineError as e:
                notice = _fallback_notice(e)
        result = self._extract(question, query, passages)
        result.notice = notice
        yield from _WORD_PIECES.findall(result.text)
        yield result

    def answer(self, question: str, query: Query, passages: list[Passage]) -> Answer:
        """The finished Answer of :meth:`stream`."""
        *_, result = self.stream(question, query, passages)
        assert isinstance(result, Answer)
        return result

    def _extract(self, question: str, query: Query, passages: list[Passage]) -> Answer:
        extraction = self.extractive.extract(query.text, query.vector, passages, query.time_range, query.as_of)
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

    def _generate(self, question: str, passages: list[Passage], generator: Generator) -> Iterator[str | Answer]:
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
        verified = self.verifier.verify(raw, passages)
        if not verified.citations:
            dropped = len(verified.unsupported)
            raise EngineError(f"no sentence of the LLM's answer is supported by the articles ({dropped} unsupported)")
        yield Answer(
            question=question,
            text=verified.text,
            citations=verified.citations,
            passages=passages,
            engine="llm",
            support=verified.support,
            unsupported=verified.unsupported,
            raw_text=raw,
        )
