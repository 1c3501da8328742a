"""The reader: typed answer candidates from spaCy, scored by a model learned from data.

For a question and the sentences the extractive engine pooled for it, the reader

1. analyses the question (:func:`analyze`): the type of answer it expects, as a
   distribution over :data:`ANSWER_TYPES` (from the wh-word, and for "which/what X" from
   the embedding model's similarity of X to each type's description in
   :data:`TYPE_DESCRIPTIONS`), its named entities, its terms and verbs (by lemma), the
   role the asked-for thing plays for its verb ("who led": the subject; "who was
   arrested": the object) and what "how many" counts;
2. takes every named entity and noun chunk of the sentences as a candidate answer (and a
   whole proper name the small model labels only part of, and two names joined by
   "and"), with where it stands towards the question's words in the parse;
3. merges candidates that name the same thing ("Facebook Inc." / "Facebook",
   "four" / "4", "WHO" / "World Health Organization") and pools their evidence across
   passages and outlets, since in news an answer many reports repeat is likelier right;
4. describes each mention of a candidate by :data:`FEATURES` (its sentence's, its own and
   its candidate's) and scores it with a logistic model, :class:`ReaderModel`, whose
   parameters are a JSON file: the shipped ``rag/reader_model.json``, or another one made
   by ``python -m eval.train_reader`` and named by ``NEWSQA_ANSWER__READER_MODEL``.

A mention's score is the model's probability that it names the answer; a candidate's is
its best mention's. The features are documented where they are declared; the weights are
learned, not set by hand.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.embed import Embedder
from newsqa.errors import ModelMissingError
from newsqa.text import STOPWORDS, content_terms, share_in
from rag import nlp
from rag.sentences import Sentence
from rag.spans import number_value

if TYPE_CHECKING:
    from spacy.tokens import Span

ANSWER_TYPES = ("person", "org", "place", "date", "number", "title", "concept")
NAMED_TYPES = ("person", "org", "place", "title")
# spaCy's small model often takes one kind of name for another ("Homs" for an organisation):
# a name labelled with another kind than the one asked for keeps this share of its chance.
NAME_KIND_SLACK = 0.5
# spaCy's entity labels (OntoNotes) as answer types; ORDINAL ("second") answers nothing here.
_LABEL_TYPES = {
    "PERSON": "person",
    "ORG": "org",
    "NORP": "org",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "DATE": "date",
    "TIME": "date",
    "CARDINAL": "number",
    "MONEY": "number",
    "PERCENT": "number",
    "QUANTITY": "number",
    "WORK_OF_ART": "title",
    "PRODUCT": "title",
    "EVENT": "title",
    "LAW": "title",
    "LANGUAGE": "title",
}
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
_WH_TYPES = {
    "who": {"person": 0.9, "org": 0.1},
    "whom": {"person": 1.0},
    "whose": {"person": 1.0},
    "when": {"date": 1.0},
    "where": {"place": 1.0},
    "why": {"concept": 1.0},
}
# Dependency labels of a noun that qualifies the noun after it: a compound's first part, a noun modifier.
_MODIFIER_DEPS = frozenset({"compound", "nmod"})
# Entities that are no part of a name, though their words are proper nouns ("Denver Broncos Tuesday").
_NOT_NAME_LABELS = frozenset("DATE TIME CARDINAL ORDINAL MONEY PERCENT QUANTITY".split())
_QUESTION_ENTITY_LABELS = frozenset("PERSON ORG NORP GPE LOC FAC PRODUCT EVENT WORK_OF_ART LAW LANGUAGE".split())
# Dependency labels (spaCy's, ClearNLP style) of a verb's subject and object, in the
# question and in a sentence; a passive sentence's agent ("led by X") is its subject.
_ROLES = {"nsubj": "subject", "agent": "subject", "dobj": "object", "nsubjpass": "object"}
_MAX_CANDIDATE_TOKENS = 6
_UNIT_REACH = 3  # words after a number that may name what it counts
# A multiple-choice option counts as named in a sentence that names more than this share of
# its words (half of "Game of Thrones" is in "Squid Game", which names another show); its
# score is then scaled by the share.
MIN_CHOICE_COVERAGE = 0.5
_HEAD_NOUN_REACH = 4
HEAD_SIMILARITY_CANDIDATES = 32
_WINDOW_TOKENS = 8
_COMPANY_SUFFIXES = re.compile(r"\s+(?:inc|corp|corporation|co|ltd|llc|plc|group|company)\.?$")
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:’s|'s|’|')$")
_RECENCY_DAYS = 7.0

FEATURES = (
    "type",  # probability the question asks for this mention's answer type
    "entity",  # a named entity, not a mere noun chunk
    "lexical",  # question-term overlap of the mention's sentence (rarity-weighted)
    "lexical_share",  # that overlap over the best overlap of any pooled sentence
    "head_similarity",  # embedding similarity to the noun asked about ("automaker" ~ "Ford"); 0 without one
    "near",  # 1 / (1 + tokens to the nearest question term in its sentence)
    "verb_tie",  # 1 / (1 + edges in the parse between it and a verb of the question): "led by X"
    "counts",  # a number followed by what "how many" counts: "two security personnel"
    "role",  # it fills the role the question asks about for its verb: "led by X" for "who led"
    "window",  # share of the question's terms within 8 words of it, in its sentence
    "tied",  # 1 / (1 + edges in the parse between it and the nearest question term)
    "in_question",  # share of its words already in the question: "who met Biden" is not "Biden"
    "rank",  # 1 / (1 + retrieval rank of the mention's passage)
    "passage_score",  # fused retrieval score of that passage, relative to the top one
    "mentions",  # log(1 + sentences naming the candidate)
    "articles",  # log(1 + articles naming it)
    "outlets",  # log(1 + outlets naming it)
    "recency",  # exp(-days between the mention's article and the day asked about / 7); 0 when no day is known
    "title",  # named in the headline of an article that names it
    "length",  # its length in words, over 6
    "type_near",  # type x near: the right kind of thing, next to the question's words
    "type_head",  # type x head_similarity
)


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

    def type_probability(self, answer_type: str) -> float:
        if answer_type not in NAMED_TYPES and answer_type != "name":
            return self.expected.get(answer_type, 0.0)
        any_name = max(self.expected.get(kind, 0.0) for kind in NAMED_TYPES)
        if answer_type == "name":  # a name of unknown kind may be whichever kind is asked for
            return any_name
        return max(self.expected.get(answer_type, 0.0), NAME_KIND_SLACK * any_name)


@functools.lru_cache(maxsize=1)
def _type_matrix(embedder: Embedder) -> np.ndarray:
    return embedder.embed_documents(list(TYPE_DESCRIPTIONS.values()))


@functools.lru_cache(maxsize=4096)
def _types_of_phrase(embedder: Embedder, phrase: str) -> tuple[float, ...]:
    similarities = _type_matrix(embedder) @ embedder.embed_documents([phrase])[0]
    weights = np.exp((similarities - similarities.max()) / TYPE_TEMPERATURE)
    return tuple(float(w) for w in weights / weights.sum())


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


def analyze(text: str, embedder: Embedder) -> QuestionAnalysis:
    """The answer type, head noun, entities and terms of a question."""
    doc = nlp.parse([text])[0]
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
            expected = dict(zip(ANSWER_TYPES, _types_of_phrase(embedder, head_text)))
            anchors |= set(content_terms(head.text))
    entities = tuple(e.text for e in doc.ents if e.label_ in _QUESTION_ENTITY_LABELS)
    role, role_verbs = _role(wh)
    return QuestionAnalysis(
        text,
        expected,
        head_text,
        entities,
        frozenset(content_terms(text)),
        frozenset(anchors),
        verbs,
        role,
        role_verbs,
        unit,
        statement,
    )


def _role(wh) -> tuple[str | None, frozenset[str]]:
    """What the thing asked for is to the question's verb: its subject, its object, or neither."""
    if wh is None:
        return None, frozenset()
    asked = wh.head if wh.dep_ == "det" else wh
    verb = asked.head
    if verb.pos_ not in ("VERB", "AUX") or verb is asked:
        return None, frozenset()
    role = _ROLES.get(asked.dep_)
    # A misparse hangs the wh-word on "did"/"was", which says nothing of who did what.
    if role is None or verb.lower_ in STOPWORDS:
        return None, frozenset()
    return role, frozenset({verb.lemma_.lower()})


