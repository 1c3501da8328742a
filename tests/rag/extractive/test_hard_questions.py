"""Questions the reader once got wrong in ways a reader of English would not, on articles written for them.

Each is read by the shipped model with the real embedding model, over passages of its own:
a role asked about with a short subject ("Who replaced X?"), "how much" asked in money
where a length stands nearer, "where" answered by the place a smaller one lies in, a
"who" whose answer is no name but a group ("security forces arrested X"), and candidates
that cannot answer whatever their score (a country for "which city", the reporting outlet,
the question's own noun, a name it gives under a short title).
"""

from __future__ import annotations

import dataclasses

import pytest

from index.embed import get_embedder
from newsqa.settings import AnswerSettings, Settings
from rag.extractive.engine import ExtractiveEngine
from rag.extractive.model import load_model
from tests.rag.extractive.parts import passage

pytestmark = pytest.mark.slow

COACH = (
    "Rovers sacked head coach Tomas Berg on Monday after a run of six defeats. "
    "The club appointed Anders Lund to replace Berg as head coach on Wednesday, chairman Piet Mol said. "
    "Lund, 48, led Vikings to the league title in 2019."
)
TRAM = (
    "The city council approved the tram extension on Tuesday. "
    "The 6.4-kilometre line will add nine stops between the station and the harbour. "
    "The extension will cost 412 million euros, mayor Ana Ruiz said, and open in 2029."
)
ARREST = (
    "Police in Varno said on Friday that three men had been detained after the protest. "
    "Earlier Thursday, security forces arrested General Ivo Marek in the hills outside Varno. "
    "Marek led the army's northern command until 2021, President Dana Roth said."
)
BALQASAH = (
    "Clashes broke out on Thursday in Balqasah, a village west of Homs in central Syria. "
    "Syria's state news agency SANA confirmed the clashes in Balqasah."
)


@pytest.fixture(scope="module")
def reader() -> ExtractiveEngine:
    embedder = get_embedder(Settings().index)
    return ExtractiveEngine(embedder, AnswerSettings(), dataclasses.replace(load_model(None), threshold=0.0))


def _short(reader: ExtractiveEngine, question: str, text: str, title: str) -> str:
    extraction = reader.extract(question, reader.embedder.embed_query(question), [passage(text, title=title)])
    return "; ".join(extraction.short_answers)


# Still wrong, and kept so that the fix shows (strict: a pass fails the suite until the mark goes):
# "new" is no word the reader weighs, so the coach sacked in the first sentence is taken.
_NEW_COACH = pytest.param(
    "Who is the new Rovers coach?", marks=pytest.mark.xfail(strict=True, reason="'new' is not read: the sacked coach")
)


@pytest.mark.parametrize(
    "question", ["Who replaced Tomas Berg?", "Who replaced Tomas Berg as head coach of Rovers?", _NEW_COACH]
)
def test_a_role_asked_with_a_short_subject_is_answered_with_the_person_not_the_club(reader, question):
    assert _short(reader, question, COACH, "Rovers change coach") == "Anders Lund"


def test_how_much_in_money_is_answered_with_the_sum_not_the_length_beside_it(reader):
    answer = _short(reader, "How much will the tram extension cost?", TRAM, "Tram extension approved")
    assert answer.startswith("412 million")


# The model alone answered "Balqasah" (the headline's place outweighed SANA filling the role of
# "confirmed"); the sentence saying "confirmed the clashes" after SANA now answers it.
@pytest.mark.parametrize(
    ("question", "expected"), [("Where is Balqasah?", "Homs"), ("Who confirmed the clashes?", "SANA")]
)
def test_where_is_answered_with_the_place_nearest_the_one_asked_about(reader, question, expected):
    assert expected in _short(reader, question, BALQASAH, "Clashes in Balqasah")


# Wrong with both the shipped model and the one learned from realtimeqa-train (found on the sample's
# "Who arrested Major-General Mohammed Kingo al-Hassan?"): "security forces" is a noun phrase, typed as
# a thing, so a place of the same sentence outranked the agent of "arrested". The sentence going on with
# the question's own words after it answers it now, title or not.
@pytest.mark.parametrize("question", ["Who arrested General Ivo Marek?", "Who arrested Ivo Marek?"])
def test_who_did_it_is_answered_with_the_group_that_did_it_when_no_person_did(reader, question):
    assert _short(reader, question, ARREST, "General arrested near Varno") == "security forces"


# Found on the sample with the model learned from realtimeqa-train: the follow-up "Who arrested Mohammed
# Kingo al-Hassan?" left out "Major-General", three tokens to the parse, one more than a title may be.
def test_a_hyphenated_title_the_question_leaves_out_still_lets_the_sentence_echo_it(reader):
    article = ARREST.replace("General Ivo Marek", "Major-General Ivo Marek")
    assert _short(reader, "Who arrested Ivo Marek?", article, "General arrested near Varno") == "security forces"


