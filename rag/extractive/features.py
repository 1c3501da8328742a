"""What the reader's model sees: each mention of a candidate described by :data:`FEATURES`.

:func:`describe` finds the candidates of the pooled sentences (:mod:`rag.extractive.candidates`)
and gives every mention its features: its sentence's, its own and its candidate's. The
features are documented where they are declared; the weights that combine them are learned
(:mod:`rag.extractive.model`), not set by hand.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from index.embed import Embedder
from newsqa.text import content_terms, share_in
from rag import nlp
from rag.extractive.candidates import MAX_CANDIDATE_TOKENS, Candidate, Mention, answer_key, mentions_in, merge
from rag.extractive.question import QuestionAnalysis
from rag.nlp.sentences import Sentence

# Candidates of a likely type whose similarity to the question's head noun is measured, at
# most: embedding costs about a millisecond each.
HEAD_SIMILARITY_CANDIDATES = 32
# Days over which the recency feature falls by a factor e: a week, the news cycle of a story.
_RECENCY_DAYS = 7.0
# Among candidates of equally likely types, the more often named have their head similarity
# measured first: a mention weighs this fraction of a whole step of type probability.
_MENTIONS_PER_TYPE_STEP = 100

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
    "recency",  # exp(-days between the mention's article and the pool's news day / 7): see _news_day
    "title",  # named in the headline of an article that names it
    "length",  # its length in words, over 6
    "type_near",  # type x near: the right kind of thing, next to the question's words
    "type_head",  # type x head_similarity
    "head_tie",  # 1 / (1 + edges in the parse between it and the noun a "which X" asks about): "automaker Ford"
    "measure",  # a figure in the unit asked for (1: "$412 million" for "how much ... cost"), another (-1), or 0
    "semantic",  # embedding similarity of its sentence to the question: the sentence says what is asked
    "semantic_share",  # that similarity over the best of any pooled sentence
    "support",  # the support model's probability that its sentence contains the answer (rag.extractive.support)
    "support_share",  # that probability over the best of any pooled sentence
)


def _news_day(sentences: Sequence[Sentence], as_of: datetime | None) -> date | None:
    """The day recency counts from: the newest pooled article's, or the day asked about if that is earlier.

    Counting from the day asked would make every article of an archive, or a story asked
    about months later, read as old: the model learned from questions asked the week their
    news broke, so all its candidates would score low and it would abstain. Within what was
    retrieved, the newest report still ranks first. None when no pooled article is dated.
    """
    dated = [s.passage.published[:10] for s in sentences if s.passage.published]
    if not dated:
        return None
    newest = date.fromisoformat(max(dated))
    return min(newest, as_of.date()) if as_of else newest


def _recency(published: str, news_day: date | None) -> float:
    """1 for an article of the news day, falling by e a week either side; an undated article is not held old."""
    if news_day is None or not published:
        return 1.0
    days = abs((news_day - date.fromisoformat(published[:10])).days)
    return math.exp(-days / _RECENCY_DAYS)


@dataclass(frozen=True)
class SentenceEvidence:
    """How well each pooled sentence matches the question, and where its passage ranked."""

    lexical: Sequence[float]  # question-term overlap, by pool index
    ranks: dict[str, int]  # passage id -> retrieval rank (0 = first)
    top_score: float  # the best passage's fused retrieval score
    semantic: Sequence[float] = ()  # embedding similarity to the question, by pool index (filled by describe)
    support: Sequence[float] = ()  # the support model's probability, by pool index; zeros without one


def describe(
    analysis: QuestionAnalysis,
    sentences: Sequence[Sentence],
    evidence: SentenceEvidence,
    embedder: Embedder,
    as_of: datetime | None = None,
    choices: Sequence[str] = (),
    semantic: bool = True,
) -> tuple[list[Candidate], list[Candidate]]:
    """The merged candidates named in ``sentences`` and one candidate per choice, with features (unscored).

    A choice named nowhere has no mentions, and so scores 0. Without ``semantic`` the
    sentences are not embedded (about 100 ms a question) and their similarity reads 0: for a
    model that does not use it.
    """
    docs = nlp.parse(s.text for s in sentences)
    if semantic:
        vectors = embedder.embed_documents([analysis.text, *(s.text for s in sentences)])
        evidence = dataclasses.replace(evidence, semantic=[float(v) for v in vectors[1:] @ vectors[0]])
    else:
        evidence = dataclasses.replace(evidence, semantic=[0.0] * len(sentences))
    if not evidence.support:
        evidence = dataclasses.replace(evidence, support=[0.0] * len(sentences))
    mentions: list[Mention] = []
    named: list[list[Mention]] = [[] for _ in choices]
    for i, doc in enumerate(docs):
        found, in_choices = mentions_in(doc, i, analysis, choices)
        mentions.extend(found)
        for all_mentions, here in zip(named, in_choices):
            all_mentions.extend(here)
    candidates = merge(mentions)
    choice_candidates = [
        Candidate(choice, answer_key(choice), here[0].answer_type if here else "concept", tuple(here))
        for choice, here in zip(choices, named)
    ]
    everything = candidates + choice_candidates
    similarities = _head_similarities(analysis, everything, embedder)

    news_day = _news_day(sentences, as_of)

    def described(candidate: Candidate, head_similarity: float) -> Candidate:
        shared = _candidate_features(candidate, analysis, sentences) | {"head_similarity": head_similarity}
        mentions = tuple(
            dataclasses.replace(mention, features=_features(mention, shared, analysis, sentences, evidence, news_day))
            for mention in candidate.mentions
        )
        return dataclasses.replace(candidate, mentions=mentions)

    done = [described(c, similarity) for c, similarity in zip(everything, similarities)]
    return done[: len(candidates)], done[len(candidates) :]


def _features(mention, shared, analysis, sentences, evidence, news_day) -> dict[str, float]:
    local = _mention_features(mention, analysis, sentences[mention.sentence], evidence, news_day)
    return shared | local | {"type_head": local["type"] * shared["head_similarity"]}


def _head_similarities(analysis: QuestionAnalysis, candidates: list[Candidate], embedder: Embedder) -> list[float]:
    """Embedding similarity of each candidate to the question's head noun; 0 for those not measured.

    Only candidates of a likely type are embedded, at most :data:`HEAD_SIMILARITY_CANDIDATES`,
    since embedding costs about a millisecond each.
    """
    similarities = [0.0] * len(candidates)
    if analysis.head is None:
        return similarities

    def claim(c: Candidate) -> float:
        likeliest = max(analysis.type_probability(m.answer_type) for m in c.mentions)
        return -likeliest - len(c.mentions) / _MENTIONS_PER_TYPE_STEP

    plausible = sorted((n for n, c in enumerate(candidates) if c.mentions), key=lambda n: claim(candidates[n]))
    plausible = plausible[:HEAD_SIMILARITY_CANDIDATES]
    if not plausible:
        return similarities
    vectors = embedder.embed_documents([analysis.head] + [candidates[n].text for n in plausible])
    for n, similarity in zip(plausible, vectors[1:] @ vectors[0]):
        similarities[n] = float(similarity)
    return similarities


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
        "length": min(len(candidate.text.split()), MAX_CANDIDATE_TOKENS) / MAX_CANDIDATE_TOKENS,
    }


def _mention_features(mention: Mention, analysis, sentence: Sentence, evidence: SentenceEvidence, news_day):
    lexical = evidence.lexical[mention.sentence]
    type_probability = analysis.type_probability(mention.answer_type)
    return {
        "type": type_probability,
        "entity": float(bool(mention.label)),
        "lexical": lexical,
        "lexical_share": lexical / (max(evidence.lexical, default=0.0) or 1.0),
        "semantic": evidence.semantic[mention.sentence],
        "semantic_share": evidence.semantic[mention.sentence] / (max(evidence.semantic) or 1.0),
        "support": evidence.support[mention.sentence],
        "support_share": evidence.support[mention.sentence] / (max(evidence.support) or 1.0),
        "near": mention.near,
        "window": mention.window,
        "tied": mention.tied,
        "verb_tie": mention.verb_tie,
        "role": mention.role,
        "counts": mention.counts,
        "head_tie": mention.head_tie,
        "measure": mention.measure,
        "rank": 1 / (1 + evidence.ranks.get(sentence.passage.id, len(evidence.ranks))),
        "passage_score": sentence.passage.score / (evidence.top_score or 1.0),
        "recency": _recency(sentence.passage.published, news_day),
        "type_near": type_probability * mention.near,
    }
