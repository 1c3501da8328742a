"""Follow-up questions become standalone queries; hand-made conversations."""

from __future__ import annotations

from rag.conversation import standalone_question, turns_of


def test_turns_come_from_pairs_or_messages():
    messages = [
        {"role": "user", "content": "Who was arrested?"},
        {"role": "assistant", "content": "Kingo al-Hassan [1]"},
        {"role": "user", "content": "Where?"},
    ]
    assert turns_of(messages) == [("Who was arrested?", "Kingo al-Hassan [1]"), ("Where?", "")]
    assert turns_of([("Q", None)]) == [("Q", "")]
    assert turns_of(None) == []


ARREST = ("Who was arrested in the Tartus countryside?", "Major-General Mohammed Kingo al-Hassan [1]\n\n> quote")
FIGHTING = ("How many security personnel were killed in the Balqasah fighting?", "4 [1]")
LEADER = ("Who led the loyalists in Balqasah?", "Shujaa al-Ali [1]")


def test_a_pronoun_is_replaced_by_what_it_refers_to_not_by_the_whole_earlier_question():
    assert standalone_question("And who arrested him?", [ARREST]) == (
        "Who arrested Major-General Mohammed Kingo al-Hassan?"
    )
    assert standalone_question("And where did this happen?", [FIGHTING]) == "Where did the Balqasah fighting happen?"
    assert standalone_question("What did his men do there?", [LEADER]) == "What did Shujaa al-Ali’s men do in Balqasah?"
    assert standalone_question("How many of them were killed?", [LEADER]) == "How many of the loyalists were killed?"
    assert standalone_question("Where is that village?", [LEADER]) == "Where is the village of Balqasah?"


def test_what_about_puts_the_new_thing_in_the_earlier_question():
    assert standalone_question("What about in Homs?", [LEADER]) == "Who led the loyalists in Homs?"


def test_a_bare_follow_up_asks_about_what_the_last_turn_said():
    assert standalone_question("And when?", [LEADER]) == "When? (Shujaa al-Ali led the loyalists in Balqasah)"


def test_a_question_that_stands_alone_is_kept():
    assert standalone_question("Where is Balqasah?", [LEADER]) == "Where is Balqasah?"
    assert standalone_question("Who arrested him?", []) == "Who arrested him?"
    # "its" has its antecedent inside the question: not a follow-up.
    question = "Where will Novatek build its chip plant?"
    assert standalone_question(question, [FIGHTING]) == question


def test_a_follow_up_keeps_its_own_question_type(fake_embedder):
    from tests.rag.extractive.parts import engine, passage

    text = "The fighting in Balqasah, a village west of Homs, killed four fighters on Thursday."
    turns = [("How many fighters were killed in Balqasah?", "4 [1]")]
    follow_up = "And where did this happen?"
    query = standalone_question(follow_up, turns)
    extraction = engine(fake_embedder).extract(query, fake_embedder.embed_query(query), [passage(text)])
    # A place, not the count the earlier question asked for; Balqasah itself is named in the question.
    assert extraction.short_answers == ("Homs",)
