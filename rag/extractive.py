"""The offline extractive engine: a short answer quoted from the sentence that supports it, or abstention.

For a question and its retrieved passages it

1. splits the passages into sentences with their spans in the article;
2. keeps the sentences of articles that name the question's entities (spaCy's, see
   :mod:`rag.reader`) and pools the best few by question-term overlap (weighted by rarity,
   with a share of what the neighbouring sentences match, since news sentences lean on
   the one before); only the sentences a decision compares are embedded;
3. hands the pool to the reader (:mod:`rag.reader`), whose learned model scores every
   mention of every entity and noun chunk as the answer; the best one is the short
   answer, quoted with its sentence, unless the parse shows another of the asked-for type
   in the asked-for role ("led by X" for "Who led ...?", "two security personnel" for
   "How many security personnel ...?"), which then comes first; the engine abstains
   when even the best score is below the model's calibrated threshold;
4. fills the blank of a cloze question from the sentence that reads most like it, and
   answers "What happened ...?", "Why ...?" and "How did ...?" with the sentence that
   matches the question best, since no one span answers them;
5. when another outlet, or another source quoted in the article, gives a different
   answer for the same statement, says that sources differ and cites each; when the
   reports are of different days, answers with the newest and cites the earlier one.

Thresholds are :class:`newsqa.settings.AnswerSettings`; the model is :class:`rag.reader.ReaderModel`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from index.embed import Embedder
from newsqa.settings import AnswerSettings
from newsqa.text import content_terms, share_in
from newsqa.types import Citation, Passage, TimeRange
from rag.reader import Candidate, QuestionAnalysis, ReaderModel, SentenceEvidence, analyze, load_model, read
from rag.sentences import Sentence, cite, split_sentences

_REPORTING_VERBS = r"(?:reported|said|says|added|confirmed|stated|told|announced|claimed|estimated)"
_ATTRIBUTION = [
    re.compile(r"according to (?P<who>(?:the )?[^,.;]+)", re.IGNORECASE),
    re.compile(rf"(?P<who>(?:the |The )?[A-Za-z’'.\- ]{{2,60}}?) {_REPORTING_VERBS}\b"),
]


BLANK = re.compile(r"_{3,}")
_NOT_CLOSE_ENOUGH = "no sentence of the retrieved passages answers it closely enough"
# A candidate is of the asked-for type when the question analysis gives its type this probability.
TYPED = 0.5
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
class Scored:
    """A pooled sentence, its match with the question, and the best answer the reader found in it."""

    sentence: Sentence
    lexical: float = 0.0
    semantic: float | None = None  # embedding similarity to the question, measured when a decision needs it
    candidate: Candidate | None = None
    typed: bool = False  # the answer is of a kind the question likely asks for
    # ... and fills the role the question asks about ("led by X" for "Who led ...?"), or
    # counts what it asks to count
    fills_role: bool = False
    counts: bool = False  # a number followed by what "how many" counts
    short_answer: str | None = None
    score: float = 0.0  # the reader's score of that answer here
    matched: set[str] = field(default_factory=set)


@dataclass
class Reading:
    """The pooled sentences of a question and the reader's scored candidates (best first)."""

    analysis: QuestionAnalysis
    pool: list[Scored]
    candidates: list[Candidate]
    choices: list[Candidate] = field(default_factory=list)
    abstain_reason: str = ""


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

    @classmethod
    def abstention(cls, reason: str) -> Extraction:
        return cls([], [], [], True, reason)


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


