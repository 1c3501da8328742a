"""Question sets from the user's own articles, without an LLM: cloze and wh-questions, and conflicts.

A sentence that names a person or organisation, a number or a date becomes a question
with that span blanked out (cloze), or replaced by the wh-word that asks for it (wh), and
its article as the gold document:

    "Security forces arrested Major-General Mohammed Kingo al-Hassan in Tartus."
    -> "Fill in the blank: Security forces arrested _____ in Tartus." (gold answer: the name)
    "Shujaa al-Ali led the loyalists in Balqasah."
    -> "Who led the loyalists in Balqasah?" (gold answer: Shujaa al-Ali)

Wh-questions take their entities from spaCy (:mod:`rag.nlp`); a subject becomes a question
word in front ("Who led ..."), any other entity is asked in place ("... arrested whom in
Tartus?"), with a preposition of place or time folded in ("fled on Dec. 8" -> "fled when?").

Sentences too short or too long to stand alone are skipped; at most one question is
drawn per article, so the set spreads over the corpus.

A conflict set (:func:`generate_conflicts`) pairs a cloze question's article with a copy
under another outlet's name in which the answer, one of spaCy's entities, is swapped for
another entity of the same label from elsewhere in the corpus ("Kingo al-Hassan" for
"Shujaa al-Ali", never a date for a name): a reader should then say that the sources
differ, naming both, not state the swapped one alone.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Literal

from eval.data import read_corpus
from rag import nlp
from rag.nlp.sentences import segment
from rag.nlp.spans import DATE, NAME, NUMBER, clean_name

Kind = Literal["cloze", "wh"]
# The question word for each of spaCy's entity labels; labels left out are not asked about.
WH_WORDS = {
    "PERSON": "who",
    "ORG": "which organization",
    "GPE": "where",
    "LOC": "where",
    "DATE": "when",
    "CARDINAL": "how many",
    "MONEY": "how much",
    "PERCENT": "what percentage",
}
FOLDED_PREPOSITIONS = {"where": ("in", "at"), "when": ("on", "in")}
_SENTENCES_TRIED = 4
_OPENING_SENTENCES = 5  # of each article, whose entities a conflict may swap in

MIN_WORDS, MAX_WORDS = 10, 40


CONFLICT_SOURCE = "Conflicting Wire"


def _spans(sentence: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of each span a question can be made of."""
    spans = []
    for kind, pattern in (("date", DATE), ("number", NUMBER), ("name", NAME)):
        for match in pattern.finditer(sentence):
            text = clean_name(match.group()) if kind == "name" else match.group()
            if kind == "name" and (len(text.split()) < 2 or match.start() == 0):
                continue
            if kind == "number" and not any(ch.isdigit() for ch in text):
                continue
            start = sentence.find(text, match.start())
            if start >= 0 and text:
                spans.append((kind, text, start, start + len(text)))
    return spans


def standalone_sentences(row: dict) -> list[str]:
    """The article's sentences long enough to stand alone and short enough to ask about."""
    return [s for s in segment(row["text"]) if MIN_WORDS <= len(s.split()) <= MAX_WORDS]


def _parsed_sample(row: dict, rng: random.Random) -> list:
    """A few of the article's standalone sentences, drawn with ``rng`` and parsed by spaCy."""
    sentences = standalone_sentences(row)
    return nlp.parse(rng.sample(sentences, min(len(sentences), _SENTENCES_TRIED)))


def _cloze(row: dict, rng: random.Random) -> tuple[str, tuple[str, str, int, int]] | None:
    """A sentence of the article fit to stand alone, and one of its spans, drawn with ``rng``."""
    candidates = [(s, spans) for s in standalone_sentences(row) if (spans := _spans(s))]
    if not candidates:
        return None
    sentence, spans = rng.choice(candidates)
    return sentence, rng.choice(spans)


def _question_row(question_id: str, question: str, answer: str, row: dict, sentence: str) -> dict:
    """A generated question as the harness reads it, with its article as gold."""
    return {
        "id": question_id,
        "question": question,
        "answer": answer,
        "answers": [answer],
        "gold_doc_ids": [row["id"]],
        "date": row.get("published", ""),
        "source": row.get("source", ""),
        "generated_from": sentence,
    }


def _question(number: int, row: dict, sentence: str, span: tuple[str, str, int, int]) -> dict:
    _, answer, start, end = span
    question = "Fill in the blank: " + sentence[:start] + "_____" + sentence[end:]
    return _question_row(f"gen-{number}", question, answer, row, sentence)


