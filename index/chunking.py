"""Sentence-aware chunking with character offsets into the article."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter

# Paragraphs first, then sentence ends (a full stop, ! or ? followed by a capital or a
# quote), then clauses and words: chunks end on sentence boundaries wherever the size
# allows, so a quoted sentence lies whole inside one chunk.
_SEPARATORS = ["\n\n", "\n", r"(?<=[.!?])\s+(?=[\"“‘'(\[]?[A-Z0-9])", r";\s", r",\s", r"\s", ""]

# The splitter gives texts, not places, and a text that repeats itself (a chant, rows of
# a table) holds each chunk several times within reach. So the splitter reads a stand-in
# of the article in which every character the separators cannot see (lower-case and
# non-ASCII letters) is replaced by an ideograph numbered by its position: the stand-in
# splits at the same places, and each of its chunks occurs once within the period below,
# longer than any chunk can be (settings cap chunks at 4,000 characters).
_STAND_IN_FIRST = 0x4E00  # CJK Unified Ideographs: letters to every regex class used above
_STAND_IN_PERIOD = 20_992
_KEPT_BEYOND_ASCII = np.array([c for c in range(0x80, 0x3001) if chr(c).isspace()] + [ord("“"), ord("‘")])


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


def _stand_in(text: str) -> str:
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    lower = (codes >= ord("a")) & (codes <= ord("z"))
    replaced = lower | ((codes >= 0x80) & ~np.isin(codes, _KEPT_BEYOND_ASCII))
    positions = np.flatnonzero(replaced)
    codes[positions] = _STAND_IN_FIRST + positions % _STAND_IN_PERIOD
    return codes.tobytes().decode("utf-32-le")


def chunk_text(text: str, size: int, overlap: int) -> list[Chunk]:
    """Chunks of at most ``size`` characters, overlapping by up to ``overlap``, with spans."""
    stand_in = _stand_in(text)
    chunks: list[Chunk] = []
    cursor = 0
    for piece in _splitter(size, overlap).split_text(stand_in):
        start = stand_in.find(piece, cursor)
        chunks.append(Chunk(len(chunks), text[start : start + len(piece)], start, start + len(piece)))
        # The splitter can start two chunks at one place (a split too long for a chunk is
        # cut anew), never earlier than the chunk before.
        cursor = start
    return chunks
