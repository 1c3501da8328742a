"""The offline extractive engine: a short answer quoted from the sentence that supports it, or abstention.

For a question and its retrieved passages, :meth:`ExtractiveEngine.execute`

1. reads them (:class:`rag.extractive.pool.Reader`): the sentences that bear on the
   question, and every candidate answer in them with its features;
2. scores every mention with the learned model (:mod:`rag.extractive.model`); the best one
   is the short answer, quoted with its sentence, unless the parse shows another of the
   asked-for type in the asked-for role ("led by X" for "Who led ...?", "two security
   personnel" for "How many security personnel ...?"), which then comes first; before both
   comes the subject of a sentence that goes on with the question's own words ("SANA
   confirmed the clashes" for "Who confirmed the clashes?"); it abstains when even the best
   score is below the model's calibrated threshold, unless such a sentence answers;
3. fills the blank of a cloze question from the sentence that reads most like it, and
   answers "What happened ...?", "Why ...?" and "How did ...?" with the sentence that
   matches the question best, since no one span answers them;
4. when another outlet, or another source quoted in the article, gives a different answer
   for the same statement, says that sources differ and cites each; when the reports are of
   different days, answers with the newest and cites the earlier one (:mod:`rag.extractive.sources`).

:func:`compose` writes the :class:`Extraction` as text with [n] markers. Only the sentences a
decision compares are embedded. Thresholds are :class:`newsqa.settings.AnswerSettings`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np

from index.embed import Embedder
from newsqa.settings import AnswerSettings
from newsqa.text import content_terms
from newsqa.types import Citation, Passage, Query, TimeRange
from rag.engine import Engine, Reply
from rag.extractive import sources
from rag.extractive.model import ReaderModel, load_model
from rag.extractive.pool import Reader, Reading, Scored
from rag.extractive.support import load_support, reads_support
from rag.nlp.sentences import cite

BLANK = re.compile(r"_{3,}")
_NOT_CLOSE_ENOUGH = "no sentence of the retrieved passages answers it closely enough"
# A candidate is of the asked-for type when the question analysis gives its type this probability.
TYPED = 0.5
# Words either side of a cloze question's blank looked for in a sentence to find what fills it.
_CONTEXT_WORDS = 3
# A blank is filled by a name, a figure or a short phrase: a longer stretch is a misread sentence.
MAX_FILL_WORDS = 8
# The text of an extractive answer streams word by word, as a generated one does.
_WORD_PIECES = re.compile(r"\S+\s*")

# single: one answer and its quote; sources_differ: each source's answer, quoted; superseded:
# the newest report's answer and an earlier one's; statement: a sentence answers ("Why ...?").
ExtractionKind = Literal["single", "sources_differ", "superseded", "statement", "abstained"]


@dataclass(frozen=True)
class Extraction:
    """What the engine found: its kind, the quoted sentences with support, and their short answers."""

    kind: ExtractionKind
    quotes: tuple[Scored, ...] = ()
    short_answers: tuple[str, ...] = ()
    attributions: tuple[str | None, ...] = ()  # who each quote says said it, or which outlet ran it
    reason: str = ""  # why it abstained
    counted: bool = False  # the answer is a count, which holds only as of its report's date

    @property
    def abstained(self) -> bool:
        return self.kind == "abstained"

    @classmethod
    def abstention(cls, reason: str) -> Extraction:
        return cls("abstained", reason=reason)

    @classmethod
    def answers(cls, quotes, answers, attributions, counted: bool = False) -> Extraction:
        """One answer, or several sources' that differ; quotes without a short answer name none."""
        named = tuple(a for a in answers if a)
        kind: ExtractionKind = "sources_differ" if len(named) == len(quotes) > 1 else "single"
        return cls(kind, tuple(quotes), named, tuple(attributions), counted=counted)


def _fill_blank(question: str, sentence: str) -> str | None:
    """What stands in ``sentence`` where the question has its blank, found by the words around it."""
    question = re.sub(r"^\s*fill in the blanks?\s*:\s*", "", question, flags=re.IGNORECASE)
    before, after = BLANK.split(question, maxsplit=1)
    left = before.split()[-_CONTEXT_WORDS:]
    right = " ".join(after.split()[:_CONTEXT_WORDS]).lower().rstrip("?.!")
    lowered = sentence.lower()
    start = 0
    if left:
        found = lowered.find(" ".join(left).lower())
        if found < 0:
            return None
        start = found + len(" ".join(left))
    end = len(sentence)
    if right:
        found = lowered.find(right, start)
        if found < 0:
            return None
        end = found
    span = sentence[start:end].strip(" ,;:.!?")
    return span if 0 < len(span.split()) <= MAX_FILL_WORDS else None


