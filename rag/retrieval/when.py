"""Time expressions in a question, resolved against the moment it is asked about (``as_of``).

"Who resigned this week?" asked on 2022-06-17 is about 2022-06-11 to 2022-06-17. The
resolved :class:`~newsqa.types.TimeRange` is a soft hint for retrieval (its recency prior
measures closeness to the range instead of to ``as_of``), and it is shown with the answer
so the user sees how the words were read. Conventions:

* "today", "yesterday", "N days ago": that day; "N weeks/months ago": that day too, as the
  middle of a one-week window;
* "this week": the seven days up to ``as_of``; "last week": the calendar week (Monday to
  Sunday) before the current one;
* "on Wednesday", "Wednesday": the latest Wednesday up to ``as_of``; "last Wednesday": the
  one before ``as_of``'s day;
* "this month", "earlier this month": the 1st of the month to ``as_of``; "last month": the
  whole previous month; likewise "this year", "last year";
* "in June": the latest June that has begun by ``as_of``; "in June 2021", "in 2021": that
  month or year; "since May", "since 2021", "since June 3": from then to ``as_of``;
* "on June 17", "on June 17, 2021": that day (parsed by ``dateparser``).

A range never reaches past ``as_of``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from newsqa.types import TimeRange

_WEEKDAYS = [d.lower() for d in calendar.day_name]
_MONTHS = [m.lower() for m in calendar.month_name if m]
_WEEKDAY = "(" + "|".join(_WEEKDAYS) + ")"
_MONTH = "(" + "|".join(_MONTHS) + ")"
_YEAR = r"((?:19|20)\d{2})"
_COUNT = r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_AGO_WINDOW_DAYS = 3


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _latest_month(month: int, as_of: date) -> tuple[date, date]:
    year = as_of.year if month <= as_of.month else as_of.year - 1
    return _month_range(year, month)


def _latest_weekday(weekday: int, as_of: date, *, before: bool = False) -> date:
    back = (as_of.weekday() - weekday) % 7
    if before and back == 0:
        back = 7
    return as_of - timedelta(days=back)


def _previous_month(as_of: date) -> tuple[date, date]:
    last_day = as_of.replace(day=1) - timedelta(days=1)
    return _month_range(last_day.year, last_day.month)


def _parsed_day(text: str, as_of: date) -> date | None:
    import dateparser

    found = dateparser.parse(
        text,
        languages=["en"],
        settings={"RELATIVE_BASE": datetime.combine(as_of, datetime.min.time()), "PREFER_DATES_FROM": "past"},
    )
    return found.date() if found else None


def _ago(match: re.Match[str], as_of: date) -> tuple[date, date] | None:
    day = _parsed_day(match.group(0), as_of)
    if day is None:
        return None
    if match.group(2).startswith("day"):
        return day, day
    return day - timedelta(days=_AGO_WINDOW_DAYS), day + timedelta(days=_AGO_WINDOW_DAYS)


def _since(match: re.Match[str], as_of: date) -> tuple[date, date] | None:
    phrase = match.group(1)
    if re.fullmatch(_YEAR, phrase):
        return date(int(phrase), 1, 1), as_of
    if phrase in _MONTHS:
        return _latest_month(_MONTHS.index(phrase) + 1, as_of)[0], as_of
    day = _parsed_day(phrase, as_of)
    return (day, as_of) if day else None


def _on_day(match: re.Match[str], as_of: date) -> tuple[date, date] | None:
    day = _parsed_day(match.group(1), as_of)
    return (day, day) if day else None


Resolver = Callable[[re.Match[str], date], tuple[date, date] | None]

# Tried in order; the first pattern that matches the question wins.
_PATTERNS: list[tuple[re.Pattern[str], Resolver]] = [
    (re.compile(r"\btoday\b"), lambda m, d: (d, d)),
    (re.compile(r"\byesterday\b"), lambda m, d: (d - timedelta(days=1),) * 2),
    (re.compile(rf"\b{_COUNT} (days?|weeks?|months?) ago\b"), _ago),
    (re.compile(r"\bthis week\b"), lambda m, d: (d - timedelta(days=6), d)),
    (
        re.compile(r"\blast week\b"),
        lambda m, d: (_latest_weekday(0, d) - timedelta(days=7), _latest_weekday(0, d) - timedelta(days=1)),
    ),
    (re.compile(r"\b(?:earlier )?this month\b"), lambda m, d: (d.replace(day=1), d)),
    (re.compile(r"\blast month\b"), lambda m, d: _previous_month(d)),
    (re.compile(r"\bthis year\b"), lambda m, d: (date(d.year, 1, 1), d)),
    (re.compile(r"\blast year\b"), lambda m, d: (date(d.year - 1, 1, 1), date(d.year - 1, 12, 31))),
    (re.compile(rf"\bsince ({_YEAR}|{_MONTH}(?: \d{{1,2}}(?:, {_YEAR})?)?)\b"), _since),
    (
        re.compile(rf"\bin {_MONTH} {_YEAR}\b"),
        lambda m, d: _month_range(int(m.group(2)), _MONTHS.index(m.group(1)) + 1),
    ),
    (re.compile(rf"\bin {_MONTH}\b"), lambda m, d: _latest_month(_MONTHS.index(m.group(1)) + 1, d)),
    (re.compile(rf"\bin {_YEAR}\b"), lambda m, d: (date(int(m.group(1)), 1, 1), date(int(m.group(1)), 12, 31))),
    (re.compile(rf"\bon ({_MONTH} \d{{1,2}}(?:, {_YEAR})?)\b"), _on_day),
    (
        re.compile(rf"\blast {_WEEKDAY}\b"),
        lambda m, d: (_latest_weekday(_WEEKDAYS.index(m.group(1)), d, before=True),) * 2,
    ),
    (re.compile(rf"\b(?:on )?{_WEEKDAY}\b"), lambda m, d: (_latest_weekday(_WEEKDAYS.index(m.group(1)), d),) * 2),
]


def resolve_time(question: str, as_of: date) -> TimeRange | None:
    """The date range a question's time expression names, or None when it names none."""
    lowered = question.lower()
    for pattern, resolver in _PATTERNS:
        match = pattern.search(lowered)
        if not match:
            continue
        resolved = resolver(match, as_of)
        if resolved is None:
            continue
        start, end = resolved
        if start > as_of:
            continue
        return TimeRange(start=start, end=min(end, as_of), phrase=question[match.start() : match.end()])
    return None