def answer_key(text: str) -> str:
    """A candidate's text normalised for merging: "The Facebook Inc." -> "facebook", "four" -> "4"."""
    key = _POSSESSIVE.sub("", _LEADING_ARTICLE.sub("", text.strip().replace("’", "'")))
    key = number_value(key).lower()
    key = re.sub(r"[^\w$%.]+", " ", _COMPANY_SUFFIXES.sub("", key)).strip(" .")
    pair = key.split(" and ")
    return " and ".join(sorted(pair)) if len(pair) == 2 else key  # "Finland and Sweden" is "Sweden and Finland"


def _initials(key: str) -> str:
    return "".join(word[0] for word in key.split() if word not in STOPWORDS)


@dataclass
class Mention:
    """One place a candidate is named: its sentence (index in the pool), local evidence, features, score."""

    text: str
    answer_type: str
    label: str  # spaCy's entity label, or "" for a noun chunk
    sentence: int
    near: float
    tied: float
    verb_tie: float
    window: float
    role: float = 0.0
    counts: float = 0.0
    coverage: float = 1.0  # share of a choice's words it names: less than 1 where a choice is only partly named
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0


@dataclass
class Candidate:
    """A candidate answer with every mention of it; its score is its best-scored mention's."""

    text: str
    key: str
    answer_type: str
    mentions: list[Mention] = field(default_factory=list)
    score: float = 0.0

    @property
    def best(self) -> Mention:
        """The mention the model finds most convincing: the one to quote."""
        return max(self.mentions, key=lambda m: m.score)


