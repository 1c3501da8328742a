"""The newsqa command as a user runs it: real processes, real index folders."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.helpers import newsqa_command

COMMANDS = ["ingest", "ask", "remove", "stats", "demo", "ui"]


def run(*args: str, data_dir=None, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")} | env
    if data_dir is not None:
        environment["NEWSQA_STORE__DATA_DIR"] = str(data_dir)
    return subprocess.run([*newsqa_command(), *args], capture_output=True, text=True, env=environment, timeout=300)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_works_on_every_command(command):
    result = run(*([command] if command else []), "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_demo_indexes_the_sample_and_answers(tmp_path):
    result = run("demo", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Q: Who led the loyalists in Balqasah?" in result.stdout
    assert "Shujaa al-Ali [1]" in result.stdout
    assert (
        "[1] “An unspecified number of Assad’s supporters, led by a wanted man known as Shujaa al-Ali" in result.stdout
    )


def test_ingest_then_ask_as_json(tmp_path, article_dir):
    assert run("ingest", str(article_dir), "--source", "wire", "-q", data_dir=tmp_path).returncode == 0
    result = run("ask", "When did Assad flee the country?", "--json", "--source", "wire", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["short_answer"] == "Dec. 8"
    assert payload["citations"][0]["source"] == "wire"
    stats = json.loads(run("stats", "--json", data_dir=tmp_path).stdout)
    assert stats["articles"] == 1 and stats["sources"] == {"wire": stats["chunks"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "the question is empty"),
        (["ask", "Who?", "--since", "2024-02-30"], "--since '2024-02-30' is not a date"),
        (["ask", "Who?", "--source", "bbc"], "unknown source 'bbc'"),
        (["ingest", "/no/such/folder"], "/no/such/folder: no such file or folder"),
        (["remove", "nothing-here"], "not in the index: nothing-here"),
    ],
)
def test_user_errors_are_one_line_without_traceback(tmp_path, article_dir, args, message):
    assert run("ingest", str(article_dir), "-q", data_dir=tmp_path).returncode == 0
    result = run(*args, data_dir=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("newsqa: error: ") and message in lines[-1]
    assert "Traceback" not in result.stderr


def test_asking_an_empty_folder_says_to_ingest_first(tmp_path):
    result = run("ask", "Who led the loyalists?", data_dir=tmp_path)
    assert result.returncode == 1
    assert "run `newsqa ingest PATH` first" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_setting_is_named(tmp_path):
    result = run("stats", data_dir=tmp_path, NEWSQA_RETRIEVAL__K="many")
    assert result.returncode == 1
    assert "setting retrieval.k" in result.stderr and "Traceback" not in result.stderr


def test_a_100kb_question_is_refused(tmp_path, article_dir):
    run("ingest", str(article_dir), "-q", data_dir=tmp_path)
    result = run("ask", "x" * 100_000, data_dir=tmp_path)
    assert result.returncode == 1 and "keep it under 2,000" in result.stderr


def test_ask_with_an_unconfigured_llm_notes_the_fallback(tmp_path, article_dir):
    run("ingest", str(article_dir), "-q", data_dir=tmp_path)
    result = run("ask", "Who led the loyalists in Balqasah?", "--engine", "llm", data_dir=tmp_path)
    assert result.returncode == 0
    assert "note: no LLM configured" in result.stderr and "Shujaa al-Ali [1]" in result.stdout
    bad = run("ask", "Who?", "--engine", "gpt", data_dir=tmp_path)
    assert bad.returncode == 1 and "setting engine" in bad.stderr
