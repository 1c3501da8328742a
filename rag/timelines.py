"""Timelines: how a story developed, a cited line per article, in order of publication.

:func:`build_timeline` takes the passages retrieved for a topic (near-copies already folded
into one passage naming every outlet, by ``Index.distinct``) and keeps the articles about
the topic: those whose retrieved text holds most of the topic's weight, each word weighted
by its BM25 inverse document frequency, so that "Balqasah" counts for more than "fighting".
Each kept article is represented by its opening sentence (news tells what happened first:
the opening is where an article's news is) and the two other sentences a reader following the
topic would most want, the best last as the line's own. Which, a learned model says
(:data:`SENTENCE_MODEL`, over :func:`sentence_features`: how much of the topic's weight a
sentence holds, in its names and in its other words, where it sits, the names and figures it
adds): ``python -m eval.train_timeline`` fits it on news quiz questions, each asked about one
sentence of an article, whose topic is the question's words. The most relevant articles make the
timeline, in order of publication. Where a later line gives another figure for the thing an
earlier line counted ("four security personnel" → "six security personnel"), it says so
and cites both. :func:`timeline_topic` tells a question that asks for a timeline ("How has
the Balqasah fighting developed?") and returns its topic.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newsqa.text import content_terms, one_name_spelling
from newsqa.types import Citation, Passage, TimelineEntry
from rag import nlp
from rag.extractive.model import ReaderModel
from rag.nlp.sentences import Sentence, cite, split_sentences

# An article is about the topic when its retrieved text holds at least this share of the
# topic's weight: with a rare name and a common noun ("Balqasah fighting"), the name alone
# passes and the noun alone does not. Chosen on realtimeqa-train's latest weeks (with PASSAGES):
# 0.5 quoted the quiz's sentence in 0.57 of its timelines against 0.54 at 0.6, lines still on topic.
ARTICLE_SHARE = 0.5
# An article is kept only if a sentence it may quote holds this share of the topic's weight.
SENTENCE_SHARE = 0.2
# Fewer words than this are a caption, a quiz option or a dateline, not a line of the story.
SENTENCE_WORDS = 6
# Sentences a line quotes beside its article's opening, chosen by the sentence model (the
# best, and ``also`` the next): on realtimeqa-train's latest weeks a line quotes the sentence
# a quiz asked about for 0.46 of the articles with one, 0.53 with two, 0.57 with three; the
# second is worth its length, a third less so.
CHOSEN = 2
# By default a timeline is no longer than a page of search results, which people do read whole.
MOST_ENTRIES = 12
# Passages retrieved for a topic: a story told by a dozen articles, two passages each, with room
# for the passages of articles that are not about it (80 found more of the quiz's articles than
# 50, and 120 no more than 80, on realtimeqa-train's latest weeks; a timeline takes 1.4 times as long).
PASSAGES = 80

# A photo's caption, which pages put before the story: "This aerial view shows …", "(AP Photo/…)",
# and a picture agency's, which starts with the place and day in capitals: "WASHINGTON, DC -
# DECEMBER 21: People pass a sign …".
_CAPTION = re.compile(
    r"^(?:this|the|a|an) (?:\w+ ){0,2}(?:photo|photograph|image|picture|view|video|screenshot|file photo)s? "
    r"(?:shows?|taken|released|provided)\b|\b(?:AP|AFP|Reuters|Getty Images|EPA)(?: Photo)?/|\(Photo\b|Photo: "
    r"|^(?-i:[A-Z][A-Z .,'-]+ - [A-Z]+ \d{1,2}): ",
    re.I,
)
# A note about the story, which pages put before it: "(This story was updated to add new
# information.)", "Editor's note: This page is a summary of news on ...", "For the latest news,
# view our live updates file for Friday, May 3." (a day's summary pointing to the next day's,
# which the sentence splitter may start with the day of the date before: "11. For the latest"),
# an outlet's own advertisement, "Sign up for our science newsletter.", on many of its pages.
_NOTE = re.compile(
    r"(?:\d{1,2}\.\s+)?\(?(?:this (?:story|column|article|page|post) (?:was|has been|is being) (?:updated|corrected)"
    r"|editor['’]s note\b|(?:correction|clarification|update)s?:"
    r"|for (?:the latest|more|live updates|developments)\b[^.]{0,150}?\b(?:view|visit|see|read|follow)\b"
    r"|sign up for\b[^.]{0,100}?\bnewsletter)",
    re.I,
)
_FACT_LABELS = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY", "PERSON", "ORG", "GPE"}
_NUMBER_LABELS = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}
# Names and figures a sentence adds to the topic, counted up to this many: past a few, a
# sentence is a list, not more news.
NEW_FACTS = 4
# Offsets are read in thousands of characters, about a paragraph or two.
OFFSET_UNIT = 1000
_SAID = re.compile(r"\b(?:said|says|told)\b")
_QUOTE_MARK = re.compile(r"[“\"]")

# The sentence model: a logistic model in JSON over SENTENCE_FEATURES (the reader's model form,
# without trees or threshold), made by ``python -m eval.train_timeline``.
SENTENCE_MODEL = Path(__file__).with_name("timeline_model.json")
SENTENCE_FEATURES = (
    "share",  # the topic's weight the sentence holds, 0 unless it names one of the topic's names
    "named",
    "raw_share",  # the same, named or not
    "name_share",  # of the weight of the topic's names; 1 for a topic without names
    "rest_share",  # of the weight of its other words; 1 for a topic of names alone
    "log_offset",  # log(1 + characters before the sentence / OFFSET_UNIT)
    "fact",  # a name or a figure
    "new_facts",  # names and figures not among the topic's words, up to NEW_FACTS
    "log_words",
    "number",
    "new_person",  # a person the topic does not name
    "said",  # reported speech: said, says, told
    "quote",  # a quotation mark
)
# Counts written as words, as news writes the small ones.
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}
_DIGITS = re.compile(r"^\d[\d,]*(\.\d+)?$")
# A sentence that may count something: a digit or a number word.
_COUNT = re.compile(r"\d|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.I)

# "How has X developed?", "How did X unfold?", "the timeline of X", "What happened in X over time?"
_TIMELINE_QUESTIONS = [
    re.compile(
        r"^how (?:has|have|did) (?P<topic>.+?) (?:develop|developed|evolve|evolved|unfold|unfolded|progress|"
        r"progressed|change|changed)(?: over time| since .+)?\??$",
        re.I,
    ),
    re.compile(r"^(?:what is |give me |show me )?(?:the )?timeline (?:of|for) (?P<topic>.+?)\??$", re.I),
    re.compile(r"^what (?:has )?happened (?:with|in|to) (?P<topic>.+?) over time\??$", re.I),
]


def timeline_topic(question: str) -> str | None:
    """The topic of a question that asks how a story developed; None for any other question."""
    for pattern in _TIMELINE_QUESTIONS:
        found = pattern.match(question.strip())
        if found:
            return found.group("topic").strip()
    return None


def topic_name_terms(topic: str) -> frozenset[str]:
    """The terms of the names a topic holds, as typed: its capitalised words ("Harbor Street fire"
    gives harbor and street), a name news writes several ways as one term ("US" as "United
    States", :func:`one_name_spelling`); none for a topic typed in lower case."""
    capitalised = " ".join(word for word in one_name_spelling(topic).split() if word[:1].isupper())
    return frozenset(content_terms(capitalised))


@dataclass(frozen=True)
class _Counted:
    """A sentence of an article and what it counts, by the counted word's lemma."""

    sentence: Sentence
    figures: dict[str, float]


@dataclass(frozen=True)
class _About:
    """An article about the topic: the sentences it may be quoted by, and what it counts."""

    ranked: tuple[Sentence, ...]  # beside its opening, the model's best first
    opening: Sentence | None  # the article's opening sentence, when it was retrieved
    relevance: float
    day: str  # YYYY-MM-DD, or empty when undated
    counted: tuple[_Counted, ...]  # the article's sentences that count something


@dataclass(frozen=True)
class _Line:
    sentence: Sentence
    opening: Sentence | None  # quoted before, when it is another sentence not shown yet
    also: Sentence | None  # the model's next choice, when the article has another not shown yet
    day: str
    relevance: float
    counted: tuple[_Counted, ...]  # the article's sentences that count something, the line's own first


def _share(terms: AbstractSet[str], weights: dict[str, float]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in terms) / total if total else 0.0


def _sentences(passages: list[Passage]) -> list[Sentence]:
    """The article's sentences in its retrieved passages, each once (neighbouring chunks overlap)."""
    seen: set[tuple[int, int]] = set()
    found = []
    for passage in sorted(passages, key=lambda p: p.start):
        for sentence in split_sentences(passage):
            if (sentence.start, sentence.end) not in seen and len(sentence.text.split()) >= SENTENCE_WORDS:
                seen.add((sentence.start, sentence.end))
                found.append(sentence)
    return found


@functools.lru_cache(maxsize=2)
def load_sentence_model(path: Path = SENTENCE_MODEL) -> ReaderModel:
    """The sentence model at ``path``, loaded once per process."""
    return ReaderModel.load(path, SENTENCE_FEATURES, "timeline sentence", "eval.train_timeline")


def sentence_features(sentence: Sentence, doc, weights: dict[str, float], names: frozenset[str]) -> dict[str, float]:
    """What the sentence model reads of a sentence about a topic (``doc`` its entity-labelled
    document, :func:`rag.nlp.entities` or a full parse): its terms' ``weights`` and the terms of
    its ``names``."""
    terms = _terms(sentence.text)
    named = _names_the_topic(sentence.text, names)
    raw = _share(terms, weights)
    of_names = {t: w for t, w in weights.items() if t in names}
    of_rest = {t: w for t, w in weights.items() if t not in names}
    facts = [e for e in doc.ents if e.label_ in _FACT_LABELS]
    new = [e for e in facts if not set(content_terms(e.text)) <= weights.keys()]
    return {
        "share": raw if named else 0.0,
        "named": float(named),
        "raw_share": raw,
        "name_share": _share(terms, of_names) if of_names else 1.0,
        "rest_share": _share(terms, of_rest) if of_rest else 1.0,
        "log_offset": math.log1p(sentence.start / OFFSET_UNIT),
        "fact": float(bool(facts)),
        "new_facts": float(min(len(new), NEW_FACTS)),
        "log_words": math.log(len(sentence.text.split())),
        "number": float(any(e.label_ in _NUMBER_LABELS for e in doc.ents)),
        "new_person": float(any(e.label_ == "PERSON" for e in new)),
        "said": float(bool(_SAID.search(sentence.text))),
        "quote": float(bool(_QUOTE_MARK.search(sentence.text))),
    }


def opening_of(sentences: list[Sentence]) -> int | None:
    """Where the article's opening is among its retrieved ``sentences``: the first of six words or
    more (a dateline is not its news) of its first passage, when that was retrieved, after any
    photo's caption and note about the story itself."""
    for i, sentence in enumerate(sentences):
        if sentence.passage.start != 0:
            return None
        if not _about_the_page(sentence.text):
            return i
    return None


def line_candidates(sentences: list[Sentence], weights: dict[str, float], opening: int | None) -> list[int]:
    """Which of an article's ``sentences`` may be quoted beside its ``opening`` (the index of the
    one quoted first, if any): the others sharing a word with the topic (its terms are
    ``weights``' keys), since one that shares none is not why the article belongs to it, and
    no caption or note. The sentence model learned from these alone."""
    return [
        i
        for i, s in enumerate(sentences)
        if i != opening and not _about_the_page(s.text) and not weights.keys().isdisjoint(_terms(s.text))
    ]


def _about_the_page(text: str) -> bool:
    """A photo's caption or a note about the story: the page's, not the story's."""
    return bool(_CAPTION.search(text) or _NOTE.match(text))


def _names_the_topic(text: str, names: frozenset[str]) -> bool:
    return not names or bool(names & _name_terms(text))


# A timeline reads a sentence's terms for its share of the topic, whether it may be quoted, and
# the model's features: worked out once a text (a timeline reads a few hundred sentences).
@functools.lru_cache(maxsize=4096)
def _terms(text: str) -> frozenset[str]:
    return frozenset(content_terms(text))


@functools.lru_cache(maxsize=4096)
def _name_terms(text: str) -> frozenset[str]:
    """The terms of the names a text gives, each written one way (:func:`one_name_spelling`)."""
    return frozenset(content_terms(one_name_spelling(text)))


def _about_topic(
    passages: list[Passage], weights: dict[str, float], names: frozenset[str], model: ReaderModel
) -> _About | None:
    """The article's sentences that may quote it beside its opening (:func:`line_candidates`), as the
    model ranks them, if it is about the topic: its retrieved text holds ARTICLE_SHARE of the topic's
    weight, one of the sentences it may quote holds SENTENCE_SHARE, and one names the topic (one of
    ``names``, when it has any)."""
    article_terms = set(content_terms(passages[0].title + " " + " ".join(p.text for p in passages)))
    article_share = _share(article_terms, weights)
    if article_share < ARTICLE_SHARE:
        return None
    sentences = _sentences(passages)
    opening = opening_of(sentences)
    candidates = line_candidates(sentences, weights, opening)
    quotable = ([] if opening is None else [opening]) + candidates
    # Its line names the topic (_line), so a sentence it may quote must.
    shares = {i: _share(_terms(sentences[i].text), weights) for i in quotable}
    named = [shares[i] for i in quotable if _names_the_topic(sentences[i].text, names)]
    if not named or max(shares.values()) < SENTENCE_SHARE:
        return None
    # Parsed, those that may count something (what they count is read from the parse); the
    # model reads the names of the others alone, which takes less than half the time.
    counting = [i for i, s in enumerate(sentences) if _COUNT.search(s.text)]
    named_only = sorted(set(candidates) - set(counting))
    docs = dict(zip(counting, nlp.parse([sentences[i].text for i in counting])))
    docs |= dict(zip(named_only, nlp.entities([sentences[i].text for i in named_only])))
    ranked: list[int] = []  # none: the opening alone is about the topic (with no opening, SENTENCE_SHARE gives one)
    if candidates:
        rows = [sentence_features(sentences[i], docs[i], weights, names) for i in candidates]
        scores = model.probabilities(np.array([[row[f] for f in model.features] for row in rows]))
        ranked = [candidates[int(i)] for i in np.argsort(-scores, kind="stable")]  # of equals, the one said first
    return _About(
        tuple(sentences[i] for i in ranked),
        sentences[opening] if opening is not None else None,
        article_share + max(named),
        (passages[0].published or "")[:10],
        tuple(c for c in (_Counted(sentences[i], _figures(docs[i])) for i in counting) if c.figures),
    )


def _line(article: _About, shown: set[str], names: frozenset[str]) -> _Line | None:
    """The article's line: the CHOSEN best of its ranked sentences and its opening, less those
    already ``shown`` by more relevant lines (an editor's note, a biography, a wire copy's
    paragraph); its opening alone when that is all it adds; None when it adds nothing. A line
    names the topic (one of ``names``) when its article does: if neither its opening nor its
    choices do, its last choice gives way to the best sentence that does."""
    opening = article.opening if article.opening and article.opening.text not in shown else None
    taken = (shown | {opening.text}) if opening else set(shown)
    fresh: list[Sentence] = []
    for sentence in article.ranked:  # an article may say a sentence twice: quoted once
        if sentence.text not in taken and len(fresh) < CHOSEN:
            fresh.append(sentence)
            taken.add(sentence.text)
    if fresh and not any(_names_the_topic(s.text, names) for s in [*fresh, *([opening] if opening else [])]):
        naming = (s for s in article.ranked if s.text not in taken and _names_the_topic(s.text, names))
        fresh[-1] = next(naming, fresh[-1])
    if not fresh:
        if opening is None:
            return None
        fresh, opening = [opening], None
    own = fresh[0]
    counted = tuple(sorted(article.counted, key=lambda c: c.sentence is not own))
    if not counted or counted[0].sentence is not own:
        counted = (_Counted(own, {}), *counted)
    return _Line(own, opening, fresh[1] if len(fresh) > 1 else None, article.day, article.relevance, counted)


def _figures(doc) -> dict[str, float]:
    """What the sentence counts, by the counted word's lemma: "four security personnel" → {"personnel": 4}."""
    figures = {}
    for token in doc:
        if token.dep_ != "nummod" or token.head.pos_ not in ("NOUN", "PROPN"):
            continue
        text = token.text.lower()
        if _DIGITS.match(text):
            figures[token.head.lemma_.lower()] = float(text.replace(",", ""))
        elif text in _NUMBER_WORDS:
            figures[token.head.lemma_.lower()] = float(_NUMBER_WORDS[text])
    return figures


def _last_count(lines: list[_Line], counted: str) -> tuple[int, _Counted] | None:
    """The latest of these lines' articles to count ``counted``, and its sentence that does."""
    for where in reversed(range(len(lines))):
        for sentence in lines[where].counted:
            if counted in sentence.figures:
                return where, sentence
    return None


def _changes(lines: list[_Line], citations: list[Citation]) -> list[tuple[str, list[Citation]]]:
    """For each line (in timeline order), what its figures change from earlier articles, and the sentences cited.

    An earlier article's count may lie in a sentence that is not its line: it is cited
    too, numbered after ``citations`` (the lines', then their openings).
    """
    cited = {(c.article_id, c.start): c for c in citations}
    notes = []
    for i, line in enumerate(lines):
        said, earlier = [], []
        for counted, value in line.counted[0].figures.items():
            found = _last_count(lines[:i], counted)
            if found is None or found[1].figures[counted] == value:
                continue
            where, sentence = found
            key = (sentence.sentence.passage.article_id, sentence.sentence.start)
            if key not in cited:
                cited[key] = cite(len(cited) + 1, sentence.sentence, 1.0)
            before = sentence.figures[counted]
            when = "" if lines[where].day == line.day else f" on {lines[where].day}"
            said.append(f"{counted}: {'up' if value > before else 'down'} from {before:g}{when} [{cited[key].number}]")
            earlier.append(cited[key])
        notes.append(("; ".join(said), earlier))
    return notes


def build_timeline(
    passages: list[Passage],
    weights: dict[str, float],
    copies: dict[str, str],
    most: int = MOST_ENTRIES,
    names: frozenset[str] = frozenset(),
    model: ReaderModel | None = None,
) -> list[TimelineEntry]:
    """The timeline of a topic from its retrieved ``passages``, its ``most`` relevant articles;
    ``weights`` are the topic's terms' IDF, ``copies`` each near-copy's group (one line a group:
    a copy that changed some words is kept among the passages, but it is the same article),
    ``names`` the terms of the names the topic holds (:func:`topic_name_terms`): a line
    names one, so that a timeline of "Harbor Street fire" does not wander into another
    street's fire that its article also mentions; ``model`` the sentence model (the
    shipped one by default)."""
    model = model or load_sentence_model()
    by_article: dict[str, list[Passage]] = {}
    first_of_group: dict[str, str] = {}
    for passage in passages:
        kept = first_of_group.setdefault(copies.get(passage.article_id, passage.article_id), passage.article_id)
        if kept == passage.article_id:
            by_article.setdefault(passage.article_id, []).append(passage)
    articles = [a for a in (_about_topic(group, weights, names, model) for group in by_article.values()) if a]
    # No sentence is quoted twice: one two articles share word for word (an editor's note, an
    # author's biography) is the story of neither, shown once, for the more relevant article.
    shown: set[str] = set()
    lines: list[_Line] = []
    for article in sorted(articles, key=lambda a: -a.relevance):
        line = _line(article, shown, names)
        if line is None:
            continue
        shown.update(s.text for s in (line.sentence, line.opening, line.also) if s)
        lines.append(line)
        if len(lines) == most:
            break
    # Undated articles last; one day's lines in the order their articles were found relevant.
    lines = sorted(lines, key=lambda line: (not line.day, line.day))
    citations = [cite(n, line.sentence, min(1.0, line.relevance / 2)) for n, line in enumerate(lines, start=1)]
    openings = _numbered([line.opening for line in lines], len(citations))
    alsos = _numbered([line.also for line in lines], len(citations) + sum(map(bool, openings)))
    entries = []
    notes = _changes(lines, citations + [o for o in openings if o] + [a for a in alsos if a])
    for line, citation, opening, also, (note, earlier) in zip(lines, citations, openings, alsos, notes):
        passage = line.sentence.passage
        text = " … ".join(f"{c.quote} [{c.number}]" for c in (opening, also) if c)
        text = f"{text} … {citation.quote}" if text else citation.quote
        entries.append(
            TimelineEntry(
                published=line.day,
                text=f"{text} ({note})" if note else text,
                citation=citation,
                opening=opening,
                also=also,
                outlets=[passage.source, *passage.also_reported_by],
                earlier=earlier,
            )
        )
    return entries


def _numbered(sentences: list[Sentence | None], numbered: int) -> list[Citation | None]:
    """Each line's further sentence (its opening, its second) cited, numbered after the ``numbered`` before."""
    cited: list[Citation | None] = []
    for sentence in sentences:
        if sentence is not None:
            numbered += 1
        cited.append(cite(numbered, sentence, 1.0) if sentence is not None else None)
    return cited