FESTIVAL = (
    "Clearwater Executive Director Greg Williams told the Journal the group is preparing for a smaller event. "
    "Williams said Clearwater was hoping to cover its costs at the autumn fair. "
    "Attendance fell to 4,500 people in 2019, the organisers said."
)


# Found on questions generated from realtimeqa-train articles: "said" is too common a verb to read a role
# from, so no echo was looked for; and "Clearwater", the group, folded into the person's titled name, which
# the question's own "Clearwater" then struck from the answers, "Williams" with it.
def test_who_said_what_a_sentence_says_is_its_speaker_though_the_question_names_the_speakers_employer(reader):
    question = "Who said Clearwater was hoping to cover its costs at the autumn fair?"
    assert "Williams" in _short(reader, question, FESTIVAL, "Clearwater scales back its festival")


def _echoing(reader: ExtractiveEngine, question: str) -> set[str]:
    reading = reader.read(question, [passage(ARREST, title="Arrests in Varno")])
    return {c.text for c in reading.candidates if any(m.echo for m in c.mentions)}


def test_a_sentence_echoes_the_question_only_after_the_subject_of_the_echoed_verb(reader):
    assert _echoing(reader, "Who arrested Ivo Marek in the hills outside Varno?") == {"security forces"}
    assert _echoing(reader, "Who led the army's northern command until 2021?") == {"Marek"}
    # "Varno" stands right before "said", but the one who said is "Police in Varno"; "said" is too
    # common a verb to tell a role by, yet its echo tells the sentence.
    assert _echoing(reader, "Who said on Friday that three men had been detained after the protest?") == {"Police"}
    assert _echoing(reader, "Who arrested three men after the protest?") == set()


# Found on realtimeqa-train's validation weeks: "U.S." was the answer to a question saying "US", since
# "us" is a stopword and the two spellings shared no term.
def test_a_name_the_question_gives_in_another_spelling_is_not_its_answer(reader):
    article = "Some of the kindest residents in the U.S. live in Delaware's largest city, Wilmington, a survey found."
    question = "Which Delaware city has some of the kindest residents in the US?"
    assert _short(reader, question, article, "Kindest cities") == "Wilmington"


# Each of these answered the first, wrong, candidate before the reader ruled such candidates out.
@pytest.mark.parametrize(
    ("question", "article", "expected"),
    [
        # A country for "which city" ("France" for the Games' host).
        (
            "Which city will host the 2031 Winter Games?",
            "France will host the 2031 Winter Games, organisers said on Monday. "
            "The Games will be centred in Annecy, with skiing in the Alps.",
            "Annecy",
        ),
        # The country for "which state" ("America" for the state with most fires).
        (
            "Which state has the most wildfires this year?",
            "In America wildfires have burned 2 million acres this year. Oregon has had the most, officials said.",
            "Oregon",
        ),
        # The question's own noun with an adjective ("highly contagious virus" for "which virus").
        (
            "Which virus did the minister test positive for?",
            "The minister tested positive on Tuesday for measles, a highly contagious virus, his office said.",
            "measles",
        ),
        # A place the question names by its adjective: the article, which says "Africa" and not
        # "African", was not read at all, as if it named another thing than the question.
        (
            "Which African country unearthed the diamond?",
            "A 2,492-carat diamond, the largest found in Africa in a century, was unearthed in Botswana, "
            "the miner said.",
            "Botswana",
        ),
    ],
)
def test_a_candidate_of_another_kind_than_asked_is_not_the_answer(reader, question, article, expected):
    assert _short(reader, question, article, "News") == expected


def test_the_outlet_reporting_a_story_is_no_candidate_unless_an_outlet_is_asked_for(reader):
    told = passage("The government sent Mara Venn to Cairo, sources told CNN.").model_copy(update={"source": "cnn.com"})

    def candidates(question: str) -> set[str]:
        return {c.text for c in reader.reader.read(question, [told]).candidates}

    assert "CNN" not in candidates("Whom did the government send to Cairo?")
    assert "CNN" in candidates("Which network did the sources tell about Cairo?")


def test_a_person_the_question_names_is_no_candidate_under_a_title_written_short(reader):
    said = passage("Gov. John Carney said on Monday the state's delegates would back Vice President Kamala Harris.")
    question = "Who did the state's delegates, including Governor John Carney, support for the nomination?"
    named = {c.text for c in reader.reader.read(question, [said]).candidates}
    assert "Vice President Kamala Harris" in named
    assert not {"Gov. John Carney", "John Carney"} & named


def test_a_hyphenated_title_ending_in_lower_case_stays_with_the_name(reader):
    article = "Biden met President-elect Donald Trump at the White House on Wednesday."
    assert _short(reader, "Who did Biden meet at the White House this week?", article, "Biden meets Trump") == (
        "President-elect Donald Trump"
    )


def test_a_nationality_is_no_answer_to_which_country_though_spacy_labels_it_a_place(reader):
    article = "Biden arrived on Monday, the first visit by a sitting US president to the Angolan capital."
    reading = reader.reader.read("Which African country did Biden visit?", [passage(article)])
    assert "Angolan" not in {c.text for c in reading.candidates}
