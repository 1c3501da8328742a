"""The harness end to end on a small hand-made corpus: real index, real model, real files."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eval.generate import generate
from eval.harness import EvalConfig, aggregate, compare_runs, load_run, run_eval
from ui.cli import app

ARTICLES = [
    {
        "id": "dam",
        "title": "Dam bursts in northern valley",
        "source": "wire",
        "published": "2022-06-14",
        "text": "The Kessler dam burst on Monday, flooding three villages. Engineer Maria Lopez said the "
        "spillway had been blocked for weeks. About 400 residents were evacuated by boat.",
    },
    {
        "id": "chess",
        "title": "Teenager wins national chess title",
        "source": "wire",
        "published": "2022-06-15",
        "text": "Sixteen-year-old Arjun Mehta won the national chess championship in Pune on Sunday. "
        "He beat the defending champion in the final round after a six-hour game.",
    },
    {
        "id": "budget",
        "title": "City council passes budget",
        "source": "daily",
        "published": "2022-06-16",
        "text": "The city council approved a budget of 2 billion dollars on Tuesday. Mayor Ellen Park "
        "called it the largest investment in public transport in the city's history.",
    },
]
QUESTIONS = [
    {
        "id": "q1",
        "question": "Who won the national chess championship in Pune?",
        "answer": "Arjun Mehta",
        "choices": ["Arjun Mehta", "Maria Lopez", "Ellen Park"],
        "gold_doc_ids": ["chess"],
        "date": "2022-06-17",
    },
    {
        "id": "q2",
        "question": "Which engineer said the dam spillway had been blocked?",
        "answer": "Maria Lopez",
        "gold_doc_ids": ["dam"],
        "date": "2022-06-17",
    },
    {
        "id": "q3",
        "question": "How many residents were evacuated after the Kessler dam burst?",
        "answer": "400",
        "answers": ["400", "About 400"],
        "gold_doc_ids": ["dam"],
        "date": "2022-06-17",
    },
]


def _write(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return corpus, questions


def test_a_run_scores_every_question_and_writes_its_folder(settings, tmp_path):
    corpus, questions = _write(tmp_path)
    folder = run_eval(corpus, questions, settings, EvalConfig(k=3), out_root=tmp_path / "runs", progress=False)
    for name in ("results.json", "report.md", "hit_at_k.png", "latency.png"):
        assert (folder / name).stat().st_size > 0
    run = load_run(folder)
    records = {r["id"]: r for r in run["records"]}
    assert run["ingestion"]["fresh"] and run["ingestion"]["chunks"] == 3
    assert records["q1"]["hybrid_hit@1"] == 1.0 and records["q1"]["hybrid_ranking"][0] == "chess"
    assert records["q1"]["prediction"] == "Arjun Mehta" and records["q1"]["em"] == 1.0
    assert records["q1"]["mc_choice"] == "Arjun Mehta" and records["q1"]["mc_correct"] == 1.0
    assert records["q2"]["prediction"] == "Maria Lopez"
    assert records["q3"]["prediction"] == "400" and records["q3"]["f1"] == 1.0
    assert records["q3"]["citation_supported"] == [1.0]
    # With its gold article held out, no other article says who won the chess title.
    assert records["q1"]["abstained_without_gold"] is True
    summary = run["summary"]
    assert summary["em"]["mean"] == 1.0 and summary["upper_bound"]["mean"] == 1.0
    assert summary["citation_precision"]["mean"] == 1.0
    assert summary["hybrid_hit@5"]["low"] <= summary["hybrid_hit@5"]["mean"] <= summary["hybrid_hit@5"]["high"]
    report = (folder / "report.md").read_text()
    assert "lead-sentence baseline" in report
    # The paper's figures are for the realtimeqa-dev questions only, not for this hand-made set.
    assert "GPT-3 175B" not in report and run["paper_reference"] == {}
    assert not run["corpus"].startswith("/") and "corpus.jsonl" in report

    again = run_eval(
        corpus, questions, settings, EvalConfig(k=3, mode="bm25"), out_root=tmp_path / "runs", progress=False
    )
    assert not load_run(again)["ingestion"]["fresh"]
    table = compare_runs([folder, again])
    assert "| hybrid_hit@5 | 1.000 | 1.000 (+0.000) |" in table


def test_generated_questions_blank_a_span_of_their_gold_article(tmp_path):
    corpus, _ = _write(tmp_path)
    questions = generate(corpus, count=10, seed=3)
    assert 1 <= len(questions) <= 3
    texts = {a["id"]: a["text"] for a in ARTICLES}
    for q in questions:
        (gold,) = q["gold_doc_ids"]
        assert q["generated_from"] in texts[gold]
        assert q["question"].replace("Fill in the blank: ", "").replace("_____", q["answer"]) == q["generated_from"]
    assert generate(corpus, count=10, seed=3) == questions


def test_eval_cli_refuses_missing_files(tmp_path):
    args = ["eval", "run", "--corpus", str(tmp_path / "no.jsonl"), "--questions", str(tmp_path / "q")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "no.jsonl: no such file" in result.stderr


def test_questions_whose_gold_is_missing_are_warned_about():
    from eval.data import Question
    from eval.harness import gold_warnings

    questions = [
        Question(id="q1", question="?", answers=("a",), gold_doc_ids=frozenset({"dam"})),
        Question(id="q2", question="?", answers=("a",), gold_doc_ids=frozenset()),
        Question(id="q3", question="?", answers=("a",), gold_doc_ids=frozenset({"gone"})),
    ]
    assert gold_warnings(questions, {"dam", "chess"}) == [
        "1 questions name no gold article (gold_doc_ids); their hit@k is 0",
        "1 questions have gold articles missing from the corpus (q3); their hit@k is 0",
    ]
    assert gold_warnings(questions[:1], {"dam"}) == []


def test_generate_names_a_bad_corpus_line(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "a", "text": "fine"}\n{"title": "no id", "text": "t"}\n')
    result = CliRunner().invoke(app, ["eval", "generate", "--corpus", str(corpus), "--out", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 1 and f"{corpus}:2: an article needs an 'id'" in result.stderr
    corpus.write_text('{"id": "a", "text": "fine"}\n{broken\n')
    result = CliRunner().invoke(app, ["eval", "generate", "--corpus", str(corpus), "--out", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 1 and f"{corpus}:2: not valid JSON" in result.stderr
    result = CliRunner().invoke(app, ["eval", "generate", "--corpus", str(corpus), "--out", "q.jsonl", "--kind", "why"])
    assert result.exit_code == 2 and "'why' is not one of 'cloze', 'wh'" in result.stderr


def test_a_conflict_set_pairs_each_article_with_a_swapped_copy_from_another_outlet(tmp_path):
    from eval.generate import CONFLICT_SOURCE, WH_WORDS, generate_conflicts

    corpus, _ = _write(tmp_path)
    questions, articles = generate_conflicts(corpus, count=10, seed=3)
    assert questions and len(articles) == 2 * len(questions)
    by_id = {a["id"]: a for a in articles}
    for q in questions:
        original, copy = (by_id[i] for i in q["gold_doc_ids"])
        assert copy["id"] == original["id"] + "-conflict" and copy["source"] == CONFLICT_SOURCE
        assert q["answer"] in original["text"] and q["answer"] not in copy["text"]
        assert q["generated_swapped"] in copy["text"] and q["generated_swapped"] != q["answer"]
        assert q["generated_label"] in WH_WORDS, "an entity is swapped for another of its own label"
    assert generate_conflicts(corpus, count=10, seed=3) == (questions, articles)


@pytest.mark.parametrize(
    ("sentence", "question", "answer"),
    [
        ("Shujaa al-Ali led the loyalists in Balqasah.", "Who led the loyalists in Balqasah?", "Shujaa al-Ali"),
        (
            "Security forces arrested Mohammed Kingo al-Hassan in the Tartus countryside.",
            "Security forces arrested whom in the Tartus countryside?",
            "Mohammed Kingo al-Hassan",
        ),
        ("The offensive began on Dec. 8 near the capital.", "The offensive began when near the capital?", "Dec. 8"),
    ],
)
def test_wh_questions_ask_for_an_entity_with_its_question_word(sentence, question, answer):
    from eval.generate import wh_question
    from rag import nlp

    assert wh_question(nlp.parse([sentence])[0]) == (question, answer)


def test_conflict_scores_tell_both_sides_from_the_swapped_one_alone():
    from eval.harness import conflict_scores

    both = "Sources differ: 4, according to the observatory [1]; 2, according to SANA [2]."
    assert conflict_scores(both, ["4"], "2") == {"conflict_both": 1.0, "conflict_swapped_only": 0.0}
    assert conflict_scores("2 [1]", ["4"], "2") == {"conflict_both": 0.0, "conflict_swapped_only": 1.0}
    assert conflict_scores("4 [1]", ["4"], "2") == {"conflict_both": 0.0, "conflict_swapped_only": 0.0}


def test_abstention_figures_count_the_held_out_cases_and_what_the_passages_held():
    def record(abstained, upper_bound, abstained_without_gold, answer_without_gold):
        return {
            "em": 0.0,
            "abstained": abstained,
            "citation_supported": [],
            "has_supporting_citation": None,
            "upper_bound": upper_bound,
            "abstained_without_gold": abstained_without_gold,
            "answer_without_gold": answer_without_gold,
            "retrieval_ms": 1.0,
            "answer_ms": 1.0,
        }

    records = [
        record(False, 1.0, True, 0.0),  # answered, and abstained once its article was gone: right twice
        record(True, 0.0, True, 0.0),  # abstained in both cases, and nothing it read held the answer
        record(True, 1.0, False, 1.0),  # abstained on an answer it had, answered when another article held it
        record(False, 1.0, True, 1.0),  # abstained although another article still held the answer
    ]
    summary = aggregate(records)
    assert summary["abstention_recall"]["mean"] == 0.75
    assert summary["abstention_precision"]["mean"] == 3 / 5  # 3 held-out abstentions, 2 on the normal cases
    assert summary["abstention_recall_answer_absent"]["mean"] == 1.0
    # Of the five abstentions, three read passages without the answer: two held out, one normal.
    assert summary["abstentions_answer_absent"] == {"mean": 3 / 5, "n": 5}
