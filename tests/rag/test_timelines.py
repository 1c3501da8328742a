"""Timelines over a story told by several dated articles of two outlets, on the real index and model."""

from __future__ import annotations

from datetime import date

import pytest

from index import ingest
from newsqa.errors import InputError
from rag import answer, timeline
from rag.timelines import timeline_topic
from tests.helpers import FIRST, STORY, TOPIC, story_jsonl


@pytest.fixture(scope="module")
def story_settings(tmp_path_factory):
    from newsqa.settings import Settings

    folder = tmp_path_factory.mktemp("story")
    corpus = folder / "story.jsonl"
    corpus.write_text(story_jsonl())
    settings = Settings().with_data_dir(folder / "index")
    ingest([corpus], settings, progress=False)
    return settings


def test_a_timeline_lists_the_story_in_order_each_line_cited_to_its_sentence(story_settings):
    story = timeline(TOPIC, settings=story_settings)
    texts = {i: text for i, _, _, _, text in STORY}
    assert [e.citation.article_id for e in story.entries][1:] == ["fire-2", "fire-3"]
    assert story.entries[0].citation.article_id in ("fire-1", "fire-1-valley")
    assert [e.published for e in story.entries] == ["2025-03-03", "2025-03-05", "2025-03-10"]
    # The near-copy is one line naming both outlets, never two lines.
    assert sorted(story.entries[0].outlets) == ["Coastal Tribune", "Valley Post"]
    for number, entry in enumerate(story.entries, start=1):
        assert entry.citation.number == number
        # Each sentence the line quotes (its opening, its second, its own) is the article's, in the line.
        for citation in entry.quoted:
            assert texts[citation.article_id][citation.start : citation.end] == citation.quote
            assert citation.quote in entry.text
        assert entry.text.split(" (")[0].endswith(entry.citation.quote)
    assert [day for day, _ in story.days()] == ["2025-03-03", "2025-03-05", "2025-03-10"]


def test_a_changed_figure_says_so_and_cites_both_sentences(story_settings):
    story = timeline(TOPIC, settings=story_settings)
    first, second, third = story.entries
    # The first article's line is its lede, then its other sentence about the topic (the line's
    # own); the count the second line changes is another of its sentences, cited after the lines.
    assert first.opening is not None and first.opening.number == 4
    assert first.opening.quote.startswith("A fire broke out late on Sunday at a storage warehouse")
    assert first.citation.quote == "Residents of nearby streets were told to keep their windows closed."
    assert first.text == f"{first.opening.quote} [4] … {first.citation.quote}"
    # The second article says nothing else about the fire: its lede is its line.
    assert second.citation.quote.startswith("Four firefighters were injured") and second.opening is None
    assert "(firefighter: up from 2 on 2025-03-03 [5])" in second.text
    (earlier,) = second.earlier
    assert earlier.number == 5 and earlier.article_id == first.citation.article_id
    assert earlier.quote == (
        "Two firefighters were injured while fighting the blaze, which sent black smoke over the harbour."
    )
    assert FIRST[earlier.start : earlier.end] == earlier.quote
    assert first.earlier == [] and third.earlier == []
    assert [c.number for c in story.citations] == [1, 2, 3, 4, 5]


def test_dates_bound_the_timeline_and_as_of_reads_only_what_was_published(story_settings):
    since = timeline(TOPIC, since="2025-03-04", settings=story_settings)
    assert [e.citation.article_id for e in since.entries] == ["fire-2", "fire-3"]
    before = timeline(TOPIC, as_of=date(2025, 3, 6), settings=story_settings)
    assert [e.published for e in before.entries] == ["2025-03-03", "2025-03-05"]
    only = timeline(TOPIC, filters={"sources": ["Valley Post"]}, settings=story_settings)
    assert [e.citation.article_id for e in only.entries] == ["fire-1-valley", "fire-3"]
    with pytest.raises(InputError, match="swap the dates"):
        timeline(TOPIC, since="2025-03-09", until="2025-03-01", settings=story_settings)
    with pytest.raises(InputError, match="the topic is empty"):
        timeline("  ", settings=story_settings)


