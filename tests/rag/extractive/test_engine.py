"""The extractive engine on hand-made passages: which answer, how it is told, when it abstains."""

from __future__ import annotations

from rag.extractive.engine import compose
from tests.rag.extractive.parts import analyze, engine, passage


def test_the_engine_takes_the_span_syntax_ties_to_the_question(fake_embedder):
    reader = engine(fake_embedder)
    text = (
        "Fighting broke out in Balqasah on Thursday. "
        "Loyalists led by Shujaa al-Ali attacked the checkpoint in Balqasah. "
        "The governor Omar Khaled condemned the attack."
    )
    question = "Who led the loyalists in Balqasah?"
    extraction = reader.extract(question, fake_embedder.embed_query(question), [passage(text)])
    assert not extraction.abstained
    assert extraction.short_answers == ("Shujaa al-Ali",)
    assert extraction.quotes[0].sentence.text == "Loyalists led by Shujaa al-Ali attacked the checkpoint in Balqasah."
    assert compose(extraction) == ("Shujaa al-Ali [1]", "Shujaa al-Ali")


def test_disagreeing_outlets_are_both_quoted(fake_embedder):
    reader = engine(fake_embedder)
    text = (
        "The clashes killed four security personnel, the observatory reported. "
        "State news agency SANA said the clashes killed two security personnel."
    )
    question = "How many security personnel were killed in the clashes?"
    extraction = reader.extract(question, fake_embedder.embed_query(question), [passage(text)])
    text_out, short = compose(extraction)
    assert short == "4; 2"
    assert text_out.startswith("Sources differ: 4, according to the observatory [1]; 2, according to")


def test_two_outlets_naming_different_people_for_one_event_are_both_named(fake_embedder):
    reader = engine(fake_embedder)
    said = "The loyalists in Balqasah were led by a wanted man known as {}, the monitor said on Thursday."
    first = passage(said.format("Shujaa al-Ali"), article_id="a").model_copy(update={"source": "Wire A"})
    second = passage(said.format("Kamal Haddad"), article_id="b").model_copy(update={"source": "Wire B"})
    question = "Who led the loyalists in Balqasah?"
    text_out, short = compose(reader.extract(question, fake_embedder.embed_query(question), [first, second]))
    assert text_out == (
        "Sources differ: Shujaa al-Ali, according to Wire A, 2024-12-20 [1]; "
        "Kamal Haddad, according to Wire B, 2024-12-20 [2]."
    )
    assert short == "Shujaa al-Ali; Kamal Haddad"


def test_two_stories_naming_different_people_are_no_disagreement(fake_embedder):
    reader = engine(fake_embedder)
    led = passage("The loyalists in Balqasah were led by a wanted man known as Shujaa al-Ali.", article_id="a")
    other = passage("Rebels in Homs were led into the old market by Kamal Haddad after a long siege.", article_id="b")
    question = "Who led the loyalists in Balqasah?"
    text_out, short = compose(reader.extract(question, fake_embedder.embed_query(question), [led, other]))
    assert short == "Shujaa al-Ali" and not text_out.startswith("Sources differ")


def test_a_count_says_as_of_when_it_was_reported(fake_embedder):
    reader = engine(fake_embedder)
    question = "How many residents were evacuated from Balqasah?"
    text = "About 400 residents were evacuated from Balqasah by bus."
    extraction = reader.extract(question, fake_embedder.embed_query(question), [passage(text)])
    assert compose(extraction) == ("400 [1], as of 2024-12-20", "400")
    undated = passage(text).model_copy(update={"published": ""})
    assert compose(reader.extract(question, fake_embedder.embed_query(question), [undated]))[0] == "400 [1]"


def test_the_engine_abstains_when_the_passages_never_name_the_question_entities(fake_embedder):
    reader = engine(fake_embedder)
    question = "Who won the election in France?"
    extraction = reader.extract(question, fake_embedder.embed_query(question), [passage("Loyalists attacked.")])
    assert extraction.abstained and "France" in extraction.reason


def test_an_entity_is_named_by_most_of_its_words_and_a_stopword_acronym_by_its_letters(fake_embedder):
    reader = engine(fake_embedder)
    question = "Which team won the 2022 NHL Stanley Cup Finals?"
    final = passage("The Colorado Avalanche won the Stanley Cup Final, beating the Lightning in six games.")
    assert not reader.extract(question, fake_embedder.embed_query(question), [final]).abstained
    question = "Which US retailer cut its prices?"
    retailer = passage("Walmart, the biggest U.S. retailer, cut prices on clothing.")
    assert not reader.extract(question, fake_embedder.embed_query(question), [retailer]).abstained
    # Words of "US" inside other words do not name it.
    elsewhere = passage("Because of the heat, Walmart cut prices on clothing.")
    assert reader.extract(question, fake_embedder.embed_query(question), [elsewhere]).abstained


def test_what_happened_why_and_how_are_answered_with_a_sentence(fake_embedder):
    assert analyze("What happened in Balqasah on Thursday?", fake_embedder).statement
    assert analyze("Why did the talks fail?", fake_embedder).statement
    assert analyze("How did the loyalists escape?", fake_embedder).statement
    assert not analyze("How many security personnel were killed?", fake_embedder).statement
    assert not analyze("What village did the forces raid?", fake_embedder).statement
    text = "Clashes erupted in Balqasah on Thursday. Loyalists led by Shujaa al-Ali attacked a checkpoint."
    question = "What happened in Balqasah on Thursday?"
    extraction = engine(fake_embedder).extract(question, fake_embedder.embed_query(question), [passage(text)])
    assert compose(extraction) == ("Clashes erupted in Balqasah on Thursday. [1]", None)


def test_like_sentences_about_two_places_are_no_disagreement(fake_embedder):
    reader = engine(fake_embedder)
    said = "The council of {} elected {} as mayor on Tuesday, ending a month of deadlock."
    first = passage(said.format("Baniyas Central", "Lina Haddad"), article_id="a", title="Baniyas Central elects")
    second = passage(said.format("Arwad Central", "Rami Haddad"), article_id="b", title="Arwad Central elects")
    question = "Who was elected mayor of Baniyas Central?"
    extraction = reader.extract(question, fake_embedder.embed_query(question), [first, second])
    assert extraction.short_answers == ("Lina Haddad",)


def test_the_town_asked_about_is_read_not_another_of_a_like_name(fake_embedder):
    reader = engine(fake_embedder)
    said = "The council of {} elected {} as mayor on Tuesday, ending a month of deadlock."
    towns = [("Baniyas North", "Lina Nasser"), ("Baniyas South", "Lina Darwish"), ("Dreikish South", "Omar Darwish")]
    towns += [("Dreikish North", "Omar Nasser")]
    passages = [
        passage(said.format(town, mayor), article_id=f"a{n}", title=f"{town} elects")
        for n, (town, mayor) in enumerate(towns)
    ]
    for town, mayor in towns:
        question = f"Who was elected mayor of {town}?"
        extraction = reader.extract(question, fake_embedder.embed_query(question), passages)
        assert extraction.short_answers == (mayor,), town
