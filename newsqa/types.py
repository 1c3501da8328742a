"""The result types (an :class:`Answer` with its :class:`Citation` list) and the retrieval seam.

Retrieval takes a :class:`Query` and returns :class:`Passage` objects; the answerers
take passages and return an :class:`Answer`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from newsqa.dates import day_number
from newsqa.errors import InputError
from newsqa.text import counted

Engine = Literal["extractive", "llm"]
RetrievalMode = Literal["hybrid", "dense", "bm25"]


# How the outlet of an article that names none is listed (a .jsonl row without "source"); stored as "".
UNKNOWN_SOURCE = "(unknown)"


class Filters(BaseModel):
    """Metadata filters for retrieval: outlets, a published-date range (inclusive), articles to leave out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    exclude_articles: tuple[str, ...] = ()

    @field_validator("sources", "exclude_articles", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        if isinstance(value, str):
            return (value,)
        if value is None or isinstance(value, list | tuple | set):
            return tuple(value or ())
        return value  # anything else is refused by the field's own validation

    @classmethod
    def parse(cls, value: Filters | dict | None) -> Filters:
        """Filters from a dict such as ``{"sources": ["cnn"], "since": "2022-06-01"}``, or an InputError."""
        if isinstance(value, Filters):
            return value
        if value is not None and not isinstance(value, dict):
            raise InputError(
                f"filters must be a dict, not {type(value).__name__}: {{'sources': ['cnn'], 'since': '2022-06-01'}}"
            )
        try:
            return cls.model_validate(value or {})
        except ValidationError as e:
            first = e.errors()[0]
            if not first["loc"]:
                raise InputError(str(first["ctx"]["error"])) from e
            field = ".".join(str(p) for p in first["loc"])
            raise InputError(f"bad filter {field}: {first['msg']}; use sources=[...], since/until=YYYY-MM-DD") from e

    @model_validator(mode="after")
    def _range_in_order(self) -> Filters:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"the date range starts ({self.since}) after it ends ({self.until}); swap the dates")
        return self

    @property
    def since_day(self) -> int | None:
        return day_number(self.since)

    @property
    def until_day(self) -> int | None:
        return day_number(self.until)

    def up_to(self, last: date | None) -> Filters:
        """These filters, with nothing published after ``last`` (None: unchanged)."""
        if last is None or (self.until and self.until <= last):
            return self
        return self.model_copy(update={"until": last})


class TimeRange(BaseModel):
    """The days a question's time expression names ("this week"), as read against ``as_of``."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    phrase: str = Field(description="The words of the question that name the time, as typed.")

    def describe(self) -> str:
        """How the words were read, for people: "this week" read as 2022-06-11 to 2022-06-17."""
        days = self.start.isoformat() if self.start == self.end else f"{self.start} to {self.end}"
        return f"“{self.phrase}” read as {days}"

    def days_from(self, day: date) -> int:
        """How many days ``day`` lies outside the range; 0 inside it."""
        if day < self.start:
            return (self.start - day).days
        return max(0, (day - self.end).days)


class Query(BaseModel):
    """What retrieval receives: the search text, its vector, the filters, and the moment asked about."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    text: str
    vector: np.ndarray = Field(description="The embedding of ``text``, unit length.")
    filters: Filters = Field(default_factory=Filters)
    as_of: datetime | None = Field(default=None, description="Articles published after this day are not retrieved.")
    time_range: TimeRange | None = Field(default=None, description="The days the question names, a soft hint.")

    @property
    def effective_filters(self) -> Filters:
        """The filters, with ``as_of`` as the last published day allowed."""
        return self.filters.up_to(self.as_of.date() if self.as_of else None)


class Passage(BaseModel):
    """A retrieved chunk with its fused score and where each retriever ranked it."""

    id: str
    article_id: str
    title: str
    source: str
    url: str
    published: str
    text: str
    start: int = Field(description="Offset of the passage in its article's text.")
    end: int
    score: float = Field(description="Reciprocal-rank-fusion score of the chunk.")
    article_score: float | None = Field(default=None, description="Fused score of the chunk's article.")
    dense_rank: int | None = None
    bm25_rank: int | None = None
    dense_similarity: float | None = None
    also_reported_by: list[str] = Field(
        default_factory=list, description="Outlets of near-copies of this article, left out of the passages."
    )


