"""Places by kind (ISO 3166 through pycountry, and the names news uses) and by adjective."""

from __future__ import annotations

import pytest

from rag.extractive.places import adjective_of, is_adjective, kind_asked, named_by_adjective, wrong_kind


@pytest.mark.parametrize(
    ("asked", "place"),
    [
        ("city", "France"),
        ("host city", "Pennsylvania"),
        ("city", "Africa"),
        ("African country", "Africa"),
        ("country", "Texas"),
        ("state", "America"),
        ("state", "the United States of America"),
        ("state", "Middle East"),
    ],
)
def test_a_place_of_another_kind_than_asked_is_wrong(asked, place):
    assert wrong_kind(kind_asked(asked), place)


@pytest.mark.parametrize(
    ("asked", "place"),
    [
        ("city", "Paris"),
        ("city", "New York"),  # a state's name and a city's
        ("city", "Singapore"),  # a country that is a city
        ("country", "Russia"),  # ISO 3166 says "Russian Federation"
        ("country", "Georgia"),  # a country and a state
        ("state", "Georgia"),
        ("state", "Bavaria"),  # a place of unknown kind is never wrong
        ("airport", "France"),  # nor any place, when the question asks for no kind of place
        (None, "France"),
    ],
)
def test_a_place_that_may_be_of_the_kind_asked_is_not_wrong(asked, place):
    assert not wrong_kind(kind_asked(asked), place)


@pytest.mark.parametrize(
    ("word", "place"), [("African", "Africa"), ("Israeli", "Israel"), ("Chinese", "China"), ("German", "Germany")]
)
def test_an_adjective_made_of_a_place_is_known_as_its(word, place):
    assert adjective_of(word, place)


@pytest.mark.parametrize(
    ("word", "place"),
    [
        ("Indianapolis", "Indiana"),  # a longer name, not an adjective
        ("Nigerian", "Niger"),  # another country's adjective
        ("Iraqi", "Iran"),  # too short a name to tell
        ("Africa", "Africa"),  # the name itself
    ],
)
def test_a_word_that_only_starts_like_a_place_is_not_its_adjective(word, place):
    assert not adjective_of(word, place)


def test_a_question_names_a_place_by_its_adjective_only_when_capitalised():
    assert named_by_adjective("Africa", "Which African country found the diamond?".split())
    assert not named_by_adjective("Africa", "Which country found the diamond?".split())


@pytest.mark.parametrize(("word", "made"), [("Angolan", True), ("Texan", True), ("Angola", False), ("Luanda", False)])
def test_a_nationality_is_told_from_a_place(word, made):
    assert is_adjective(word) is made


@pytest.mark.parametrize(("word", "place"), [("British", "Britain"), ("French", "France"), ("Afghan", "Afghanistan")])
def test_an_adjective_news_makes_otherwise_is_known_too(word, place):
    assert adjective_of(word, place)
    assert is_adjective(word)


def test_a_us_region_is_no_city_and_no_state():
    assert wrong_kind(kind_asked("city"), "East Coast")
    assert wrong_kind(kind_asked("other state"), "the Midwest")