def test_a_topic_no_article_is_about_gives_an_empty_timeline(story_settings):
    story = timeline("Kessler bridge opening", settings=story_settings)
    assert story.entries == []
    assert story.render() == "No indexed article is about “Kessler bridge opening”."


def test_a_question_about_how_a_story_developed_is_answered_with_its_timeline(story_settings):
    result = answer("How has the Harbor Street warehouse fire developed?", settings=story_settings)
    story = timeline("the Harbor Street warehouse fire", settings=story_settings)
    assert result.text == story.render()
    assert result.citations == story.citations and not result.abstained
    assert result.text.startswith("2025-03-03\n  A fire broke out late on Sunday")


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("How has the Balqasah fighting developed?", "the Balqasah fighting"),
        ("How did the tram project change over time?", "the tram project"),
        ("timeline of the Rovers coaching change", "the Rovers coaching change"),
        ("What happened with the Harbor Street fire over time?", "the Harbor Street fire"),
        ("How many firefighters were injured?", None),
        ("How did the fire start?", None),
    ],
)
def test_questions_that_ask_for_a_timeline_are_told_apart(question, topic):
    assert timeline_topic(question) == topic


def _passage(article_id: str, source: str, text: str, published: str = "2025-03-03"):
    from newsqa.types import Passage

    return Passage(
        id=f"{article_id}::0", article_id=article_id, title="Fire breaks out at Harbor Street warehouse",
        source=source, url="", published=published, text=text, start=0, end=len(text), score=1.0,
    )  # fmt: skip


WEIGHTS = {"harbor": 5.0, "street": 2.0, "warehous": 4.0, "fire": 1.0}


def test_a_copy_that_changed_some_words_is_the_same_line_not_a_second_one():
    from rag.timelines import build_timeline

    kept = _passage("fire-1", "Coastal Tribune", FIRST)
    variant = _passage("fire-1-wire", "Wire", FIRST.replace("late on Sunday", "early on Monday"))
    (line,) = build_timeline([kept, variant], WEIGHTS, {"fire-1": "g", "fire-1-wire": "g"})
    assert line.citation.article_id == "fire-1"
    assert len(build_timeline([kept, variant], WEIGHTS, {})) == 2  # not copies: two articles, two lines


def test_a_sentence_two_articles_share_word_for_word_is_one_line():
    from rag.timelines import build_timeline

    biography = "Ana Ruiz covers the Harbor Street warehouse fire and city hall for the Coastal Tribune."
    first = _passage("bio-1", "Coastal Tribune", biography)
    second = _passage("bio-2", "Coastal Tribune", biography, published="2025-03-05")
    (line,) = build_timeline([first, second], WEIGHTS, {})
    assert line.citation.article_id == "bio-1"
    # A note about the page is no line at all.
    note = "Editor's note: all our Harbor Street warehouse fire coverage is free to read."
    assert build_timeline([_passage("note-1", "Coastal Tribune", note)], WEIGHTS, {}) == []