class Stage(BaseModel):
    """A step of answering under way, for a screen to show until the answer comes."""

    model_config = ConfigDict(frozen=True)

    step: Literal["loading", "searching", "reading"]
    passages: int = Field(default=0, description="Passages searched (the whole index) or read.")

    def describe(self) -> str:
        if self.step == "loading":
            return "Loading the models (first question after start, a few seconds)…"
        verb = "Searching" if self.step == "searching" else "Reading"
        return f"{verb} {counted(self.passages, 'passage')}…"


class Citation(BaseModel):
    """One numbered citation: the exact sentence quoted and where it sits in its article."""

    number: int
    article_id: str
    title: str
    source: str
    url: str
    published: str
    quote: str = Field(description="The supporting sentence(s), verbatim from the article.")
    start: int = Field(description="Character offset of the quote in the article text.")
    end: int
    passage_id: str
    support: float = Field(description="How strongly the quote supports the answer, 0 to 1.")
    also_reported_by: list[str] = Field(default_factory=list, description="Outlets that ran a near-copy.")


class Answer(BaseModel):
    """An answer whose every claim carries an inline [n] marker pointing into ``citations``."""

    question: str
    understood_as: str | None = Field(
        default=None, description="The standalone question a follow-up was read as, when it differs."
    )
    text: str
    short_answer: str | None = Field(default=None, description="A name, number or date, when one was found.")
    abstained: bool = False
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    engine: Engine = "extractive"
    support: float | None = Field(default=None, description="Mean support of the kept sentences (llm engine).")
    unsupported: list[str] = Field(default_factory=list, description="Generated sentences dropped as unsupported.")
    raw_text: str | None = Field(default=None, description="The LLM's reply before verification.")
    notice: str | None = Field(default=None, description="Why the answer is not what the settings asked for.")
    as_of: date | None = Field(
        default=None, description="The day the question was asked about; nothing later was read."
    )
    time_range: TimeRange | None = Field(default=None, description="How the question's time words were read.")


class TimelineEntry(BaseModel):
    """One article's line in a timeline: its opening sentence and its most informative one about the topic."""

    published: str = Field(description="The article's day, YYYY-MM-DD; empty when undated.")
    text: str = Field(
        description="The opening with its [n] when there is one, the sentence, then what changed since an earlier line."
    )
    citation: Citation = Field(description="The sentence, quoted exactly; its number is the line's.")
    opening: Citation | None = Field(
        default=None, description="The article's opening sentence, when it was retrieved and is another sentence."
    )
    also: Citation | None = Field(
        default=None, description="The article's next most telling sentence about the topic, when it has another."
    )
    outlets: list[str] = Field(description="The article's outlet, then those that ran a near-copy of it.")
    earlier: list[Citation] = Field(
        default_factory=list, description="Earlier lines whose figure for the same thing this line changes."
    )

    @property
    def quoted(self) -> list[Citation]:
        """The sentences the line quotes, as it reads: the opening and the second, when there are, then its own."""
        return [c for c in (self.opening, self.also, self.citation) if c]


class Timeline(BaseModel):
    """A story's development: one line per article about ``topic``, in order of publication."""

    topic: str
    entries: list[TimelineEntry] = Field(default_factory=list)
    as_of: date | None = Field(default=None, description="Nothing published after this day was read.")
    filters: Filters = Field(default_factory=Filters)
    timings_ms: dict[str, float] = Field(default_factory=dict)

    @property
    def citations(self) -> list[Citation]:
        """Every sentence cited: each line's, then their openings and the earlier sentences a changed figure cites."""
        cited = {c.number: c for entry in self.entries for c in (*entry.quoted, *entry.earlier)}
        return [cited[number] for number in sorted(cited)]

    def days(self) -> list[tuple[str, list[TimelineEntry]]]:
        """The entries grouped by day, in order; undated ones last, under ""."""
        grouped: dict[str, list[TimelineEntry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.published, []).append(entry)
        return list(grouped.items())

    def render(self, new_after: date | None = None) -> str:
        """The timeline as text: a heading per day, then each line with its [n] and outlets;
        lines published after ``new_after`` (the day it was last looked at) marked new."""
        if not self.entries:
            since, until = self.filters.since, self.filters.until
            when = f" published {since or '…'} to {until or '…'}" if since or until else ""
            return f"No indexed article{when} is about “{self.topic}”."
        blocks = []
        for day, entries in self.days():
            mark = "new: " if new_after and day and day > new_after.isoformat() else ""
            lines = [day or "Undated"]
            lines += [
                f"  {mark}{entry.text} [{entry.citation.number}] ({', '.join(entry.outlets)})" for entry in entries
            ]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)