def _clean(span) -> str:
    tokens = list(span)
    # "the", "its", "our" go; "US" in "the US Open" is a name, though "us" is a stopword.
    while tokens and (
        tokens[0].pos_ in ("DET", "PRON")
        or tokens[0].is_punct
        or (tokens[0].lower_ in STOPWORDS and tokens[0].pos_ != "PROPN")
    ):
        tokens = tokens[1:]
    while tokens and tokens[-1].is_punct:
        tokens = tokens[:-1]
    if not tokens:
        return ""
    text = span.doc.text[tokens[0].idx : tokens[-1].idx + len(tokens[-1].text)]
    return _POSSESSIVE.sub("", text)


def _mention(span, answer_type: str, label: str, index: int, stems, term_positions, analysis) -> Mention | None:
    text = _clean(span)
    if not text or len(text.split()) > _MAX_CANDIDATE_TOKENS or not any(c.isalnum() for c in text):
        return None
    words = text.split()
    # "Which engineer said ..." is answered by "Maria Lopez", not "Engineer Maria Lopez"; a name
    # the question merely shares a word with keeps it ("US Open" when the question says "US").
    while len(words) > 1 and label and (first := set(content_terms(words[0]))) and first <= analysis.anchors:
        words.pop(0)
    text = " ".join(words)
    if answer_type in ("number", "date") and len(words) > 1 and set(stems[span.end - 1]) & analysis.anchors:
        # "six months" answers "how many months": the count is the answer.
        count = " ".join(words[:-1])
        if any(c.isdigit() for c in count) or number_value(count) != count:
            text, answer_type = number_value(count), "number"
    counts = 0.0
    if answer_type == "number":
        text = number_value(text)
        # "two security personnel dead" counts what "how many security personnel" asks about.
        following = {stem for i in range(span.end - 1, min(len(stems), span.end + _UNIT_REACH)) for stem in stems[i]}
        counts = float(bool(following & analysis.unit))
    own = set(range(span.start, span.end))
    outside = [p for p in term_positions if p not in own]
    distance = min((min(abs(p - span.start), abs(p - (span.end - 1))) for p in outside), default=None)
    near = 1 / (1 + distance) if distance is not None else 0.0
    path_up = [span.root.i] + [a.i for a in span.root.ancestors]
    hops = {i: n for n, i in enumerate(path_up)}
    tree_distances = []
    for p in outside:
        token = span.doc[p]
        for n, ancestor in enumerate([token.i] + [a.i for a in token.ancestors]):
            if ancestor in hops:
                tree_distances.append(n + hops[ancestor])
                break
    tied = 1 / (1 + min(tree_distances)) if tree_distances else 0.0
    verb_distances = [
        n + hops[ancestor.i]
        for token in span.doc
        if token.pos_ == "VERB" and token.i not in own and token.lemma_.lower() in analysis.verbs
        for n, ancestor in enumerate([token, *token.ancestors])
        if ancestor.i in hops
    ]
    verb_tie = 1 / (1 + min(verb_distances)) if verb_distances else 0.0
    around = {
        stem
        for i in range(max(0, span.start - _WINDOW_TOKENS), min(len(stems), span.end + _WINDOW_TOKENS))
        if i not in own
        for stem in stems[i]
    }
    window = len(around & analysis.terms) / len(analysis.terms) if analysis.terms else 0.0
    return Mention(text, answer_type, label, index, near, tied, verb_tie, window, counts=counts)


