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
COACH = ("Who replaced Tomas Berg as head coach?", "Ilse Varga [1]")
FIRE = ("How many people were injured in the warehouse fire, according to the Coastal Tribune?", "12 [1]")


def test_a_pronoun_is_replaced_by_what_it_refers_to_not_by_the_whole_earlier_question():
    # The person the answer names, without the title it carried.
    assert standalone_question("And who arrested him?", [ARREST]) == "Who arrested Mohammed Kingo al-Hassan?"
    assert standalone_question("And where did this happen?", [FIGHTING]) == (
        "Where were 4 security personnel killed in the Balqasah fighting?"
    )
    assert standalone_question("What did his men do there?", [LEADER]) == "What did Shujaa al-Ali’s men do in Balqasah?"
    assert standalone_question("How many of them were killed?", [LEADER]) == "How many of the loyalists were killed?"
    assert standalone_question("Where is that village?", [LEADER]) == "Where is the village of Balqasah?"
    # Once named, the referent is what the follow-up's later pronouns stand for within it.
    assert standalone_question("Did he say he would stay there?", [LEADER]) == (
        "Did Shujaa al-Ali say he would stay in Balqasah?"
    )
    assert standalone_question("She announced her podcast when?", [COACH]) == "Ilse Varga announced her podcast when?"


def test_follow_ups_that_word_substitution_broke_read_as_questions():
    # An outlet is where a claim comes from, not what "it" is.
    assert standalone_question("Where did it start?", [FIRE]) == "Where did the warehouse fire start?"
    assert standalone_question("When did that fire start?", [FIRE]) == "When did the warehouse fire start?"
    # "That" is the last turn's event: its answer did what the question asked about.
    assert standalone_question("When was that?", [COACH]) == "When did Ilse Varga replace Tomas Berg as head coach?"
    assert standalone_question("When did this happen?", [COACH]) == standalone_question("When was that?", [COACH])
    # "His" after a "who" question is the answer, not the man the question named.
    assert standalone_question("Where is his first match?", [COACH]) == "Where is Ilse Varga’s first match?"
    assert standalone_question("How old is she?", [COACH]) == "How old is Ilse Varga?"
    assert standalone_question("When did it start?", [FIGHTING]) == "When did the Balqasah fighting start?"
    # A passive question: the answer takes the place of "how many", the rest keeps its auxiliary.
    assert standalone_question("And when?", [("How many people were killed in Homs?", "4 [1]")]) == (
        "When were 4 people killed in Homs?"
    )
    # Existential "there" refers to nothing, nor does a demonstrative its own clause defines.
    assert standalone_question("Is there a ceasefire?", [LEADER]) == "Is there a ceasefire?"
    assert standalone_question("How many of those aged over 60 fled it?", [FIRE]) == (
        "How many of those aged over 60 fled the warehouse fire?"
    )


def test_a_follow_up_on_a_when_question_asks_about_its_event_not_its_date():
    arrest = ("When did police arrest Mohammed Kingo al-Hassan?", "Earlier Thursday [1]")
    # Was "Where did Earlier Thursday happen?": a date is nothing "it" stands for.
    assert standalone_question("Where did it happen?", [arrest]) == "Where did police arrest Mohammed Kingo al-Hassan?"
    assert standalone_question("Why?", [arrest]) == "Why did police arrest Mohammed Kingo al-Hassan?"
    # Asked even when the last turn has no answer (it abstained, or was stopped).
    fire = ("Where did the warehouse fire start?", "Stopped before an answer.")
    assert standalone_question("When was that?", [fire]) == "When did the warehouse fire start?"
    # "Where is Balqasah?" asked "when" is no question: the follow-up is left as it is.
    assert standalone_question("When was that?", [("Where is Balqasah?", "west of Homs [1]")]) == "When was that?"


def test_what_about_puts_the_new_thing_in_the_earlier_question():
    assert standalone_question("What about in Homs?", [LEADER]) == "Who led the loyalists in Homs?"


def test_a_bare_follow_up_asks_about_what_the_last_turn_said():
    assert standalone_question("And when?", [LEADER]) == "When did Shujaa al-Ali lead the loyalists in Balqasah?"
    assert standalone_question("Why?", [COACH]) == "Why did Ilse Varga replace Tomas Berg as head coach?"
    # A last turn that is no "who did it" question: the follow-up keeps its own word, with the turn beside it.
    assert standalone_question("And why?", [("What is Balqasah?", "A village [1]")]) == "Why? (Balqasah)"


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
