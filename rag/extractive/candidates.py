"""Candidate answers in pooled sentences: typed mentions from spaCy, merged into candidates.

Every named entity and noun chunk of a sentence is a :class:`Mention` of a candidate
answer (and a whole proper name the small NER model labels only part of, and two names
joined by "and"), with where it stands towards the question's words in the parse. Mentions
that name the same thing ("Facebook Inc." / "Facebook", "four" / "4", "WHO" / "World
Health Organization") are merged into one :class:`Candidate`, pooling their evidence across
passages and outlets, since in news an answer many reports repeat is likelier right.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from newsqa.text import POSSESSIVE, STOPWORDS, content_terms
from rag.extractive.question import ECHO_REACH, ECHO_SLACK, NAMED_TYPES, ROLES, QuestionAnalysis
from rag.nlp.spans import number_value

if TYPE_CHECKING:
    from spacy.tokens import Span

# spaCy's entity labels (OntoNotes) as answer types; ORDINAL ("second") answers nothing here.
LABEL_TYPES = {
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
# Dependency labels of a noun that qualifies the noun after it: a compound's first part, a noun modifier.
_MODIFIER_DEPS = frozenset({"compound", "nmod"})
# Entities that are no part of a name, though their words are proper nouns ("Denver Broncos Tuesday").
_NOT_NAME_LABELS = frozenset("DATE TIME CARDINAL ORDINAL MONEY PERCENT QUANTITY".split())
MAX_CANDIDATE_TOKENS = 6  # words in a candidate at most: an answer is a name, a figure or a short phrase
_UNIT_REACH = 3  # words after a number that may name what it counts
# A multiple-choice option counts as named in a sentence that names more than this share of
# its words (half of "Game of Thrones" is in "Squid Game", which names another show); its
# score is then scaled by the share.
MIN_CHOICE_COVERAGE = 0.5
_WINDOW_TOKENS = 8  # words either side of a mention whose question terms count in its "window"
# The unit of a figure, against the one a question asks for (QuestionAnalysis.measure): by
# spaCy's label, else by the word written beside it, since the small model often labels
# "412 million" a bare number and leaves "euros" out.
MEASURE_LABELS = {"MONEY": "money", "PERCENT": "percent", "QUANTITY": "quantity"}
UNIT_WORDS = {
    "money": frozenset("$ € £ ¥ dollar dollars euro euros pound pounds yen yuan rupees francs usd eur gbp".split()),
    "percent": frozenset("% percent per cent percentage".split()),
    "quantity": frozenset(
        "km kilometre kilometres kilometer kilometers mile miles metre metres meter meters feet foot acres hectares "
        "tons tonnes kg kilograms litres liters gallons barrels degrees".split()
    ),
}
_UNIT_REACH_MEASURE = 2  # words after a figure that may name its unit ("412 million euros")
_COMPANY_SUFFIXES = re.compile(r"\s+(?:inc|corp|corporation|co|ltd|llc|plc|group|company)\.?$")
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def answer_key(text: str) -> str:
    """A candidate's text normalised for merging: "The Facebook Inc." -> "facebook", "four" -> "4"."""
    key = POSSESSIVE.sub("", _LEADING_ARTICLE.sub("", text.strip().replace("’", "'")))
    key = number_value(key).lower()
    key = re.sub(r"[^\w$%.]+", " ", _COMPANY_SUFFIXES.sub("", key)).strip(" .")
    pair = key.split(" and ")
    return " and ".join(sorted(pair)) if len(pair) == 2 else key  # "Finland and Sweden" is "Sweden and Finland"


def _initials(key: str) -> str:
    return "".join(word[0] for word in key.split() if word not in STOPWORDS)


