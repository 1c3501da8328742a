"""The extractive reader's parts on hand-made sentences, with the fake embedder: no model, milliseconds."""

from __future__ import annotations

import numpy as np
import pytest

from newsqa.settings import AnswerSettings, Settings
from newsqa.types import Passage, Query
from rag.extractive import ExtractiveEngine, Question, compose
from rag.policy import AnsweringPolicy
from rag.spans import candidates, clean_name, number_value


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
    ("question", "kind"),
    [
        ("Who led the loyalists in Balqasah?", "person"),
        ("And whom did police arrest?", "person"),
        ("How many security personnel were killed?", "number"),
        ("How much did the dam cost?", "number"),
        ("When did Assad flee the country?", "date"),
        ("What year did the war start?", "date"),
        ("Where is Balqasah?", "place"),
        ("Which country hosted the talks?", "place"),
        ("Which company bought the plant?", "person"),
        ("Fill in the blank: Security forces arrested _____ in Tartus.", "cloze"),
        ("Why did the talks fail?", "other"),
    ],
)
def test_question_kinds(question, kind):
    assert Question.parse(question).kind == kind


def test_question_parts():
    parsed = Question.parse("Who was arrested in the Tartus countryside?")
    assert parsed.passive and parsed.verb == "arrested" and parsed.entities == ["Tartus"]
    assert Question.parse("How many security personnel were killed?").unit == frozenset({"secur", "personnel"})


def test_spans_and_numbers():
    sentence = "On Dec. 8, four fighters led by Shujaa al-Ali were killed in Balqasah."
    assert [m.group() for m in candidates(sentence, "date")] == ["Dec. 8"]
    assert [m.group() for m in candidates(sentence, "number")] == ["8", "four"]
    assert "Shujaa al-Ali" in [clean_name(m.group()) for m in candidates(sentence, "person")]
    assert number_value("four") == "4" and number_value("1,200") == "1,200"
    # A vague count is kept as written, not turned into a made-up figure.
    assert number_value("dozens") == "dozens" and number_value("Thousands") == "Thousands"


def test_the_engine_takes_the_span_syntax_ties_to_the_question(fake_embedder):
    engine = ExtractiveEngine(fake_embedder, AnswerSettings())
    text = (
        "Fighting broke out in Balqasah on Thursday. "
        "Loyalists led by Shujaa al-Ali attacked the checkpoint in Balqasah. "
        "The governor Omar Khaled condemned the attack."
    )
    question = "Who led the loyalists in Balqasah?"
    extraction = engine.extract(question, fake_embedder.embed_query(question), [passage(text)])
    assert not extraction.abstained
    assert extraction.short_answers == ["Shujaa al-Ali"]
    assert extraction.quotes[0].sentence.text == "Loyalists led by Shujaa al-Ali attacked the checkpoint in Balqasah."
    assert compose(extraction) == ("Shujaa al-Ali [1]", "Shujaa al-Ali")


def test_disagreeing_outlets_are_both_quoted(fake_embedder):
    engine = ExtractiveEngine(fake_embedder, AnswerSettings())
    text = (
        "The clashes killed four security personnel, the observatory reported. "
        "State news agency SANA said the clashes killed two security personnel."
    )
    question = "How many security personnel were killed in the clashes?"
    extraction = engine.extract(question, fake_embedder.embed_query(question), [passage(text)])
    text_out, short = compose(extraction)
    assert short == "4; 2"
    assert text_out.startswith("Sources differ: 4, according to the observatory [1]; 2, according to")


def test_two_outlets_naming_different_people_for_one_event_are_both_named(fake_embedder):
    engine = ExtractiveEngine(fake_embedder, AnswerSettings())
    said = "The loyalists in Balqasah were led by a wanted man known as {}, the monitor said on Thursday."
    first = passage(said.format("Shujaa al-Ali"), article_id="a").model_copy(update={"source": "Wire A"})
    second = passage(said.format("Kamal Haddad"), article_id="b").model_copy(update={"source": "Wire B"})
    question = "Who led the loyalists in Balqasah?"
    text_out, short = compose(engine.extract(question, fake_embedder.embed_query(question), [first, second]))
    assert text_out == (
        "Sources differ: Shujaa al-Ali, according to Wire A, 2024-12-20 [1]; "
        "Kamal Haddad, according to Wire B, 2024-12-20 [2]."
    )
    assert short == "Shujaa al-Ali; Kamal Haddad"


def test_two_stories_naming_different_people_are_no_disagreement(fake_embedder):
    engine = ExtractiveEngine(fake_embedder, AnswerSettings())
    led = passage("The loyalists in Balqasah were led by a wanted man known as Shujaa al-Ali.", article_id="a")
    other = passage("Rebels in Homs were led into the old market by Kamal Haddad after a long siege.", article_id="b")
    question = "Who led the loyalists in Balqasah?"
    text_out, short = compose(engine.extract(question, fake_embedder.embed_query(question), [led, other]))
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
    engine = ExtractiveEngine(fake_embedder, AnswerSettings())
    question = "How many residents were evacuated from Balqasah?"
    text = "About 400 residents were evacuated from Balqasah by bus."
    extraction = engine.extract(question, fake_embedder.embed_query(question), [passage(text)])
    assert compose(extraction) == ("400 [1], as of 2024-12-20", "400")
    undated = passage(text).model_copy(update={"published": ""})
    assert compose(engine.extract(question, fake_embedder.embed_query(question), [undated]))[0] == "400 [1]"


def test_the_engine_abstains_when_the_passages_never_name_the_question_entities(fake_embedder):
    engine = ExtractiveEngine(fake_embedder, AnswerSettings())
    question = "Who won the election in France?"
    extraction = engine.extract(question, fake_embedder.embed_query(question), [passage("Loyalists attacked.")])
    assert extraction.abstained and "France" in extraction.reason


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
