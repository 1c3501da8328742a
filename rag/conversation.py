"""The conversation so far, and the standalone question a follow-up stands for.

A follow-up is rewritten by putting the thing it refers to in place of its pronoun
("And where did this happen?" after a question about "the Balqasah fighting" becomes
"Where did the Balqasah fighting happen?"), never by gluing the earlier question on: the
question type must stay the new question's own. The antecedent is looked for in the last
turn only, the way people use follow-ups; a "who" question's answer is the antecedent
of he/she/they after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsqa.errors import InputError
from newsqa.text import strip_markers

_PERSON = r"he|him|his|she|her|hers"
_THING = r"it|its|this|that|these|those|they|them|their|there"
_PRONOUN = re.compile(rf"\b(?:{_PERSON}|{_THING})\b", re.IGNORECASE)
_CONTINUES = re.compile(r"^\s*(?:and|but|also|so)\b[\s,]*", re.IGNORECASE)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<rest>.+?)\s*\??\s*$", re.IGNORECASE)
# A capitalised word after the first: a name the question's own pronouns can refer to.
_NAME_INSIDE = re.compile(r"(?<=\s)[A-Z][\w’'-]+")
# A run of capitalised words ("Mohammed Kingo al-Hassan", "Balqasah"), lower-case particles allowed inside.
_NAME = re.compile(r"[A-Z][\w’'.-]*(?:\s+(?:(?:al|el|bin|de|van|von)-?\s*)?[A-Z][\w’'.-]*)*")
# "the Balqasah fighting": an event or thing named by a name and a noun.
_NAMED_THING = re.compile(r"\bthe\s+(?:[A-Z][\w’'-]*\s+)+[a-z][\w-]+")
_DETERMINER = re.compile(r"\b(?:this|that|these|those)\s+(?P<noun>[a-z][\w-]+)", re.IGNORECASE)
_PLURAL_THING = re.compile(r"\bthe\s+(?:[a-z][\w-]+\s+)?[a-z][\w-]+s\b")
_PLACE = re.compile(r"\b(?:in|at|near|from|to|into|outside)\s+(?:the\s+)?(" + _NAME.pattern + ")")
# Words that open a question and are no part of what it is about ("Did", "Who", "In").
_QUESTION_WORDS = frozenset(
    "who whom whose what which when where why how did does do is was are were has have had can will would "
    "should in on at".split()
)
_LEADING_PREPOSITION = re.compile(r"^(?:in|at|on|for|of|from|to|with|by)\s+", re.IGNORECASE)
_SHORT_ANSWER_WORDS = 6

History = Sequence[tuple[str, str]] | Sequence[dict]


def turns_of(history: History | None) -> list[tuple[str, str]]:
    """The conversation as (question, answer) pairs, from pairs or role/content messages."""
    if not history:
        return []
    try:
        if isinstance(history[0], dict):
            messages: Sequence[dict] = history  # type: ignore[assignment]
            users = [str(m["content"]) for m in messages if m.get("role") == "user"]
            bots = [str(m["content"]) for m in messages if m.get("role") == "assistant"]
            return list(zip(users, bots + [""] * (len(users) - len(bots))))
        return [(str(q), str(a or "")) for q, a in history]
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise InputError(
            "history must be (question, answer) pairs or {'role': 'user' or 'assistant', 'content': ...} messages"
        ) from e


def leans_on_conversation(question: str) -> bool:
    """Whether a question needs the conversation: it continues one ("And where ...?", "What
    about ...?"), or has a pronoun with nothing in the question it could refer to ("Who
    arrested him?", but not "Where will Novatek build its plant?")."""
    if _CONTINUES.match(question) or _WHAT_ABOUT.match(question):
        return True
    return bool(_PRONOUN.search(question)) and not _NAME_INSIDE.search(question)


def _names(question: str) -> list[tuple[str, int, int]]:
    """Names in a question as (text, start, end); a first word capitalised only as the first is left out."""
    found = []
    for match in _NAME.finditer(question):
        text, start = match.group(), match.start()
        first, _, rest = text.partition(" ")
        if start == 0 and first.lower() in _QUESTION_WORDS:
            if not rest.strip():
                continue
            text, start = rest.strip(), match.end() - len(rest.strip())
        found.append((text, start, match.end()))
    return found


def _first_line(answer: str) -> str:
    """An answer's first line without its [n] markers: the short answer, when there is one."""
    return strip_markers(answer.split("\n")[0]).strip()


def _short_answer(question: str, answer: str) -> str | None:
    """The earlier answer when it is a name (a "who" question answered in a few words)."""
    first_line = _first_line(answer).rstrip(".")
    if not question.strip().lower().startswith(("who", "whom")):
        return None
    if first_line and len(first_line.split()) <= _SHORT_ANSWER_WORDS and first_line[0].isupper():
        return first_line
    return None


def _antecedents(question: str, answer: str) -> dict[str, str | None]:
    """What each kind of pronoun refers to after the turn (question, answer)."""
    names = [name for name, _, _ in _names(question)]
    answered_name = _short_answer(question, answer)
    named_thing = _NAMED_THING.search(question)
    place = _PLACE.findall(question)
    plural = _PLURAL_THING.search(question)
    answered_place = _first_line(answer) if question.lower().startswith("where") else ""
    thing = named_thing.group() if named_thing else (names[-1] if names else None)
    return {
        "person": answered_name or (names[0] if names else None),
        "thing": thing,
        "place": place[-1] if place else (answered_place or thing),
        "group": plural.group() if plural else (answered_name or thing),
    }


def _possessive(name: str) -> str:
    return f"{name}’" if name.endswith("s") else f"{name}’s"


def _substitute(question: str, refers: dict[str, str | None]) -> str:
    def replace(match: re.Match) -> str:
        word = match.group()
        lower = word.lower()
        following = question[match.end() :].lstrip()
        next_word = following.split(maxsplit=1)[0].lower().strip("?.,!") if following else ""
        if lower in ("he", "him", "she", "hers") or (lower == "her" and not _is_noun_after(next_word)):
            return refers["person"] or word
        if lower in ("his", "her"):
            return _possessive(refers["person"]) if refers["person"] else word
        if lower == "there":
            return f"in {refers['place']}" if refers["place"] else word
        if lower in ("they", "them"):
            return refers["group"] or word
        if lower == "their":
            return _possessive(refers["group"]) if refers["group"] else word
        if lower == "its":
            return _possessive(refers["thing"]) if refers["thing"] else word
        return refers["thing"] or word

    def determined(match: re.Match) -> str:
        noun, thing = match.group("noun"), refers["thing"]
        if not _is_noun_after(noun.lower()) or not thing:
            return match.group()
        return thing if thing.startswith("the ") else f"the {noun} of {thing}"

    rewritten = _PRONOUN.sub(replace, _DETERMINER.sub(determined, question))
    return rewritten[0].upper() + rewritten[1:] if rewritten else rewritten


# Words after "this"/"her" that show it stands alone ("this happened", "her to"), not before a noun.
_NOT_NOUNS = frozenset(
    "is was are were has had have did does do happen happened take took to in on at of for with by from and or "
    "say said mean means cost last lasted start started end ended be been will".split()
)


def _is_noun_after(word: str) -> bool:
    """Whether a determiner-like word ("this", "her") is followed by the noun it determines."""
    return word.isalpha() and word not in _NOT_NOUNS


def _elliptical(rest: str, earlier_question: str) -> str:
    """ "What about X?" after a question: that question, with X in place of its last name."""
    names = _names(earlier_question)
    if not names:
        return f"{earlier_question.rstrip('?. ')} ({rest})?"
    _, start, end = names[-1]
    replacement = rest
    before = earlier_question[:start]
    preposition = _LEADING_PREPOSITION.match(rest)
    if preposition and before.rstrip().lower().endswith(preposition.group().strip().lower()):
        replacement = rest[preposition.end() :]
    return earlier_question[:start] + replacement + earlier_question[end:]


def standalone_question(question: str, turns: list[tuple[str, str]]) -> str:
    """The question a follow-up stands for in this conversation; a standalone question unchanged.

    ``turns`` are (question, answer) pairs, oldest first; for a follow-up of a follow-up,
    pass the standalone form of each earlier question.
    """
    if not turns or not leans_on_conversation(question):
        return question
    earlier_question, earlier_answer = turns[-1]
    elliptical = _WHAT_ABOUT.match(question)
    if elliptical:
        return _elliptical(elliptical.group("rest"), earlier_question)
    stripped = _CONTINUES.sub("", question, count=1)
    rewritten = _substitute(stripped, _antecedents(earlier_question, earlier_answer))
    if not _PRONOUN.search(stripped):
        # "And when?" has nothing to substitute: it asks about what the last turn said.
        return f"{rewritten.rstrip('?. ')}? ({_statement(earlier_question, earlier_answer)})"
    return rewritten


def _statement(question: str, answer: str) -> str:
    """The last turn as one statement: "Shujaa al-Ali led the loyalists in Balqasah"."""
    words = question.strip().rstrip("?").split()
    while words and words[0].lower() in _QUESTION_WORDS:
        words.pop(0)
    rest = " ".join(words)
    name = _short_answer(question, answer)
    return f"{name} {rest}" if name else rest
