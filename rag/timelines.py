"""Timelines: how a story developed, a cited line per article, in order of publication.

:func:`build_timeline` takes the passages retrieved for a topic (near-copies already folded
into one passage naming every outlet, by ``Index.distinct``) and keeps the articles about
the topic: those whose retrieved text holds most of the topic's weight, each word weighted
by its BM25 inverse document frequency, so that "Balqasah" counts for more than "fighting".
Each kept article is represented by its sentence that holds most of that weight, a figure
or a name breaking ties toward the informative, after its opening sentence when that is
another (news tells what happened first: the opening is where an article's news is, the
other sentence is why it belongs to the topic); the most relevant articles make the
timeline, in order of publication. Where a later line gives another figure for the thing an
earlier line counted ("four security personnel" → "six security personnel"), it says so
and cites both. :func:`timeline_topic` tells a question that asks for a timeline ("How has
the Balqasah fighting developed?") and returns its topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsqa.text import content_terms, one_name_spelling
from newsqa.types import Citation, Passage, TimelineEntry
from rag import nlp
from rag.nlp.sentences import Sentence, cite, split_sentences

# An article is about the topic when its retrieved text holds at least this share of the
# topic's weight: with a rare name and a common noun ("Balqasah fighting"), the name alone
# passes and the noun alone does not.
ARTICLE_SHARE = 0.6
# A sentence represents its article only if it holds some of the topic's weight.
SENTENCE_SHARE = 0.2
# Fewer words than this are a caption, a quiz option or a dateline, not a line of the story.
SENTENCE_WORDS = 6
# Between sentences holding as much of the topic, one with a figure or a name tells more.
FACT_BONUS = 0.15
# By default a timeline is no longer than a page of search results, which people do read whole.
MOST_ENTRIES = 12
# Passages retrieved for a topic: a story told by a dozen articles, two passages each, with room.
PASSAGES = 50

# A photo's caption, which pages put before the story: "This aerial view shows …", "(AP Photo/…)".
_CAPTION = re.compile(
    r"^(?:this|the|a|an) (?:\w+ ){0,2}(?:photo|photograph|image|picture|view|video|screenshot|file photo)s? "
    r"(?:shows?|taken|released|provided)\b|\b(?:AP|AFP|Reuters|Getty Images|EPA)(?: Photo)?/|\(Photo\b|Photo: ",
    re.I,
)
_FACT_LABELS = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY", "PERSON", "ORG", "GPE"}
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
class _Line:
    sentence: Sentence
    opening: Sentence | None  # the article's opening sentence, when it was retrieved and is another
    relevance: float
    day: str  # YYYY-MM-DD, or empty when undated
    counted: tuple[_Counted, ...]  # the article's sentences that count something, the line's own first


def _share(terms: set[str], weights: dict[str, float]) -> float:
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


def _best_line(passages: list[Passage], weights: dict[str, float], names: frozenset[str]) -> _Line | None:
    """The article's sentence that tells most about the topic and names it (one of ``names``,
    when the topic has any), if the article is about the topic."""
    article_terms = set(content_terms(passages[0].title + " " + " ".join(p.text for p in passages)))
    article_share = _share(article_terms, weights)
    if article_share < ARTICLE_SHARE:
        return None
    sentences = _sentences(passages)
    terms = [set(content_terms(s.text)) for s in sentences]
    named = [not names or bool(names & set(content_terms(one_name_spelling(s.text)))) for s in sentences]
    shares = [_share(t, weights) if n else 0.0 for t, n in zip(terms, named)]
    # Parsed: the sentences that may represent the article, and those that may count something.
    read = [
        i for i, (s, share) in enumerate(zip(sentences, shares)) if share >= SENTENCE_SHARE or _COUNT.search(s.text)
    ]
    docs = dict(zip(read, nlp.parse([sentences[i].text for i in read])))
    candidates = [i for i in read if shares[i] >= SENTENCE_SHARE]
    if not candidates:
        return None
    best = max(candidates, key=lambda i: (shares[i] + FACT_BONUS * _tells_a_fact(docs[i]), -i))
    counted = [_Counted(sentences[i], _figures(docs[i])) for i in sorted(read, key=lambda i: i != best)]
    # The first sentence of six words or more of the article's first passage (a dateline is not its
    # news), unless it is a photo's caption. One sharing no word with the topic may still be the news
    # ("The president said on Tuesday ...").
    opens = sentences[0].passage.start == 0 and best != 0 and not _CAPTION.search(sentences[0].text)
    return _Line(
        sentences[best],
        sentences[0] if opens else None,
        article_share + shares[best],
        (passages[0].published or "")[:10],
        tuple(c for c in counted if c.figures or c.sentence is sentences[best]),
    )


def _tells_a_fact(doc) -> bool:
    return any(entity.label_ in _FACT_LABELS for entity in doc.ents)


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
) -> list[TimelineEntry]:
    """The timeline of a topic from its retrieved ``passages``, its ``most`` relevant articles;
    ``weights`` are the topic's terms' IDF, ``copies`` each near-copy's group (one line a group:
    a copy that changed some words is kept among the passages, but it is the same article),
    ``names`` the terms of the names the topic holds (:func:`topic_name_terms`): a line's
    sentence names one, so that a timeline of "Harbor Street fire" does not wander into
    another street's fire that its article also mentions."""
    by_article: dict[str, list[Passage]] = {}
    first_of_group: dict[str, str] = {}
    for passage in passages:
        kept = first_of_group.setdefault(copies.get(passage.article_id, passage.article_id), passage.article_id)
        if kept == passage.article_id:
            by_article.setdefault(passage.article_id, []).append(passage)
    lines = [line for line in (_best_line(group, weights, names) for group in by_article.values()) if line]
    # A sentence two articles share word for word (an editor's note, an author's biography) is
    # the story of neither: it is shown once, for the more relevant article.
    by_text: dict[str, _Line] = {}
    for line in sorted(lines, key=lambda line: -line.relevance):
        by_text.setdefault(line.sentence.text, line)
    lines = list(by_text.values())[:most]
    # Undated articles last; one day's lines in the order their articles were found relevant.
    lines = sorted(lines, key=lambda line: (not line.day, line.day))
    citations = [cite(n, line.sentence, min(1.0, line.relevance / 2)) for n, line in enumerate(lines, start=1)]
    openings = _openings(lines, len(citations))
    entries = []
    notes = _changes(lines, citations + [o for o in openings if o])
    for line, citation, opening, (note, earlier) in zip(lines, citations, openings, notes):
        passage = line.sentence.passage
        text = f"{opening.quote} [{opening.number}] … {citation.quote}" if opening else citation.quote
        entries.append(
            TimelineEntry(
                published=line.day,
                text=f"{text} ({note})" if note else text,
                citation=citation,
                opening=opening,
                outlets=[passage.source, *passage.also_reported_by],
                earlier=earlier,
            )
        )
    return entries


def _openings(lines: list[_Line], numbered: int) -> list[Citation | None]:
    """Each line's opening sentence cited, numbered after the ``numbered`` lines; None where a line
    has none, or where its words are already shown (another line's sentence, an opening before)."""
    shown = {line.sentence.text for line in lines}
    openings: list[Citation | None] = []
    for line in lines:
        if line.opening is None or line.opening.text in shown:
            openings.append(None)
            continue
        shown.add(line.opening.text)
        numbered += 1
        openings.append(cite(numbered, line.opening, 1.0))
    return openings
