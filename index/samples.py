"""The bundled sample article (see sample/SOURCE) and the questions it answers."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SAMPLE_ARTICLE_ID = "syria-balqasah-clashes"
SAMPLE_QUESTIONS = [
    "Who led the loyalists in Balqasah?",
    "Who was arrested in the Tartus countryside?",
    "How many security personnel were killed in the Balqasah fighting?",
    "When did Assad flee the country?",
]


def sample_article() -> Path:
    """Path of the sample article inside the installed package."""
    return Path(str(resources.files("index") / "sample" / f"{SAMPLE_ARTICLE_ID}.txt"))