@dataclass(frozen=True)
class Mention:
    """One place a candidate is named: its sentence (index in the pool), local evidence, features, score.

    ``features`` are filled in by :func:`rag.extractive.features.describe` and ``score`` by
    :meth:`rag.extractive.model.ReaderModel.score`, each on a new copy.
    """

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
    head_tie: float = 0.0
    measure: float = 0.0  # a figure in the unit asked for (1), in another (-1), or no unit asked (0)
    coverage: float = 1.0  # share of a choice's words it names: less than 1 where a choice is only partly named
    echo: bool = False  # the sentence goes on with the words the question asks about it (QuestionAnalysis.echo)
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0


@dataclass(frozen=True)
class Candidate:
    """A candidate answer with every mention of it; its score is its best-scored mention's."""

    text: str
    key: str
    answer_type: str
    mentions: tuple[Mention, ...] = ()
    score: float = 0.0

    @property
    def best(self) -> Mention:
        """The mention the model finds most convincing: the one to quote."""
        return max(self.mentions, key=lambda m: m.score)


def _clean(span) -> str:
    tokens = list(span)
    # "the", "its", "our" go; "US" in "the US Open" is a name, though "us" is a stopword. So do a
    # list's bullet and any mark before a name ("∎ Beryl"), but not a currency sign ("$5 million").
    while tokens and (
        tokens[0].pos_ in ("DET", "PRON")
        or tokens[0].is_punct
        or (not any(c.isalnum() for c in tokens[0].text) and not tokens[0].is_currency)
        or (tokens[0].lower_ in STOPWORDS and tokens[0].pos_ != "PROPN")
    ):
        tokens = tokens[1:]
    while tokens and tokens[-1].is_punct:
        tokens = tokens[:-1]
    if not tokens:
        return ""
    text = span.doc.text[tokens[0].idx : tokens[-1].idx + len(tokens[-1].text)]
    return POSSESSIVE.sub("", text)


def _mention(
    span, answer_type: str, label: str, index: int, stems, term_positions, analysis, head_positions=()
) -> Mention | None:
    text = _clean(span)
    if not text or len(text.split()) > MAX_CANDIDATE_TOKENS or not any(c.isalnum() for c in text):
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
    tied = _tie(span.doc, hops, outside)
    # "the automaker Ford", "Ford, the automaker": the noun a "which X" asks about names this mention.
    head_tie = _tie(span.doc, hops, [p for p in head_positions if p not in own])
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
    measure = 0.0
    if answer_type == "number" and analysis.measure:
        measure = 1.0 if _unit(span, label) == analysis.measure else -1.0
    return Mention(
        text, answer_type, label, index, near, tied, verb_tie, window, counts=counts, head_tie=head_tie, measure=measure
    )


def _unit(span, label: str) -> str | None:
    """What a figure measures: by its label, else by the symbol before it or the words after it."""
    if label in MEASURE_LABELS:
        return MEASURE_LABELS[label]
    doc = span.doc
    around = [doc[span.start - 1]] if span.start else []
    around += list(doc[span.end : span.end + _UNIT_REACH_MEASURE])
    words = {t.lower_ for t in around} | {t.lower_ for t in span}
    return next((unit for unit, known in UNIT_WORDS.items() if words & known), None)


def _tie(doc, hops: dict[int, int], positions: Sequence[int]) -> float:
    """1 / (1 + edges in the parse from a mention to the nearest token of ``positions``); 0 when none.

    ``hops`` are the mention's root and its ancestors, by their distance from the root.
    """
    distances = []
    for p in positions:
        token = doc[p]
        for n, ancestor in enumerate([token.i] + [a.i for a in token.ancestors]):
            if ancestor in hops:
                distances.append(n + hops[ancestor])
                break
    return 1 / (1 + min(distances)) if distances else 0.0


def _with_title(ent):
    """A person's name with the capitalised title the parse attaches to it: "Major-General X", "Rep. X",
    "President-elect X"."""
    start = ent.start
    while start > 0:
        before = ent.doc[start - 1]
        if _joins_name(before):
            start -= 1
            continue
        # A title's lower-case end stays with it when hyphenated to it: "President-elect X".
        hyphenated = start > 1 and ent.doc[start - 2].text == "-" and not ent.doc[start - 2].whitespace_
        if before.pos_ != "PROPN" or not (before.text[0].isupper() or hyphenated):
            break
        if not start <= before.head.i < ent.end:
            break
        start -= 1
    return ent.doc[start : ent.end] if start < ent.start else ent


