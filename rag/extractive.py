"""The offline extractive engine: quote the sentences that answer, or abstain.

For a question and its retrieved passages it

1. splits the passages into sentences with their spans in the article;
2. scores each sentence by question-term overlap (weighted by rarity, with a share of
   what its neighbours match, since news sentences lean on the one before), then the
   best few by embedding similarity to the question;
3. keeps only sentences whose passage names the question's entities, and abstains
   when the best support is below ``AnswerSettings.min_support``;
4. takes a short answer out of the best sentence where the question asks for a person,
   number, date or place, or fills the blank of a cloze question;
5. when another outlet reports a different figure for the same thing, quotes it too.

Thresholds and weights are :class:`newsqa.settings.AnswerSettings`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np

from index.embed import Embedder
from newsqa.settings import AnswerSettings
from newsqa.text import STOPWORDS, WORD, content_terms
from newsqa.types import Citation, Passage, TimeRange
from rag.sentences import Sentence, cite, split_sentences
from rag.spans import candidates, clean_name, number_value

QuestionKind = Literal["person", "place", "number", "date", "cloze", "other"]

# "Which engineer ...", "What company ...": the noun after which/what says a name is wanted.
_PERSON_NOUNS = frozenset(
    """person man woman engineer official leader president politician player actor actress singer
    senator governor minister ceo judge director author star athlete candidate celebrity company
    organization organisation group team agency network brand firm band show film movie""".split()
)
_PLACE_NOUNS = frozenset("country city state town continent region nation island county place park".split())
_QUESTION_WORDS = frozenset("who whom whose what which when where why how".split())
_REPORTING_VERBS = r"(?:reported|said|says|added|confirmed|stated|told|announced|claimed|estimated)"
_ATTRIBUTION = [
    re.compile(r"according to (?P<who>(?:the )?[^,.;]+)", re.IGNORECASE),
    re.compile(rf"(?P<who>(?:the |The )?[A-Za-z’'.\- ]{{2,60}}?) {_REPORTING_VERBS}\b"),
]


BLANK = re.compile(r"_{3,}")
_CONTEXT_WORDS = 3


def _fill_blank(question: str, sentence: str) -> str | None:
    """What stands in ``sentence`` where the question has its blank, found by the words around it."""
    question = re.sub(r"^\s*fill in the blanks?\s*:\s*", "", question, flags=re.IGNORECASE)
    before, after = BLANK.split(question, maxsplit=1)
    left = before.split()[-_CONTEXT_WORDS:]
    right = " ".join(after.split()[:_CONTEXT_WORDS]).lower().rstrip("?.!")
    lowered = sentence.lower()
    start = 0
    if left:
        found = lowered.find(" ".join(left).lower())
        if found < 0:
            return None
        start = found + len(" ".join(left))
    end = len(sentence)
    if right:
        found = lowered.find(right, start)
        if found < 0:
            return None
        end = found
    span = sentence[start:end].strip(" ,;:.!?")
    return span if 0 < len(span.split()) <= 8 else None


@dataclass
class Question:
    text: str
    kind: QuestionKind
    terms: list[str]
    entities: list[str]
    verb: str | None = None
    passive: bool = False
    unit: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> Question:
        lowered = text.lower().strip()
        kind: QuestionKind = "other"
        if BLANK.search(text):
            kind = "cloze"
        elif re.match(r"^(?:and\s+)?(?:who|whom|whose)\b", lowered):
            kind = "person"
        elif re.search(r"\bhow (?:many|much)\b", lowered):
            kind = "number"
        elif re.match(r"^(?:and\s+)?when\b", lowered) or re.search(r"\bwhat (?:date|day|year|month|time)\b", lowered):
            kind = "date"
        elif re.match(r"^(?:and\s+)?where\b", lowered):
            kind = "place"
        elif match := re.search(r"\b(?:which|what)\s+(\w+)(?:\s+(\w+))?", lowered):
            for noun in match.groups(""):
                if noun in _PERSON_NOUNS:
                    kind = "person"
                elif noun in _PLACE_NOUNS:
                    kind = "place"
                elif noun in ("year", "month", "day", "date"):
                    kind = "date"
                if kind != "other":
                    break
        words = WORD.findall(text)
        entities = [w for i, w in enumerate(words) if i > 0 and w[0].isupper() and w.lower() not in _QUESTION_WORDS]
        verb, passive = None, False
        match = re.match(r"^(?:and\s+)?who\s+(?:(was|were|is|are|has been|had been)\s+)?([a-z]+)", lowered)
        if match:
            passive = bool(match.group(1))
            verb = match.group(2)
        unit: frozenset[str] = frozenset()
        if counted := re.search(r"\bhow many\s+((?:[a-z-]+\s*){1,3})", lowered):
            words = []
            for word in counted.group(1).split():
                if word in STOPWORDS:
                    break
                words.append(word)
            unit = frozenset(content_terms(" ".join(words)))
        return cls(text, kind, content_terms(text), entities, verb, passive, unit)


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
    superseded: bool = False  # the second quote is an earlier report that said otherwise
    counted: bool = False  # the answer is a count, which holds only as of its report's date


def _published_in(passage: Passage, time_range: TimeRange) -> bool:
    return bool(passage.published) and time_range.days_from(date.fromisoformat(passage.published)) == 0


def _attribution(sentence: str) -> str | None:
    for pattern in _ATTRIBUTION:
        match = pattern.search(sentence)
        if match:
            who = match.group("who").strip()
            who = re.split(r",\s*", who)[-1]
            words = who.split()
            return " ".join(words[-6:]) if words else None
    return None


def _outlet(item: Scored) -> str | None:
    """Who published a quote, and when: "Reuters, 2024-05-02"; None when the article names neither."""
    passage = item.sentence.passage
    return ", ".join(x for x in (passage.source, passage.published) if x) or None


def _same_answer(a: str | None, b: str | None) -> bool:
    """Whether two short answers name one thing ("Assad" and "Bashar Assad", "4" and "4")."""
    x, y = (" ".join(content_terms(v or "")) for v in (a, b))
    return x == y or bool(x and y and (x in y or y in x))


def _claim_overlap(a: Scored, b: Scored) -> float:
    """Share of words two sentences have in common once each one's answer is taken out (Jaccard)."""
    words = [set(content_terms(item.sentence.text.replace(item.short_answer or "", " "))) for item in (a, b)]
    union = words[0] | words[1]
    return len(words[0] & words[1]) / len(union) if union else 0.0


