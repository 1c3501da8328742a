"""Watched questions: asked again after each poll that indexed something, and logged when their answer changes.

    watched = WatchedQuestions(["Who leads the talks?"], settings)
    for change in watched.check():      # after an ingest
        print(change.describe())

The log is JSON lines (``watched.jsonl`` in the data folder unless another path is given),
one object per question the first time it is answered and each time its answer changes:
the question, when, the answer with its citations (quote, article, outlet, date), and the
answer before. The last line of a question is its answer now, so a watch that restarts
goes on from there, and the chat UI lists the questions from the same file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsqa.errors import InputError
from newsqa.settings import Settings
from newsqa.text import strip_markers
from newsqa.types import Answer

LOG_NAME = "watched.jsonl"
# What the log keeps of a citation: the sentence and where it stands (not the passage it was read in).
_CITATION_FIELDS = {"number", "quote", "article_id", "title", "source", "published", "url", "start", "end"}


def _record(result: Answer) -> dict:
    """What the log keeps of an answer: enough to show it, cited, without the index."""
    return {
        "answer": result.text,
        "short_answer": result.short_answer,
        "abstained": result.abstained,
        "citations": [c.model_dump(include=_CITATION_FIELDS) for c in result.citations],
    }


def _said(record: dict) -> str:
    """What an answer says, for telling a change: its short answer, else its words; nothing when it abstained."""
    if record["abstained"]:
        return ""
    return " ".join((record["short_answer"] or strip_markers(record["answer"])).casefold().split())


def _cited(record: dict) -> str:
    if record["abstained"]:
        return "no answer in the indexed articles"
    dates = sorted({c["published"] for c in record["citations"] if c["published"]})
    return f"{record['answer']}" + (f" (published {', '.join(dates)})" if dates else "")


@dataclass(frozen=True)
class Change:
    """One line of the log: a question's first answer, or a new one with the one before."""

    question: str
    at: str
    now: dict
    before: dict | None

    def describe(self) -> str:
        """One line for a terminal: what the answer is, and what it was."""
        if self.before is None:
            return f"watching “{self.question}”: {_cited(self.now)}"
        return f"changed “{self.question}”: {_cited(self.now)}; before: {_cited(self.before)}"

    def as_json(self) -> dict:
        return {"question": self.question, "at": self.at, **self.now, "before": self.before}


def read_log(path: Path) -> list[Change]:
    """The log's changes, oldest first; a damaged line is passed over (the next change rewrites the state)."""
    changes = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the watched questions' log ({e}); move it aside to start anew") from e
    for line in lines:
        try:
            row = json.loads(line)
            now = {key: row[key] for key in ("answer", "short_answer", "abstained", "citations")}
            changes.append(Change(row["question"], row["at"], now, row.get("before")))
        except (ValueError, KeyError, TypeError):
            continue
    return changes


def latest(changes: list[Change]) -> dict[str, Change]:
    """Each question's last change: its answer now."""
    return {change.question: change for change in changes}


class WatchedQuestions:
    """Questions asked again after each ingest; the answers are appended to the log as they change."""

    def __init__(self, questions: list[str], settings: Settings, log: Path | None = None) -> None:
        questions = [q.strip() for q in questions if q.strip()]
        if not questions:
            raise InputError('no question to watch; give --question "…" or a file of questions, one a line')
        self.questions = list(dict.fromkeys(questions))
        self.settings = settings
        self.log = log or settings.store.data_dir / LOG_NAME

    def check(self) -> list[Change]:
        """Ask every question; log and return those whose answer is new or changed."""
        from rag import answer

        known = latest(read_log(self.log))
        changes = []
        for question in self.questions:
            now = _record(answer(question, settings=self.settings))
            before = known.get(question)
            if before is not None and _said(before.now) == _said(now):
                continue
            at = datetime.now().isoformat(timespec="seconds")
            changes.append(Change(question, at, now, before.now if before else None))
        if changes:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log, "a", encoding="utf-8") as handle:
                handle.write("".join(json.dumps(c.as_json()) + "\n" for c in changes))
                handle.flush()
                os.fsync(handle.fileno())
        return changes
