"""Text helpers shared by every layer: the one tokenizer (BM25 and the answerers alike), citation markers."""

from __future__ import annotations

import re
import threading

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9’'\-]*")
STOPWORDS = frozenset(
    """a an the of in on at to for from by with about as into over after before during
    and or but if than then so that this these those there here is are was were be been being
    am do does did done has have had having will would shall should can could may might must
    who whom whose what which when where why how many much it its it's he she they them their his
    her him we us our you your i me my mine not no nor also just very more most some any each
    every all both either neither one according said says say reported""".split()
)
# An answer's citation marker, "[2]".
MARKER = re.compile(r"\[(\d+)\]")
_MARKER_WITH_SPACE = re.compile(r"\s*" + MARKER.pattern)
_thread_state = threading.local()


def _stemmer():
    """A stemmer per thread: PyStemmer objects are not thread-safe, and the UI answers in parallel."""
    if not hasattr(_thread_state, "stemmer"):
        import Stemmer

        _thread_state.stemmer = Stemmer.Stemmer("english")
    return _thread_state.stemmer


def content_terms(text: str) -> list[str]:
    """Lower-cased, stemmed words of a text, without stopwords."""
    words = [w.lower().strip("’'-") for w in WORD.findall(text)]
    return _stemmer().stemWords([w for w in words if w and w not in STOPWORDS])


def share_in(text: str, terms: set[str] | frozenset[str]) -> float:
    """Share of a text's content terms found in ``terms``; 0 for a text of stopwords only."""
    words = set(content_terms(text))
    return len(words & terms) / len(words) if words else 0.0


def marker_numbers(text: str) -> list[int]:
    """The passage numbers a text cites, in order: "A [1] and B [3]" gives [1, 3]."""
    return [int(n) for n in MARKER.findall(text)]


def strip_markers(text: str) -> str:
    """The text without its [n] markers (and the space before each)."""
    return _MARKER_WITH_SPACE.sub("", text).strip()


def counted(number: int, noun: str) -> str:
    """A count with its noun in the right number, "1 article" or "2 articles" (nouns that take -s)."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"