def _with_title(ent):
    """A person's name with the capitalised title the parse attaches to it: "Major-General X", "Rep. X"."""
    start = ent.start
    while start > 0:
        before = ent.doc[start - 1]
        if before.text == "-" and start > 1 and ent.doc[start - 2].pos_ == "PROPN" and not before.whitespace_:
            start -= 1
            continue
        if before.pos_ != "PROPN" or not before.text[0].isupper() or not start <= before.head.i < ent.end:
            break
        start -= 1
    return ent.doc[start : ent.end] if start < ent.start else ent


def _entity_type(ent) -> str:
    """The answer type of an entity; a duration ("two decades") is a number, not a "when"."""
    if ent.label_ == "DATE" and ent.root.tag_ == "NNS" and any(c.dep_ == "nummod" for c in ent.root.children):
        return "number"
    return _LABEL_TYPES[ent.label_]


def _filling_role(doc, stems, analysis: QuestionAnalysis) -> set[int]:
    """Tokens of the phrases that fill, for the question's verb, the role the question asks about.

    For "Who led the loyalists?" and "supporters, led by a wanted man known as Shujaa al-Ali",
    that is the agent "a wanted man known as Shujaa al-Ali", appositions included.
    """
    filling: set[int] = set()
    if analysis.role is None:
        return filling
    for verb in doc:
        if verb.pos_ not in ("VERB", "AUX") or verb.lemma_.lower() not in analysis.role_verbs:
            continue
        for child in verb.children:
            if _ROLES.get(child.dep_) != analysis.role:
                continue
            fillers = [g for g in child.children if g.dep_ == "pobj"] if child.dep_ == "agent" else [child]
            filling.update(t.i for filler in fillers for t in filler.subtree)
    return filling


def _mentions(
    doc, index: int, analysis: QuestionAnalysis, choices: Sequence[str]
) -> tuple[list[Mention], list[list[Mention]]]:
    """The entities and noun chunks of a sentence, and where it names each choice."""
    stems = [content_terms(t.text) for t in doc]
    term_positions = [i for i, s in enumerate(stems) if s and s[0] in analysis.terms]
    found: list[tuple[Span, str, str]] = [
        (_with_title(ent) if ent.label_ == "PERSON" else ent, _entity_type(ent), ent.label_)
        for ent in doc.ents
        if ent.label_ in _LABEL_TYPES
    ]
    taken = {i for ent, _, _ in found for i in range(ent.start, ent.end)}
    # A figure the small NER model did not label ("About 900 residents") is still a number.
    for token in doc:
        if token.like_num and token.pos_ == "NUM" and token.i not in taken:
            start = token.i
            while start > 0 and doc[start - 1].tag_ == "$":
                start -= 1
            found.append((doc[start : token.i + 1], "number", "CARDINAL"))
            taken.update(range(start, token.i + 1))
    for chunk in doc.noun_chunks:
        if chunk.root.pos_ != "PRON" and not any(i in taken for i in range(chunk.start, chunk.end)):
            # A proper name the small NER model did not label ("opened by Ana Ruiz") is still a name.
            found.append((chunk, "name" if chunk.root.pos_ == "PROPN" else "concept", ""))
    entity_spans = {(ent.start, ent.end) for ent, _, _ in found}
    for run in _proper_noun_runs(doc):
        # The small model labels part of a name ("Denver" in "the Denver Broncos"): the whole name is a candidate too.
        if (run.start, run.end) not in entity_spans and any(i in taken for i in range(run.start, run.end)):
            found.append((run, "name", ""))
    found.extend(_coordinated(doc))
    filling = _filling_role(doc, stems, analysis)
    mentions = []
    for span, answer_type, label in found:
        if mention := _mention(span, answer_type, label, index, stems, term_positions, analysis):
            mention.role = float(span.root.i in filling)
            mentions.append(mention)
    named = []
    for choice in choices:
        here = []
        pattern = _choice_pattern(choice)
        for match in pattern.finditer(doc.text) if pattern else ():
            named_span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if named_span is None:
                continue
            overlapping = (e.label_ for e in doc.ents if e.start < named_span.end and named_span.start < e.end)
            named_label = next(overlapping, "")
            named_type = _LABEL_TYPES.get(named_label, "concept")
            if mention := _mention(named_span, named_type, named_label, index, stems, term_positions, analysis):
                mention.role = float(named_span.root.i in filling)
                here.append(mention)
        if not here and (partial := _partly_named(doc, stems, choice)) is not None:
            named_span, coverage = partial
            if mention := _mention(named_span, "concept", "", index, stems, term_positions, analysis):
                mention.role = float(named_span.root.i in filling)
                mention.coverage = coverage
                here.append(mention)
        named.append(here)
    return mentions, named


