"""Question sets from the user's own articles, without an LLM: cloze questions.

A sentence that names a person or organisation, a number or a date becomes a question
with that span blanked out, and its article as the gold document:

    "Security forces arrested Major-General Mohammed Kingo al-Hassan in Tartus."
    -> "Fill in the blank: Security forces arrested _____ in Tartus." (gold answer: the name)

Sentences too short or too long to stand alone are skipped; at most one question is
drawn per article, so the set spreads over the corpus.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from eval.data import read_corpus
from rag.sentences import segment
from rag.spans import DATE, NAME, NUMBER, clean_name

MIN_WORDS, MAX_WORDS = 10, 40


def _spans(sentence: str) -> list[tuple[str, int, int]]:
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
                spans.append((text, start, start + len(text)))
    return spans


def generate(corpus: Path, count: int, seed: int = 0) -> list[dict]:
    """Up to ``count`` cloze questions, one per article, reproducible for a seed."""
    rng = random.Random(seed)
    rows = [r for r in read_corpus(corpus) if str(r.get("text") or "").strip()]
    rng.shuffle(rows)
    questions: list[dict] = []
    for row in rows:
        if len(questions) >= count:
            break
        sentences = segment(row["text"])
        candidates = [
            (s, spans) for s in sentences if MIN_WORDS <= len(s.split()) <= MAX_WORDS and (spans := _spans(s))
        ]
        if not candidates:
            continue
        sentence, spans = rng.choice(candidates)
        answer, start, end = rng.choice(spans)
        questions.append(
            {
                "id": f"gen-{len(questions)}",
                "question": "Fill in the blank: " + sentence[:start] + "_____" + sentence[end:],
                "answer": answer,
                "answers": [answer],
                "gold_doc_ids": [row["id"]],
                "date": row.get("published", ""),
                "source": row.get("source", ""),
                "generated_from": sentence,
            }
        )
    return questions


def write_questions(questions: list[dict], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(q) + "\n" for q in questions))
    return out
