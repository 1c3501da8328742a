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


def test_only_questions_that_lean_on_the_conversation_are_condensed():
    turns = [("How many were killed in the Balqasah fighting?", "4 [1]")]
    assert condense("Where will Novatek build its chip plant?", turns) == "Where will Novatek build its chip plant?"
    assert condense("And where did this happen?", turns).startswith("And where did this happen? (How many")
    assert condense("What about the injured?", turns) != "What about the injured?"


def test_a_follow_up_keeps_its_own_question_type(fake_embedder):
    from newsqa.settings import AnswerSettings
    from rag.extractive import ExtractiveEngine
    from tests.rag.test_reader import passage

    engine = ExtractiveEngine(fake_embedder, AnswerSettings())
    text = "The fighting in Balqasah, a village west of Homs, killed four fighters on Thursday."
    turns = [("How many fighters were killed in Balqasah?", "4 [1]")]
    follow_up = "And where did this happen?"
    query = condense(follow_up, turns)
    extraction = engine.extract(query, fake_embedder.embed_query(query), [passage(text)], asked=follow_up)
    # A place, not the count the earlier question asked for; Balqasah itself is named in the question.
    assert extraction.short_answers == ["Homs"]
