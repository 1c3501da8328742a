"""Text helpers shared by every layer: the one tokenizer (BM25 and the answerers alike), citation markers."""

from __future__ import annotations

import re
import threading

# A word: a letter or digit of any script, then more, with inner apostrophes and hyphens
# ("al-Ali", "O’Neill"). An underscore joins no words (taken apart in _words).
WORD = re.compile(r"[^\W_][\w’'\-]*")
# Chinese, Japanese and Korean are written without spaces between words: a run of their
# characters is read as overlapping pairs of characters, as Lucene's CJK analyzer does, so
# that the words of a question match inside a sentence.
_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+)")
STOPWORDS = frozenset(
    """a an the of in on at to for from by with about as into over after before during
    and or but if than then so that this these those there here is are was were be been being
    am do does did done has have had having will would shall should can could may might must
    who whom whose what which when where why how many much it its it's he she they them their his
    her him we us our you your i me my mine not no nor also just very more most some any each
    every all both either neither one according said says say reported""".split()
)
# The ways news writes a country or a union that a reader may type any other of, each read as
# one word: "US" in a topic is the "U.S." and the "United States" of a sentence. Written case
# and all, so that the pronoun "us" is none of them.
_NAME_SPELLINGS = (
    # A newspaper named after the country, "USA TODAY" (a byline's "a reporter for USA TODAY"), is not it.
    (
        re.compile(r"\b(?:U\.S\.(?:A\.)?|USA(?!\s+(?:TODAY|Today)\b)|US|United States(?: of America)?)(?!\w)"),
        "UnitedStates",
    ),
    (re.compile(r"\b(?:U\.K\.|UK|United Kingdom|Britain)(?!\w)"), "UnitedKingdom"),
    (re.compile(r"\b(?:U\.N\.|UN|United Nations)(?!\w)"), "UnitedNations"),
    (re.compile(r"\b(?:E\.U\.|EU|European Union)(?!\w)"), "EuropeanUnion"),
)
# A possessive ending, to be taken off a name: "Trump’s", "Teamsters'".
POSSESSIVE = re.compile(r"['’]s?$")
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


# A letter or digit of another script than Latin (up to Latin Extended-B, in which English
# news writes "Beyoncé" too): a word without one is English's to stem.
_FOREIGN = re.compile(r"[^\W\x00-\u024f]")


def _words(text: str) -> list[str]:
    words = WORD.findall(text)
    if "_" in text:
        words = [part for word in words for part in word.split("_")]
    if not _CJK.search(text):  # the common case: one scan of the text tells
        return words
    found = []
    for word in words:
        for n, piece in enumerate(_CJK.split(word)):
            if n % 2 == 0:  # between runs of CJK characters: a word of another script, or nothing
                if piece:
                    found.append(piece)
            elif len(piece) == 1:
                found.append(piece)
            else:
                found.extend(piece[i : i + 2] for i in range(len(piece) - 1))
    return found


def content_terms(text: str) -> list[str]:
    """Lower-cased words of a text in any script, without stopwords; Latin-script words stemmed.

    Words of other scripts are kept as written, lower-cased: the English stemmer would only
    mangle them, and BM25 still matches them as typed.
    """
    # News sets apostrophes curly, people type them straight: one spelling, which the stemmer
    # reads, so that "Trump’s" is the "trump" of a question.
    words = [w.lower().replace("’", "'").strip("'-") for w in _words(text)]
    words = [w for w in words if w and w not in STOPWORDS]
    if not _FOREIGN.search(text):
        return _stemmer().stemWords(words)
    english = [not _FOREIGN.search(w) for w in words]
    stems = iter(_stemmer().stemWords([w for w, e in zip(words, english) if e]))
    return [next(stems) if e else w for w, e in zip(words, english)]


def one_name_spelling(text: str) -> str:
    """``text`` with each of a few names news writes several ways ("US", "U.S.", "United States")
    written one way, so that a name's terms match whichever way it was written."""
    for spellings, one in _NAME_SPELLINGS:
        text = spellings.sub(one, text)
    return text


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
