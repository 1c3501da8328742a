"""Retrieval: the index opened for search, dense and BM25 candidates fused, time words and recency.

:func:`rag.retrieval.retriever.open_index` opens the process's index; ``Index.query`` makes
a :class:`~newsqa.types.Query` (the one place a question is embedded);
:func:`rag.retrieval.retriever.build_retriever` is the runnable from a Query to passages.
"""
