"""The reader's parts on hand-made sentences: spaCy's small pipeline and the fake embedder, milliseconds each."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from newsqa.settings import AnswerSettings, Settings
from newsqa.types import Passage, Query
from rag.extractive import ExtractiveEngine, compose
from rag.policy import AnsweringPolicy
from rag.reader import FEATURES, Mention, SentenceEvidence, _merge, analyze, answer_key, load_model, read
from rag.sentences import split_sentences
from rag.spans import number_value


def engine(embedder) -> ExtractiveEngine:
    """The engine with the shipped reader model, answering whatever its best candidate scores.

    The model's abstention threshold is calibrated on the real embedder's similarities; with
    the fake one these tests check which answer is chosen and how it is told, not whether it
    clears the threshold (the end-to-end tests over the sample do that).
    """
    return ExtractiveEngine(embedder, AnswerSettings(), dataclasses.replace(load_model(None), threshold=0.0))


def passage(text: str, article_id: str = "a", title: str = "Clashes in Balqasah", start: int = 0) -> Passage:
    return Passage(
        id=f"{article_id}::h::0",
        article_id=article_id,
        title=title,
        source="wire",
        url="",
        published="2024-12-20",
        text=text,
        start=start,
        end=start + len(text),
        score=0.03,
    )


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


def test_number_words_become_digits_but_vague_counts_stay_as_written():
    assert number_value("four") == "4" and number_value("1,200") == "1,200"
    # A vague count is kept as written, not turned into a made-up figure.
    assert number_value("dozens") == "dozens" and number_value("Thousands") == "Thousands"


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
    ]
    merged = {c.text: sorted(m.sentence for m in c.mentions) for c in _merge(mentions)}
    assert merged == {
        "Facebook Inc.": [0, 1],
        "World Health Organization": [2, 3],
        "4": [4],
        "Joe Biden": [5, 6],
        "Jordan": [7],  # a short name of another kind of thing stays apart
        "Michael Jordan": [8],
    }
    assert answer_key("The Facebook Inc.") == answer_key("Facebook") == "facebook"
    assert answer_key("Finland and Sweden") == answer_key("Sweden and Finland")
    assert answer_key("four") == "4"


def test_features_of_a_mention_describe_its_sentence_and_its_ties_to_the_question(fake_embedder):
    question = "Who led the loyalists in Balqasah?"
    sentences = split_sentences(
        passage(
            "Loyalists of Bashar Assad fought in Balqasah. "
            "The loyalists, led by a wanted man known as Shujaa al-Ali, were also killed."
        )
    )
    analysis = analyze(question, fake_embedder)
    evidence = SentenceEvidence(lexical=[0.6, 0.5], ranks={"a::h::0": 0}, top_score=0.03)
    candidates, _ = read(analysis, sentences, evidence, fake_embedder)
    by_text = {c.text: c for c in candidates}
    ali = by_text["Shujaa al-Ali"].mentions[0].features
    assad = by_text["Bashar Assad"].mentions[0].features
    assert set(ali) == set(FEATURES)
    assert ali["role"] == 1.0 and assad["role"] == 0.0, "the parse says who led"
    assert ali["verb_tie"] > assad["verb_tie"]
    assert ali["type"] == assad["type"] == 0.9 and ali["entity"] == 1.0
    assert (ali["lexical"], ali["lexical_share"], assad["lexical_share"]) == (0.5, 0.5 / 0.6, 1.0)
    assert ali["rank"] == 1.0 and ali["in_question"] == 0.0


def test_a_number_followed_by_what_is_counted_counts_it(fake_embedder):
    analysis = analyze("How many security personnel were killed?", fake_embedder)
    sentences = split_sentences(passage("SANA said the clashes left two security personnel dead and 10 others hurt."))
    evidence = SentenceEvidence(lexical=[0.5], ranks={}, top_score=0.03)
    candidates, _ = read(analysis, sentences, evidence, fake_embedder)
    counts = {c.text: c.mentions[0].features["counts"] for c in candidates if c.answer_type == "number"}
    assert counts == {"2": 1.0, "10": 0.0}


def test_a_choice_is_read_as_a_candidate_even_when_only_partly_named(fake_embedder):
    analysis = analyze("What did the senators agree to?", fake_embedder)
    sentences = split_sentences(passage("The senators agreed on an assault weapons ban for young buyers."))
    evidence = SentenceEvidence(lexical=[0.5], ranks={}, top_score=0.03)
    choices = ("Ban on military-style assault weapons", "Universal background checks")
    _, read_choices = read(analysis, sentences, evidence, fake_embedder, choices=choices)
    named, absent = read_choices
    assert named.mentions and named.mentions[0].coverage == 0.75
    assert not absent.mentions


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
    assert extraction.short_answers == ["Shujaa al-Ali"]
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


def test_a_copy_with_a_changed_passage_is_kept_beside_the_original():
    from rag.retrieve import _a_variant

    chunk = (
        "Clashes broke out on Thursday in the village of Balqasah, west of Homs, where remnants of the old regime "
        "had taken refuge, the monitor said. The loyalists were led by a wanted man known as Shujaa al-Ali, and "
        "four security personnel were killed before the army took the hills around the village on Friday."
    )
    original = chunk.split()
    changed = chunk.replace("Shujaa al-Ali,", "Kamal Haddad,").split()
    signed = (chunk + " Reporting by the Herald desk.").split()
    other_part = "Security forces arrested a general in the Tartus countryside on Thursday".split()
    assert _a_variant(changed, [original])
    assert not _a_variant(original, [original]), "an identical copy is folded"
    assert not _a_variant(signed, [original]), "a copy that only adds a sign-off is folded"
    assert not _a_variant(other_part, [original]), "another part of the same story is folded"


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


@pytest.mark.parametrize(
    ("question", "text", "whole"),
    [
        # spaCy's small model labels only "Denver" (a place): the team's whole name is a candidate too.
        ("Which team was sold?", "NFL owners approved the sale of the Denver Broncos on Tuesday.", "Denver Broncos"),
        ("Which two countries were invited?", "NATO invited Sweden and Finland to join.", "Sweden and Finland"),
        # "US" is a name here, not the stopword "us"; nor is it the noun asked about, to strip as "Engineer" is.
        ("Which US tournament did she play in?", "Serena Williams played in the US Open on Monday.", "US Open"),
    ],
)
def test_whole_names_are_candidates_where_the_small_model_labels_part_or_each(question, text, whole, fake_embedder):
    analysis = analyze(question, fake_embedder)
    sentences = split_sentences(passage(text))
    candidates, _ = read(analysis, sentences, SentenceEvidence([0.5], {}, 0.03), fake_embedder)
    assert whole in {c.text for c in candidates}


def test_a_short_name_folds_into_the_whole_name_and_two_names_side_by_side_stay_two(fake_embedder):
    analysis = analyze("Which team was sold?", fake_embedder)
    # Sentences of the realtimeqa article: the small model labels "Denver" a place, then "Broncos" a product.
    text = (
        "NFL owners unanimously approved the sale of the Denver Broncos Tuesday from the Pat Bowlen Trust. "
        "NFL commissioner Roger Goodell said all 32 teams voted to approve the sale that the Broncos announced. "
        "KYIV, Ukraine CNN — Russian forces attacked."
    )
    candidates, _ = read(
        analysis, split_sentences(passage(text)), SentenceEvidence([0.5, 0.4, 0.1], {}, 0.03), fake_embedder
    )
    by_text = {c.text: c for c in candidates}
    assert len(by_text["Denver Broncos"].mentions) == 3 and "Broncos" not in by_text
    assert "Ukraine CNN" not in by_text and {"Ukraine", "CNN"} <= set(by_text)


def test_the_policy_falls_back_to_extractive_with_a_notice_when_no_llm_is_configured(fake_embedder):
    settings = Settings(engine="llm")
    policy = AnsweringPolicy(fake_embedder, settings)
    query_text, notice = policy.standalone("Who led the loyalists in Balqasah?", [])
    assert notice and notice.startswith("no LLM configured")
    text = "Loyalists led by Shujaa al-Ali attacked the checkpoint in Balqasah."
    query = Query(text=query_text, vector=fake_embedder.embed_query(query_text))
    pieces = list(policy.stream("Who led the loyalists in Balqasah?", query, [passage(text)], notice))
    final = pieces[-1]
    assert final.engine == "extractive" and final.notice == notice
    assert "".join(pieces[:-1]) == final.text == "Shujaa al-Ali [1]"
    assert final.citations[0].quote == text and final.citations[0].start == 0


def test_the_policy_abstains_on_no_passages(fake_embedder):
    policy = AnsweringPolicy(fake_embedder, Settings())
    result = policy.answer("Who?", Query(text="Who?", vector=np.zeros(256, dtype=np.float32)), [])
    assert result.abstained and result.text == "The indexed articles do not say. (no passages were retrieved)"


def test_a_missing_spacy_model_is_one_clear_error(monkeypatch):
    from newsqa.errors import ModelMissingError
    from rag import nlp

    monkeypatch.setattr(nlp, "PIPELINE_PACKAGE", "en_core_web_sm_not_installed")
    nlp._pipeline.cache_clear()
    try:
        with pytest.raises(ModelMissingError, match=r"reinstall newsqa with `pip install -e \.`"):
            nlp.parse(["Who led the loyalists?"])
    finally:
        nlp._pipeline.cache_clear()


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