def _same_answer(a: Scored, b: Scored) -> bool:
    """Whether two quotes answer with one thing ("Assad" and "Bashar Assad", "four" and "4")."""
    if a.candidate is not None and a.candidate is b.candidate:
        return True
    x, y = (" ".join(content_terms(item.short_answer or "")) for item in (a, b))
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
    """Picks a short answer and its supporting sentence; see the module docstring.

    ``model`` overrides the reader model named by the settings (the harness passes one per fold).
    """

    def __init__(self, embedder: Embedder, settings: AnswerSettings, model: ReaderModel | None = None) -> None:
        self.embedder = embedder
        self.settings = settings
        self.model = model or load_model(settings.reader_model)

    def _lexical(self, analysis: QuestionAnalysis, sentences: list[Sentence]) -> list[Scored]:
        term_sets = [set(content_terms(s.text)) for s in sentences]
        df = Counter(t for terms in term_sets for t in terms if t in analysis.terms)
        n = max(len(sentences), 1)
        entity_terms = set(content_terms(" ".join(analysis.entities)))
        # Rarer terms weigh more, the question's named things most: they say which story it is.
        weights = {t: math.log(1 + n / (1 + df[t])) * (1.5 if t in entity_terms else 1.0) for t in analysis.terms}
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

    def _articles_covering(self, analysis: QuestionAnalysis, passages: list[Passage]) -> set[str]:
        """Articles whose retrieved text names enough of the question's entities.

        An entity counts by the share of its words the text has: "the 2022 NHL Stanley Cup
        Finals" is mostly named by "the Stanley Cup Final", and a question is seldom worded
        as its articles are.
        """
        texts: dict[str, list[str]] = {}
        for passage in passages:
            texts.setdefault(passage.article_id, [passage.title]).append(passage.text)
        # An entity of stopwords only ("US") has no words to count: it must be written as is, or with stops ("U.S.").
        by_letters = {entity: not content_terms(entity) for entity in analysis.entities}
        covering = set()
        for article_id, parts in texts.items():
            haystack = "\n".join(parts)
            words = set(content_terms(haystack))
            shares = [
                float(entity.replace(".", "") in haystack.replace(".", ""))
                if by_letters[entity]
                else share_in(entity, words)
                for entity in analysis.entities
            ]
            if not shares or sum(shares) / len(shares) >= self.settings.min_entity_coverage:
                covering.add(article_id)
        return covering

    def read(
        self,
        question_text: str,
        passages: list[Passage],
        as_of: datetime | None = None,
        choices: tuple[str, ...] = (),
    ) -> Reading:
        """Pool the sentences that bear on the question and score every candidate answer in them.

        ``choices`` are scored as candidates too, named in the sentences or not.
        """
        analysis = analyze(question_text, self.embedder)
        seen: set[tuple[str, int]] = set()
        unique = []
        for sentence in (s for p in passages for s in split_sentences(p)):
            key = (sentence.passage.article_id, sentence.start)
            if key not in seen:
                seen.add(key)
                unique.append(sentence)
        if not unique:
            return Reading(analysis, [], [], abstain_reason="no passages were retrieved")
        covering = self._articles_covering(analysis, passages)
        scored = [s for s in self._lexical(analysis, unique) if s.sentence.passage.article_id in covering]
        if not scored:
            missing = ", ".join(analysis.entities)
            return Reading(analysis, [], [], abstain_reason=f"no retrieved passage mentions {missing}")
        pool = sorted(scored, key=lambda s: s.lexical, reverse=True)[: self.settings.sentence_pool]
        evidence = SentenceEvidence(
            lexical=[s.lexical for s in pool],
            ranks={p.id: rank for rank, p in enumerate(passages)},
            top_score=max(p.score for p in passages),
        )
        sentences = [s.sentence for s in pool]
        candidates, choice_candidates = read(analysis, sentences, evidence, self.embedder, as_of, choices)
        self.model.score(candidates + choice_candidates)
        # A name the question already gives ("Who met Biden?") is never its answer.
        answers = [c for c in candidates if c.mentions[0].features["in_question"] < 1]
        for candidate in answers:
            for mention in candidate.mentions:
                item = pool[mention.sentence]
                typed = analysis.type_probability(mention.answer_type) >= TYPED
                # "led by X" for "Who led ...?", "two security personnel" for "How many security personnel ...?"
                fills_role = typed and (mention.role > 0 or mention.counts > 0)
                if (fills_role, mention.score) > (item.fills_role, item.score):
                    item.candidate, item.short_answer, item.score = candidate, candidate.text, mention.score
                    item.typed, item.fills_role, item.counts = typed, fills_role, bool(mention.counts)
        answers.sort(key=lambda c: c.score, reverse=True)
        return Reading(analysis, pool, answers, choice_candidates)

    def extract(
        self,
        question_text: str,
        query_vector: np.ndarray,
        passages: list[Passage],
        time_range: TimeRange | None = None,
        as_of: datetime | None = None,
    ) -> Extraction:
        """The quotes and short answers for a question; ``time_range`` is the time it names, if any."""
        if BLANK.search(question_text):
            return self._fill(question_text, query_vector, passages)
        if time_range is not None:
            # "this week" picks the articles (below); as words to find in a sentence it only misleads.
            question_text = " ".join(question_text.replace(time_range.phrase, " ").split())
        reading = self.read(question_text, passages, as_of)
        if reading.abstain_reason:
            return Extraction.abstention(reading.abstain_reason)
        if reading.analysis.statement:
            return self._state(reading)
        # The parse says who did what, which the model's frequency and overlap cues cannot: an
        # answer of the asked-for type in the asked-for role comes first.
        pool = sorted(reading.pool, key=lambda s: (s.fills_role, s.score), reverse=True)
        if time_range is not None:
            # A question that names a time is answered from articles of that time when any is read.
            pool.sort(key=lambda s: not _published_in(s.sentence.passage, time_range))
        best = pool[0]
        # Whether the passages answer at all is the model's call (its best score); which answer
        # they give may then be the parse's.
        supported = max(item.score for item in pool)
        if best.short_answer is None or supported < self.model.threshold:
            return Extraction.abstention(_NOT_CLOSE_ENOUGH)
        self._measure_similarity([best, *(item for item in pool[1:] if self._may_differ(best, item))], query_vector)
        over_time = self._reports_over_time(pool, time_range)
        if over_time is not None:
            newer, earlier = over_time
            values = [item.short_answer for item in (newer, earlier) if item.short_answer]
            return Extraction([newer, earlier], values, [None, None], False, superseded=True)
        quotes = [best]
        answers = [best.short_answer]
        attributions = [_attribution(best.sentence.text)]
        counted = reading.analysis.type_probability("number") >= TYPED
        if counted:
            quotes, answers, attributions = self._add_disagreeing(pool, quotes, answers, attributions)
        if len(quotes) == 1 and (rival := self._contradicting(pool)) is not None:
            quotes, answers = [best, rival], [best.short_answer, rival.short_answer or ""]
            attributions = [_outlet(best), _outlet(rival)]
        return Extraction(quotes, [a for a in answers if a], attributions, False, counted=counted)

    def _state(self, reading: Reading) -> Extraction:
        """What happened, why, how: no one span answers, so the sentence that matches the question best does."""
        best = max(reading.pool, key=lambda item: item.lexical)
        if not best.matched:
            return Extraction.abstention(_NOT_CLOSE_ENOUGH)
        best.score = best.lexical
        return Extraction([best], [], [None], False)

    def _fill(self, question_text: str, query_vector: np.ndarray, passages: list[Passage]) -> Extraction:
        """A cloze question: the words, where the question has its blank, of the sentence that reads most like it.

        Another outlet's sentence of the same statement filled otherwise is quoted beside it.
        """
        reading = self.read(question_text, passages)
        if reading.abstain_reason:
            return Extraction.abstention(reading.abstain_reason)
        filled = []
        for item in reading.pool:
            item.short_answer = _fill_blank(question_text, item.sentence.text)
            if item.short_answer:
                item.typed, item.candidate = True, None
                filled.append(item)
        if not filled:
            return Extraction.abstention("no retrieved sentence reads like the question around its blank")
        self._measure_similarity(filled, query_vector)
        for item in filled:
            item.score = item.semantic or 0.0
        filled.sort(key=lambda s: s.score, reverse=True)
        best = filled[0]
        if (rival := self._contradicting(filled)) is not None:
            return Extraction(
                [best, rival],
                [best.short_answer or "", rival.short_answer or ""],
                [_outlet(best), _outlet(rival)],
                False,
            )
        return Extraction([best], [best.short_answer or ""], [None], False)

    def _reports_over_time(self, pool: list[Scored], time_range: TimeRange | None) -> tuple[Scored, Scored] | None:
        """A newer and an earlier report that answer differently, both scoring nearly as well as the best.

        News changes: when reports of different dates disagree, the newest is the answer and
        an earlier one is cited as such. A question that names a time ("in 2021") is about
        that time: newer reports outside it do not count. The two must make one statement
        (``AnswerSettings.same_claim_overlap``, answers left out) with answers of the asked-for
        type: two stories of different days that merely share the question's words are no
        update of each other, and saying "an earlier report said" of them misleads.
        """
        best = pool[0]
        published = best.sentence.passage.published
        if not best.short_answer or not published:
            return None
        rivals = [
            item
            for item in pool[1:]
            if item.short_answer
            and self._may_differ(best, item)
            and item.sentence.passage.published
            and item.sentence.passage.published != published
            and item.score >= self.settings.newer_report_ratio * best.score
            and _claim_overlap(best, item) >= self.settings.same_claim_overlap
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
            # The latest of the earlier reports says what changed last.
            return best, max(older, key=lambda item: (item.sentence.passage.published, item.score))
        return None

    def _second_source(self, best: Scored, item: Scored) -> bool:
        """Whether a sentence may be quoted beside the best as a source that says otherwise.

        Its answer must be of the asked-for type and differ from the best's, and the sentence
        must read nearly as much like the question as the best's
        (``AnswerSettings.second_source_ratio`` of its embedding similarity). The model's
        score is no guide here: it rewards what most sources repeat, which a dissenting
        source by definition does not.
        """
        return self._may_differ(best, item) and (item.semantic or 0.0) >= self.settings.second_source_ratio * (
            best.semantic or 0.0
        )

    @staticmethod
    def _may_differ(best: Scored, item: Scored) -> bool:
        """Whether a sentence gives another answer of the asked-for type than the best."""
        return item.typed and not _same_answer(item, best)

    def _measure_similarity(self, items: list[Scored], query_vector: np.ndarray) -> None:
        """Set the embedding similarity to the question of the items that lack it.

        Only the few sentences a decision compares are embedded (a second source, the fill of
        a blank): the model does without, and embedding the whole pool would double the time
        an answer takes.
        """
        missing = [item for item in items if item.semantic is None]
        if missing:
            similarities = self.embedder.embed_documents([item.sentence.text for item in missing]) @ query_vector
            for item, similarity in zip(missing, similarities):
                item.semantic = max(0.0, float(similarity))

    def _contradicting(self, pool: list[Scored]) -> Scored | None:
        """Another article's sentence that makes the best sentence's statement with another answer.

        Two outlets reporting one event differently on one day is what a reader must be told,
        for any kind of answer: once each sentence's answer is left out, the two must share
        most of their words (``AnswerSettings.same_claim_overlap``), so that two different
        stories never pass for a disagreement.
        """
        best = pool[0]
        best_passage = best.sentence.passage
        for item in pool[1:]:
            passage = item.sentence.passage
            # Reports of other days are news that changed, which _reports_over_time tells apart.
            if passage.published != best_passage.published or passage.article_id == best_passage.article_id:
                continue
            if self._second_source(best, item) and _claim_overlap(best, item) >= self.settings.same_claim_overlap:
                return item
        return None

    def _add_disagreeing(self, pool, quotes, answers, attributions):
        """Quote another source's different count of the same thing, named in the same article or another."""
        best = quotes[0]
        sources_seen = {_source_key(attributions[0])}
        for item in pool[1:]:
            if not item.counts or not self._second_source(best, item):
                continue
            attribution = _attribution(item.sentence.text)
            key = _source_key(attribution)
            if not attribution or key in sources_seen or any(_same_answer(item, quote) for quote in quotes):
                continue
            quotes.append(item)
            answers.append(item.short_answer)
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
