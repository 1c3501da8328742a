"""The offline extractive engine: quote the sentences that answer, or abstain.

For a question and its retrieved passages it

1. splits the passages into sentences with their spans in the article;
2. scores each sentence by question-term overlap (weighted by rarity, with a share of
   what its neighbours match, since news sentences lean on the one before), then the
   best few by embedding similarity to the question;
3. keeps only sentences whose passage names the question's entities, and abstains
   when the best support is below ``AnswerSettings.min_support``;
4. takes a short answer out of the best sentence where the question asks for a person,
   number, date or place;
5. when another outlet reports a different figure for the same thing, quotes it too.

Thresholds and weights are :class:`rag.settings.AnswerSettings`.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from index.embed import Embedder
from rag.sentences import Sentence, split_sentences
from rag.settings import AnswerSettings
from rag.types import Citation, Passage

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9’'\-]*")
_STOPWORDS = frozenset(
    """a an the of in on at to for from by with about as into over after before during
    and or but if than then so that this these those there here is are was were be been being
    am do does did done has have had having will would shall should can could may might must
    who whom whose what which when where why how many much it its it's he she they them their his
    her him we us our you your i me my mine not no nor also just very more most some any each
    every all both either neither one according said says say reported""".split()
)
_QUESTION_WORDS = frozenset("who whom whose what which when where why how".split())
_CAPITAL_STOP = frozenset(
    """The A An In On At As After Before During Earlier Later Also But And Or If When While
    This That These Those It Its He She They We His Her Their Our Mr Mrs Ms Dr
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split()
)
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
     "hundred": 100, "dozen": 12, "dozens": 24, "hundreds": 200, "thousand": 1000, "thousands": 2000}
_MONTH = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|"
    r"Sep(?:t(?:ember|\.)?|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,\s*\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?|"
    rf"{_MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
    rf"(?:in|since|by|until)\s+(?:19|20)\d{{2}})\b"
)
_NUMBER = re.compile(
    r"\b(?:\d[\d,]*(?:\.\d+)?%?|(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r"))\b",
    re.IGNORECASE,
)
_NAME_PART = r"(?:[A-Z][\w’'\.-]*|(?:al|el|bin|ibn|de|van|von|da|di|le|la)-?[A-Z][\w’'-]*)"
_NAME = re.compile(rf"{_NAME_PART}(?:\s+(?:(?:al|bin|ibn|de|van|von|da|di|of|the)\s+)?{_NAME_PART})*")
_REPORTING_VERBS = r"(?:reported|said|says|added|confirmed|stated|told|announced|claimed|estimated)"
_ATTRIBUTION = [
    re.compile(r"according to (?P<who>(?:the )?[^,.;]+)", re.IGNORECASE),
    re.compile(rf"(?P<who>(?:the |The )?[A-Za-z’'.\- ]{{2,60}}?) {_REPORTING_VERBS}\b"),
]


_thread_state = threading.local()


def _stemmer():
    """A stemmer per thread: PyStemmer objects are not thread-safe, and the UI answers in parallel."""
    if not hasattr(_thread_state, "stemmer"):
        import Stemmer

        _thread_state.stemmer = Stemmer.Stemmer("english")
    return _thread_state.stemmer


def _terms(text: str) -> list[str]:
    words = [w.lower().strip("’'-") for w in _WORD.findall(text)]
    return _stemmer().stemWords([w for w in words if w and w not in _STOPWORDS])


@dataclass
class Question:
    text: str
    kind: str
    terms: list[str]
    entities: list[str]
    verb: str | None = None
    passive: bool = False

    @classmethod
    def parse(cls, text: str) -> Question:
        lowered = text.lower().strip()
        kind = "other"
        if re.match(r"^(?:and\s+)?(?:who|whom|whose)\b", lowered):
            kind = "person"
        elif re.search(r"\bhow (?:many|much)\b", lowered):
            kind = "number"
        elif re.match(r"^(?:and\s+)?when\b", lowered) or re.search(r"\bwhat (?:date|day|year|month|time)\b", lowered):
            kind = "date"
        elif re.match(r"^(?:and\s+)?where\b", lowered):
            kind = "place"
        words = _WORD.findall(text)
        entities = [w for i, w in enumerate(words) if i > 0 and w[0].isupper() and w.lower() not in _QUESTION_WORDS]
        verb, passive = None, False
        match = re.match(r"^(?:and\s+)?who\s+(?:(was|were|is|are|has been|had been)\s+)?([a-z]+)", lowered)
        if match:
            passive = bool(match.group(1))
            verb = match.group(2)
        return cls(text, kind, _terms(text), entities, verb, passive)


