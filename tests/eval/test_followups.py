"""The follow-up benchmark: its judging rule, and conversations generated from a hand-made article."""

from __future__ import annotations

import json

from eval.followups import asks_the_same, generate
from rag.conversation import standalone_question

ARTICLE = (
    "Fighting in Balqasah\n\n"
    "Shujaa al-Ali led the loyalists in Balqasah on Thursday, residents said. "
    "Shujaa al-Ali said 40 fighters had fled from the village of Balqasah by the evening. "
    "The clashes in Balqasah left four security personnel dead, according to SANA. "
    "Shujaa al-Ali met officials from Homs in Damascus on Friday to discuss a truce. "
    "Government forces shelled the hills near Homs while the talks went on in Damascus."
)


def test_a_rewrite_asks_the_same_with_the_same_question_word_every_term_and_few_more():
    standalone = "Who led the loyalists in Balqasah?"
    assert asks_the_same("Who led the loyalists in Balqasah?", standalone)
    assert asks_the_same("Who led all the loyalists in Balqasah?", standalone)  # one term more
    assert not asks_the_same("Where led the loyalists in Balqasah?", standalone)  # another question word
    assert not asks_the_same("Who led the loyalists?", standalone)  # a term missing
    assert not asks_the_same("Who led the loyalists in Balqasah and Homs after the truce?", standalone)
    # The opening answer as newsqa gave it may stand where the standalone question has the sentence's name.
    when = "When did al-Ali lead the loyalists in Balqasah?"
    fuller = "When did commander Shujaa al-Ali lead the loyalists in Balqasah?"
    assert not asks_the_same(fuller, when)
    assert asks_the_same(fuller, when, "commander Shujaa al-Ali")
    assert not asks_the_same("When did Bashar Assad lead the loyalists in Balqasah?", when, "Bashar Assad")


def test_conversations_open_with_a_who_question_and_follow_up_with_their_standalone_question(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "fight", "published": "2025-03-06", "text": ARTICLE}) + "\n")
    kinds = set()
    for seed in range(12):
        (conversation,) = generate(corpus, 1, seed=seed)
        first, *follow_ups = conversation["turns"]
        assert first["question"].startswith("Who ") and first["answer"] == "Shujaa al-Ali"
        assert follow_ups and all(t["standalone"] != t["question"] for t in follow_ups)
        for turn in follow_ups:
            kinds.add(turn["kind"])
            if turn["kind"] == "pronoun":
                assert turn["question"].startswith("He ") and turn["standalone"].startswith("Shujaa al-Ali ")
            # What newsqa makes of each generated follow-up, on the generated gold answer.
            rewrite = standalone_question(turn["question"], [(first["question"], first["answer"] + " [1]")])
            if turn is follow_ups[0]:
                assert asks_the_same(rewrite, turn["standalone"]), (turn, rewrite)
    assert {"pronoun", "when"} <= kinds
