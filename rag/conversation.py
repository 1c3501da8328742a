"""The conversation so far, and the standalone question a follow-up stands for.

A follow-up is rewritten by putting what it refers to in place of its referring words
("And where did this happen?" after a question about "the Balqasah fighting" becomes
"Where did the Balqasah fighting happen?"), never by gluing the earlier question on: the
question type stays the new question's own. The antecedent is looked for in the last turn
only, the way people use follow-ups.

The follow-up, the last question and its answer are parsed (spaCy, :mod:`rag.nlp`). The last
turn offers referents of five kinds: people (a "who" question's answer first, the person it
names without their titles, then the people the question names), places (the places it
names, or a "where" answer), groups (plural noun phrases: "the loyalists"), events (a noun
phrase of the question that is no name: "the warehouse fire"), and things. Outlets
("according to the Coastal Tribune", "the Tribune said") are where a claim comes from, never
what "it" refers to. Each referring word
takes the first referent of the kinds it can mean (:data:`_REFERS_TO`): "his" a person,
"there" a place (as "in Balqasah"), "them" a group. "That" or "this" standing for what the
last turn said ("When was that?") becomes the last turn as a question of the new kind:
"When did Ilse Varga replace Tomas Berg?". A referring word with no referent of its kinds
is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from newsqa.errors import InputError
from newsqa.text import MARKER, strip_markers

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

_PERSON = r"he|him|his|she|her|hers"
_THING = r"it|its|this|that|these|those|they|them|their|there"
_PRONOUN = re.compile(rf"\b(?:{_PERSON}|{_THING})\b", re.IGNORECASE)
_CONTINUES = re.compile(r"^\s*(?:and|but|also|so)\b[\s,]*", re.IGNORECASE)
# A question word alone ("Why?", "And when exactly?") asks about the last turn.
_BARE = re.compile(r"^\s*(?:and\s+)?(?:who|what|when|where|why|how)(?:\s+exactly)?\s*\??\s*$", re.IGNORECASE)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<rest>.+?)\s*\??\s*$", re.IGNORECASE)
# A run of capitalised words ("Mohammed Kingo al-Hassan", "Balqasah"), lower-case particles allowed inside.
_NAME = re.compile(r"[A-Z][\w’'.-]*(?:\s+(?:(?:al|el|bin|de|van|von)-?\s*)?[A-Z][\w’'.-]*)*")
# Words that open a question and are no part of what it is about ("Did", "Who", "In").
_QUESTION_WORDS = frozenset(
    "who whom whose what which when where why how did does do is was are were has have had can will would "
    "should in on at".split()
)
_LEADING_PREPOSITION = re.compile(r"^(?:in|at|on|for|of|from|to|with|by)\s+", re.IGNORECASE)
# An answer of more words than this is a sentence, not a name a pronoun can stand for.
_SHORT_ANSWER_WORDS = 6

Kind = Literal["person", "place", "group", "event", "thing"]
# What each referring word can stand for, most likely first. "It" is an event before a thing: after "How
# many were injured in the warehouse fire?", "Where did it start?" asks about the fire.
_REFERS_TO: dict[str, tuple[Kind, ...]] = {
    **dict.fromkeys(("he", "him", "his", "she", "her", "hers"), ("person",)),
    **dict.fromkeys(("it", "its"), ("event", "thing", "place")),
    **dict.fromkeys(("they", "them", "their"), ("group", "thing")),
    "there": ("place",),
    **dict.fromkeys(("this", "that", "these", "those"), ("event", "thing")),
}
_DEMONSTRATIVES = frozenset({"this", "that", "these", "those"})
# Tags of referring words: existential "there" (EX: "Is there a ceasefire?") and relative "that" (WDT)
# refer to nothing.
_REFERRING_TAGS = frozenset({"PRP", "PRP$", "DT", "RB"})
# A demonstrative pronoun says itself what it stands for with a clause of its own ("those who fled", "those
# aged 18 to 29"): spaCy's small model attaches the clause to it, or not, so the next word's tag tells too.
_DEFINING = frozenset({"acl", "relcl"})
_DEFINING_TAGS = frozenset({"VBN", "VBG", "WP", "WDT"})
# spaCy's entity labels by the kind of referent they name.
_ENTITY_KINDS: dict[str, Kind] = {
    "PERSON": "person",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "ORG": "thing",
    "NORP": "group",
    "EVENT": "event",
    "PRODUCT": "thing",
    "WORK_OF_ART": "thing",
    "LAW": "thing",
}
# Nouns of things that happen, which "it" or "that" can refer to as an event ("When did it start?").
_EVENT_NOUNS = frozenset(
    "fire attack strike war election match game flood storm earthquake crash clash protest vote summit talks "
    "meeting ceremony trial explosion riot outbreak ceasefire invasion siege raid coup hearing visit tour race "
    "final tournament festival concert launch collapse spill fight battle offensive".split()
)
# Verbs whose subject is the outlet a claim comes from, not what the question is about.
_SAYING = frozenset("say report claim tell write announce confirm".split())
# Verbs of an event as a whole: "When did that happen?" asks when the last turn's event did ("When did it
# start?" asks about a named event's start, and reads better with the event's name).
_HAPPENING = frozenset("happen occur take place".split())
# The question word an answer fills: a "where" answer is a place, a "who" answer a person (or a group).
_ANSWER_KINDS: dict[str, Kind] = {"who": "person", "whom": "person", "where": "place"}
# Question words whose answer is a time, a reason, a manner or an amount: nothing "it" can stand for
# (after "When was he arrested?" + "Thursday", "Where did it happen?" is not about Thursday).
_CIRCUMSTANCES = frozenset({"when", "why", "how"})

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


def _refers_outside(doc: Doc) -> bool:
    """Whether a question has a referring word with no name before it that it could refer to ("Who
    arrested him?", "He then signed with which club?", but not "Where will Novatek build its plant?")."""
    for token in doc:
        if _refers(token) and not any(t.pos_ == "PROPN" or t.ent_type_ in _ENTITY_KINDS for t in doc[: token.i]):
            return True
    return False


def _refers(token: Token) -> bool:
    """Whether a word refers to something outside its sentence: a personal or demonstrative pronoun,
    a demonstrative determiner ("that village"), "there" as a place (not "is there")."""
    if token.dep_ == "det":
        return token.lower_ in _DEMONSTRATIVES
    if token.lower_ in _DEMONSTRATIVES and _defined(token):
        return False  # "those aged 18 to 29", "those who fled": the phrase says who they are
    return token.lower_ in _REFERS_TO and token.tag_ in _REFERRING_TAGS


def _defined(token: Token) -> bool:
    """Whether a demonstrative pronoun has a clause of its own that says what it stands for."""
    after = token.nbor(1) if token.i + 1 < len(token.doc) else None
    return any(c.dep_ in _DEFINING for c in token.children) or (after is not None and after.tag_ in _DEFINING_TAGS)


@dataclass(frozen=True)
class _Referent:
    text: str  # as the last turn wrote it: "the Balqasah fighting", "Shujaa al-Ali"
    kind: Kind
    head: str  # the lemma of its head noun, for "that fire" to find "the warehouse fire"


@dataclass(frozen=True)
class _LastTurn:
    """What the follow-up can refer to in the last turn, and the turn as a question of another kind."""

    referents: tuple[_Referent, ...]
    proposition: tuple[str, str, str] | None  # (auxiliary, subject, rest): "did", "Ilse Varga", "replace …"
    topic: str  # the last question without its question words: "Balqasah" for "What is Balqasah?"

    def first(self, kinds: Sequence[Kind]) -> _Referent | None:
        for kind in kinds:
            for referent in self.referents:
                if referent.kind == kind:
                    return referent
        return None

    def headed(self, noun: str) -> _Referent | None:
        return next((r for r in self.referents if r.head == noun), None)


def _first_line(answer: str) -> str:
    """An answer's first claim, up to its first [n] marker ("Ana Ruiz [1], as of 2022-06-14; an earlier
    report … said Carl Hahn [2]" → "Ana Ruiz"): the short answer, when there is one."""
    first = answer.split("\n")[0]
    cited = MARKER.search(first)
    return strip_markers(first[: cited.start()] if cited else first).strip().rstrip(".,;")


def _wh_word(doc: Doc) -> Token | None:
    return next((t for t in doc if t.tag_ in ("WP", "WRB", "WDT", "WP$")), None)


def _is_outlet(span: Span) -> bool:
    """Whether a phrase names where a claim comes from: "according to X", "X said"."""
    root = span.root
    if root.dep_ == "pobj" and root.head.lower_ == "to" and root.head.head.lower_ == "according":
        return True
    return root.dep_ == "nsubj" and root.head.lemma_ in _SAYING


def _is_event(noun: Token) -> bool:
    """Whether a noun names something that happens: a news event's noun, or a verb's -ing ("the fighting")."""
    return noun.lemma_.lower() in _EVENT_NOUNS or (noun.tag_ == "NN" and noun.lower_.endswith("ing"))


def _last_turn(question: str, answer: str) -> _LastTurn:
    from rag import nlp

    short = _first_line(answer)
    doc, said = nlp.parse([question, short])
    wh = _wh_word(doc)
    wh_text = wh.lower_ if wh is not None else ""
    referents: list[_Referent] = []
    answered = short if short and len(short.split()) <= _SHORT_ANSWER_WORDS else ""
    answer_kind = _ANSWER_KINDS.get(wh_text)
    people = [e for e in said.ents if e.label_ == "PERSON"]
    if answered and answer_kind == "person" and len(people) == 1:
        # The person, without the titles an answer may carry: "Vice President Kamala Harris" → "Kamala Harris".
        answered = people[0].text
    if answered and answer_kind and (answer_kind != "person" or answered[0].isupper()):
        referents.append(_Referent(answered, answer_kind, answered.split()[-1].lower()))
    entities = [e for e in doc.ents if e.label_ in _ENTITY_KINDS and not _is_outlet(e)]
    # The place nearest the end is what a question is usually set in ("… in Balqasah").
    for entity in sorted(entities, key=lambda e: -e.start if _ENTITY_KINDS[e.label_] == "place" else e.start):
        referents.append(_Referent(entity.text, _ENTITY_KINDS[entity.label_], entity.root.lemma_.lower()))
    named = {t.i for e in doc.ents for t in e}
    for chunk in doc.noun_chunks:
        if _is_outlet(chunk) or any(t.tag_.startswith("W") or t.tag_ == "PRP" for t in chunk):
            continue
        if chunk.root.i in named:
            continue
        plural = chunk.root.tag_ in ("NNS", "NNPS")
        kind: Kind = "group" if plural else ("event" if _is_event(chunk.root) else "thing")
        text = chunk.text if chunk[0].tag_ in ("DT", "PRP$", "POS") else f"the {chunk.text}"
        referents.append(_Referent(text, kind, chunk.root.lemma_.lower()))
    if answered and not answer_kind and wh_text not in _CIRCUMSTANCES:
        referents.append(_Referent(answered, "thing", answered.split()[-1].lower()))
    return _LastTurn(tuple(referents), _proposition(doc, wh, answered), _topic(question))


def _proposition(doc: Doc, wh: Token | None, answered: str) -> tuple[str, str, str] | None:
    """The last turn as (auxiliary, subject, rest) when its question word asked for the subject of its
    main verb: "Who replaced Tomas Berg?" + "Ilse Varga" → ("did", "Ilse Varga", "replace Tomas Berg");
    "How many people were killed in Homs?" + "4" → ("were", "4 people", "killed in Homs"); or for a
    circumstance of it, answered or not: "When did police arrest him?" → ("did", "police", "arrest him")."""
    # "how" of "how many" modifies the count, not the verb: that is the subject case below.
    if wh is not None and wh.lower_ in _CIRCUMSTANCES | {"where"} and wh.dep_ == "advmod":
        clause = _clause(wh.head)
        if clause is not None:
            return clause
    if wh is None or not answered:
        return None
    subject = next((t for t in [wh, *wh.ancestors] if t.dep_ in ("nsubj", "nsubjpass")), None)
    # The verb the question word is the subject of: the main verb, or (where spaCy parsed the question as
    # a clause, "Who renominated her before … became public?") the verb right after it.
    if subject is None or subject.head.pos_ not in ("VERB", "AUX") or subject.head.lemma_ == "be":
        return None
    if subject.head.dep_ != "ROOT" and subject.head.i != subject.i + 1:
        return None
    verb, phrase = subject.head, list(subject.subtree)
    if wh.lower_ == "how":
        # "how many people": the answer takes the place of "how many", the noun stays.
        subject_text = " ".join([answered, *(t.text for t in phrase if t.lower_ not in ("how", "many", "much"))])
    else:
        subject_text = answered
    auxiliaries = [t for t in verb.children if t.dep_ in ("aux", "auxpass")]
    # The rest as written, commas and all (the reader reads "March 28, 1984" better than "March 28 1984").
    rest = [t for t in doc if t.i > phrase[-1].i and t not in auxiliaries and not (t.is_punct and t.i == len(doc) - 1)]
    if auxiliaries:
        return auxiliaries[0].text, subject_text, "".join(t.text_with_ws for t in rest)
    auxiliary = {"VBZ": "does", "VBP": "do"}.get(verb.tag_, "did")
    return (
        auxiliary,
        subject_text,
        "".join(verb.lemma_ + verb.whitespace_ if t.i == verb.i else t.text_with_ws for t in rest),
    )


def _clause(verb: Token) -> tuple[str, str, str] | None:
    """A question's main clause as (auxiliary, subject, rest) when it has all three and the verb is not
    "be" ("Where is Balqasah?" asked "when" is no question)."""
    if verb.dep_ != "ROOT" or verb.pos_ != "VERB":
        return None
    subject = next((t for t in verb.children if t.dep_ in ("nsubj", "nsubjpass")), None)
    auxiliary = next((t for t in verb.children if t.dep_ in ("aux", "auxpass") and t.i < verb.i), None)
    if subject is None or auxiliary is None:
        return None
    phrase = list(subject.subtree)
    last = len(verb.doc) - 1
    rest = [t for t in verb.doc if t.i > phrase[-1].i and t.i != auxiliary.i and not (t.is_punct and t.i == last)]
    subject_text = "".join(t.text_with_ws for t in phrase).strip()
    return auxiliary.text, subject_text, "".join(t.text_with_ws for t in rest).strip()


def _topic(question: str) -> str:
    """What the last question was about, without its question words: "What is Balqasah?" → "Balqasah"."""
    words = question.strip().rstrip("?").split()
    while words and words[0].lower() in _QUESTION_WORDS:
        words.pop(0)
    return " ".join(words)


def _possessive(name: str) -> str:
    return f"{name}’" if name.endswith("s") else f"{name}’s"


def _about_the_last_turn(doc: Doc, turn: _LastTurn) -> str | None:
    """A follow-up asking about the last turn itself ("When?", "When was that?", "Why did this happen?")
    as a question of its own kind about the last turn's proposition, which names the event if the last
    turn did ("When were 4 people killed in the Balqasah fighting?"); None for other follow-ups."""
    wh = _wh_word(doc)
    if wh is None or turn.proposition is None:
        return None
    words = [t for t in doc if not t.is_punct and t.i != wh.i]
    referring = [t for t in words if t.lower_ in ("that", "this", "it") and t.dep_ in ("nsubj", "nsubjpass")]
    if any(t not in referring and t.lemma_ not in ("be", "do", *_HAPPENING) for t in words):
        return None
    if any(t.lower_ == "it" for t in referring) and turn.first(("event",)) is not None:
        return None  # "it" is the event the last turn named: "When did the Balqasah fighting happen?"
    auxiliary, subject, rest = turn.proposition
    return " ".join(f"{wh.text} {auxiliary} {subject} {rest}".split()) + "?"


def _resolved(doc: Doc, turn: _LastTurn) -> str:
    """The follow-up with each referring word replaced by its referent from the last turn."""
    pieces = [(t.text, t.whitespace_) for t in doc]
    place = turn.first(("place",))
    named: set[_Referent] = set()
    for token in doc:
        lower = token.lower_
        if token.dep_ == "det" and lower in _DEMONSTRATIVES:
            noun = token.head
            referent = turn.headed(noun.lemma_.lower())
            if referent is not None and noun.i == token.i + 1:
                # "that fire": the warehouse fire.
                pieces[token.i], pieces[noun.i] = ("", ""), (referent.text, noun.whitespace_)
            elif place is not None:
                # "that village" after a question set in Balqasah: the village of Balqasah.
                pieces[token.i] = ("the", token.whitespace_)
                pieces[noun.i] = (f"{noun.text} of {place.text}", noun.whitespace_)
            continue
        if not _refers(token):
            continue
        referent = turn.first(_REFERS_TO[lower])
        if referent is None or referent in named:
            # Named once, a referent is what the follow-up's later pronouns refer to within it: "She said she
            # owned …" → "Barbara Lee said she owned …".
            continue
        named.add(referent)
        if token.tag_ == "PRP$":
            text = _possessive(referent.text)
        elif lower == "there":
            text = f"in {referent.text}"
        else:
            text = referent.text
        pieces[token.i] = (text, token.whitespace_)
    rewritten = " ".join("".join(text + space for text, space in pieces if text).split()).replace(" ?", "?")
    return rewritten[0].upper() + rewritten[1:] if rewritten else rewritten


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


def _elliptical(rest: str, earlier_question: str) -> str:
    """ "What about X?" after a question: that question with X in place of a name of X's kind: the last
    name that X, put in its place, is labelled like (spaCy labels a name by its context: "Homs" alone
    reads as a person, "in Homs" as a place); else the question's last name."""
    from rag import nlp

    earlier = nlp.parse([earlier_question])[0]
    names = [(e.start_char, e.end_char, e.label_) for e in earlier.ents if e.label_ in _ENTITY_KINDS]
    if not names:
        names = [(start, end, "") for _, start, end in _names(earlier_question)]
    if not names:
        return f"{earlier_question.rstrip('?. ')} ({rest})?"

    def put(start: int, end: int) -> str:
        replacement = rest
        preposition = _LEADING_PREPOSITION.match(rest)
        if preposition and earlier_question[:start].rstrip().lower().endswith(preposition.group().strip().lower()):
            replacement = rest[preposition.end() :]
        return earlier_question[:start] + replacement + earlier_question[end:]

    options = [put(start, end) for start, end, _ in names]
    fitting = [
        option
        for option, doc, (start, _, label) in zip(options, nlp.parse(options), names)
        if any(e.label_ == label and e.start_char == start for e in doc.ents)
    ]
    return fitting[-1] if fitting else options[-1]


def standalone_question(question: str, turns: list[tuple[str, str]]) -> str:
    """The question a follow-up stands for in this conversation; a standalone question unchanged.

    A follow-up continues the conversation ("And where ...?", "What about ...?", "Why?") or has a
    referring word with no name before it in the question. ``turns`` are (question, answer) pairs,
    oldest first; for a follow-up of a follow-up, pass the standalone form of each earlier question.
    """
    from rag import nlp

    if not turns:
        return question
    earlier_question, earlier_answer = turns[-1]
    elliptical = _WHAT_ABOUT.match(question)
    if elliptical:
        return _elliptical(elliptical.group("rest"), earlier_question)
    stripped = _CONTINUES.sub("", question, count=1)
    # It continues the conversation ("And where ...?", "Why?"), or may lean on it through a pronoun.
    continues = stripped != question or _BARE.match(question) is not None
    if not continues and not _PRONOUN.search(question):
        return question
    # One parse tells whether the question leans on the conversation and serves to rewrite it.
    doc = nlp.parse([stripped[:1].upper() + stripped[1:]])[0]
    if not continues and not _refers_outside(doc):
        return question
    turn = _last_turn(earlier_question, earlier_answer)
    about_it = _about_the_last_turn(doc, turn)
    if about_it is not None:
        return about_it
    if not _PRONOUN.search(stripped):
        # "And why?" where the last turn makes no proposition: it asks about what the last turn was about.
        return f"{stripped[:1].upper()}{stripped[1:].rstrip('?. ')}? ({turn.topic})"
    return _resolved(doc, turn)
