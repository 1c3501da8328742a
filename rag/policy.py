"""The answering policy, one place for it: which engine answers, and what happens when it cannot.

With ``settings.engine == "extractive"`` the extractive engine answers. With ``llm``, the
generative engine rewrites a follow-up into a standalone query, then writes the answer,
whose every sentence is verified against the passages. Any
:class:`~newsqa.errors.EngineError` on the way (no model configured, unreachable, slow,
rate-limited, garbage, nothing supported) hands the question to the extractive engine: the
:class:`Plan` says which engine answers and why another than the settings' does, and the
Answer's ``notice`` tells the user. :mod:`rag.pipeline` and the evaluation harness both
answer through :class:`AnsweringPolicy`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Generator
from dataclasses import dataclass

from index.embed import Embedder
from newsqa.errors import EngineError
from newsqa.settings import Settings
from newsqa.types import Answer, Passage, Query
from rag.conversation import standalone_question
from rag.engine import Engine, Reply
from rag.extractive.engine import ExtractiveEngine
from rag.extractive.model import ReaderModel
from rag.generative.engine import GenerativeEngine
from rag.response import build_answer, finish

# What the user reads when the extractive engine answered in the LLM's place; the reason is the error's.
FALLBACK_NOTICE = "{reason}; showing the extractive answer instead."


@dataclass(frozen=True)
class Plan:
    """How a question is answered: the text to search with, the engine, and why not the settings' engine."""

    search_text: str
    engine: Engine
    fallback_reason: str | None = None


class AnsweringPolicy:
    """Answers a question from its passages with the configured engine; see the module docstring.

    ``reader`` overrides the reader model of the settings (the harness passes one per fold).
    """

    def __init__(self, embedder: Embedder, settings: Settings, reader: ReaderModel | None = None) -> None:
        self.extractive = ExtractiveEngine(embedder, settings.answer, reader)
        self.generative: GenerativeEngine | None = None
        self._unavailable: str | None = None
        if settings.engine == "llm":
            try:
                self.generative = GenerativeEngine(embedder, settings)
            except EngineError as e:
                self._unavailable = str(e)

    def plan(self, question: str, turns: list[tuple[str, str]]) -> Plan:
        """The search text for ``question`` in this conversation, and the engine that will answer it."""
        if self.generative is None:
            return Plan(standalone_question(question, turns), self.extractive, self._unavailable)
        if not turns:
            return Plan(question, self.generative)
        try:
            return Plan(self.generative.condense(question, turns), self.generative)
        except EngineError as e:
            return Plan(standalone_question(question, turns), self.extractive, str(e))

    def respond(self, query: Query, passages: list[Passage], plan: Plan) -> Generator[str, None, Reply]:
        """Pieces of the answer's text as they come, then (returned) the :class:`~rag.engine.Reply`.

        When the planned engine fails, the extractive engine answers, with the reason as its notice.
        """
        reason = plan.fallback_reason
        if plan.engine is not self.extractive:
            try:
                return (yield from plan.engine.execute(query, passages))
            except EngineError as e:
                reason = str(e)
        reply = yield from self.extractive.execute(query, passages)
        return dataclasses.replace(reply, notice=FALLBACK_NOTICE.format(reason=reason) if reason else None)

    def answer(self, question: str, query: Query, passages: list[Passage]) -> Answer:
        """The finished Answer of :meth:`respond` for a standalone question, nothing streamed."""
        return build_answer(question, finish(self.respond(query, passages, self.plan(question, []))), passages)


@functools.lru_cache(maxsize=8)
def policy_for(embedder: Embedder, settings: Settings) -> AnsweringPolicy:
    """The process's policy for these settings: its engines load their models, and learn phrase types, once."""
    return AnsweringPolicy(embedder, settings)
