"""What the extractive engine's tests share: hand-made passages, the engine with the shipped model."""

from __future__ import annotations

import dataclasses

from newsqa.settings import AnswerSettings
from newsqa.types import Passage
from rag.extractive.engine import ExtractiveEngine
from rag.extractive.model import load_model
from rag.extractive.question import QuestionAnalysis, QuestionAnalyzer


def engine(embedder) -> ExtractiveEngine:
    """The engine with the shipped reader model, answering whatever its best candidate scores.

    The model's abstention threshold is calibrated on the real embedder's similarities; with
    the fake one these tests check which answer is chosen and how it is told, not whether it
    clears the threshold (the end-to-end tests over the sample do that).
    """
    return ExtractiveEngine(embedder, AnswerSettings(), dataclasses.replace(load_model(None), threshold=0.0))


def passage(text: str, article_id: str = "a", title: str = "Clashes in Balqasah", start: int = 0) -> Passage:
    return Passage(
        id=f"{article_id}::h::0",
        article_id=article_id,
        title=title,
        source="wire",
        url="",
        published="2024-12-20",
        text=text,
        start=start,
        end=start + len(text),
        score=0.03,
    )


def analyze(text: str, embedder) -> QuestionAnalysis:
    return QuestionAnalyzer(embedder).analyze(text)
