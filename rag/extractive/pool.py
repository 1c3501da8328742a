"""The sentences a question is read in: pooled from its passages, described for the reader's model.

For a question and its retrieved passages, :class:`Reader`

1. splits the passages into sentences with their spans in the article;
2. keeps the sentences of articles that name the question's entities (spaCy's, see
   :mod:`rag.extractive.question`) and pools the best few by question-term overlap (weighted
   by rarity, with a share of what the neighbouring sentences match, since news sentences
   lean on the one before);
3. describes every candidate answer named in the pool by its features
   (:mod:`rag.extractive.features`), unscored: the model that scores them is the engine's;
   candidates that cannot answer the question, whatever the model would make of them, are
   left out (:func:`_ruled_out`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from index.embed import Embedder
from newsqa.settings import AnswerSettings
from newsqa.text import content_terms, one_name_spelling, share_in
from newsqa.types import Passage
from rag.extractive.candidates import Candidate
from rag.extractive.features import FEATURES, SentenceEvidence, describe
from rag.extractive.places import adjective_of, is_adjective, kind_asked, named_by_adjective, wrong_kind
from rag.extractive.question import QuestionAnalysis, QuestionAnalyzer
from rag.extractive.support import SupportScorer
from rag.nlp.sentences import Sentence, split_sentences

# A question's named things say which story it is about: their terms weigh this many times
# an ordinary term's rarity weight in a sentence's overlap with the question.
ENTITY_TERM_WEIGHT = 1.5
# What spaCy may label a place as ("" for a name it did not label): a person or a company
# named after a place ("Jordan", "Georgia-Pacific") is not held to the place's kind.
PLACE_LABELS = frozenset({"GPE", "LOC", "NORP", "FAC", ""})
# Stems of the nouns that ask for an outlet, which a report's "told CNN" may then answer.
MEDIA_TERMS = frozenset(
    content_terms("newspaper tabloid paper outlet network channel broadcaster magazine publication site website")
)
# "Which type of juice?" asks for a kind of juice: "apple juice" answers it.
KIND_OF = re.compile(r"\b(?:type|kind|sort|variety|form)s? of\b", re.I)
# A title written short, which the question may write whole: "Gov." for "Governor", "Sen.", "Dr.".
_ABBREVIATED_TITLE = re.compile(r"^[A-Z][a-z]{1,3}\.$")
# A capitalised word: a place an adjective may be made of.
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")


@dataclass(frozen=True)
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
    echoes: bool = False  # ... and the sentence goes on with the question's own words after it
    counts: bool = False  # a number followed by what "how many" counts
    short_answer: str | None = None
    score: float = 0.0  # the reader's score of that answer here
    matched: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reading:
    """The pooled sentences of a question and its candidate answers (scored and best first once the engine read them).

    What cannot answer the question is no candidate (a name it gives, a place of another kind
    than it asks for, the reporting outlet: :func:`_ruled_out`); ``choices`` are the
    multiple-choice options, each a candidate whether the sentences name it or not.
    """

    analysis: QuestionAnalysis
    pool: tuple[Scored, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    choices: tuple[Candidate, ...] = ()
    abstain_reason: str = ""


class Reader:
    """Pools the sentences that bear on a question and describes every candidate answer in them."""

    def __init__(
        self,
        embedder: Embedder,
        settings: AnswerSettings,
        features: Collection[str] = FEATURES,
        support: SupportScorer | None = None,
    ) -> None:
        """``features`` are those the model reading the candidates uses: only they need measuring.

        ``support`` measures the ``support`` features; without it they read 0. Give it only to
        a model that reads them (:func:`rag.extractive.support.reads_support`): it costs ~240 ms a question.
        """
        self.embedder = embedder
        self.settings = settings
        self.semantic = "semantic" in features
        self.support = support
        self.analyzer = QuestionAnalyzer(embedder)

    def pooled(self, question_text: str, passages: list[Passage]) -> Reading:
        """The question's analysis and its pool of sentences, best by overlap first; no candidates yet."""
        analysis = self.analyzer.analyze(question_text)
        seen: set[tuple[str, int]] = set()
        unique = []
        for sentence in (s for p in passages for s in split_sentences(p)):
            key = (sentence.passage.article_id, sentence.start)
            if key not in seen:
                seen.add(key)
                unique.append(sentence)
        if not unique:
            return Reading(analysis, abstain_reason="no passages were retrieved")
        covering = self._articles_covering(analysis, passages)
        scored = [s for s in self._lexical(analysis, unique) if s.sentence.passage.article_id in covering]
        if not scored:
            missing = ", ".join(analysis.entities)
            return Reading(analysis, abstain_reason=f"no retrieved passage mentions {missing}")
        best_first = sorted(scored, key=lambda s: s.lexical, reverse=True)
        return Reading(analysis, tuple(best_first[: self.settings.sentence_pool]))

    def read(
        self,
        question_text: str,
        passages: list[Passage],
        as_of: datetime | None = None,
        choices: tuple[str, ...] = (),
    ) -> Reading:
        """The pool and its described (unscored) candidates; ``choices`` are candidates too, named or not."""
        pooled = self.pooled(question_text, passages)
        if not pooled.pool:
            return pooled
        analysis, pool = pooled.analysis, pooled.pool
        texts = [s.sentence.text for s in pool]
        evidence = SentenceEvidence(
            lexical=[s.lexical for s in pool],
            ranks={p.id: rank for rank, p in enumerate(passages)},
            top_score=max(p.score for p in passages),
            support=self.support.scores(question_text, texts).tolist() if self.support else (),
        )
        candidates, choice_candidates = describe(
            analysis, [s.sentence for s in pool], evidence, self.embedder, as_of, choices, self.semantic
        )
        asking = _Asking.of(analysis, passages)
        answers = tuple(c for c in candidates if not _ruled_out(c, asking))
        return Reading(analysis, tuple(pool), answers, tuple(choice_candidates))

    def _lexical(self, analysis: QuestionAnalysis, sentences: list[Sentence]) -> list[Scored]:
        term_sets = [set(content_terms(s.text)) for s in sentences]
        df = Counter(t for terms in term_sets for t in terms if t in analysis.terms)
        n = max(len(sentences), 1)
        entity_terms = set(content_terms(" ".join(analysis.entities)))
        # Rarer terms weigh more, the question's named things most: they say which story it is.
        weights = {
            t: math.log(1 + n / (1 + df[t])) * (ENTITY_TERM_WEIGHT if t in entity_terms else 1.0)
            for t in analysis.terms
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
            scored.append(Scored(sentence, lexical=lexical, matched=frozenset(matched)))
        return scored

    def _articles_covering(self, analysis: QuestionAnalysis, passages: list[Passage]) -> set[str]:
        """Articles whose retrieved text names enough of the question's entities.

        An entity counts by the share of its words the text has: "the 2022 NHL Stanley Cup
        Finals" is mostly named by "the Stanley Cup Final", and a question is seldom worded
        as its articles are. Articles that name every entity whole, when there are any, are
        the only ones read.
        """
        texts: dict[str, list[str]] = {}
        for passage in passages:
            texts.setdefault(passage.article_id, [passage.title]).append(passage.text)
        # An entity of stopwords only ("US") has no words to count: it must be written as is, or with stops ("U.S.").
        by_letters = {entity: not content_terms(entity) for entity in analysis.entities}
        covering, naming_all = set(), set()
        for article_id, parts in texts.items():
            haystack = "\n".join(parts)
            words = set(content_terms(haystack))
            shares = [
                float(entity.replace(".", "") in haystack.replace(".", ""))
                if by_letters[entity]
                else share_in(entity, words) or float(_names_the_place_of(entity, haystack))
                for entity in analysis.entities
            ]
            if not shares or sum(shares) / len(shares) >= self.settings.min_entity_coverage:
                covering.add(article_id)
            if shares and min(shares) == 1.0:
                naming_all.add(article_id)
        # Where some articles name every word of every name asked about, the ones naming only some
        # are about another thing of a like name ("Baniyas North" for "Baniyas South").
        return naming_all or covering


def _names_the_place_of(adjective: str, text: str) -> bool:
    """Whether the text names the place an adjective of the question is made of ("Africa" for "African")."""
    return any(adjective_of(adjective, word) for word in set(_CAPITALISED.findall(text)))


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _outlet_name(source: str) -> str:
    """An outlet's name in a source's domain: "cnn.com" → "cnn", "www.usatoday.com" → "usatoday"."""
    return source.removeprefix("www.").split(".")[0]


@dataclass(frozen=True)
class _Asking:
    """What :func:`_ruled_out` reads of a question and its passages, read once for all its candidates."""

    terms: frozenset[str]  # the question's terms, a name written several ways as one
    words: tuple[str, ...]  # the question as typed, word by word: "African" names Africa
    place_kind: str | None  # "city", "country" or "state", when the head asks for one
    noun: frozenset[str]  # the stems of the head's last word: "virus" of "which virus"
    kind_of: bool  # it asks for a type of thing ("Which type of juice?")
    wants_outlet: bool  # it asks for a newspaper, a network, ...
    outlets: frozenset[str]  # the passages' outlets, letters only: "cnn" of cnn.com

    @classmethod
    def of(cls, analysis: QuestionAnalysis, passages: list[Passage]) -> _Asking:
        return cls(
            terms=frozenset(content_terms(one_name_spelling(analysis.text))),
            words=tuple(analysis.text.split()),
            place_kind=kind_asked(analysis.head),
            noun=frozenset(content_terms(analysis.head.split()[-1])) if analysis.head else frozenset(),
            kind_of=bool(KIND_OF.search(analysis.text)),
            wants_outlet=bool(analysis.head_terms & MEDIA_TERMS),
            outlets=frozenset(_letters(_outlet_name(o)) for p in passages for o in (p.source, *p.also_reported_by)),
        )


def _ruled_out(candidate: Candidate, asking: _Asking) -> bool:
    """Whether a candidate cannot answer the question, whatever the model makes of it:

    - a name the question already gives ("Who met Biden?"), however either writes it ("U.S."
      in an article for "US" in the question, a stopword to the terms; "Gov. Carney" for
      "Governor John Carney"), or by its adjective ("Which African country" is not "Africa");
    - a place of another kind than "which city/country/state" asks for (:mod:`.places`), or a
      nationality ("Angolan");
    - the outlet reporting it ("told CNN"), unless the question asks for an outlet;
    - the question's own noun with adjectives ("the current virus" for "Which virus?"): a
      "which X" asks which one, unless it asks for a type of X ("Which type of juice?").
    """
    mention = candidate.mentions[0]
    untitled = " ".join(word for word in candidate.text.split() if not _ABBREVIATED_TITLE.match(word))
    if mention.features["in_question"] >= 1 or share_in(one_name_spelling(untitled), asking.terms) >= 1:
        return True
    if mention.label in PLACE_LABELS and (
        wrong_kind(asking.place_kind, candidate.text) or named_by_adjective(candidate.text, asking.words)
    ):
        return True
    if asking.place_kind and (mention.label == "NORP" or is_adjective(candidate.text)):
        return True  # "Angolan" is no answer to "which country", though spaCy may call it a place
    if _letters(candidate.text) in asking.outlets and not asking.wants_outlet:
        return True
    return (
        not mention.label
        and candidate.text.islower()
        and bool(asking.noun & set(content_terms(candidate.text.split()[-1])))
        and not asking.kind_of
    )
