"""What a question asks for: the type of answer, its head noun, entities, terms and roles.

:class:`QuestionAnalyzer` reads a question with spaCy's parse (:mod:`rag.nlp`): the type of
answer it expects, as a distribution over :data:`ANSWER_TYPES` (from the wh-word, and for
"which/what X" from the embedding model's similarity of X to each type's description in
:data:`TYPE_DESCRIPTIONS`), its named entities, its terms and verbs (by lemma), the role the
asked-for thing plays for its verb ("who led": the subject; "who was arrested": the object)
and what "how many" counts. The analyzer keeps the types of the phrases it has seen, for
its lifetime: one per engine.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from index.embed import Embedder
from newsqa.text import STOPWORDS, content_terms
from rag import nlp

ANSWER_TYPES = ("person", "org", "place", "date", "number", "title", "concept")
NAMED_TYPES = ("person", "org", "place", "title")
# spaCy's small model often takes one kind of name for another ("Homs" for an organisation):
# a name labelled with another kind than the one asked for keeps this share of its chance.
NAME_KIND_SLACK = 0.5
# What "which/what X" asks for is the type whose description the embedding model finds
# closest to X ("automaker" -> org, "show" -> title, "threat" -> concept).
TYPE_DESCRIPTIONS = {
    "person": "a person: a man or woman, an official, leader, celebrity, athlete, singer, actor or politician",
    "org": "an organization: a company, automaker, brand, agency, team, party, group or network",
    "place": "a place: a country, state, city, region, area, park or landmark",
    "date": "a date or time: a day, month, year or season",
    "number": "a number: an amount, count, price, percentage, age or figure",
    "title": "a named work or product: a show, movie, book, song, game, event, law or product",
    "concept": "a thing or idea: a cause, reason, threat, disease, weather, substance or activity",
}
# Softmax temperature over the cosine similarities to the descriptions: at 0.05 a clear
# noun ("automaker") puts ~0.98 on one type and a vague one ("type") spreads out.
TYPE_TEMPERATURE = 0.05
# A "who" question now and then asks for an organisation ("Who won the bid?").
WHO_ASKS_ORG = 0.1
_WH_TYPES = {
    "who": {"person": 1 - WHO_ASKS_ORG, "org": WHO_ASKS_ORG},
    "whom": {"person": 1.0},
    "whose": {"person": 1.0},
    "when": {"date": 1.0},
    "where": {"place": 1.0},
    "why": {"concept": 1.0},
}
_QUESTION_ENTITY_LABELS = frozenset("PERSON ORG NORP GPE LOC FAC PRODUCT EVENT WORK_OF_ART LAW LANGUAGE".split())
# Dependency labels (spaCy's, ClearNLP style) of a verb's subject and object, in the
# question and in a sentence; a passive sentence's agent ("led by X") is its subject.
ROLES = {"nsubj": "subject", "agent": "subject", "dobj": "object", "nsubjpass": "object"}
# The unit a question for a figure asks for, by the words that say so, first match first: a
# figure in another unit ("6.4-kilometre" for "How much will the extension cost?") answers
# another question. "long" is left out: "how long" asks for a distance or a duration.
MEASURE_WORDS = {
    "money": "cost costs price pay paid spend spent worth fund funding raise raised budget salary fine fee "
    "revenue sale sold buy bought dollars euros pounds deal loan debt tax profit",
    "percent": "percent percentage rate share",
    "quantity": "far distance length tall height heavy weight size area deep",
}
# A question asks for a figure when its "number" type is at least this likely.
MEASURED_TYPE = 0.5
# An echo (QuestionAnalysis.echo) of fewer words says too little to tell a sentence saying the same thing
# ("won the election") from one saying something else; of its words, this many are compared, enough to be
# one statement while a question may end otherwise than its sentence ("... in Balqasah last week?").
ECHO_WORDS = 3
ECHO_REACH = 8
# Words of the sentence the question may leave out among those it echoes: a title, a middle name.
ECHO_SLACK = 2
# A misparsed "which X" still has its noun within this many words of the wh-word.
_HEAD_NOUN_REACH = 4


@dataclass(frozen=True)
class QuestionAnalysis:
    """What a question asks for, from spaCy's parse of it."""

    text: str
    expected: dict[str, float]
    head: str | None
    entities: tuple[str, ...]
    terms: frozenset[str]
    anchors: frozenset[str]  # stems of the question's verbs, the noun asked about, and what "how many" counts
    verbs: frozenset[str] = frozenset()  # lemmas of the question's verbs ("fled" -> "flee")
    # What the wh-word is to its verb, and that verb's lemma: "Who led" asks for the one who
    # led ("subject"), "Who was arrested" for the one arrested ("object").
    role: str | None = None
    role_verbs: frozenset[str] = frozenset()
    unit: frozenset[str] = frozenset()  # stems of what "how many" counts: "security personnel"
    # "What happened in ...?", "Why ...?", "How did ...?": a statement is asked for, not a name or a figure.
    statement: bool = False
    measure: str | None = None  # the unit a figure is asked in (a key of MEASURE_WORDS)
    # What follows the question word when it asks for its verb's subject, as words: "Who led the loyalists
    # in Balqasah?" echoes "led the loyalists in Balqasah". A sentence saying those words after a phrase
    # names in that phrase what the question asks for ("Shujaa al-Ali led the loyalists in Balqasah").
    echo: tuple[str, ...] = ()

    @functools.cached_property
    def head_terms(self) -> frozenset[str]:
        """Stems of the noun a "which X" asks about."""
        return frozenset(content_terms(self.head)) if self.head else frozenset()

    def type_probability(self, answer_type: str) -> float:
        if answer_type not in NAMED_TYPES and answer_type != "name":
            return self.expected.get(answer_type, 0.0)
        any_name = max(self.expected.get(kind, 0.0) for kind in NAMED_TYPES)
        if answer_type == "name":  # a name of unknown kind may be whichever kind is asked for
            return any_name
        return max(self.expected.get(answer_type, 0.0), NAME_KIND_SLACK * any_name)