def _entity_type(ent) -> str:
    """The answer type of an entity; a duration ("two decades") is a number, not a "when"."""
    if ent.label_ == "DATE" and ent.root.tag_ == "NNS" and any(c.dep_ == "nummod" for c in ent.root.children):
        return "number"
    return LABEL_TYPES[ent.label_]


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
            if ROLES.get(child.dep_) != analysis.role:
                continue
            fillers = [g for g in child.children if g.dep_ == "pobj"] if child.dep_ == "agent" else [child]
            filling.update(t.i for filler in fillers for t in filler.subtree)
    return filling


def _echoed(span, echo: tuple[str, ...]) -> bool:
    """Whether ``span`` is the subject of a verb the words after the subject's phrase say as the question
    does after its question word (as far as ECHO_REACH): the first right after it and the others in order,
    with ECHO_SLACK words between them at most (a title the question leaves out: "arrested Major-General
    Mohammed …")."""
    if not echo or span.root.dep_ not in ("nsubj", "nsubjpass"):
        return False  # "Varno" in "Police in Varno said …" is no subject: "Police" is
    compared = echo[:ECHO_REACH]
    start = max(span.end, span.root.right_edge.i + 1)  # after the whole subject: "Police in Varno"
    if not start <= span.root.head.i < start + len(compared) + ECHO_SLACK:
        return False  # the subject of some other verb
    # Punctuation aside, as the echo has none: "Major-General" is three tokens but two words.
    following = [t.lower_ for t in span.doc[start:] if not t.is_punct][: len(compared) + ECHO_SLACK]
    if not following or following[0] != compared[0]:
        return False
    at = 0
    for word in compared[1:]:
        try:
            at = following.index(word, at + 1)
        except ValueError:
            return False
    return at - (len(compared) - 1) <= ECHO_SLACK


