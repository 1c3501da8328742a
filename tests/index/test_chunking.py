"""Chunks end on sentence boundaries and their spans point into the article."""

from __future__ import annotations

from index.chunking import chunk_text


def test_chunks_carry_their_spans_and_end_on_sentences():
    sentences = [f"Sentence number {i} tells of event {i} in the valley." for i in range(40)]
    text = " ".join(sentences)
    chunks = chunk_text(text, size=300, overlap=60)
    assert len(chunks) > 5
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 300
        assert chunk.text.endswith("valley.")
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    # Neighbours overlap, so a sentence cut from one chunk's end opens the next.
    assert all(b.start < a.end for a, b in zip(chunks, chunks[1:]))


def test_paragraphs_are_preferred_boundaries():
    text = "First paragraph is short.\n\nSecond paragraph is also short."
    chunks = chunk_text(text, size=200, overlap=0)
    assert [c.text for c in chunks] == [text]
    assert [c.text for c in chunk_text(text, size=40, overlap=0)] == [
        "First paragraph is short.",
        "Second paragraph is also short.",
    ]
