"""The shared text and date helpers, on hand-made strings."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from newsqa.dates import day_number, day_text, parse_day
from newsqa.errors import InputError
from newsqa.text import content_terms, marker_numbers, one_name_spelling, strip_markers
from newsqa.types import Filters, Query


def test_markers_are_read_and_stripped_in_one_spelling():
    text = "Shujaa al-Ali led them [1]. SANA reported two deaths [2][3]."
    assert marker_numbers(text) == [1, 2, 3]
    assert strip_markers(text) == "Shujaa al-Ali led them. SANA reported two deaths."
    assert strip_markers("no markers here ") == "no markers here"


def test_content_terms_drop_stopwords_and_stem():
    assert content_terms("The fighters were killed, the observatory reported.") == ["fighter", "kill", "observatori"]
    assert content_terms("Who led the loyalists?") == ["led", "loyalist"]


def test_a_curly_apostrophe_is_read_as_the_straight_one_a_question_is_typed_with():
    straight = content_terms("Trump's pick, O'Neill")
    assert content_terms("Trump’s pick, O’Neill") == straight == ["trump", "pick", "o'neil"]


def test_a_country_written_several_ways_is_one_name_but_a_newspaper_named_after_it_is_not():
    spellings = ["US", "U.S.", "USA", "United States", "the United States of America"]
    assert {one_name_spelling(f"troops from {s} arrived").replace("the ", "") for s in spellings} == {
        "troops from UnitedStates arrived"
    }
    # A byline's "a reporter for USA TODAY" says nothing of the country.
    assert "UnitedStates" not in one_name_spelling("She is a reporter for USA TODAY and USA Today's podcast.")


def test_words_of_every_script_are_terms_and_cjk_is_read_in_character_pairs():
    assert content_terms("Clashes in Balqasah: ٣ قتلى في بلقسة") == ["clash", "balqasah", "٣", "قتلى", "في", "بلقسة"]
    assert content_terms("Σεισμός στην Αθήνα") == ["σεισμός", "στην", "αθήνα"]
    assert content_terms("東京で地震") == ["東京", "京で", "で地", "地震"]
    # Latin letters beyond ASCII are English's too; an underscore joins no words.
    assert content_terms("Beyoncé sang; snake_case") == ["beyoncé", "sang", "snake", "case"]


def test_days_parse_and_convert_both_ways():
    assert parse_day("2022-06-17", "--since") == date(2022, 6, 17)
    assert parse_day("", "--since") is None and parse_day(None, "From") is None
    with pytest.raises(InputError, match="From 'June 17' is not a date; use YYYY-MM-DD"):
        parse_day("June 17", "From")
    assert day_number(date(2022, 6, 17)) == 20220617 and day_number(None) is None
    assert day_text(20220617) == "2022-06-17"


def test_filters_parse_from_dicts_with_one_line_errors():
    parsed = Filters.parse({"sources": "cnn", "since": "2022-06-01"})
    assert parsed.sources == ("cnn",) and parsed.since_day == 20220601 and parsed.until_day is None
    assert Filters.parse(None) == Filters()
    with pytest.raises(InputError, match="bad filter colour"):
        Filters.parse({"colour": "red"})
    with pytest.raises(InputError, match=r"^the date range starts \(2022-06-02\) after it ends \(2022-06-01\)"):
        Filters.parse({"since": "2022-06-02", "until": "2022-06-01"})


def test_as_of_caps_the_published_range():
    query = Query(text="q", vector=np.ones(1), filters=Filters(until=date(2022, 7, 1)), as_of=datetime(2022, 6, 17, 9))
    assert query.effective_filters.until == date(2022, 6, 17)
    later = query.model_copy(update={"as_of": datetime(2022, 8, 1)})
    assert later.effective_filters.until == date(2022, 7, 1)
    assert Query(text="q", vector=np.ones(1)).effective_filters == Filters()
