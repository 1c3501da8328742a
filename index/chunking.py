"""Sentence-aware chunking with character offsets into the article."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter

# Paragraphs first, then sentence ends (a full stop, ! or ? followed by a capital or a
# quote), then clauses and words: chunks end on sentence boundaries wherever the size
# allows, so a quoted sentence lies whole inside one chunk.
_SEPARATORS = ["\n\n", "\n", r"(?<=[.!?])\s+(?=[\"“‘'(\[]?[A-Z0-9])", r";\s", r",\s", r"\s", ""]


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    start: int
    end: int


@lru_cache(maxsize=8)
def _splitter(size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )


def chunk_text(text: str, size: int, overlap: int) -> list[Chunk]:
    """Chunks of at most ``size`` characters, overlapping by up to ``overlap``, with spans."""
    chunks: list[Chunk] = []
    cursor = 0
    for piece in _splitter(size, overlap).split_text(text):
        start = text.find(piece, cursor)
        if start < 0:
            start = text.find(piece)
        chunks.append(Chunk(len(chunks), piece, start, start + len(piece)))
        cursor = start + 1
    return chunks