def _rows(corpus: Path, rng: random.Random) -> list[dict]:
    rows = [r for r in read_corpus(corpus) if str(r.get("text") or "").strip()]
    rng.shuffle(rows)
    return rows


def wh_question(doc) -> tuple[str, str] | None:
    """A wh-question asking for one entity of a parsed sentence, and its answer; None if none fits."""
    for ent in doc.ents:
        wh = WH_WORDS.get(ent.label_)
        if wh is None or len(ent.text.split()) > 5:
            continue
        start, text = ent.start, doc.text
        before = doc[start - 1] if start > 0 else None
        if before is not None and before.lower_ in FOLDED_PREPOSITIONS.get(wh, ()):
            start -= 1
        rest = text[ent.end_char :].strip().rstrip(".!?;:")
        if start == 0 and ent.root.dep_ in ("nsubj", "nsubjpass"):
            question = f"{wh.capitalize()} {rest}?"
        elif start > 0:
            head = text[: doc[start].idx].strip()
            question = f"{head[0].upper()}{head[1:]} {wh} {rest}".strip() + "?"
        else:
            continue
        if wh == "who" and start > 0:
            question = question.replace(" who ", " whom ", 1)
        return " ".join(question.split()), ent.text
    return None


def generate(corpus: Path, count: int, seed: int = 0, kind: Kind = "cloze") -> list[dict]:
    """Up to ``count`` questions of ``kind``, one per article, reproducible for a seed."""
    if kind == "wh":
        return _generate_wh(corpus, count, seed)
    rng = random.Random(seed)
    questions: list[dict] = []
    for row in _rows(corpus, rng):
        if len(questions) >= count:
            break
        drawn = _cloze(row, rng)
        if drawn is not None:
            questions.append(_question(len(questions), row, *drawn))
    return questions


def generate_conflicts(corpus: Path, count: int, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Up to ``count`` cloze questions whose article has a conflicting copy, and the corpus they need:
    each question's article and its copy (id ``<id>-conflict``, outlet :data:`CONFLICT_SOURCE`).

    The blank is one of spaCy's entities (a person, organisation, place, date, count, sum or
    share); the copy says ``generated_swapped`` wherever the article said it, an entity of
    the same label from another article's opening sentences. Reproducible for a seed.
    """
    rng = random.Random(seed)
    rows = _rows(corpus, rng)
    by_label: dict[str, list[str]] = {}
    openings = [s for row in rows for s in segment(row["text"])[:_OPENING_SENTENCES]]
    for doc in nlp.parse(openings):
        for label, text, _, _ in _entity_spans(doc):
            by_label.setdefault(label, []).append(text)
    questions: list[dict] = []
    articles: list[dict] = []
    for row in rows:
        if len(questions) >= count:
            break
        drawn = [(doc.text, span) for doc in _parsed_sample(row, rng) for span in _entity_spans(doc)]
        if not drawn:
            continue
        sentence, span = rng.choice(drawn)
        label, answer = span[0], span[1]
        others = [
            text for text in by_label.get(label, []) if text.lower() != answer.lower() and text not in row["text"]
        ]
        if not others:
            continue
        swapped = rng.choice(others)
        copy = {
            **row,
            "id": f"{row['id']}-conflict",
            "source": CONFLICT_SOURCE,
            "url": "",
            "text": row["text"].replace(answer, swapped),
        }
        question = _question(len(questions), row, sentence, span)
        question["gold_doc_ids"].append(copy["id"])
        question["generated_swapped"] = swapped
        question["generated_label"] = label
        questions.append(question)
        articles += [row, copy]
    return questions, articles


def _entity_spans(doc) -> list[tuple[str, str, int, int]]:
    """(label, text, start, end) of each entity of a parsed sentence that a question can ask for."""
    return [
        (ent.label_, ent.text, ent.start_char, ent.end_char)
        for ent in doc.ents
        if ent.label_ in WH_WORDS and len(ent.text.split()) <= 5 and any(c.isalnum() for c in ent.text)
    ]


def _generate_wh(corpus: Path, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    questions: list[dict] = []
    for row in _rows(corpus, rng):
        if len(questions) >= count:
            break
        for doc in _parsed_sample(row, rng):
            if asked := wh_question(doc):
                question, answer = asked
                questions.append(_question_row(f"gen-wh-{len(questions)}", question, answer, row, doc.text))
                break
    return questions
