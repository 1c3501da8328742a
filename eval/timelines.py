"""Timelines measured on a benchmark's questions and their articles.

    python -m eval.timelines --corpus C.jsonl --questions Q.jsonl --data-dir DIR --out FOLDER [--records R.jsonl]

A question gives a topic when it names something (people, organisations, places, events,
works, as spaCy finds them; "the Uvalde shooting" names "Uvalde") and at least
MIN_ARTICLES dated articles of the corpus name all its names. The topic is what the
question is about, as a reader following that story would type it: the question's names,
nouns, verbs, adjectives and numbers, less its question word and its time words
(:func:`question_topic`: "Who led the loyalists in Balqasah this week?" gives "led
loyalists Balqasah"); its names alone (:func:`topic_names`, "Balqasah") are the broad
story, reported beside it. Each timeline is built as of the question's date, at most TOP
lines (the most relevant articles), from an index of the corpus (DIR). Reported, over the
topics:

- ``on_topic``: the share of lines whose cited sentences (the line's, its second, or the
  article's opening it quotes first) name one of the question's names, by :func:`names_the_topic`
  (a rule of its own, not the timeline's: the timeline keeps an article by the weighted
  share of the topic's words it holds, and may quote a sentence of it that names nothing);
- ``chronological``: the share of timelines (of both topic forms) whose days never go back,
  undated lines last;
- ``near_copies_twice``: lines whose article is a near-copy of another line's (one near-copy
  group of the index), and sentences quoted twice, summed over all timelines;
- ``gold_sentence_in_top``: of the topics whose question's gold article (``gold_doc_ids``,
  else ``answer_in_doc_ids``) was published by the question's date and holds the gold
  answer in a sentence, the share whose timeline quotes such a sentence of that article (or
  of a near-copy of it), as any sentence a line quotes (its own, its second, its opening);
- ``names_only``: ``on_topic`` and ``gold_sentence_in_top`` again, with the names alone as
  each topic.

Only numbers are written to FOLDER/metrics.json; each topic's lines go to ``--records``,
which holds the benchmark's text and so belongs outside the repository.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from eval.data import read_corpus, save_metrics
from eval.metrics import bootstrap_ci, contains_answer
from newsqa.text import POSSESSIVE, one_name_spelling
from newsqa.types import Timeline, TimelineEntry

# A story needs several articles to have developed.
MIN_ARTICLES = 3
# Lines looked at per timeline: the first page of a story.
TOP = 10
# The kinds of names a topic is made of.
NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
# Words of a question that are about its story; its question word and time words are not.
TOPIC_TAGS = {"PROPN", "NOUN", "NUM", "VERB", "ADJ"}
QUESTION_WORDS = {"who", "whom", "whose", "what", "which", "where", "when", "why", "how"}
TIME_LABELS = {"DATE", "TIME"}
# An acronym written with stops: "U.S.", "U.K.".
_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}")
# A name's last word this long stands for it ("Biden" for "Joe Biden", "Lanka" is too short
# to be sure of, but "Uvalde" is not).
SURNAME_LETTERS = 4


def topic_names(question: str) -> list[str]:
    """The names a question gives its topic, in order, each once."""
    from rag import nlp

    (doc,) = nlp.parse([question])
    names: list[str] = []
    for entity in doc.ents:
        name = entity.text.strip(" '’\"“”").removeprefix("the ").removeprefix("The ")
        name = POSSESSIVE.sub("", name)  # "Donald Trump’s administration" names Donald Trump
        if entity.label_ in NAME_LABELS and name and name not in names:
            names.append(name)
    return names


def question_topic(question: str) -> str:
    """The story a question is about, in its own words: its names, nouns, verbs, adjectives and
    numbers, without its question word, its stopwords and the time it names. A word keeps its
    hyphens ("Coca-Cola", as the articles write it), and the question's first word its capital
    only when it is a name ("Thousands of delegates" is not about a name)."""
    from rag import nlp

    (doc,) = nlp.parse([question])
    timed = {token.i for entity in doc.ents if entity.label_ in TIME_LABELS for token in entity}

    def kept(token) -> bool:
        return (
            token.i not in timed
            and token.lower_ not in QUESTION_WORDS
            # "US" is a name though "us" is a stopword.
            and (not token.is_stop or (token.is_upper and token.ent_type_ in NAME_LABELS))
            and (token.pos_ in TOPIC_TAGS or token.ent_type_ in NAME_LABELS)
        )

    def hyphen(token) -> bool:  # inside a word whose parts are kept: "Coca-Cola", "K-12"
        return (
            token.text == "-"
            and 0 < token.i < len(doc) - 1
            and not (doc[token.i - 1].whitespace_ or token.whitespace_)
            and kept(doc[token.i - 1])
            and kept(doc[token.i + 1])
        )

    words: list[str] = []
    previous = None
    for token in (t for t in doc if kept(t) or hyphen(t)):
        name = token.pos_ == "PROPN" or token.ent_type_ in NAME_LABELS or token.is_upper
        text = token.text if token.i or name else token.lower_
        if previous is not None and previous.i == token.i - 1 and not previous.whitespace_:
            words[-1] += text
        else:
            words.append(text)
        previous = token
    return " ".join(words)


def _undotted(text: str) -> str:
    return _DOTTED.sub(lambda found: found.group().replace(".", ""), text)


def names_the_topic(sentence: str, names: list[str]) -> bool:
    """Whether a sentence names one of the topic's names: whole, or by its last word when that
    word has at least SURNAME_LETTERS letters, case aside; an acronym also with its stops ("US"
    as "U.S."), and the few names news writes several ways in any of them ("US" as "United
    States", newsqa.text.one_name_spelling)."""
    text = _undotted(one_name_spelling(sentence)).casefold()
    for name in names:
        words = _undotted(one_name_spelling(name)).casefold().split()
        said = [" ".join(words)] + ([words[-1]] if len(words[-1]) >= SURNAME_LETTERS else [])
        if any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text) for w in said):
            return True
    return False


