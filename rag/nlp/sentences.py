"""Sentences of retrieved passages, with their character spans in the article."""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

from newsqa.types import Citation, Passage

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass
class Sentence:
    """A sentence of a passage; ``start``/``end`` are offsets in the article text."""

    text: str
    start: int
    end: int
    passage: Passage
    position: int


_thread_state = threading.local()


def _segmenter():
    """A segmenter per thread, since pysbd keeps per-call state on the object."""
    if not hasattr(_thread_state, "segmenter"):
        import pysbd

        _thread_state.segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return _thread_state.segmenter


def split_sentences(passage: Passage) -> list[Sentence]:
    """pysbd sentences (it knows "Dec. 8" does not end one), never across paragraphs."""
    return [
        Sentence(text, passage.start + local, passage.start + local + len(text), passage, position)
        for position, (text, local) in enumerate(_sentence_offsets(passage.text))
    ]


@functools.lru_cache(maxsize=4096)
def _sentence_offsets(text: str) -> tuple[tuple[str, int], ...]:
    """Each sentence of a passage's text and where it starts; cached, since a passage is read by many questions."""
    found: list[tuple[str, int]] = []
    for span in _segmenter().segment(text):
        offset = span.start
        for part in _PARAGRAPH_BREAK.split(span.sent):
            stripped = part.strip()
            if stripped:
                local = text.find(stripped, offset)
                if local < 0:
                    continue
                found.append((stripped, local))
                offset = local + len(stripped)
    return tuple(found)


def segment(text: str) -> list[str]:
    """The sentences of any text, never across paragraphs."""
    return [
        part.strip()
        for span in _segmenter().segment(text)
        for part in _PARAGRAPH_BREAK.split(span.sent)
        if part.strip()
    ]


def cite(number: int, sentence: Sentence, support: float) -> Citation:
    """A numbered citation quoting ``sentence`` exactly, with its span in the article."""
    passage = sentence.passage
    return Citation(
        number=number,
        article_id=passage.article_id,
        title=passage.title,
        source=passage.source,
        url=passage.url,
        published=passage.published,
        quote=sentence.text,
        start=sentence.start,
        end=sentence.end,
        passage_id=passage.id,
        support=round(min(1.0, support), 3),
        also_reported_by=list(passage.also_reported_by),
    )
