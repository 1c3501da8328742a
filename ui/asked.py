"""When each question and timeline topic was last asked from the command line, for ``--since last``.

Kept in the index folder (``asked.json``): what a user last looked at belongs with what
they looked it up in. A question is known by its words, case and spacing aside.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

FILE_NAME = "asked.json"
# What --since takes for "since this was last asked".
LAST = "last"


def _key(kind: str, text: str) -> str:
    return f"{kind}:{' '.join(text.casefold().split())}"


class AskedMemory:
    """The moment each question (``kind`` "ask") or topic ("timeline") was last asked."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME

    def _read(self) -> dict[str, str]:
        try:
            known = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # never asked, or damaged: "last" then reads everything, nothing is lost
        return known if isinstance(known, dict) else {}

    def last(self, kind: str, text: str) -> datetime | None:
        try:
            return datetime.fromisoformat(self._read()[_key(kind, text)])
        except (KeyError, TypeError, ValueError):
            return None

    def remember(self, kind: str, text: str, when: datetime) -> None:
        """Note ``when``; written whole, then renamed into place. A folder that cannot take it
        loses only the note: the answer was given."""
        known = self._read() | {_key(kind, text): when.isoformat(timespec="seconds")}
        try:
            partial = self.path.with_suffix(".tmp")
            partial.write_text(json.dumps(known), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError:
            pass
