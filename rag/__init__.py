"""Answers about news articles, every claim cited to the exact sentence.

    from rag import answer
    result = answer("Who led the loyalists in Balqasah?")
    print(result.text)                      # Shujaa al-Ali [1]
    print(result.citations[0].quote)        # the sentence that names him

The heavy machinery (models, Chroma) loads on the first call, once per process.
"""

from newsqa.types import Answer, Citation, Filters, Stage


def answer(question, **kwargs) -> Answer:
    """Answer a question from the index; see :func:`rag.chain.answer` for the arguments."""
    from rag.chain import answer as _answer

    return _answer(question, **kwargs)


def answer_stream(question, **kwargs):
    """Stream an answer's text, then the :class:`Answer`; see :func:`rag.chain.answer_stream`."""
    from rag.chain import answer_stream as _answer_stream

    return _answer_stream(question, **kwargs)


def warm_up(settings=None) -> None:
    """Load the models and open the index ahead of the first question; see :func:`rag.chain.warm_up`."""
    from newsqa.settings import Settings
    from rag.chain import warm_up as _warm_up

    _warm_up(settings or Settings())


__all__ = ["Answer", "Citation", "Filters", "Stage", "answer", "answer_stream", "warm_up"]
