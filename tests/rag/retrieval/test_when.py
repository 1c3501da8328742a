"""Time expressions resolved against a fixed as_of: Friday 2022-06-17."""

from __future__ import annotations

from datetime import date

import pytest

from newsqa.types import TimeRange
from rag.retrieval.when import resolve_time

AS_OF = date(2022, 6, 17)  # a Friday


@pytest.mark.parametrize(
    ("question", "start", "end", "phrase"),
    [
        ("Who resigned this week?", date(2022, 6, 11), AS_OF, "this week"),
        ("Who resigned last week?", date(2022, 6, 6), date(2022, 6, 12), "last week"),
        ("What did the senate pass yesterday?", date(2022, 6, 16), date(2022, 6, 16), "yesterday"),
        ("What happened today in Kyiv?", AS_OF, AS_OF, "today"),
        ("Which team won on Wednesday?", date(2022, 6, 15), date(2022, 6, 15), "on Wednesday"),
        ("Which team won Friday?", AS_OF, AS_OF, "Friday"),
        ("Which team won last Friday?", date(2022, 6, 10), date(2022, 6, 10), "last Friday"),
        ("Who was elected in June?", date(2022, 6, 1), AS_OF, "in June"),
        ("Who was elected in July?", date(2021, 7, 1), date(2021, 7, 31), "in July"),
        ("Who was elected in March 2020?", date(2020, 3, 1), date(2020, 3, 31), "in March 2020"),
        ("Who won the election in 2021?", date(2021, 1, 1), date(2021, 12, 31), "in 2021"),
        ("How much have prices risen since May?", date(2022, 5, 1), AS_OF, "since May"),
        ("What has changed since 2020?", date(2020, 1, 1), AS_OF, "since 2020"),
        ("What has changed since June 3?", date(2022, 6, 3), AS_OF, "since June 3"),
        ("Who was arrested two days ago?", date(2022, 6, 15), date(2022, 6, 15), "two days ago"),
        ("Who was arrested 3 days ago?", date(2022, 6, 14), date(2022, 6, 14), "3 days ago"),
        ("What was announced a week ago?", date(2022, 6, 7), date(2022, 6, 13), "a week ago"),
        ("Who resigned earlier this month?", date(2022, 6, 1), AS_OF, "earlier this month"),
        ("Who resigned last month?", date(2022, 5, 1), date(2022, 5, 31), "last month"),
        ("What happened this year?", date(2022, 1, 1), AS_OF, "this year"),
        ("What happened last year?", date(2021, 1, 1), date(2021, 12, 31), "last year"),
        ("What happened on June 14?", date(2022, 6, 14), date(2022, 6, 14), "on June 14"),
        ("What happened on May 3, 2021?", date(2021, 5, 3), date(2021, 5, 3), "on May 3, 2021"),
    ],
)
def test_each_expression_resolves_to_its_range(question, start, end, phrase):
    assert resolve_time(question, AS_OF) == TimeRange(start=start, end=end, phrase=phrase)


def test_no_time_words_no_range():
    assert resolve_time("Who led the loyalists in Balqasah?", AS_OF) is None
    # A year still to come is not a time the articles can be about.
    assert resolve_time("Who will win in 2030?", AS_OF) is None


def test_distance_to_a_range():
    week = TimeRange(start=date(2022, 6, 11), end=AS_OF, phrase="this week")
    assert week.days_from(date(2022, 6, 13)) == 0
    assert week.days_from(date(2022, 6, 1)) == 10 and week.days_from(date(2022, 6, 20)) == 3


def test_the_reading_is_said_in_words():
    assert resolve_time("Who resigned this week?", AS_OF).describe() == "“this week” read as 2022-06-11 to 2022-06-17"
    assert resolve_time("Who won yesterday?", AS_OF).describe() == "“yesterday” read as 2022-06-16"
