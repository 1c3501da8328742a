"""Places by kind, so that a question asking for a city is not answered with a country.

spaCy labels a city, a state, a country and a continent alike (GPE or LOC); the reader's
model learns that "which city" wants a place, not which place is a city. Countries come
from ISO 3166 (pycountry, with the names news uses that the standard does not), US states
from its subdivisions, and the regions larger than a country from :data:`REGIONS`.
:func:`wrong_kind` says when a place cannot be what "which city/country/state" asks for;
:func:`named_by_adjective` when the question already names it by its adjective ("which
African country" is not answered by "Africa").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import pycountry

from newsqa.text import POSSESSIVE

# The kinds a question's head noun asks for ("Which city ...?", "In which nation's ...?").
CITY_WORDS = frozenset({"city", "town", "village", "capital", "municipality"})
COUNTRY_WORDS = frozenset({"country", "nation"})
STATE_WORDS = frozenset({"state"})
# Continents and regions larger than a country, as news names them.
REGIONS = frozenset(
    {
        "africa", "asia", "europe", "north america", "south america", "central america", "latin america",
        "the americas", "americas", "antarctica", "oceania", "middle east", "the middle east", "caribbean",
        "the caribbean", "southeast asia", "east asia", "south asia", "central asia", "west africa",
        "east africa", "north africa", "southern africa", "sub-saharan africa", "scandinavia", "the balkans",
        "balkans", "eastern europe", "western europe", "the gulf", "persian gulf",
        # and the US regions larger than a state
        "east coast", "west coast", "gulf coast", "midwest", "the midwest", "new england", "pacific northwest",
        "the south", "southwest", "the southwest", "northeast", "the northeast",
    }
)  # fmt: skip
# Adjectives not made of their place's name by :data:`ADJECTIVE_ENDINGS`, as news writes them.
IRREGULAR_ADJECTIVES = {
    "british": "britain", "english": "england", "scottish": "scotland", "welsh": "wales", "irish": "ireland",
    "french": "france", "dutch": "netherlands", "spanish": "spain", "swiss": "switzerland", "greek": "greece",
    "turkish": "turkey", "polish": "poland", "swedish": "sweden", "danish": "denmark", "finnish": "finland",
    "norwegian": "norway", "filipino": "philippines", "thai": "thailand", "afghan": "afghanistan",
    "peruvian": "peru", "argentine": "argentina", "argentinian": "argentina", "saudi": "saudi arabia",
    "emirati": "united arab emirates", "lebanese": "lebanon", "sudanese": "sudan", "congolese": "congo",
    "vietnamese": "vietnam", "portuguese": "portugal", "belgian": "belgium", "czech": "czechia",
}  # fmt: skip
# Countries as news names them where ISO 3166 names them otherwise ("Russian Federation").
COUNTRY_ALIASES = frozenset(
    {
        "russia", "turkey", "america", "britain", "great britain", "england", "scotland", "wales",
        "northern ireland", "ivory coast", "palestine", "micronesia", "usa", "us", "u.s.", "u.s.a.", "uk",
        "u.k.", "holland", "burma", "swaziland", "the united states", "the united kingdom",
        "the netherlands", "the philippines", "the gambia",
    }
)  # fmt: skip
# Countries and states also named as a city: "Mexico" for Mexico City, "New York" for the city.
ALSO_CITIES = frozenset(
    {
        "singapore", "monaco", "hong kong", "macao", "vatican", "kuwait", "djibouti", "luxembourg", "panama",
        "guatemala", "mexico", "san marino", "andorra", "new york", "washington",
    }
)  # fmt: skip
# A place's adjective is its name less its last letter and one of these endings ("Africa" →
# "African", "Israel" → "Israeli", "China" → "Chinese", "Germany" → "German").
ADJECTIVE_ENDINGS = ("", "n", "an", "ian", "ean", "i", "li", "ni", "ese", "nese", "ish", "ic")
# Names this short make adjectives of other names too ("Iran" less its "n" starts "Iraqi").
SHORTEST_NAME = 5
_THE = re.compile(r"^the\s+", re.I)


@functools.cache
def _countries() -> frozenset[str]:
    names = {
        getattr(country, field).casefold()
        for country in pycountry.countries
        for field in ("name", "common_name", "official_name")
        if hasattr(country, field)
    }
    return frozenset(names | COUNTRY_ALIASES)


@functools.cache
def _states() -> frozenset[str]:
    return frozenset(s.name.casefold() for s in pycountry.subdivisions.get(country_code="US") or ())


def _kinds(place: str) -> set[str]:
    name = place.strip().casefold()
    bare = _THE.sub("", name)
    kinds = set()
    if name in REGIONS or bare in REGIONS:
        kinds.add("region")
    if name in _countries() or bare in _countries():
        kinds.add("country")
    if bare in _states():
        kinds.add("state")
    return kinds


def kind_asked(asked: str | None) -> str | None:
    """The kind of place a question's head noun asks for: "city", "country", "state", or None."""
    noun = asked.split()[-1].casefold() if asked else ""
    for kind, words in (("city", CITY_WORDS), ("country", COUNTRY_WORDS), ("state", STATE_WORDS)):
        if noun in words:
            return kind
    return None


def wrong_kind(kind: str | None, place: str) -> bool:
    """Whether ``place`` cannot be the ``kind`` of place a question asks for (:func:`kind_asked`).

    A region is never a city, a country or a state; a country or a state is no city (unless
    also one's name, :data:`ALSO_CITIES`); a state is no country, a country no state (Georgia
    is both). A place of unknown kind is never wrong.
    """
    kinds = _kinds(place)
    if not kind or not kinds:
        return False
    if kind == "city":
        return _THE.sub("", place.strip().casefold()) not in ALSO_CITIES
    return kind not in kinds


def adjective_of(word: str, name: str) -> bool:
    """Whether ``word`` is an adjective made of the place ``name``: "African" of "Africa",
    "British" of "Britain" (:data:`IRREGULAR_ADJECTIVES`)."""
    bare, place = POSSESSIVE.sub("", word).casefold(), _THE.sub("", name.strip().casefold())
    if IRREGULAR_ADJECTIVES.get(bare) == place:
        return True
    if " " in place or len(place) < SHORTEST_NAME:
        return False
    return bare != place and any(bare == place[:-1] + ending for ending in ADJECTIVE_ENDINGS)


@functools.cache
def _adjectives() -> frozenset[str]:
    names = {n for n in _countries() | _states() | REGIONS if " " not in n and len(n) >= SHORTEST_NAME}
    made = {name[:-1] + ending for name in names for ending in ADJECTIVE_ENDINGS}
    return frozenset(made | set(IRREGULAR_ADJECTIVES)) - names


def is_adjective(word: str) -> bool:
    """Whether a word is an adjective made of a country, a US state or a region: "Angolan", "Texan"."""
    return word.strip().casefold() in _adjectives()


def named_by_adjective(place: str, question_words: Iterable[str]) -> bool:
    """Whether the question names ``place`` by an adjective made of it ("Which African country")."""
    return any(word[:1].isupper() and adjective_of(word, place) for word in question_words)