def _articles_naming(names: list[str], dated: list[tuple[str, str]], last: str) -> int:
    """How many of the (day, folded text) articles published by ``last`` name every name."""
    folded = [n.casefold() for n in names]
    return sum(1 for day, text in dated if day <= last and all(n in text for n in folded))


def _chronological(story: Timeline) -> bool:
    days = [e.published for e in story.entries]
    dated = [d for d in days if d]
    return dated == sorted(dated) and days == dated + [""] * (len(days) - len(dated))


def _quotes(entry: TimelineEntry) -> list[str]:
    return [c.quote for c in entry.quoted]


def _copies_twice(story: Timeline, representative: dict[str, str]) -> int:
    groups = [representative.get(e.citation.article_id, e.citation.article_id) for e in story.entries]
    quotes = [quote for e in story.entries for quote in _quotes(e)]
    return (len(groups) - len(set(groups))) + (len(quotes) - len(set(quotes)))


def _gold_articles(question: dict) -> list[str]:
    return list(question.get("gold_doc_ids") or question.get("answer_in_doc_ids") or [])


def _gold_quotable(question: dict, by_id: dict[str, dict]) -> bool:
    """Whether a gold article published by the question's date holds the answer in a sentence."""
    from rag.nlp.sentences import segment

    for article_id in _gold_articles(question):
        row = by_id.get(article_id)
        if row and str(row.get("published") or "")[:10] <= question["date"]:
            if any(contains_answer(s, question["answers"]) for s in segment(str(row.get("text") or ""))):
                return True
    return False


def _gold_quoted(story: Timeline, question: dict, representative: dict[str, str]) -> bool:
    gold_groups = {representative.get(a, a) for a in _gold_articles(question)}
    return any(
        representative.get(e.citation.article_id, e.citation.article_id) in gold_groups
        and any(contains_answer(quote, question["answers"]) for quote in _quotes(e))
        for e in story.entries
    )


@dataclass
class _Tally:
    """What the timelines of one topic form showed, summed over the topics."""

    lines: int = 0
    on_topic: int = 0
    line_shares: list[float] = field(default_factory=list)
    gold: list[float] = field(default_factory=list)

    def add(self, named: list[bool], quoted: bool | None) -> None:
        self.lines += len(named)
        self.on_topic += sum(named)
        if named:
            self.line_shares.append(sum(named) / len(named))
        if quoted is not None:
            self.gold.append(float(quoted))

    def summary(self) -> dict:
        mean, low, high = bootstrap_ci(self.gold)
        return {
            "lines": self.lines,
            "on_topic": self.on_topic / self.lines if self.lines else None,
            "on_topic_per_timeline_ci95": list(bootstrap_ci(self.line_shares)[1:]),
            "gold_sentence_in_top": mean,
            "gold_sentence_in_top_ci95": [low, high],
        }


def run(corpus: list[dict], questions: list[dict], settings, records: list[dict]) -> dict:
    """Build each topic's timeline and measure it; ``records`` receives each topic's lines."""
    from rag import timeline
    from rag.retrieval.retriever import open_index

    dated = [
        (str(row["published"])[:10], f"{row.get('title') or ''} {row.get('text') or ''}".casefold())
        for row in corpus
        if row.get("published")
    ]
    by_id = {row["id"]: row for row in corpus}
    representative = open_index(settings).lexical.current().duplicates.representative
    tallies = {"question": _Tally(), "names": _Tally()}
    timelines = chronological = copies = evaluable = 0
    for question in questions:
        names = topic_names(question["question"])
        if not names or _articles_naming(names, dated, question["date"]) < MIN_ARTICLES:
            continue
        quotable = _gold_quotable(question, by_id)
        evaluable += quotable
        for form, topic in (("question", question_topic(question["question"])), ("names", " ".join(names))):
            story = timeline(topic, as_of=date.fromisoformat(question["date"]), most=TOP, settings=settings)
            timelines += 1
            named = [any(names_the_topic(quote, names) for quote in _quotes(e)) for e in story.entries]
            quoted = quotable and _gold_quoted(story, question, representative)
            tallies[form].add(named, quoted if quotable else None)
            chronological += _chronological(story)
            copies += _copies_twice(story, representative)
            records.append(
                {
                    "id": question["id"],
                    "form": form,
                    "topic": topic,
                    "lines": [
                        {"day": e.published, "article_id": e.citation.article_id, "quotes": _quotes(e), "named": n}
                        for e, n in zip(story.entries, named)
                    ],
                    "gold_quotable": quotable,
                    "gold_quoted": quoted,
                }
            )
    return {
        "questions": len(questions),
        "topics": timelines // 2,
        **tallies["question"].summary(),
        "chronological": chronological / timelines if timelines else None,
        "near_copies_twice": copies,
        "gold_evaluable_topics": evaluable,
        "names_only": tallies["names"].summary(),
        "top": TOP,
        "min_articles": MIN_ARTICLES,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the corpus")
    parser.add_argument("--out", type=Path, required=True, help="folder for metrics.json")
    parser.add_argument("--records", type=Path, help="also write each topic's lines here (benchmark text)")
    args = parser.parse_args()
    from newsqa.settings import Settings

    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    records: list[dict] = []
    metrics = run(read_corpus(args.corpus), questions, Settings().with_data_dir(args.data_dir), records)
    metrics = {"corpus": args.corpus.name, "questions_file": args.questions.name, **metrics}
    save_metrics(args.out, metrics, records, args.records)


if __name__ == "__main__":
    main()
