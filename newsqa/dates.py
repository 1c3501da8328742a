"""Dates as users type them (YYYY-MM-DD) and as the index stores them (the number YYYYMMDD)."""

from __future__ import annotations

from datetime import date, datetime

from newsqa.errors import InputError


def parse_day(value: str | None, label: str) -> date | None:
    """The date in ``YYYY-MM-DD`` text, None for empty text; ``label`` names the field in the error."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise InputError(f"{label} {text!r} is not a date; use YYYY-MM-DD") from e


def end_of_day(day: date) -> datetime:
    """The last moment of ``day``: a question asked "as of" a day reads everything published that day."""
    return datetime.combine(day, datetime.max.time())


def day_number(value: date | None) -> int | None:
    """``2022-06-17`` as ``20220617``, a number that range filters compare; None stays None."""
    return int(value.strftime("%Y%m%d")) if value else None


def day_from_number(number: int) -> date | None:
    """``20220617`` as a date; None for 0, the number of an undated article."""
    if not number:
        return None
    return date(number // 10000, number // 100 % 100, number % 100)


def day_text(number: int) -> str:
    """``20220617`` back as ``2022-06-17``; "" for 0."""
    day = day_from_number(number)
    return day.isoformat() if day else ""
