"""One question's answer under way: a :class:`Response` streams its pieces, then holds the :class:`Answer`.

Modelled on simonw/llm's ``Response``: iterating it yields what a screen shows while it
waits (:class:`~newsqa.types.Stage` steps and pieces of text) and finally the Answer;
:meth:`Response.answer` runs it to the end and returns the Answer, which it then keeps.
:func:`build_answer` is the one place an Answer is made from an engine's
:class:`~rag.engine.Reply`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import date
from typing import TypeVar

from newsqa.types import Answer, Passage, Stage, TimeRange
from rag.engine import Reply

T = TypeVar("T")


def build_answer(
    question: str,
    reply: Reply,
    passages: list[Passage],
    *,
    understood_as: str | None = None,
    timings_ms: dict[str, float] | None = None,
    as_of: date | None = None,
    time_range: TimeRange | None = None,
) -> Answer:
    """The Answer to ``question``: the engine's reply, the passages read, and how the question was read."""
    return Answer(
        question=question,
        understood_as=understood_as,
        text=reply.text,
        short_answer=reply.short_answer,
        abstained=reply.abstained,
        citations=reply.citations,
        passages=passages,
        timings_ms=timings_ms or {},
        engine=reply.engine,
        support=reply.support,
        unsupported=reply.unsupported,
        raw_text=reply.raw_text,
        notice=reply.notice,
        as_of=as_of,
        time_range=time_range,
    )


def finish(steps: Generator[object, None, T]) -> T:
    """Run a stream to its end, its pieces unread, and return what it returned."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


class Response:
    """The stream of one answer: its stages and text pieces, then the Answer, which it keeps."""

    def __init__(self, steps: Generator[str | Stage, None, Answer]) -> None:
        self._steps = steps
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str | Stage | Answer]:
        """Stages and text pieces as they come, then the Answer (only the Answer once it is done)."""
        if self._answer is None:
            self._answer = yield from self._steps
        yield self._answer

    def answer(self) -> Answer:
        """The finished Answer, running what is left of the stream first."""
        if self._answer is None:
            self._answer = finish(self._steps)
        return self._answer