def _proper_noun_runs(doc) -> list[Span]:
    """Maximal runs of two or more proper nouns that make one name: "Denver Broncos", "Lt. Nyota Uhura".

    A run holding two entities ("Kyiv, Ukraine CNN —") is two names, and one that modifies
    the noun after it ("Kansas Secretary of State", "WHO Director General Tedros") is no name
    of a thing.
    """
    runs, start = [], None
    for token in [*doc, None]:
        if token is not None and token.pos_ == "PROPN" and token.ent_type_ not in _NOT_NAME_LABELS:
            start = token.i if start is None else start
            continue
        end = token.i if token is not None else len(doc)
        if start is not None and end - start >= 2:
            run = doc[start:end]
            entities = sum(1 for t in run if t.ent_iob_ == "B")
            if entities <= 1 and run[-1].dep_ not in _MODIFIER_DEPS:
                runs.append(run)
        start = None
    return runs


def _coordinated(doc) -> list[tuple[Span, str, str]]:
    """Two named things of one kind joined by "and", as one candidate ("Sweden and Finland": "which two countries")."""
    joined = []
    for first, second in zip(doc.ents, doc.ents[1:]):
        between = doc[first.end : second.start]
        if (
            first.label_ == second.label_
            and first.label_ in _LABEL_TYPES
            and [t.lower_ for t in between] == ["and"]
            and second.root.dep_ == "conj"
        ):
            joined.append((doc[first.start : second.end], _LABEL_TYPES[first.label_], first.label_))
    return joined


def _partly_named(doc, stems, choice: str) -> tuple[Span, float] | None:
    """The shortest stretch of a sentence naming most of a choice's words, and the share it names.

    "Ban on military-style assault weapons" is partly named by "assault weapons ban".
    """
    wanted = set(content_terms(choice))
    positions = [i for i, token_stems in enumerate(stems) if set(token_stems) & wanted]
    best: tuple[int, int, int] | None = None  # (-words named, length, start)
    for first in positions:
        for last in positions:
            if first <= last < first + _MAX_CANDIDATE_TOKENS:
                named = {t for i in range(first, last + 1) for t in stems[i]} & wanted
                key = (-len(named), last - first, first)
                if best is None or key < best:
                    best = key
    if best is None or -best[0] / len(wanted) <= MIN_CHOICE_COVERAGE:
        return None
    return doc[best[2] : best[2] + best[1] + 1], -best[0] / len(wanted)


def _choice_pattern(choice: str) -> re.Pattern[str] | None:
    """A choice as it may be written in a sentence: "“Squid Game”" as Squid Game, any case."""
    words = re.findall(r"[\w$%.,’'-]+", _LEADING_ARTICLE.sub("", choice.strip(" “”\"'")))
    words = [w.strip(".,") for w in words if w.strip(".,")]
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\W{1,3}".join(re.escape(w) for w in words) + r"(?!\w)", re.IGNORECASE)


