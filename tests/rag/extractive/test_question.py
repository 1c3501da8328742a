"""What a question asks for, from spaCy's parse and the fake embedder."""

from __future__ import annotations

import pytest

from tests.rag.extractive.parts import analyze


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who led the loyalists in Balqasah?", "person"),
        ("And whom did police arrest?", "person"),
        ("How many security personnel were killed?", "number"),
        ("How much did the dam cost?", "number"),
        ("When did Assad flee the country?", "date"),
        ("Where is Balqasah?", "place"),
        ("Which country hosted the talks?", "place"),
        ("Which automaker recalled its trucks?", "org"),
        ("Which actress won the award?", "person"),
        ("Which show was renewed for a second season?", "title"),
    ],
)
def test_the_expected_answer_type_comes_from_the_wh_word_or_the_noun_asked_about(question, expected, fake_embedder):
    analysis = analyze(question, fake_embedder)
    assert max(analysis.expected, key=analysis.expected.__getitem__) == expected


def test_question_analysis_finds_entities_the_role_asked_about_and_what_is_counted(fake_embedder):
    led = analyze("Who led the loyalists in Balqasah?", fake_embedder)
    assert led.entities == ("Balqasah",) and led.role == "subject" and led.role_verbs == {"lead"}
    arrested = analyze("Who was arrested in the Tartus countryside?", fake_embedder)
    assert arrested.role == "object" and arrested.role_verbs == {"arrest"}
    assert analyze("When did Assad flee the country?", fake_embedder).verbs == {"flee"}
    assert analyze("How many security personnel were killed?", fake_embedder).unit == {"secur", "personnel"}
