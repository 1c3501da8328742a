"""The shared basics every other package builds on: settings, errors, result types, text and time helpers.

Layers import only downward, and this one imports none of them::

    ui, eval      the command line, the chat UI, the evaluation harness
    rag           retrieval, answering, citation checks
    index         loaders, chunks, embeddings, the Chroma and BM25 stores
    newsqa        this package

``lint-imports`` (run by ``scripts/test.sh``) holds the order.
"""
