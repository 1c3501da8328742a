"""Timelines measured on a benchmark's questions and their articles.

    python -m eval.timelines --corpus C.jsonl --questions Q.jsonl --data-dir DIR --out FOLDER [--records R.jsonl]

A question gives a topic when it names something: the names spaCy finds in it (people,
organisations, places, events, works; "the Uvalde shooting" gives "Uvalde"), joined, and
only when at least MIN_ARTICLES dated articles of the corpus name them all. Its timeline
is built as of the question's date, at most TOP lines (the most relevant articles), from
an index of the corpus (DIR). Reported, over the topics:

- ``on_topic``: the share of lines whose cited sentence names the topic, by
  :func:`names_the_topic` (a rule of its own, not the timeline's: the timeline keeps an
  article by the weighted share of the topic's words it holds, and may quote a sentence of
  it that names nothing);
- ``chronological``: the share of timelines whose days never go back, undated lines last;
- ``near_copies_twice``: lines whose article is a near-copy of another line's (one near-copy
  group of the index) or whose sentence another line quotes too, summed over all timelines;
- ``gold_sentence_in_top``: of the topics whose question's gold article (``gold_doc_ids``,
  else ``answer_in_doc_ids``) was published by the question's date and holds the gold
  answer in a sentence, the share whose timeline quotes such a sentence of that article (or
  of a near-copy of it).

Only numbers are written to FOLDER/metrics.json; each topic's lines go to ``--records``,
which holds the benchmark's text and so belongs outside the repository.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import date
from pathlib import Path

from eval.data import read_corpus, save_metrics
from eval.metrics import bootstrap_ci, contains_answer
from newsqa.types import Timeline

# A story needs several articles to have developed.
MIN_ARTICLES = 3
# Lines looked at per timeline: the first page of a story.
TOP = 10
# The kinds of names a topic is made of.
NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
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
        if entity.label_ in NAME_LABELS and name and name not in names:
            names.append(name)
    return names


def names_the_topic(sentence: str, names: list[str]) -> bool:
    """Whether a sentence names one of the topic's names: whole, or by its last word when that
    word has at least SURNAME_LETTERS letters, case aside."""
    text = sentence.casefold()
    for name in names:
        words = name.casefold().split()
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


def _copies_twice(story: Timeline, representative: dict[str, str]) -> int:
    groups = [representative.get(e.citation.article_id, e.citation.article_id) for e in story.entries]
    quotes = [e.citation.quote for e in story.entries]
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
        and contains_answer(e.citation.quote, question["answers"])
        for e in story.entries
    )


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
    lines = on_topic = chronological = copies = 0
    timelines = 0
    gold: list[float] = []
    line_shares: list[float] = []
    for question in questions:
        names = topic_names(question["question"])
        if not names or _articles_naming(names, dated, question["date"]) < MIN_ARTICLES:
            continue
        story = timeline(" ".join(names), as_of=date.fromisoformat(question["date"]), most=TOP, settings=settings)
        timelines += 1
        named = [names_the_topic(e.citation.quote, names) for e in story.entries]
        lines += len(named)
        on_topic += sum(named)
        if named:
            line_shares.append(sum(named) / len(named))
        chronological += _chronological(story)
        copies += _copies_twice(story, representative)
        quotable = _gold_quotable(question, by_id)
        quoted = quotable and _gold_quoted(story, question, representative)
        if quotable:
            gold.append(float(quoted))
        records.append(
            {
                "id": question["id"],
                "topic": " ".join(names),
                "lines": [
                    {"day": e.published, "article_id": e.citation.article_id, "quote": e.citation.quote, "named": n}
                    for e, n in zip(story.entries, named)
                ],
                "gold_quotable": quotable,
                "gold_quoted": quoted,
            }
        )
    mean, low, high = bootstrap_ci(gold)
    return {
        "questions": len(questions),
        "topics": timelines,
        "lines": lines,
        "on_topic": on_topic / lines if lines else None,
        "on_topic_per_timeline_ci95": list(bootstrap_ci(line_shares)[1:]),
        "chronological": chronological / timelines if timelines else None,
        "near_copies_twice": copies,
        "gold_sentence_in_top": mean,
        "gold_sentence_in_top_ci95": [low, high],
        "gold_evaluable_topics": len(gold),
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
