"""Chunks end on sentence boundaries and their spans point into the article."""

from __future__ import annotations

import random

from index.chunking import _splitter, chunk_text


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


def _numbered_twin(text: str) -> str:
    """The text with each letter (capitals aside, which sentence ends look at) made unique."""
    return "".join(chr(0x20000 + i) if c.isalpha() and not "A" <= c <= "Z" else c for i, c in enumerate(text))


def test_a_text_that_repeats_itself_gets_each_chunk_where_it_lies():
    # A chant, a table of like rows: every chunk occurs many times in the article. Its
    # true place is where the same split of a twin whose letters are all unique puts it.
    rng = random.Random(7)
    parts = ["We will", "not be moved.", "Go,", "Rovers!", "\n\n", "1.", "(b)", "é", "“Ça", "\n", "?"]
    for _ in range(60):
        unit = " ".join(rng.choice(parts) for _ in range(rng.randint(1, 5))) + rng.choice([" ", "  ", "\n"])
        text = unit * rng.randint(20, 150)
        size, overlap = rng.choice([(200, 0), (200, 50), (400, 199), (1000, 200)])
        chunks = chunk_text(text, size, overlap)
        twin = _numbered_twin(text)
        places, cursor = [], 0
        for piece in _splitter(size, overlap).split_text(twin):
            cursor = twin.index(piece, cursor)
            places.append((cursor, cursor + len(piece)))
        assert [(c.start, c.end) for c in chunks] == places, repr(unit)
        assert all(text[c.start : c.end] == c.text for c in chunks)
