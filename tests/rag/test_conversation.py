"""Follow-up questions become standalone queries; hand-made conversations."""

from __future__ import annotations

from rag.conversation import condense, turns_of


def test_turns_come_from_pairs_or_messages():
    messages = [
        {"role": "user", "content": "Who was arrested?"},
        {"role": "assistant", "content": "Kingo al-Hassan [1]"},
        {"role": "user", "content": "Where?"},
    ]
    assert turns_of(messages) == [("Who was arrested?", "Kingo al-Hassan [1]"), ("Where?", "")]
    assert turns_of([("Q", None)]) == [("Q", "")]
    assert turns_of(None) == []


def test_a_follow_up_with_a_pronoun_takes_the_last_turn_without_markers():
    turns = [("Who was arrested in Tartus?", "Mohammed Kingo al-Hassan [1]\n\nmore text")]
    assert condense("And who arrested him?", turns) == (
        "And who arrested him? (Who was arrested in Tartus? Mohammed Kingo al-Hassan)"
    )


def test_a_question_that_stands_alone_is_kept():
    assert condense("Where is Balqasah?", [("Who led the loyalists?", "Shujaa al-Ali [1]")]) == "Where is Balqasah?"
    assert condense("Who arrested him?", []) == "Who arrested him?"
