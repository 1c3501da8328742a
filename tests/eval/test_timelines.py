"""The timeline evaluation: its judging rules alone, and a run over a story of our own on the real index."""

from __future__ import annotations

import json
import sys

from eval.timelines import main, names_the_topic, question_topic, topic_names
from index import ingest
from newsqa.settings import Settings
from tests.helpers import story_jsonl


def test_a_sentence_names_the_topic_whole_or_by_a_long_last_word():
    names = ["Joe Biden", "Sri Lanka"]
    assert names_the_topic("Joe Biden spoke on Monday.", names)
    assert names_the_topic("Mr. Biden's plan was delayed.", names)  # the surname alone
    assert names_the_topic("Protests spread across SRI LANKA.", names)
    assert not names_the_topic("Protests spread across the island nation.", names)
    assert not names_the_topic("Lankan officials met on Friday.", ["Sri Lanka"])  # another word
    assert not names_the_topic("Bidenomics is a word.", ["Joe Biden"])  # whole words only
    assert not names_the_topic("The president spoke.", [])
    assert names_the_topic("Births in the U.S. fell again.", ["US"]) and names_the_topic("US births fell.", ["US"])
    assert names_the_topic("Births in the United States fell.", ["US"])
    assert not names_the_topic("Let us count the births.", ["US"]), "the pronoun is no country"
    assert names_the_topic("UK talks resume.", ["U.K."]) and not names_the_topic("Let us see.", ["U.K."])


def test_a_questions_names_make_its_topic():
    assert topic_names("How many firefighters were hurt in the Port Anselm fire on Harbor Street?") == [
        "Port Anselm",
        "Harbor Street",
    ]
    assert topic_names("Which wildly popular show was green lit for a new season?") == []
    assert topic_names("Who joins President-elect Donald Trump’s cabinet?") == ["Donald Trump"], "not Trump’s"


def test_a_question_gives_its_story_in_its_own_words_without_question_word_or_time():
    assert question_topic("Who led the loyalists in Balqasah this week?") == "led loyalists Balqasah"
    assert question_topic("Which US state has the most wildfires?") == "US state wildfires"
    assert question_topic("How many firefighters were hurt in the Port Anselm fire on Monday?") == (
        "firefighters hurt Port Anselm fire"
    )
    # A hyphenated word stays whole, as articles write it; a first word is capitalised only as a name.
    assert question_topic("Which drink did Coca-Cola recall after thousands were mislabeled?") == (
        "drink Coca-Cola recall thousands mislabeled"
    )
    assert question_topic("Thousands of delegates flocked to which city?") == "thousands delegates flocked city"
    assert question_topic("Balqasah saw fighting between which groups?").startswith("Balqasah")


def test_the_evaluation_of_a_story_counts_its_lines_order_copies_and_gold_sentence(tmp_path, monkeypatch):
    corpus = tmp_path / "story.jsonl"
    corpus.write_text(story_jsonl())
    settings = Settings().with_data_dir(tmp_path / "index")
    ingest([corpus], settings, progress=False)
    question = {
        "id": "q1",
        "question": "How many firefighters were hurt in the Port Anselm fire on Harbor Street?",
        "answers": ["Four"],
        "gold_doc_ids": ["fire-2"],
        "date": "2025-03-12",
    }
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps(question) + "\n" + json.dumps({**question, "id": "q2", "question": "Who won?"}))
    records = tmp_path / "records.jsonl"
    argv = ["eval.timelines", "--corpus", str(corpus), "--questions", str(questions), "--data-dir"]
    argv += [str(settings.store.data_dir), "--out", str(tmp_path / "out"), "--records", str(records)]
    monkeypatch.setattr(sys, "argv", argv)
    main()
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["questions"] == 2 and metrics["topics"] == 1  # "Who won?" names nothing
    assert metrics["lines"] == 3 and metrics["chronological"] == 1.0 and metrics["near_copies_twice"] == 0
    assert metrics["gold_evaluable_topics"] == 1 and metrics["gold_sentence_in_top"] == 1.0
    by_form = {record["form"]: record for record in map(json.loads, records.read_text().splitlines())}
    assert sorted(by_form) == ["names", "question"]
    assert by_form["names"]["topic"] == "Port Anselm Harbor Street"
    # The fire station's article names Port Anselm, Harbor Street and the fire: half the story's weight.
    assert [line["day"] for line in by_form["question"]["lines"]] == ["2025-03-03", "2025-03-05", "2025-03-10"]
    assert [line["day"] for line in by_form["names"]["lines"]] == ["2025-03-03", "2025-03-05", "2025-03-10"]
    assert by_form["question"]["gold_quoted"] is True and by_form["names"]["gold_quoted"] is True
    question_lines = by_form["question"]["lines"]
    assert metrics["on_topic"] == sum(line["named"] for line in question_lines) / len(question_lines)
    assert metrics["names_only"]["gold_sentence_in_top"] == 1.0 and metrics["names_only"]["lines"] == 3