def _head_noun(wh):
    """The noun a which/what question asks for: "which automaker", "what is the biggest threat"."""
    if wh.dep_ == "det" and wh.head.pos_ in ("NOUN", "PROPN"):
        return wh.head
    for child in wh.head.children:
        if child is not wh and child.dep_ in ("nsubj", "attr", "nsubjpass") and child.pos_ == "NOUN":
            return child
    # A misparse ("which prestigious awards show") still puts the noun right after the wh-word.
    following = wh.doc[wh.i + 1 : wh.i + 1 + _HEAD_NOUN_REACH]
    nouns = [t for t in following if t.pos_ == "NOUN"]
    for noun in nouns:
        if noun.i + 1 >= len(wh.doc) or wh.doc[noun.i + 1].pos_ != "NOUN":
            return noun
    return None


_MEASURE_STEMS = {unit: frozenset(content_terms(words)) for unit, words in MEASURE_WORDS.items()}


class QuestionAnalyzer:
    """Analyses questions with spaCy's parse and the embedding model; see the module docstring."""

    # "Which X" phrases seen whose answer types are kept, for as long as the analyzer lives.
    PHRASES_KEPT = 4096

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._descriptions: np.ndarray | None = None
        self.types_of_phrase = functools.lru_cache(maxsize=self.PHRASES_KEPT)(self._types_of_phrase)

    def _types_of_phrase(self, phrase: str) -> tuple[float, ...]:
        """The answer-type distribution for "which <phrase>": a softmax over similarities to the descriptions."""
        if self._descriptions is None:
            self._descriptions = self.embedder.embed_documents(list(TYPE_DESCRIPTIONS.values()))
        similarities = self._descriptions @ self.embedder.embed_documents([phrase])[0]
        weights = np.exp((similarities - similarities.max()) / TYPE_TEMPERATURE)
        return tuple(float(w) for w in weights / weights.sum())

    def analyze(self, text: str) -> QuestionAnalysis:
        """The answer type, head noun, entities and terms of a question."""
        return _analysis(nlp.parse([text])[0], text, self.types_of_phrase)


