"""The seam between the answering policy and the engines: one abstract method, :meth:`Engine.execute`.

An engine turns a question's retrieved passages into a :class:`Reply`: the answer's text
with its [n] markers and the citations they point to. It yields the text as it is produced
(a generator's pieces) and returns the Reply; :class:`rag.response.Response` builds the
:class:`~newsqa.types.Answer` from it, once. Engines:

* :class:`rag.extractive.engine.ExtractiveEngine`: a short answer quoted from the sentence
  that supports it, offline;
* :class:`rag.generative.engine.GenerativeEngine`: an LLM's answer, every sentence verified
  against the sentence it cites.

An engine that cannot answer raises :class:`~newsqa.errors.EngineError`; the policy
(:mod:`rag.policy`) then falls back to the extractive engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass, field

from newsqa.types import Citation, Passage, Query
from newsqa.types import Engine as EngineName

# What an abstention says; the reason is the engine's.
ABSTAIN_TEXT = "The indexed articles do not say. ({reason})"


@dataclass(frozen=True)
class Reply:
    """What an engine made of the passages, before the pipeline adds what it knows of the question."""

    text: str
    engine: EngineName
    citations: list[Citation] = field(default_factory=list)
    short_answer: str | None = None
    abstained: bool = False
    support: float | None = None  # mean support of the kept sentences (generative engine)
    unsupported: list[str] = field(default_factory=list)  # generated sentences dropped as unsupported
    raw_text: str | None = None  # the LLM's reply before verification
    notice: str | None = None  # why another engine than the settings' answered

    @classmethod
    def abstention(cls, engine: EngineName, reason: str, raw_text: str | None = None) -> Reply:
        return cls(ABSTAIN_TEXT.format(reason=reason), engine, abstained=True, raw_text=raw_text)


class Engine(ABC):
    """Answers a question from its passages."""

    name: EngineName

    @abstractmethod
    def execute(self, query: Query, passages: list[Passage]) -> Generator[str, None, Reply]:
        """Yield pieces of the answer's text as they are produced, then return the finished :class:`Reply`.

        Raises :class:`~newsqa.errors.EngineError` when this engine cannot answer.
        """