def test_a_line_quotes_its_articles_opening_first_then_the_sentences_the_model_ranks_first():
    """News tells what happened first: the opening is the article's news, the other sentences
    why it belongs to the topic. All are cited, the openings and second sentences numbered after
    the lines; no sentence is quoted twice."""
    from newsqa.types import Timeline
    from rag.timelines import build_timeline

    opening = "Port Anselm's council approved a budget of 3 million euros for a new fire station on Monday."
    topical = "The station will stand on Harbor Street, beside the warehouse that burned this month."
    repeated = "The Harbor Street warehouse fire was the city's largest in years."
    station = _passage("station", "Valley Post", f"{opening} {topical} {repeated}", published="2025-03-10")
    lede = _passage("fire-1", "Coastal Tribune", FIRST)
    first, second = build_timeline([station, lede], WEIGHTS, {})
    assert first.citation.article_id == "fire-1" and first.opening is not None
    assert first.opening.quote == FIRST[: FIRST.index(" Two")] and first.also is None
    assert second.opening is not None and second.opening.quote == opening
    assert {second.citation.quote, second.also.quote} == {topical, repeated}
    assert second.citation.number == 2
    assert (first.opening.number, second.opening.number, second.also.number) == (3, 4, 5)
    assert second.text == f"{opening} [4] … {second.also.quote} [5] … {second.citation.quote}"
    text = station.text
    assert all(text[c.start : c.end] == c.quote for c in second.quoted)
    story = Timeline(topic="Harbor Street warehouse", entries=[first, second])
    assert [c.number for c in story.citations] == [1, 2, 3, 4, 5]
    for caption in (
        "This aerial view shows the port at dawn on Sunday, March 2, 2025.",
        "PORT ANSELM, CA - MARCH 03: Firefighters spray water on a warehouse on Harbor Street in Port Anselm.",
    ):
        (captioned,) = build_timeline([_passage("station", "Valley Post", f"{caption} {topical}")], WEIGHTS, {})
        assert captioned.opening is None and captioned.citation.quote == topical, "a photo's caption is no opening"
    signed = _passage("station", "Valley Post", f"By Ana Ruiz. {text}", published="2025-03-10")
    (line,) = build_timeline([signed], WEIGHTS, {})
    assert line.opening is not None and line.opening.quote == opening, "a byline is not the article's opening"
    for note in (
        "(This story was updated to add new information.)",
        "Editor’s Note: This page sums up the fire news.",
        "For the latest news on the fire, view our live updates file for Tuesday, March 11.",
        "11. For developments on the fire, visit the Valley Post's story for Wednesday.",
        "Sign up for the Valley Post’s morning newsletter to get the fire news first.",
    ):
        (noted,) = build_timeline([_passage("station", "Valley Post", f"{note} {text}")], WEIGHTS, {})
        assert noted.opening is not None and noted.opening.quote == opening, "a note on the story is not its news"
        # Nor is it quoted further on, where a page may put it too.
        (late,) = build_timeline([_passage("station", "Valley Post", f"{text} {note}")], WEIGHTS, {})
        assert note not in [c.quote for c in late.quoted]
    # A second article sharing the same paragraphs but another opening adds only its opening.
    wire = _passage("wire", "Wire", f"A fire station is coming to Harbor Street, officials said. {topical} {repeated}")
    lines = build_timeline([station, wire], WEIGHTS, {})
    quoted = [c.quote for entry in lines for c in entry.quoted]
    assert len(quoted) == len(set(quoted)) == 4
    # An article that says its opening again (a summary's last line) quotes it once.
    (again,) = build_timeline([_passage("station", "Valley Post", f"{opening} {topical} {opening}")], WEIGHTS, {})
    assert [c.quote for c in again.quoted] == [opening, topical]


def test_a_line_names_the_topics_names_when_the_topic_has_any():
    from rag.timelines import build_timeline, topic_name_terms

    elsewhere = "A warehouse fire on Elm Road injured two workers on Friday morning."
    spread = "The warehouse fire on Elm Road spread to a second warehouse on Saturday."
    fought = "Crews fought the warehouse fire for six hours before the roof of the warehouse fell in."
    named = "Neighbours on the street said the smoke could be seen for miles."
    article = _passage("elm-fire", "Valley Post", f"{elsewhere} {spread} {fought} {named}")
    names = topic_name_terms("Harbor Street warehouse fire")
    assert names == {"harbor", "street"} and topic_name_terms("warehouse fire") == frozenset()
    assert topic_name_terms("US births") == topic_name_terms("births in the United States") != frozenset()
    (unnamed,) = build_timeline([article], WEIGHTS, {})
    assert [c.quote for c in unnamed.quoted] == [elsewhere, unnamed.also.quote, unnamed.citation.quote]
    assert {unnamed.also.quote, unnamed.citation.quote} == {spread, fought}
    # Neither the opening nor the two sentences the model likes best name Harbor Street: the
    # line's second gives way to the best sentence that does.
    (line,) = build_timeline([article], WEIGHTS, {}, names=names)
    assert [c.quote for c in line.quoted] == [elsewhere, named, unnamed.citation.quote]
    # An article no sentence of which names the topic is not about it.
    unnamed_article = _passage("elm-fire", "Valley Post", f"{elsewhere} {spread} {fought}")
    assert build_timeline([unnamed_article], WEIGHTS, {}, names=names) == []