def _analysis(doc, text: str, types_of_phrase) -> QuestionAnalysis:
    """A parsed question's analysis; ``types_of_phrase`` gives the types a "which X" phrase asks for."""
    expected = dict.fromkeys(ANSWER_TYPES, 1 / len(ANSWER_TYPES))
    head_text: str | None = None
    unit: frozenset[str] = frozenset()
    statement = False
    verbs = frozenset(t.lemma_.lower() for t in doc if t.pos_ == "VERB" and t.lower_ not in STOPWORDS)
    anchors = {stem for t in doc if t.pos_ == "VERB" for stem in content_terms(t.text)}
    # The question is its last sentence: "... this week. Where was the event?"
    asking = list(doc.sents)[-1]
    wh = next((t for t in asking if t.lower_ in (*_WH_TYPES, "what", "which", "how")), None)
    if wh is not None:
        word = wh.lower_
        if word in _WH_TYPES:
            expected = dict(_WH_TYPES[word])
            statement = word == "why"
        elif word == "how":
            following = wh.nbor(1) if wh.i + 1 < len(doc) else None
            statement = True
            if following is not None and (following.lower_ in ("many", "much") or following.pos_ in ("ADJ", "ADV")):
                statement = False
                expected = {"number": 1.0}
                counted = following.head if following.head.pos_ == "NOUN" else None
                if counted is not None:
                    anchors |= set(content_terms(counted.text))
                    unit = frozenset(content_terms(" ".join(t.text for t in counted.lefts if t.dep_ == "compound")))
                    unit |= set(content_terms(counted.text))
        elif word == "what" and any(t.lemma_ == "happen" for t in asking):
            statement = True
        elif (head := _head_noun(wh)) is not None:
            words = [t for t in doc[head.left_edge.i : head.i + 1] if t is not wh and t.pos_ not in ("DET", "PUNCT")]
            head_text = " ".join(t.text for t in words) or head.text
            expected = dict(zip(ANSWER_TYPES, types_of_phrase(head_text)))
            anchors |= set(content_terms(head.text))
    entities = tuple(_whole_name(e).text for e in doc.ents if e.label_ in _QUESTION_ENTITY_LABELS)
    role, role_verbs = _role(wh)
    terms = frozenset(content_terms(text))
    measure = (
        next((unit for unit, words in _MEASURE_STEMS.items() if words & terms), None)
        if expected.get("number", 0.0) >= MEASURED_TYPE
        else None
    )
    return QuestionAnalysis(
        text,
        expected,
        head_text,
        entities,
        terms,
        frozenset(anchors),
        verbs,
        role,
        role_verbs,
        unit,
        statement,
        measure,
        _echo(asking, wh),
    )


_SUBJECTS = ("nsubj", "nsubjpass")


def _echo(asking, wh) -> tuple[str, ...]:
    """The words after a question word that opens its sentence as a verb's subject, lower-cased, without
    punctuation (a hyphen is a token of its own: "al-Hassan"); none when fewer than ECHO_WORDS follow
    (too few to tell a sentence saying the same from one saying else). "Who said ...?" echoes a sentence
    as well as "Who led ...?" does, though "said" is too common a verb to tell a role by (``_role``)."""
    if wh is None or wh.i != asking.start or wh.dep_ not in _SUBJECTS or wh.head.pos_ != "VERB":
        return ()
    words = tuple(t.lower_ for t in asking if t.i > wh.i and not t.is_punct)
    return words if len(words) >= ECHO_WORDS else ()


def _whole_name(ent):
    """An entity with the proper nouns right beside it: the small model labels "Dreikish" in "Dreikish North"."""
    start, end = ent.start, ent.end
    while start > 0 and ent.doc[start - 1].pos_ == "PROPN":
        start -= 1
    while end < len(ent.doc) and ent.doc[end].pos_ == "PROPN":
        end += 1
    return ent.doc[start:end]


def _role(wh) -> tuple[str | None, frozenset[str]]:
    """What the thing asked for is to the question's verb: its subject, its object, or neither."""
    if wh is None:
        return None, frozenset()
    asked = wh.head if wh.dep_ == "det" else wh
    verb = asked.head
    if verb.pos_ not in ("VERB", "AUX") or verb is asked:
        return None, frozenset()
    role = ROLES.get(asked.dep_)
    # A misparse hangs the wh-word on "did"/"was", which says nothing of who did what.
    if role is None or verb.lower_ in STOPWORDS:
        return None, frozenset()
    return role, frozenset({verb.lemma_.lower()})
