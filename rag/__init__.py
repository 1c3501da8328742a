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

from newsqa.types import Answer, Citation, Filters, Stage
from rag.pipeline import answer, answer_stream, warm_up
from rag.response import Response

__all__ = ["Answer", "Citation", "Filters", "Response", "Stage", "answer", "answer_stream", "warm_up"]
