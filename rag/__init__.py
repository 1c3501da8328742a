"""Answers about news articles, every claim cited to the exact sentence.

    from rag import answer
    result = answer("Who led the loyalists in Balqasah?")
    print(result.text)                      # Shujaa al-Ali [1]
    print(result.citations[0].quote)        # the sentence that names him

    for piece in answer_stream("When did Assad flee the country?"):
        ...                                 # pieces of text, then the Answer

The heavy machinery (models, Chroma) loads on the first call, once per process. The
stages, each a folder: ``retrieval`` (dense and BM25 search, fused, with time words and
recency), ``extractive`` (the offline engine and its learned reader), ``generative`` (an
LLM's answer, its citations verified), ``nlp`` (sentences, spans, spaCy, language);
``pipeline`` runs them, ``policy`` chooses the engine, ``response`` makes the Answer.
"""

from typing import TYPE_CHECKING

from newsqa.types import Answer, Citation, Filters, Stage, Timeline, TimelineEntry

if TYPE_CHECKING:
    from rag.pipeline import answer, answer_stream, timeline, warm_up
    from rag.response import Response

__all__ = [
    "Answer",
    "Citation",
    "Filters",
    "Response",
    "Stage",
    "Timeline",
    "TimelineEntry",
    "answer",
    "answer_stream",
    "timeline",
    "warm_up",
]
# Where each name is defined: imported on first use, so that `import rag` (and a command line
# that only parses its arguments) does not load LangChain and the engines.
_LAZY = {
    "answer": "rag.pipeline",
    "answer_stream": "rag.pipeline",
    "warm_up": "rag.pipeline",
    "timeline": "rag.pipeline",
    "Response": "rag.response",
}


def __getattr__(name: str):
    """``rag.answer`` and the rest are the pipeline's own functions, with their real signatures."""
    if name not in _LAZY:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
