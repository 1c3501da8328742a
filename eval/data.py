"""Benchmark files in the jsonl format of ``realtimeqa-dev``: a corpus and its questions."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from newsqa.dates import end_of_day
from newsqa.errors import InputError

# RealTime QA asks about "this week": the gold article of every realtimeqa-dev question
# was published 0-6 days before the question's date.
NEWS_WINDOW_DAYS = 7


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    gold_doc_ids: frozenset[str]
    choices: tuple[str, ...] = ()
    date: str = ""
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def asked(self) -> dt.datetime | None:
        """The end of the question's day: what it can be asked "as of"; None when it has no date."""
        if not self.date:
            return None
        return end_of_day(dt.date.fromisoformat(self.date[:10]))

    def window(self) -> tuple[dt.date, dt.date] | None:
        """The week of news before the question's date, or None when it has no date."""
        if not self.date:
            return None
        asked = dt.date.fromisoformat(self.date[:10])
        return asked - dt.timedelta(days=NEWS_WINDOW_DAYS), asked


def relative_path(path: Path) -> str:
    """A path as the user would type it from here, not this machine's absolute path."""
    return os.path.relpath(path)


def load_questions(path: Path) -> list[Question]:
    """Questions with ``id, question, answer(s), gold_doc_ids`` and optional choices and date."""
    questions = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the questions ({e}); give a questions.jsonl") from e
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            answers = tuple(row.get("answers") or [row["answer"]])
            questions.append(
                Question(
                    id=str(row.get("id", line_no)),
                    question=row["question"],
                    answers=answers,
                    gold_doc_ids=frozenset(row.get("gold_doc_ids") or []),
                    choices=tuple(row.get("choices") or ()),
                    date=row.get("date") or "",
                    source=row.get("source") or "",
                    meta={k: v for k, v in row.items() if k.startswith("generated_")},
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise InputError(f"{path}:{line_no}: a question needs question and answer(s) ({e})") from e
    if not questions:
        raise InputError(f"{path}: holds no questions")
    return questions


def read_corpus(path: Path, limit: int | None = None) -> list[dict]:
    """The rows of a jsonl file (gzip-compressed when it ends in .gz), optionally only the first
    ``limit``; each an object with an ``id``."""
    rows = []
    opener = gzip.open if Path(path).suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(f"{path}:{line_no}: not valid JSON ({e.msg}); one article object per line") from e
                if not isinstance(row, dict) or not str(row.get("id") or "").strip():
                    raise InputError(f"{path}:{line_no}: an article needs an 'id'; give each line a unique id")
                rows.append(row)
                if limit and len(rows) >= limit:
                    break
    except (OSError, EOFError, UnicodeDecodeError) as e:  # EOFError: a .gz cut short
        raise InputError(f"{path}: cannot read the corpus ({e}); give a corpus .jsonl") from e
    return rows


def write_rows(rows: list[dict], path: Path) -> Path:
    """Write one JSON object a line (questions, articles, conversations, per-question records)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def save_metrics(folder: Path, metrics: dict, records: list[dict], records_path: Path | None) -> None:
    """A benchmark's ``metrics.json`` in ``folder`` (numbers only, fit for the repository) and, when
    ``records_path`` is given, its per-item records there (they hold the data's text); prints the metrics."""
    if records_path:
        write_rows(records, records_path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics, indent=2))