@dataclass
class Scored:
    sentence: Sentence
    lexical: float = 0.0
    semantic: float = 0.0
    typed: bool = False
    short_answer: str | None = None
    score: float = 0.0
    matched: set[str] = field(default_factory=set)


@dataclass
class Extraction:
    """What the engine found: the quoted sentences with support, and a short answer."""

    quotes: list[Scored]
    short_answers: list[str]
    attributions: list[str | None]
    abstained: bool
    reason: str = ""


def _candidates(sentence: str, kind: str) -> list[re.Match]:
    if kind == "number":
        return list(_NUMBER.finditer(sentence))
    if kind == "date":
        return list(_DATE.finditer(sentence))
    if kind in ("person", "place"):
        return [m for m in _NAME.finditer(sentence) if _clean_name(m.group())]
    return []


def _clean_name(name: str) -> str:
    words = name.split()
    while words and (words[0] in _CAPITAL_STOP or words[0].lower() in _STOPWORDS):
        words.pop(0)
    cleaned = " ".join(words).rstrip(".’'")
    return re.sub(r"(?:’s|'s)$", "", cleaned)


def _number_value(text: str) -> str:
    lowered = text.lower()
    return str(_NUMBER_WORDS[lowered]) if lowered in _NUMBER_WORDS else text


def _attribution(sentence: str) -> str | None:
    for pattern in _ATTRIBUTION:
        match = pattern.search(sentence)
        if match:
            who = match.group("who").strip()
            who = re.split(r",\s*", who)[-1]
            words = who.split()
            return " ".join(words[-6:]) if words else None
    return None


def _source_key(attribution: str | None) -> str:
    if not attribution:
        return ""
    words = [w for w in _terms(attribution) if w not in {"agenc", "news", "state", "monitor"}]
    return words[-1] if words else attribution.lower()