class ExtractiveEngine(Engine):
    """Picks a short answer and its supporting sentence; see the module docstring.

    ``model`` overrides the reader model named by the settings (the harness passes one per fold).
    """

    name = "extractive"

    def __init__(self, embedder: Embedder, settings: AnswerSettings, model: ReaderModel | None = None) -> None:
        self.embedder = embedder
        self.settings = settings
        self.model = model or load_model(settings.reader_model)
        support = load_support(settings.support_model) if reads_support(self.model.features) else None
        self.reader = Reader(embedder, settings, self.model.features, support)

    def execute(self, query: Query, passages: list[Passage]) -> Generator[str, None, Reply]:
        """The answer to ``query`` from ``passages``, its text streamed word by word."""
        extraction = self.extract(query.text, query.vector, passages, query.time_range, query.as_of)
        if extraction.abstained:
            reply = Reply.abstention(self.name, extraction.reason)
        else:
            text, short = compose(extraction)
            reply = Reply(text, self.name, citations_for(extraction), short_answer=short)
        yield from _WORD_PIECES.findall(reply.text)
        return reply

    def read(
        self, question_text: str, passages: list[Passage], as_of: datetime | None = None, choices: tuple[str, ...] = ()
    ) -> Reading:
        """The reader's pool and candidates, scored: each sentence with its best answer, the candidates best first.

        ``choices`` are scored as candidates too, named in the sentences or not.
        """
        reading = self.reader.read(question_text, passages, as_of, choices)
        if reading.abstain_reason:
            return reading
        analysis = reading.analysis
        answers = self.model.score(reading.candidates)
        pool = list(reading.pool)
        for candidate in answers:
            for mention in candidate.mentions:
                item = pool[mention.sentence]
                typed = analysis.type_probability(mention.answer_type) >= TYPED
                # "led by X" for "Who led ...?", "two security personnel" for "How many security personnel ...?"
                fills_role = typed and (mention.role > 0 or mention.counts > 0)
                if (mention.echo, fills_role, mention.score) > (item.echoes, item.fills_role, item.score):
                    pool[mention.sentence] = dataclasses.replace(
                        item,
                        candidate=candidate,
                        short_answer=candidate.text,
                        score=mention.score,
                        typed=typed,
                        fills_role=fills_role,
                        echoes=mention.echo,
                        counts=bool(mention.counts),
                    )
        answers.sort(key=lambda c: c.score, reverse=True)
        return dataclasses.replace(
            reading, pool=tuple(pool), candidates=tuple(answers), choices=tuple(self.model.score(reading.choices))
        )

    def extract(
        self,
        question_text: str,
        query_vector: np.ndarray,
        passages: list[Passage],
        time_range: TimeRange | None = None,
        as_of: datetime | None = None,
    ) -> Extraction:
        """The quotes and short answers for a question; ``time_range`` is the time it names, if any."""
        if BLANK.search(question_text):
            return self._fill(question_text, query_vector, passages)
        if time_range is not None:
            # "this week" picks the articles (below); as words to find in a sentence it only misleads.
            question_text = " ".join(question_text.replace(time_range.phrase, " ").split())
        reading = self.read(question_text, passages, as_of)
        if reading.abstain_reason:
            return Extraction.abstention(reading.abstain_reason)
        if reading.analysis.statement:
            return self._state(reading)
        # The parse says who did what, which the model's frequency and overlap cues cannot: an
        # answer of the asked-for type in the asked-for role comes first; before it, the phrase of a
        # sentence that says, after it, what the question asks ("Who led the loyalists in Balqasah?").
        pool = sorted(reading.pool, key=lambda s: (s.echoes, s.fills_role, s.score), reverse=True)
        if time_range is not None:
            # A question that names a time is answered from articles of that time when any is read.
            pool.sort(key=lambda s: not sources.published_in(s.sentence.passage, time_range))
        # Whether the passages answer at all is the model's call (its best score); which answer
        # they give may then be the parse's.
        # A sentence saying what the question asks, with a phrase where it asks, answers it whatever the score.
        supported = max(item.score for item in pool)
        if pool[0].short_answer is None or (supported < self.model.threshold and not pool[0].echoes):
            return Extraction.abstention(_NOT_CLOSE_ENOUGH)
        pool = sources.on_the_same_subject(pool, frozenset(content_terms(" ".join(reading.analysis.entities))))
        compared = [0] + [i for i, item in enumerate(pool) if i and sources.may_differ(pool[0], item)]
        pool = self._with_similarity(pool, compared, query_vector)
        best = pool[0]
        over_time = sources.reports_over_time(pool, time_range, self.settings)
        if over_time is not None:
            newer, earlier = over_time
            values = tuple(item.short_answer for item in (newer, earlier) if item.short_answer)
            return Extraction("superseded", (newer, earlier), values, (None, None))
        counted = reading.analysis.type_probability("number") >= TYPED
        if counted:
            quotes, answers, attributions = sources.disagreeing_counts(pool, best, self.settings)
        else:
            quotes, answers, attributions = [best], [best.short_answer], [sources.attribution(best.sentence.text)]
        if len(quotes) == 1 and (rival := sources.contradicting(pool, self.settings)) is not None:
            quotes, answers = [best, rival], [best.short_answer, rival.short_answer]
            attributions = [sources.outlet(best), sources.outlet(rival)]
        return Extraction.answers(quotes, answers, attributions, counted)

    def _state(self, reading: Reading) -> Extraction:
        """What happened, why, how: no one span answers, so the sentence that matches the question best does."""
        best = max(reading.pool, key=lambda item: item.lexical)
        if not best.matched:
            return Extraction.abstention(_NOT_CLOSE_ENOUGH)
        return Extraction("statement", (dataclasses.replace(best, score=best.lexical),), (), (None,))

    def _fill(self, question_text: str, query_vector: np.ndarray, passages: list[Passage]) -> Extraction:
        """A cloze question: the words, where the question has its blank, of the sentence that reads most like it.

        Another outlet's sentence of the same statement filled otherwise is quoted beside it.
        """
        reading = self.reader.read(question_text, passages)
        if reading.abstain_reason:
            return Extraction.abstention(reading.abstain_reason)
        filled = [
            dataclasses.replace(item, short_answer=fill, typed=True, candidate=None)
            for item in reading.pool
            if (fill := _fill_blank(question_text, item.sentence.text))
        ]
        if not filled:
            return Extraction.abstention("no retrieved sentence reads like the question around its blank")
        filled = self._with_similarity(filled, range(len(filled)), query_vector)
        filled = sorted(
            (dataclasses.replace(item, score=item.semantic or 0.0) for item in filled),
            key=lambda s: s.score,
            reverse=True,
        )
        best = filled[0]
        if (rival := sources.contradicting(filled, self.settings)) is not None:
            return Extraction.answers(
                [best, rival], [best.short_answer, rival.short_answer], [sources.outlet(best), sources.outlet(rival)]
            )
        return Extraction.answers([best], [best.short_answer], [None])

    def _with_similarity(self, items: list[Scored], which, query_vector: np.ndarray) -> list[Scored]:
        """``items``, those at the positions ``which`` with their embedding similarity to the question.

        Only the few sentences a decision compares are embedded (a second source, the fill of
        a blank): the model does without, and embedding the whole pool would double the time
        an answer takes.
        """
        missing = [i for i in which if items[i].semantic is None]
        if not missing:
            return items
        similarities = self.embedder.embed_documents([items[i].sentence.text for i in missing]) @ query_vector
        measured = {i: max(0.0, float(s)) for i, s in zip(missing, similarities)}
        return [
            dataclasses.replace(item, semantic=measured[i]) if i in measured else item for i, item in enumerate(items)
        ]


def compose(extraction: Extraction) -> tuple[str, str | None]:
    """The answer text with [n] markers, and the short answer (None if there is none)."""
    quotes = extraction.quotes
    answers = extraction.short_answers
    if extraction.kind == "superseded":
        newer, earlier = (q.sentence.passage.published for q in quotes)
        return f"{answers[0]} [1], as of {newer}; an earlier report ({earlier}) said {answers[1]} [2].", answers[0]
    if extraction.kind == "sources_differ":
        parts = []
        for n, (value, who) in enumerate(zip(answers, extraction.attributions), start=1):
            parts.append(f"{value}, according to {who} [{n}]" if who else f"{value} [{n}]")
        return "Sources differ: " + "; ".join(parts) + ".", "; ".join(answers)
    if answers:
        published = quotes[0].sentence.passage.published
        as_of = f", as of {published}" if extraction.counted and published else ""
        return f"{answers[0]} [1]{as_of}", answers[0]
    return f"{quotes[0].sentence.text} [1]", None


def citations_for(extraction: Extraction) -> list[Citation]:
    return [cite(n, item.sentence, item.score) for n, item in enumerate(extraction.quotes, start=1)]
