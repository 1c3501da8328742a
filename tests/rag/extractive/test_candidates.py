"""Candidates in hand-made sentences: whole names, merged mentions."""

from __future__ import annotations

import pytest

from rag.extractive.candidates import Mention, answer_key, merge
from rag.extractive.features import SentenceEvidence, describe
from rag.nlp.sentences import split_sentences
from tests.rag.extractive.parts import analyze, passage


def test_candidates_naming_one_thing_are_merged_and_keep_every_mention():
    mentions = [
        Mention("Facebook Inc.", "org", "ORG", 0, 0, 0, 0, 0),
        Mention("Facebook", "org", "ORG", 1, 0, 0, 0, 0),
        Mention("World Health Organization", "org", "ORG", 2, 0, 0, 0, 0),
        Mention("WHO", "org", "ORG", 3, 0, 0, 0, 0),
        Mention("4", "number", "CARDINAL", 4, 0, 0, 0, 0),
        Mention("Joe Biden", "person", "PERSON", 5, 0, 0, 0, 0),
        Mention("Biden", "person", "PERSON", 6, 0, 0, 0, 0),
        Mention("Jordan", "place", "GPE", 7, 0, 0, 0, 0),
        Mention("Michael Jordan", "person", "PERSON", 8, 0, 0, 0, 0),
        Mention("President-elect Ada Lund", "person", "PERSON", 9, 0, 0, 0, 0),
        Mention("Lund", "org", "ORG", 10, 0, 0, 0, 0),  # the small model's label for a surname, often
    ]
    merged = {c.text: sorted(m.sentence for m in c.mentions) for c in merge(mentions)}
    assert merged == {
        "Facebook Inc.": [0, 1],
        "World Health Organization": [2, 3],
        "4": [4],
        "Joe Biden": [5, 6],
        "Jordan": [7],  # a short name of another kind of thing stays apart
        "Michael Jordan": [8],
        "President-elect Ada Lund": [9, 10],
    }
    assert answer_key("The Facebook Inc.") == answer_key("Facebook") == "facebook"
    # A person's longer name may start with a title or an employer: what starts it is not that person.
    titled = [
        Mention("Clearwater Executive Director Greg Williams", "person", "PERSON", 0, 0, 0, 0, 0),
        Mention("Williams", "person", "PERSON", 1, 0, 0, 0, 0),
        Mention("Clearwater", "person", "PERSON", 2, 0, 0, 0, 0),  # the small model's label for the group
    ]
    assert {c.text: sorted(m.sentence for m in c.mentions) for c in merge(titled)} == {
        "Clearwater Executive Director Greg Williams": [0, 1],
        "Clearwater": [2],
    }
    assert answer_key("Finland and Sweden") == answer_key("Sweden and Finland")
    assert answer_key("four") == "4"


@pytest.mark.parametrize(
    ("question", "text", "whole"),
    [
        # spaCy's small model labels only "Denver" (a place): the team's whole name is a candidate too.
        ("Which team was sold?", "NFL owners approved the sale of the Denver Broncos on Tuesday.", "Denver Broncos"),
        ("Which two countries were invited?", "NATO invited Sweden and Finland to join.", "Sweden and Finland"),
        # "US" is a name here, not the stopword "us"; nor is it the noun asked about, to strip as "Engineer" is.
        ("Which US tournament did she play in?", "Serena Williams played in the US Open on Monday.", "US Open"),
        # A list's bullet is no part of the name spaCy labels with it, a currency sign is of the sum.
        ("Which storm grew?", "∎ Beryl grew into a Category 5 hurricane on Monday.", "Beryl"),
        ("How much will the tram cost?", "The tram will cost $5 million, the city said.", "$5 million"),
    ],
)
def test_whole_names_are_candidates_where_the_small_model_labels_part_or_each(question, text, whole, fake_embedder):
    analysis = analyze(question, fake_embedder)
    sentences = split_sentences(passage(text))
    candidates, _ = describe(analysis, sentences, SentenceEvidence([0.5], {}, 0.03), fake_embedder)
    assert whole in {c.text for c in candidates}


def test_a_hyphenated_title_is_no_break_in_a_name_so_its_tail_is_no_candidate(fake_embedder):
    # The parse tags "President", "elect", "Donald" and "Trump" as proper nouns, the hyphen as
    # punctuation: read as a break, it left "elect Donald Trump" a candidate beside the titled name.
    analysis = analyze("Who met the president?", fake_embedder)
    sentences = split_sentences(passage("The president met President-elect Donald Trump at the White House."))
    candidates, _ = describe(analysis, sentences, SentenceEvidence([0.5], {}, 0.03), fake_embedder)
    names = {c.text for c in candidates}
    assert "President-elect Donald Trump" in names
    assert not [name for name in names if name.startswith("elect")]


def test_a_short_name_folds_into_the_whole_name_and_two_names_side_by_side_stay_two(fake_embedder):
    analysis = analyze("Which team was sold?", fake_embedder)
    # Written in the shape of a real report, which the small model reads the same way: it labels
    # "Denver" a place, then "Broncos" a product.
    text = (
        "League owners unanimously approved the sale of the Denver Broncos Tuesday from the family trust. "
        "The league's commissioner said all 32 teams voted to approve the sale that the Broncos announced. "
        "KYIV, Ukraine CNN — Russian forces attacked."
    )
    candidates, _ = describe(
        analysis, split_sentences(passage(text)), SentenceEvidence([0.5, 0.4, 0.1], {}, 0.03), fake_embedder
    )
    by_text = {c.text: c for c in candidates}
    assert len(by_text["Denver Broncos"].mentions) == 3 and "Broncos" not in by_text
    assert "Ukraine CNN" not in by_text and {"Ukraine", "CNN"} <= set(by_text)