def mentions_in(
    doc, index: int, analysis: QuestionAnalysis, choices: Sequence[str]
) -> tuple[list[Mention], list[list[Mention]]]:
    """The entities and noun chunks of a sentence, and where it names each choice."""
    stems = [content_terms(t.text) for t in doc]
    term_positions = [i for i, s in enumerate(stems) if s and s[0] in analysis.terms]
    head_positions = [i for i, s in enumerate(stems) if s and s[0] in analysis.head_terms]
    # An entity the small model starts at a possessive ending ("’s Note" of "Editor’s Note") is a misreading.
    found: list[tuple[Span, str, str]] = [
        (_with_title(ent) if ent.label_ == "PERSON" else ent, _entity_type(ent), ent.label_)
        for ent in doc.ents
        if ent.label_ in LABEL_TYPES and ent[0].tag_ != "POS"
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
        if mention := _mention(span, answer_type, label, index, stems, term_positions, analysis, head_positions):
            mentions.append(
                dataclasses.replace(mention, role=float(span.root.i in filling), echo=_echoed(span, analysis.echo))
            )
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
            named_type = LABEL_TYPES.get(named_label, "concept")
            if mention := _mention(
                named_span, named_type, named_label, index, stems, term_positions, analysis, head_positions
            ):
                here.append(dataclasses.replace(mention, role=float(named_span.root.i in filling)))
        if not here and (partial := _partly_named(doc, stems, choice)) is not None:
            named_span, coverage = partial
            if mention := _mention(named_span, "concept", "", index, stems, term_positions, analysis, head_positions):
                here.append(dataclasses.replace(mention, role=float(named_span.root.i in filling), coverage=coverage))
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
        if token is not None and start is not None and _joins_name(token):
            continue  # "President-elect Donald Trump" is one run, not "President" and "elect Donald Trump"
        end = token.i if token is not None else len(doc)
        if start is not None and end - start >= 2:
            run = doc[start:end]
            entities = sum(1 for t in run if t.ent_iob_ == "B")
            if entities <= 1 and run[-1].dep_ not in _MODIFIER_DEPS:
                runs.append(run)
        start = None
    return runs


def _joins_name(token) -> bool:
    """A hyphen written without spaces between two proper nouns: inside one name ("President-elect")."""
    doc = token.doc
    return (
        token.text == "-"
        and 0 < token.i < len(doc) - 1
        and not (doc[token.i - 1].whitespace_ or token.whitespace_)
        and doc[token.i - 1].pos_ == doc[token.i + 1].pos_ == "PROPN"
    )


def _coordinated(doc) -> list[tuple[Span, str, str]]:
    """Two named things of one kind joined by "and", as one candidate ("Sweden and Finland": "which two countries")."""
    joined = []
    for first, second in zip(doc.ents, doc.ents[1:]):
        between = doc[first.end : second.start]
        if (
            first.label_ == second.label_
            and first.label_ in LABEL_TYPES
            and [t.lower_ for t in between] == ["and"]
            and second.root.dep_ == "conj"
        ):
            joined.append((doc[first.start : second.end], LABEL_TYPES[first.label_], first.label_))
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
            if first <= last < first + MAX_CANDIDATE_TOKENS:
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


def merge(mentions: list[Mention]) -> list[Candidate]:
    """The candidates the mentions name: one per answer key, a short name folded into a longer one."""
    by_key: dict[str, list[Mention]] = {}
    kinds: dict[str, str] = {}
    for mention in mentions:
        key = answer_key(mention.text)
        if not key:
            continue
        by_key.setdefault(key, []).append(mention)
        kinds.setdefault(key, mention.answer_type)
        if mention.label and kinds[key] in ("concept", "name"):
            kinds[key] = mention.answer_type
    # A short name folds into a longer one of the same thing: "Biden" into "Joe Biden",
    # "WHO" into "World Health Organization", "Broncos" into "Denver Broncos".
    merged: list[str] = []
    for key in sorted(by_key, key=lambda k: -len(k)):
        into = _folds_into(key, kinds[key], by_key, kinds, merged) if kinds[key] in NAMED_TYPES else None
        if into is None:
            merged.append(key)
        else:
            by_key[into] = by_key[into] + by_key[key]
    return [Candidate(_fullest(by_key[key]), key, kinds[key], tuple(by_key[key])) for key in merged]


def _fullest(mentions: list[Mention]) -> str:
    """How a candidate is written: as its mention of most words names it ("Joe Biden", not "Biden")."""
    return max((m.text for m in mentions), key=lambda t: (len(t.split()), len(t)))


def _folds_into(key: str, kind: str, by_key: dict[str, list[Mention]], kinds: dict[str, str], merged: list[str]):
    """The longer name, among those kept so far, that ``key`` is a part or the initials of."""
    words = key.split()
    labels = {m.label for m in by_key[key]}
    for longer in merged:
        longer_words = longer.split()
        same_label = {m.label for m in by_key[longer]} & labels
        # A name of unknown kind ("Denver Broncos", unlabelled) may be the full name of any kind of name.
        kinds_agree = kinds[longer] == "name" or (kinds[longer] == kind and same_label)
        # The small model often calls a person's surname alone an organisation ("Trump"); a place by
        # the name ("Jordan") is more often a place.
        surname = kind == "org" and kinds[longer] == "person" and len(words) == 1 and longer_words[-1] == words[0]
        kinds_agree = kinds_agree or surname
        if not kinds_agree or len(longer_words) <= len(words):
            continue
        # A person is named short by the surname; what starts a person's longer name is a title or an
        # employer ("Clearwater Executive Director Greg Williams"), not that person.
        is_part = longer_words[-len(words) :] == words or (
            longer_words[: len(words)] == words and "person" not in (kind, kinds[longer])
        )
        is_acronym = len(words) == 1 and len(words[0]) > 1 and _initials(longer) == words[0]
        if is_part or is_acronym:
            return longer
    return None
