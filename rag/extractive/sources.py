"""When sources disagree: another outlet, another source quoted, or a report of another day.

The engine's best answer is one sentence's; news is told by many. These decisions compare it
with the rest of the pool: :func:`contradicting` finds another article of the same day that
makes the same statement with another answer ("Sources differ"), :func:`disagreeing_counts`
another source's different count of the same thing, and :func:`reports_over_time` a newer or
earlier report that answered otherwise (the newest is the answer, the earlier one is cited
as such). Thresholds are :class:`newsqa.settings.AnswerSettings`.
"""

from __future__ import annotations

import re
from datetime import date

from newsqa.settings import AnswerSettings
from newsqa.text import content_terms
from newsqa.types import Passage, TimeRange
from rag.extractive.pool import Scored

_REPORTING_VERBS = r"(?:reported|said|says|added|confirmed|stated|told|announced|claimed|estimated)"
_ATTRIBUTION = [
    re.compile(r"according to (?P<who>(?:the )?[^,.;]+)", re.IGNORECASE),
    re.compile(rf"(?P<who>(?:the |The )?[A-Za-z’'.\- ]{{2,60}}?) {_REPORTING_VERBS}\b"),
]
# Words of a source's name kept in an attribution: its last few ("the Syrian Observatory for
# Human Rights"), enough to name it, never a whole clause the pattern ran over.
_ATTRIBUTION_WORDS = 6
# Words of a source's name that say what kind of source it is, not which: "SANA" and "the
# state news agency SANA" are one source.
_GENERIC_SOURCE_WORDS = "agency news state monitor"


def published_in(passage: Passage, time_range: TimeRange) -> bool:
    return bool(passage.published) and time_range.days_from(date.fromisoformat(passage.published)) == 0


def attribution(sentence: str) -> str | None:
    """Who a sentence says said it: "the Syrian Observatory for Human Rights", or None."""
    for pattern in _ATTRIBUTION:
        match = pattern.search(sentence)
        if match:
            who = match.group("who").strip()
            who = re.split(r",\s*", who)[-1]
            words = who.split()
            return " ".join(words[-_ATTRIBUTION_WORDS:]) if words else None
    return None


def outlet(item: Scored) -> str | None:
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


def _source_key(who: str | None) -> str:
    if not who:
        return ""
    generic = set(content_terms(_GENERIC_SOURCE_WORDS))
    words = [w for w in content_terms(who) if w not in generic]
    return words[-1] if words else who.lower()


def on_the_same_subject(pool: list[Scored], entity_terms: frozenset[str]) -> list[Scored]:
    """The best quote, and the others from articles that name every word of the question's names
    that the best's article names.

    "The council of Arwad Central elected X" is no other account of "The council of Baniyas
    Central elected Y", however alike the sentences read: the other article is about another
    town. Articles are compared by their passages read, headline included.
    """
    # Many pooled sentences share a passage: each passage is read once.
    passages = {item.sentence.passage.id: item.sentence.passage for item in pool}
    words: dict[str, set[str]] = {}
    for passage in passages.values():
        words.setdefault(passage.article_id, set()).update(content_terms(f"{passage.title}\n{passage.text}"))
    named = entity_terms & words[pool[0].sentence.passage.article_id]
    return [pool[0]] + [item for item in pool[1:] if named <= words[item.sentence.passage.article_id]]


def may_differ(best: Scored, item: Scored) -> bool:
    """Whether a sentence gives another answer of the asked-for type than the best."""
    return item.typed and not _same_answer(item, best)


def _second_source(best: Scored, item: Scored, settings: AnswerSettings) -> bool:
    """Whether a sentence may be quoted beside the best as a source that says otherwise.

    Its answer must be of the asked-for type and differ from the best's, and the sentence
    must read nearly as much like the question as the best's
    (``AnswerSettings.second_source_ratio`` of its embedding similarity). The model's
    score is no guide here: it rewards what most sources repeat, which a dissenting
    source by definition does not.
    """
    return may_differ(best, item) and (item.semantic or 0.0) >= settings.second_source_ratio * (best.semantic or 0.0)


def reports_over_time(
    pool: list[Scored], time_range: TimeRange | None, settings: AnswerSettings
) -> tuple[Scored, Scored] | None:
    """A newer and an earlier report that answer differently, both scoring nearly as well as the best.

    News changes: when reports of different dates disagree, the newest is the answer and
    an earlier one is cited as such. A question that names a time ("in 2021") is about
    that time: newer reports outside it do not count. The two must make one statement
    (``AnswerSettings.same_claim_overlap``, answers left out), one answer at least of the
    asked-for type: two stories of different days that merely share the question's words
    are no update of each other, and saying "an earlier report said" of them misleads. One
    typed answer is enough, since the other stands in its place in the same statement and
    spaCy's small model mislabels many a name it has not seen ("Ilse Varga").
    """
    best = pool[0]
    published = best.sentence.passage.published
    if not best.short_answer or not published:
        return None
    rivals = [
        item
        for item in pool[1:]
        if item.short_answer
        and (best.typed or item.typed)
        and not _same_answer(best, item)
        and item.sentence.passage.published
        and item.sentence.passage.published != published
        and item.score >= settings.newer_report_ratio * best.score
        and _claim_overlap(best, item) >= settings.same_claim_overlap
    ]
    newer = [
        item
        for item in rivals
        if item.sentence.passage.published > published
        and (time_range is None or published_in(item.sentence.passage, time_range))
    ]
    if newer:
        return max(newer, key=lambda item: (item.sentence.passage.published, item.score)), best
    older = [item for item in rivals if item.sentence.passage.published < published]
    if older:
        # The latest of the earlier reports says what changed last.
        return best, max(older, key=lambda item: (item.sentence.passage.published, item.score))
    return None


def contradicting(pool: list[Scored], settings: AnswerSettings) -> Scored | None:
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
        # Reports of other days are news that changed, which reports_over_time tells apart.
        if passage.published != best_passage.published or passage.article_id == best_passage.article_id:
            continue
        if _second_source(best, item, settings) and _claim_overlap(best, item) >= settings.same_claim_overlap:
            return item
    return None


def disagreeing_counts(
    pool: list[Scored], best: Scored, settings: AnswerSettings
) -> tuple[list[Scored], list[str | None], list[str | None]]:
    """The best quote and other sources' different counts of the same thing, in its article or another.

    Returns the quotes, their short answers and who each says said it.
    """
    quotes, answers, attributions = [best], [best.short_answer], [attribution(best.sentence.text)]
    sources_seen = {_source_key(attributions[0])}
    for item in pool[1:]:
        if not item.counts or not _second_source(best, item, settings):
            continue
        who = attribution(item.sentence.text)
        key = _source_key(who)
        if not who or key in sources_seen or any(_same_answer(item, quote) for quote in quotes):
            continue
        quotes.append(item)
        answers.append(item.short_answer)
        attributions.append(who)
        sources_seen.add(key)
    return quotes, answers, attributions
