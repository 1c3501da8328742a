"""The public result types: an :class:`Answer` with its :class:`Citation` list."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator


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
        return tuple(value or ())

    @staticmethod
    def day(value: date | None) -> int | None:
        return int(value.strftime("%Y%m%d")) if value else None


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


class Answer(BaseModel):
    """An answer whose every claim carries an inline [n] marker pointing into ``citations``."""

    question: str
    text: str
    short_answer: str | None = Field(default=None, description="A name, number or date, when one was found.")
    abstained: bool = False
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    engine: str = "extractive"
    support: float | None = Field(default=None, description="Mean support of the kept sentences (llm engine).")
    unsupported: list[str] = Field(default_factory=list, description="Generated sentences dropped as unsupported.")
    raw_text: str | None = Field(default=None, description="The LLM's reply before verification.")
    notice: str | None = Field(default=None, description="Why the answer is not what the settings asked for.")