def _merge(mentions: list[Mention]) -> list[Candidate]:
    by_key: dict[str, Candidate] = {}
    for mention in mentions:
        key = answer_key(mention.text)
        if not key:
            continue
        candidate = by_key.setdefault(key, Candidate(mention.text, key, mention.answer_type))
        candidate.mentions.append(mention)
        if mention.label and candidate.answer_type in ("concept", "name"):
            candidate.answer_type = mention.answer_type
    # A short name folds into a longer one of the same thing: "Biden" into "Joe Biden",
    # "WHO" into "World Health Organization", "Broncos" into "Denver Broncos".
    merged: list[Candidate] = []
    for candidate in sorted(by_key.values(), key=lambda c: -len(c.key)):
        words = candidate.key.split()
        into = None
        if candidate.answer_type in NAMED_TYPES:
            for longer in merged:
                longer_words = longer.key.split()
                same_label = {m.label for m in longer.mentions} & {m.label for m in candidate.mentions}
                # A name of unknown kind ("Denver Broncos", unlabelled) may be the full name of any kind of name.
                kinds_agree = longer.answer_type == "name" or (
                    longer.answer_type == candidate.answer_type and same_label
                )
                if not kinds_agree or len(longer_words) <= len(words):
                    continue
                is_part = longer_words[-len(words) :] == words or longer_words[: len(words)] == words
                is_acronym = len(words) == 1 and len(words[0]) > 1 and _initials(longer.key) == words[0]
                if is_part or is_acronym:
                    into = longer
                    break
        if into is None:
            merged.append(candidate)
        else:
            into.mentions.extend(candidate.mentions)
    for candidate in merged:
        candidate.text = max((m.text for m in candidate.mentions), key=lambda t: (len(t.split()), len(t)))
    return merged


def _recency(published: str, as_of: datetime | None) -> float:
    if as_of is None or not published:
        return 0.0
    days = abs((as_of.date() - date.fromisoformat(published[:10])).days)
    return math.exp(-days / _RECENCY_DAYS)


@dataclass(frozen=True)
class SentenceEvidence:
    """How well each pooled sentence matches the question, and where its passage ranked."""

    lexical: Sequence[float]  # question-term overlap, by pool index
    ranks: dict[str, int]  # passage id -> retrieval rank (0 = first)
    top_score: float  # the best passage's fused retrieval score


def read(
    analysis: QuestionAnalysis,
    sentences: Sequence[Sentence],
    evidence: SentenceEvidence,
    embedder: Embedder,
    as_of: datetime | None = None,
    choices: Sequence[str] = (),
) -> tuple[list[Candidate], list[Candidate]]:
    """The merged candidates named in ``sentences`` and one candidate per choice, with features (unscored).

    A choice named nowhere has no mentions, and so scores 0.
    """
    docs = nlp.parse(s.text for s in sentences)
    mentions: list[Mention] = []
    named: list[list[Mention]] = [[] for _ in choices]
    for i, doc in enumerate(docs):
        found, in_choices = _mentions(doc, i, analysis, choices)
        mentions.extend(found)
        for all_mentions, here in zip(named, in_choices):
            all_mentions.extend(here)
    candidates = _merge(mentions)
    choice_candidates = [
        Candidate(choice, answer_key(choice), here[0].answer_type if here else "concept", here)
        for choice, here in zip(choices, named)
    ]
    head_similarity = _head_similarities(analysis, candidates + choice_candidates, embedder)
    for candidate in candidates + choice_candidates:
        shared = _candidate_features(candidate, analysis, sentences)
        shared["head_similarity"] = head_similarity.get(id(candidate), 0.0)
        for mention in candidate.mentions:
            local = _mention_features(mention, analysis, sentences[mention.sentence], evidence, as_of)
            mention.features = shared | local
            mention.features["type_head"] = mention.features["type"] * shared["head_similarity"]
    return candidates, choice_candidates


def _head_similarities(analysis: QuestionAnalysis, candidates: list[Candidate], embedder: Embedder) -> dict[int, float]:
    """Embedding similarity of the plausible candidates to the question's head noun, by candidate id.

    Only candidates of a likely type are embedded, at most :data:`HEAD_SIMILARITY_CANDIDATES`,
    since embedding costs about a millisecond each.
    """
    if analysis.head is None:
        return {}
    plausible = sorted(
        (c for c in candidates if c.mentions),
        key=lambda c: -max(analysis.type_probability(m.answer_type) for m in c.mentions) - len(c.mentions) / 100,
    )[:HEAD_SIMILARITY_CANDIDATES]
    if not plausible:
        return {}
    vectors = embedder.embed_documents([analysis.head] + [c.text for c in plausible])
    return {id(c): float(s) for c, s in zip(plausible, vectors[1:] @ vectors[0])}