def _source_key(attribution: str | None) -> str:
    if not attribution:
        return ""
    words = [w for w in content_terms(attribution) if w not in {"agenc", "news", "state", "monitor"}]
    return words[-1] if words else attribution.lower()


class ExtractiveEngine:
    """Picks supporting sentences and short answers; see the module docstring."""

    def __init__(self, embedder: Embedder, settings: AnswerSettings) -> None:
        self.embedder = embedder
        self.settings = settings

    def _lexical(self, question: Question, sentences: list[Sentence]) -> list[Scored]:
        term_sets = [set(content_terms(s.text)) for s in sentences]
        df = Counter(t for terms in term_sets for t in terms if t in question.terms)
        n = max(len(sentences), 1)
        entity_terms = set(content_terms(" ".join(question.entities)))
        weights = {t: math.log(1 + n / (1 + df[t])) * (1.5 if t in entity_terms else 1.0) for t in set(question.terms)}
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
        if question.kind == "cloze":
            filled = _fill_blank(question.text, sentence)
            return filled, 2.0 if filled else 0.0
        found = candidates(sentence, question.kind)
        question_lower = question.text.lower()
        if question.kind in ("person", "place"):
            found = [m for m in found if clean_name(m.group()).lower() not in question_lower]
        if not found:
            return None, 0.0
        lowered = sentence.lower()
        anchors = [m.start() for t in question.terms for m in re.finditer(re.escape(t[:5]), lowered)] or [0]

        verb_at = -1
        if question.verb:
            verb_match = re.search(rf"\b{re.escape(question.verb[:4])}\w*", lowered)
            verb_at = verb_match.start() if verb_match else -1

        def tie(match: re.Match) -> float:
            """2 when the syntax names it: "led by X" for "who led", "arrested X" for "who was arrested",
            "400 residents" for "how many residents"."""
            if question.unit:
                following = content_terms(" ".join(lowered[match.end() :].split()[:3]))
                return 2.0 if question.unit & set(following) else 0.0
            if verb_at < 0:
                return 0.0
            between = lowered[verb_at : match.start()]
            if not question.passive and match.start() > verb_at and re.fullmatch(r"\w+\s+by\b[^,;]*", between):
                return 2.0
            if question.passive and match.start() > verb_at and re.fullmatch(r"\w+\s+", between):
                return 2.0
            if not question.passive and match.end() <= verb_at and match is found[0]:
                return 1.0
            return 0.0

        def preference(match: re.Match) -> float:
            return tie(match) - min(abs(match.start() - a) for a in anchors) / 100

        best = max(found, key=preference)
        text = best.group().strip()
        if question.kind == "number":
            return number_value(text), tie(best)
        if question.kind not in ("person", "place"):
            return text, tie(best)
        words = clean_name(text).split()
        # "Which engineer said ..." is answered by "Maria Lopez", not "Engineer Maria Lopez".
        while len(words) > 1 and words[0].lower() in question_lower:
            words.pop(0)
        return " ".join(words), tie(best)

    def extract(
        self,
        question_text: str,
        query_vector: np.ndarray,
        passages: list[Passage],
        time_range: TimeRange | None = None,
    ) -> Extraction:
        """The quotes and short answers for a question; ``time_range`` is the time it names, if any."""
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
        if time_range is not None:
            # A question that names a time is answered from articles of that time when any is read.
            pool.sort(key=lambda s: not _published_in(s.sentence.passage, time_range))
        best = pool[0]
        if best.score < cfg.min_support or not best.matched and best.semantic < cfg.min_support:
            return Extraction([], [], [], True, "no sentence of the retrieved passages answers it closely enough")
        over_time = self._reports_over_time(pool, time_range)
        if over_time is not None:
            newer, earlier = over_time
            values = [item.short_answer for item in (newer, earlier) if item.short_answer]
            return Extraction([newer, earlier], values, [None, None], False, superseded=True)
        quotes = [best]
        answers = [best.short_answer]
        attributions = [_attribution(best.sentence.text)]
        if question.kind == "number" and answers[0]:
            quotes, answers, attributions = self._add_disagreeing(question, pool, quotes, answers, attributions)
        if len(quotes) == 1 and answers[0] and (rival := self._contradicting(pool)) is not None:
            quotes, answers = [best, rival], [best.short_answer, rival.short_answer]
            attributions = [_outlet(best), _outlet(rival)]
        return Extraction(quotes, [a for a in answers if a], attributions, False, counted=question.kind == "number")

    def _reports_over_time(self, pool: list[Scored], time_range: TimeRange | None) -> tuple[Scored, Scored] | None:
        """A newer and an earlier report that answer differently, both scoring nearly as well as the best.

        News changes: when reports of different dates disagree, the newest is the answer and
        an earlier one is cited as such. A question that names a time ("in 2021") is about
        that time: newer reports outside it do not count.
        """
        best = pool[0]
        published = best.sentence.passage.published
        if not best.short_answer or not published:
            return None
        rivals = [
            item
            for item in pool[1:]
            if item.short_answer
            and item.short_answer != best.short_answer
            and item.sentence.passage.published
            and item.sentence.passage.published != published
            and item.score >= self.settings.second_source_ratio * best.score
        ]
        newer = [
            item
            for item in rivals
            if item.sentence.passage.published > published
            and (time_range is None or _published_in(item.sentence.passage, time_range))
        ]
        if newer:
            return max(newer, key=lambda item: (item.sentence.passage.published, item.score)), best
        older = [item for item in rivals if item.sentence.passage.published < published]
        if older:
            return best, max(older, key=lambda item: item.score)
        return None

    def _contradicting(self, pool: list[Scored]) -> Scored | None:
        """Another article's sentence that makes the best sentence's statement with another answer.

        Two outlets reporting one event differently on one day is what a reader must be told,
        for any kind of answer: the rival must score nearly as well as the best and, once each
        sentence's answer is left out, share most of its words
        (``AnswerSettings.same_claim_overlap``), so that two different stories never pass
        for a disagreement.
        """
        best = pool[0]
        best_passage = best.sentence.passage
        for item in pool[1:]:
            passage = item.sentence.passage
            if item.score < self.settings.second_source_ratio * best.score or not item.short_answer:
                break
            # Reports of other days are news that changed, which _reports_over_time tells apart.
            if passage.published != best_passage.published or passage.article_id == best_passage.article_id:
                continue
            if _same_answer(item.short_answer, best.short_answer):
                continue
            if _claim_overlap(best, item) >= self.settings.same_claim_overlap:
                return item
        return None

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
    if extraction.superseded:
        newer, earlier = (q.sentence.passage.published for q in quotes)
        return f"{answers[0]} [1], as of {newer}; an earlier report ({earlier}) said {answers[1]} [2].", answers[0]
    if len(answers) == len(quotes) > 1:
        parts = []
        for n, (value, who) in enumerate(zip(answers, extraction.attributions), start=1):
            parts.append(f"{value}, according to {who} [{n}]" if who else f"{value} [{n}]")
        return "Sources differ: " + "; ".join(parts) + ".", "; ".join(answers)
    if answers:
        published = quotes[0].sentence.passage.published
        as_of = f", as of {published}" if extraction.counted and published else ""
        return f"{answers[0]} [1]{as_of}", answers[0]
    return f"{quotes[0].sentence.text} [1]", None


def citations_for(extraction: Extraction) -> list[Citation]:
    return [cite(n, item.sentence, item.score) for n, item in enumerate(extraction.quotes, start=1)]
