"""The generative engine: an LLM writes the answer, and every sentence of it is verified.

:meth:`GenerativeEngine.execute` streams the LLM's reply (:mod:`rag.generative.models`), then
keeps only the sentences that :class:`rag.generative.verify.CitationVerifier` finds supported
by the sentence they cite, each citation pointing to that exact sentence. A refusal, or no
passages, is an abstention; a reply with no supported sentence is an
:class:`~newsqa.errors.EngineError`, which the policy answers extractively instead.
"""

from __future__ import annotations

from collections.abc import Generator

from index.embed import Embedder
from newsqa.errors import EngineError
from newsqa.settings import Settings
from newsqa.types import Passage, Query
from rag.engine import Engine, Reply
from rag.generative.models import REFUSAL, answer_messages, condense_messages, make_generator
from rag.generative.verify import CitationVerifier


class GenerativeEngine(Engine):
    """Answers with the configured LLM, verified; construction raises EngineError when none is configured."""

    name = "llm"

    def __init__(self, embedder: Embedder, settings: Settings) -> None:
        self.generator = make_generator(settings.llm)
        self.verifier = CitationVerifier(embedder, settings.verify)

    def condense(self, question: str, turns: list[tuple[str, str]]) -> str:
        """The standalone question a follow-up stands for, as the LLM rewrites it."""
        return self.generator.complete(condense_messages(question, turns))

    def execute(self, query: Query, passages: list[Passage]) -> Generator[str, None, Reply]:
        """Stream the LLM's reply, then return it verified: only supported sentences, exact citations."""
        raw = ""
        for piece in self.generator.stream(answer_messages(query.text, passages)):
            raw += piece
            yield piece
        if REFUSAL.search(raw) or not passages:
            return Reply.abstention(self.name, "the model found no answer in the passages", raw_text=raw)
        verified = self.verifier.verify(raw, passages)
        if not verified.citations:
            dropped = len(verified.unsupported)
            raise EngineError(f"no sentence of the LLM's answer is supported by the articles ({dropped} unsupported)")
        return Reply(
            verified.text,
            self.name,
            verified.citations,
            support=verified.support,
            unsupported=verified.unsupported,
            raw_text=raw,
        )
