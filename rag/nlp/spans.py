"""Spans a question can ask for: names of people, organisations and places, numbers, dates.

Rule-based (regular expressions over capitalisation, number words and month names), so
they run offline and fast: the cloze and conflict generators draw their spans with them,
and the reader writes number words as digits with :func:`number_value`.
"""

from __future__ import annotations

import re

from newsqa.text import STOPWORDS

CAPITAL_STOP = frozenset(
    """The A An In On At As After Before During Earlier Later Also But And Or If When While
    This That These Those It Its He She They We His Her Their Our Mr Mrs Ms Dr
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split()
)
NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
    "thousand": 1000,
}
# Counts a question may be answered with, though they name no exact number.
VAGUE_NUMBERS = ("dozens", "hundreds", "thousands")
MONTH = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|"
    r"Sep(?:t(?:ember|\.)?|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
DATE = re.compile(
    rf"\b(?:{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,\s*\d{{4}})?|\d{{1,2}}\s+{MONTH}(?:\s+\d{{4}})?|"
    rf"{MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
    rf"(?:in|since|by|until)\s+(?:19|20)\d{{2}})\b"
)
# A count or amount with its currency and scale, so that "$48 million" is not answered as "48".
NUMBER = re.compile(
    r"(?:(?:US)?[$€£¥]\s?)?\b(?:\d[\d,]*(?:\.\d+)?|(?:"
    + "|".join(sorted([*NUMBER_WORDS, *VAGUE_NUMBERS], key=len, reverse=True))
    + r"))\b(?:\s?%|\s+(?:million|billion|trillion|thousand|percent|per\s+cent)\b)?",
    re.IGNORECASE,
)
NAME_PART = r"(?:[A-Z][\w’'\.-]*|(?:al|el|bin|ibn|de|van|von|da|di|le|la)-?[A-Z][\w’'-]*)"
NAME = re.compile(rf"{NAME_PART}(?:\s+(?:(?:al|bin|ibn|de|van|von|da|di|of|the)\s+)?{NAME_PART})*")


# Sentence-initial descriptors that are capitalised but no part of a name: "Sixteen-year-old".
_DESCRIPTOR = re.compile(r"^(?:\w+-year-old|\w+-based|Former|Ex-\w+)$", re.IGNORECASE)


def clean_name(name: str) -> str:
    words = name.split()
    while words and (words[0] in CAPITAL_STOP or words[0].lower() in STOPWORDS or _DESCRIPTOR.match(words[0])):
        words.pop(0)
    cleaned = " ".join(words).rstrip(".’'")
    return re.sub(r"(?:’s|'s)$", "", cleaned)


def number_value(text: str) -> str:
    """A number word as digits ("four" -> "4"); digits and vague counts ("dozens") as written."""
    lowered = text.lower()
    return str(NUMBER_WORDS[lowered]) if lowered in NUMBER_WORDS else text
