"""The features of mentions in hand-made sentences."""

from __future__ import annotations

from datetime import UTC, datetime

from rag.extractive.features import FEATURES, SentenceEvidence, describe
from rag.nlp.sentences import split_sentences
from tests.rag.extractive.parts import analyze, passage


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
    candidates, _ = describe(analysis, sentences, evidence, fake_embedder)
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
    candidates, _ = describe(analysis, sentences, evidence, fake_embedder)
    counts = {c.text: c.mentions[0].features["counts"] for c in candidates if c.answer_type == "number"}
    assert counts == {"2": 1.0, "10": 0.0}


def test_a_choice_is_read_as_a_candidate_even_when_only_partly_named(fake_embedder):
    analysis = analyze("What did the senators agree to?", fake_embedder)
    sentences = split_sentences(passage("The senators agreed on an assault weapons ban for young buyers."))
    evidence = SentenceEvidence(lexical=[0.5], ranks={}, top_score=0.03)
    choices = ("Ban on military-style assault weapons", "Universal background checks")
    _, read_choices = describe(analysis, sentences, evidence, fake_embedder, choices=choices)
    named, absent = read_choices
    assert named.mentions and named.mentions[0].coverage == 0.75
    assert not absent.mentions


def test_a_figure_in_the_unit_asked_for_is_told_from_one_in_another(fake_embedder):
    analysis = analyze("How much will the tram extension cost?", fake_embedder)
    assert analysis.measure == "money"
    sentences = split_sentences(
        passage("The 6.4-kilometre extension will add five stops. It will cost 412 million euros, the city said.")
    )
    evidence = SentenceEvidence(lexical=[0.5, 0.5], ranks={}, top_score=0.03)
    candidates, _ = describe(analysis, sentences, evidence, fake_embedder)
    measure = {c.text: c.mentions[0].features["measure"] for c in candidates if c.answer_type == "number"}
    assert measure["412 million"] == 1.0
    assert measure["6.4-kilometre"] == -1.0
    assert analyze("How many stops will it add?", fake_embedder).measure is None


def test_the_noun_a_which_question_asks_about_ties_the_name_it_stands_beside(fake_embedder):
    analysis = analyze("Which automaker recalled two million cars?", fake_embedder)
    sentences = split_sentences(
        passage("The automaker Toyota recalled two million cars on Monday, Reuters reported from Detroit.")
    )
    evidence = SentenceEvidence(lexical=[0.5], ranks={}, top_score=0.03)
    candidates, _ = describe(analysis, sentences, evidence, fake_embedder)
    head_tie = {c.text: c.mentions[0].features["head_tie"] for c in candidates}
    assert head_tie["Toyota"] > head_tie["Reuters"] > 0.0
    assert head_tie["Toyota"] == 0.5, "one edge: 'automaker' is Toyota's compound"


def test_recency_counts_from_the_newest_pooled_report_not_from_the_day_asked(fake_embedder):
    analysis = analyze("Who led the loyalists?", fake_embedder)
    newer = passage("Shujaa al-Ali led the loyalists.", "n").model_copy(update={"published": "2024-12-20"})
    older = passage("Kingo al-Hassan led the loyalists.", "o").model_copy(update={"published": "2024-12-13"})
    evidence = SentenceEvidence(lexical=[0.5, 0.5], ranks={}, top_score=0.03)

    def recency(passages, as_of=None) -> dict[str, float]:
        sentences = [s for p in passages for s in split_sentences(p)]
        candidates, _ = describe(analysis, sentences, evidence, fake_embedder, as_of=as_of)
        return {c.text: round(c.mentions[0].features["recency"], 3) for c in candidates if c.answer_type == "person"}

    asked_years_later = datetime(2026, 12, 1, tzinfo=UTC)
    assert recency([newer, older], asked_years_later) == {"Shujaa al-Ali": 1.0, "Kingo al-Hassan": 0.368}
    assert recency([newer, older], datetime(2024, 12, 13, 23, 59, tzinfo=UTC)) == {
        "Shujaa al-Ali": 0.368,
        "Kingo al-Hassan": 1.0,
    }, "asked about an earlier day, the news of that day is the recent one"
    undated = [p.model_copy(update={"published": ""}) for p in (newer, older)]
    assert set(recency(undated, asked_years_later).values()) == {1.0}, "an undated article is not held old"
