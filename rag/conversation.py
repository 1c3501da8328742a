"""The conversation so far, and the standalone query a follow-up question stands for."""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsqa.text import strip_markers

_PRONOUN = re.compile(r"\b(he|him|his|she|her|they|them|their|it|its|this|that|there)\b", re.IGNORECASE)
_CONTINUES = re.compile(r"^\s*(?:and|but|what about|how about)\b", re.IGNORECASE)
# A capitalised word after the first: a name the question's own pronouns can refer to.
_NAME_INSIDE = re.compile(r"(?<=\s)[A-Z][\w’'-]+")

History = Sequence[tuple[str, str]] | Sequence[dict]


def turns_of(history: History | None) -> list[tuple[str, str]]:
    """The conversation as (question, answer) pairs, from pairs or role/content messages."""
    if not history:
        return []
    if isinstance(history[0], dict):
        messages: Sequence[dict] = history  # type: ignore[assignment]
        users = [str(m["content"]) for m in messages if m.get("role") == "user"]
        bots = [str(m["content"]) for m in messages if m.get("role") == "assistant"]
        return list(zip(users, bots + [""] * (len(users) - len(bots))))
    return [(str(q), str(a or "")) for q, a in history]


def leans_on_conversation(question: str) -> bool:
    """Whether a question needs the conversation: it continues one ("And where ...?"), or has a
    pronoun with nothing in the question it could refer to ("Who arrested him?", but not
    "Where will Novatek build its plant?")."""
    if _CONTINUES.match(question):
        return True
    return bool(_PRONOUN.search(question)) and not _NAME_INSIDE.search(question)


def condense(question: str, turns: list[tuple[str, str]]) -> str:
    """A standalone query for a follow-up: earlier subject and answer join a question that leans on them."""
    if not turns or not leans_on_conversation(question):
        return question
    earlier_question, earlier_answer = turns[-1]
    first_line = strip_markers(earlier_answer.split("\n")[0])
    return f"{question} ({earlier_question} {first_line})"