class ExtractiveEngine:
    """Picks supporting sentences and short answers; see the module docstring."""

    def __init__(self, embedder: Embedder, settings: AnswerSettings) -> None:
        self.embedder = embedder
        self.settings = settings

    def _lexical(self, question: Question, sentences: list[Sentence]) -> list[Scored]:
        term_sets = [set(_terms(s.text)) for s in sentences]
        df = Counter(t for terms in term_sets for t in terms if t in question.terms)
        n = max(len(sentences), 1)
        entity_terms = set(_terms(" ".join(question.entities)))
        weights = {
            t: math.log(1 + n / (1 + df[t])) * (1.5 if t in entity_terms else 1.0) for t in set(question.terms)
        }
        total = sum(weights.values()) or 1.0
        scored = []
        for i, (sentence, terms) in enumerate(zip(sentences, term_sets)):
            matched = terms & weights.keys()
            own = sum(weights[t] for t in matched)
            inherited = 0.0
            for j in (i - 1, i + 1):
                if 0 <= j < len(sentences) and sentences[j].passage.id == sentence.passage.id:
                    inherited = max(inherited, sum(weights[t] for t in (term_sets[j] & weights.keys()) - matched))
            lexical = min(1.0, (own + self.settings.neighbour_weight * inherited) / total)
            scored.append(Scored(sentence, lexical=lexical, matched=matched))
        return scored

    def _articles_covering(self, question: Question, passages: list[Passage]) -> set[str]:
        """Articles whose retrieved text names enough of the question's entities."""
        texts: dict[str, list[str]] = {}
        for passage in passages:
            texts.setdefault(passage.article_id, [passage.title]).append(passage.text)
        covering = set()
        for article_id, parts in texts.items():
            haystack = "\n".join(parts).lower()
            found = sum(1 for e in question.entities if e.lower() in haystack)
            if not question.entities or found / len(question.entities) >= self.settings.min_entity_coverage:
                covering.add(article_id)
        return covering

    def _short_answer(self, question: Question, scored: Scored) -> tuple[str | None, float]:
        """The answer span in a sentence and how strongly its syntax ties it to the question."""
        sentence = scored.sentence.text
        candidates = _candidates(sentence, question.kind)
        question_lower = question.text.lower()
        if question.kind in ("person", "place"):
            candidates = [m for m in candidates if _clean_name(m.group()).lower() not in question_lower]
        if not candidates:
            return None, 0.0
        lowered = sentence.lower()
        anchors = [m.start() for t in question.terms for m in re.finditer(re.escape(t[:5]), lowered)] or [0]

        verb_at = -1
        if question.verb:
            verb_match = re.search(rf"\b{re.escape(question.verb[:4])}\w*", lowered)
            verb_at = verb_match.start() if verb_match else -1

        def tie(match: re.Match) -> float:
            """2 when the syntax names it: "led by X" for "who led", "arrested X" for "who was arrested"."""
            if verb_at < 0:
                return 0.0
            between = lowered[verb_at : match.start()]
            if not question.passive and match.start() > verb_at and re.fullmatch(r"\w+\s+by\b[^,;]*", between):
                return 2.0
            if question.passive and match.start() > verb_at and re.fullmatch(r"\w+\s+", between):
                return 2.0
            if not question.passive and match.end() <= verb_at and match is candidates[0]:
                return 1.0
            return 0.0

        def preference(match: re.Match) -> float:
            return tie(match) - min(abs(match.start() - a) for a in anchors) / 100

        best = max(candidates, key=preference)
        text = best.group().strip()
        if question.kind == "number":
            return _number_value(text), tie(best)
        return (_clean_name(text) if question.kind in ("person", "place") else text), tie(best)

    def extract(self, question_text: str, query_vector: np.ndarray, passages: list[Passage]) -> Extraction:
        question = Question.parse(question_text)
        sentences = [s for p in passages for s in split_sentences(p)]
        seen: set[tuple[str, int]] = set()
        unique = []
        for sentence in sentences:
            key = (sentence.passage.article_id, sentence.start)
            if key not in seen:
                seen.add(key)
                unique.append(sentence)
        if not unique:
            return Extraction([], [], [], True, "no passages were retrieved")
        covering = self._articles_covering(question, passages)
        scored = [s for s in self._lexical(question, unique) if s.sentence.passage.article_id in covering]
        if not scored:
            return Extraction([], [], [], True, "no retrieved passage mentions " + ", ".join(question.entities))
        pool = sorted(scored, key=lambda s: s.lexical, reverse=True)[: self.settings.sentence_pool]
        vectors = self.embedder.embed_documents([s.sentence.text for s in pool])
        similarities = vectors @ query_vector
        cfg = self.settings
        for item, similarity in zip(pool, similarities):
            item.semantic = max(0.0, float(similarity))
            item.short_answer, tie = self._short_answer(question, item)
            item.typed = item.short_answer is not None
            item.score = cfg.semantic_weight * item.semantic + cfg.lexical_weight * item.lexical
            if item.typed:
                item.score += cfg.answer_type_bonus * (1 + tie)
        pool.sort(key=lambda s: s.score, reverse=True)
        best = pool[0]
        if best.score < cfg.min_support or not best.matched and best.semantic < cfg.min_support:
            return Extraction([], [], [], True, f"best support {best.score:.2f} is below {cfg.min_support}")
        quotes = [best]
        answers = [best.short_answer]
        attributions = [_attribution(best.sentence.text)]
        if question.kind == "number" and answers[0]:
            quotes, answers, attributions = self._add_disagreeing(question, pool, quotes, answers, attributions)
        return Extraction(quotes, [a for a in answers if a], attributions, False)

    def _add_disagreeing(self, question, pool, quotes, answers, attributions):
        """Quote another outlet's different figure for the same thing, if one scores well."""
        best = quotes[0]
        sources_seen = {_source_key(attributions[0])}
        for item in pool[1:]:
            if item.score < self.settings.second_source_ratio * best.score or not item.typed:
                continue
            attribution = _attribution(item.sentence.text)
            key = _source_key(attribution)
            if not attribution or key in sources_seen:
                continue
            value = item.short_answer
            if value and value not in answers:
                quotes.append(item)
                answers.append(value)
                attributions.append(attribution)
                sources_seen.add(key)
        return quotes, answers, attributions


def compose(extraction: Extraction) -> tuple[str, str | None]:
    """The answer text with [n] markers, and the short answer (None if there is none)."""
    quotes = extraction.quotes
    answers = extraction.short_answers
    if len(answers) == len(quotes) > 1:
        parts = []
        for n, (value, who) in enumerate(zip(answers, extraction.attributions), start=1):
            parts.append(f"{value}, according to {who} [{n}]" if who else f"{value} [{n}]")
        return "Sources differ: " + "; ".join(parts) + ".", "; ".join(answers)
    if answers:
        return f"{answers[0]} [1]", answers[0]
    return f"{quotes[0].sentence.text} [1]", None


def citations_for(extraction: Extraction) -> list[Citation]:
    return [
        Citation(
            number=n,
            article_id=item.sentence.passage.article_id,
            title=item.sentence.passage.title,
            source=item.sentence.passage.source,
            url=item.sentence.passage.url,
            published=item.sentence.passage.published,
            quote=item.sentence.text,
            start=item.sentence.start,
            end=item.sentence.end,
            passage_id=item.sentence.passage.id,
            support=round(min(1.0, item.score), 3),
        )
        for n, item in enumerate(extraction.quotes, start=1)
    ]