def _candidate_features(candidate: Candidate, analysis: QuestionAnalysis, sentences) -> dict[str, float]:
    """What holds for every mention of a candidate: how much the corpus repeats it, what it looks like."""
    named_in = [sentences[m.sentence] for m in candidate.mentions]
    terms = set(content_terms(candidate.text))
    title_terms = {t for s in named_in for t in content_terms(s.passage.title)}
    return {
        # Any way it is written counts: "National Football League" is in a question that says "NFL".
        "in_question": max((share_in(mention.text, analysis.terms) for mention in candidate.mentions), default=0.0),
        "mentions": math.log1p(len({m.sentence for m in candidate.mentions})),
        "articles": math.log1p(len({s.passage.article_id for s in named_in})),
        "outlets": math.log1p(len({s.passage.source for s in named_in})),
        "title": float(bool(terms) and terms <= title_terms),
        "length": min(len(candidate.text.split()), _MAX_CANDIDATE_TOKENS) / _MAX_CANDIDATE_TOKENS,
    }


def _mention_features(mention: Mention, analysis, sentence: Sentence, evidence: SentenceEvidence, as_of):
    lexical = evidence.lexical[mention.sentence]
    type_probability = analysis.type_probability(mention.answer_type)
    return {
        "type": type_probability,
        "entity": float(bool(mention.label)),
        "lexical": lexical,
        "lexical_share": lexical / (max(evidence.lexical, default=0.0) or 1.0),
        "near": mention.near,
        "window": mention.window,
        "tied": mention.tied,
        "verb_tie": mention.verb_tie,
        "role": mention.role,
        "counts": mention.counts,
        "rank": 1 / (1 + evidence.ranks.get(sentence.passage.id, len(evidence.ranks))),
        "passage_score": sentence.passage.score / (evidence.top_score or 1.0),
        "recency": _recency(sentence.passage.published, as_of),
        "type_near": type_probability * mention.near,
    }


@dataclass(frozen=True)
class ReaderModel:
    """A logistic model over :data:`FEATURES`, standardised; ``threshold`` is where answering stops.

    ``threshold`` is the score below which the engine abstains, calibrated by
    ``eval.train_reader`` on the training questions; ``trained_on`` says on what.
    """

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    trained_on: dict = field(default_factory=dict)

    def score(self, candidates: list[Candidate]) -> None:
        """Score every mention (the model's probability that it names the answer), and each candidate by its best."""
        mentions = [mention for c in candidates for mention in c.mentions]
        if mentions:
            for mention, probability in zip(mentions, self.probabilities(self.matrix(mentions))):
                mention.score = float(probability)
        for candidate in candidates:
            candidate.score = max((mention.score * mention.coverage for mention in candidate.mentions), default=0.0)

    def matrix(self, mentions: Sequence[Mention]) -> np.ndarray:
        return np.array([[m.features[name] for name in self.features] for m in mentions]).reshape(
            -1, len(self.features)
        )

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - np.array(self.mean)) / np.array(self.scale)) @ np.array(self.coef) + self.intercept
        return 1 / (1 + np.exp(-z))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def load(cls, path: Path) -> ReaderModel:
        """The model in ``path``; a missing, unreadable or stale file is one clear error."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            model = cls(
                features=tuple(raw["features"]),
                mean=tuple(float(v) for v in raw["mean"]),
                scale=tuple(float(v) for v in raw["scale"]),
                coef=tuple(float(v) for v in raw["coef"]),
                intercept=float(raw["intercept"]),
                threshold=float(raw["threshold"]),
                trained_on=dict(raw.get("trained_on", {})),
            )
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelMissingError(
                f"reader model {path} cannot be read ({e}); retrain it with `python -m eval.train_reader`"
            ) from e
        unknown = set(model.features) - set(FEATURES)
        if unknown or not len(model.features) == len(model.mean) == len(model.scale) == len(model.coef):
            raise ModelMissingError(
                f"reader model {path} does not fit this version of newsqa "
                f"(features {sorted(unknown) or 'mismatched'}); "
                "retrain it with `python -m eval.train_reader`"
            )
        return model


SHIPPED_MODEL = Path(__file__).with_name("reader_model.json")


@functools.lru_cache(maxsize=8)
def load_model(path: Path | None) -> ReaderModel:
    """The reader model at ``path`` (the shipped one when None), loaded once per process."""
    return ReaderModel.load(path or SHIPPED_MODEL)
