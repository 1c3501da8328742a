"""The newsqa command as a user runs it, in-process through Typer's runner: real index folders, real model."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from ui.cli import app

COMMANDS = ["ingest", "watch", "ask", "timeline", "remove", "stats", "demo", "ui", "eval"]


def run(*args: str, data_dir=None, **env: str):
    environment = dict(env)
    if data_dir is not None:
        environment["NEWSQA_STORE__DATA_DIR"] = str(data_dir)
    return CliRunner().invoke(app, list(args), env=environment)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_works_on_every_command(command):
    result = run(*([command] if command else []), "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout


def test_demo_indexes_the_sample_and_answers(tmp_path):
    result = run("demo", data_dir=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "Q: Who led the loyalists in Balqasah?" in result.stdout
    assert "Shujaa al-Ali [1]" in result.stdout
    assert (
        "[1] “An unspecified number of Assad’s supporters, led by a wanted man known as Shujaa al-Ali" in result.stdout
    )


def test_demo_after_an_earlier_install_indexed_the_sample_from_elsewhere(tmp_path, article_dir):
    assert run("ingest", str(article_dir), "--source", "sample", "-q", data_dir=tmp_path).exit_code == 0
    result = run("demo", data_dir=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "failed" not in result.stderr and "Shujaa al-Ali [1]" in result.stdout


def test_ingest_then_ask_as_json(tmp_path, article_dir):
    assert run("ingest", str(article_dir), "--source", "wire", "-q", data_dir=tmp_path).exit_code == 0
    result = run("ask", "When did Assad flee the country?", "--json", "--source", "wire", data_dir=tmp_path)
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["short_answer"] == "Dec. 8"
    assert payload["citations"][0]["source"] == "wire"
    stats = json.loads(run("stats", "--json", data_dir=tmp_path).stdout)
    assert stats["articles"] == 1 and stats["sources"] == {"wire": stats["chunks"]}


def test_timeline_lists_the_story_with_its_sentences_and_refuses_bad_dates_in_one_line(tmp_path, article_dir):
    assert run("ingest", str(article_dir), "-q", data_dir=tmp_path).exit_code == 0
    result = run("timeline", "Balqasah fighting", data_dir=tmp_path)
    assert result.exit_code == 0, result.stderr
    heading, line = result.stdout.splitlines()[:2]
    assert heading == "Undated"  # the sample article names no date
    # The article's opening (after its photo's caption), then the two sentences the model picks,
    # one of which names Balqasah, the line's own last, numbered first.
    assert line.startswith("  Intense clashes erupted Thursday between Syria's transitional government forces")
    assert "[2] … The violence began when security forces raided the village of Balqasah" in line
    assert "[3] … An unspecified number of Assad’s supporters, led by a wanted man known as Shujaa al-Ali" in line
    assert "\n[1] “An unspecified number of Assad’s supporters" in result.stdout
    assert "\n[3] “The violence began when security forces raided the village of Balqasah" in result.stdout
    story = json.loads(run("timeline", "Balqasah fighting", "--json", data_dir=tmp_path).stdout)
    assert [e["citation"]["article_id"] for e in story["entries"]] == ["syria-balqasah-clashes"]
    for args, message in [
        (["timeline", " "], "the topic is empty"),
        (["timeline", "Balqasah", "--since", "2024-02-30"], "--since '2024-02-30' is not a date"),
        (["timeline", "Balqasah", "--source", "nowhere"], "unknown source 'nowhere'"),
    ]:
        failed = run(*args, data_dir=tmp_path)
        assert failed.exit_code == 1 and failed.stderr.startswith(f"newsqa: error: {message}"), failed.stderr
        assert len(failed.stderr.strip().splitlines()) == 1


def test_stats_lists_the_articles_that_remove_takes(tmp_path, article_dir):
    run("ingest", str(article_dir), "-q", data_dir=tmp_path)
    listed = run("stats", "--articles", data_dir=tmp_path)
    assert listed.exit_code == 0
    assert "\n  local: 3 chunks\n" in listed.stdout and "1 article, 3 chunks in " in listed.stdout
    article_id, published, source, title = listed.stdout.splitlines()[0].split("\t")
    assert (article_id, published, source) == ("syria-balqasah-clashes", "undated", "local")
    assert title.startswith("Clashes heat up")
    assert run("remove", article_id, data_dir=tmp_path).exit_code == 0
    after = json.loads(run("stats", "--articles", "--json", data_dir=tmp_path).stdout)
    assert after["articles"] == 0 and after["article_list"] == []


def test_the_installed_command_runs():
    """The one test through the console script itself: the entry point is wired."""
    newsqa = shutil.which("newsqa")
    assert newsqa, "the newsqa script is not on PATH; pip install -e ."
    result = subprocess.run([newsqa, "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "Ask questions about news articles" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "the question is empty"),
        (["ask", "Who?", "--since", "2024-02-30"], "--since '2024-02-30' is not a date"),
        (["ask", "Who?", "--since", "2024-02-03", "--until", "2024-02-01"], "the date range starts (2024-02-03)"),
        (["ask", "Who?", "--source", "bbc"], "unknown source 'bbc'"),
        (["ingest", "/no/such/folder"], "/no/such/folder: no such file or folder"),
        (["remove", "nothing-here"], "not in the index: nothing-here"),
    ],
)
def test_user_errors_are_one_line_without_traceback(tmp_path, article_dir, args, message):
    assert run("ingest", str(article_dir), "-q", data_dir=tmp_path).exit_code == 0
    result = run(*args, data_dir=tmp_path)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("newsqa: error: ") and message in lines[-1]
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_asking_an_empty_folder_says_to_ingest_first(tmp_path):
    result = run("ask", "Who led the loyalists?", data_dir=tmp_path)
    assert result.exit_code == 1
    assert "run `newsqa ingest PATH` first" in result.stderr


def test_a_bad_setting_is_named(tmp_path):
    result = run("stats", data_dir=tmp_path, NEWSQA_RETRIEVAL__K="many")
    assert result.exit_code == 1
    assert "setting retrieval.k" in result.stderr


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "No such file"), ("{not json", "Expecting property name"), ('{"features": ["type"]}', "'mean'")],
)
def test_a_missing_or_broken_reader_model_is_one_line_naming_the_file_and_the_fix(
    tmp_path, article_dir, content, problem
):
    model = tmp_path / "reader.json"
    if content is not None:
        model.write_text(content)
    run("ingest", str(article_dir), "-q", data_dir=tmp_path / "index")
    result = run("ask", "Who led the loyalists?", data_dir=tmp_path / "index", NEWSQA_ANSWER__READER_MODEL=str(model))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(model) in lines[0] and problem in lines[0]
    assert "python -m eval.train_reader" in lines[0] and "Traceback" not in result.output


def test_a_100kb_question_is_refused(tmp_path, article_dir):
    run("ingest", str(article_dir), "-q", data_dir=tmp_path)
    result = run("ask", "x" * 100_000, data_dir=tmp_path)
    assert result.exit_code == 1 and "keep it under 2,000" in result.stderr


def test_ask_with_an_unconfigured_llm_notes_the_fallback(tmp_path, article_dir):
    run("ingest", str(article_dir), "-q", data_dir=tmp_path)
    result = run("ask", "Who led the loyalists in Balqasah?", "--engine", "llm", data_dir=tmp_path)
    assert result.exit_code == 0
    assert "note: no LLM configured" in result.stderr and "Shujaa al-Ali [1]" in result.stdout
    bad = run("ask", "Who?", "--engine", "gpt", data_dir=tmp_path)
    assert bad.exit_code == 1 and "setting engine" in bad.stderr


def test_a_jsonl_with_a_bad_line_indexes_the_rest_and_exits_1(tmp_path):
    feed = tmp_path / "feed.jsonl"
    good = {"id": "dam", "title": "Dam bursts", "text": "The Kessler dam burst on Monday, flooding three villages."}
    feed.write_text(json.dumps(good) + "\n{broken\n")
    result = run("ingest", str(feed), "-q", data_dir=tmp_path / "index")
    assert result.exit_code == 1
    assert result.stdout.startswith("1 article from 1 file: 1 added")
    assert f"newsqa: skipped: {feed}:2: not valid JSON" in result.stderr
    assert json.loads(run("stats", "--json", data_dir=tmp_path / "index").stdout)["articles"] == 1
    strict = run("ingest", str(feed), "-q", "--strict", data_dir=tmp_path / "strict")
    assert strict.exit_code == 1 and f"newsqa: error: {feed}:2: not valid JSON" in strict.stderr


def test_ask_as_of_a_date_reads_nothing_later_and_says_how_time_words_were_read(tmp_path):
    feed = tmp_path / "feed.jsonl"
    rows = [
        ("june", "2022-06-14", "On Tuesday the Kessler bridge was opened by Ana Ruiz, the mayor."),
        ("july", "2022-07-20", "After repairs the Kessler bridge was opened by Ben Okafor, the mayor."),
    ]
    feed.write_text(
        "".join(json.dumps({"id": i, "title": "Bridge", "published": d, "text": t}) + "\n" for i, d, t in rows)
    )
    assert run("ingest", str(feed), "-q", data_dir=tmp_path / "index").exit_code == 0
    question = "Who opened the Kessler bridge this week?"
    result = run("ask", question, "--as-of", "2022-06-17", "--json", data_dir=tmp_path / "index")
    payload = json.loads(result.stdout)
    assert payload["short_answer"] == "Ana Ruiz" and payload["as_of"] == "2022-06-17"
    assert [p["article_id"] for p in payload["passages"]] == ["june"]
    plain = run("ask", question, "--as-of", "2022-06-17", data_dir=tmp_path / "index")
    assert "note: “this week” read as 2022-06-11 to 2022-06-17" in plain.stderr
    bad = run("ask", question, "--as-of", "June 17", data_dir=tmp_path / "index")
    assert bad.exit_code == 1 and "--as-of 'June 17' is not a date; use YYYY-MM-DD" in bad.stderr


def test_serving_beyond_this_machine_without_a_login_is_warned_about():
    from newsqa.settings import Settings
    from ui.cli import exposure_warning

    open_settings = Settings()
    assert exposure_warning("127.0.0.1", 7860, open_settings) is None
    assert exposure_warning("localhost", 7860, open_settings) is None
    warning = exposure_warning("0.0.0.0", 7860, open_settings)
    assert warning and "anyone who reaches port 7860" in warning
    # IPv6 addresses are addresses too: "::" is every interface, "::1" this machine alone.
    assert exposure_warning("::1", 7860, open_settings) is None
    assert "anyone who reaches port 7860" in (exposure_warning("::", 7860, open_settings) or "")
    guarded = Settings.model_validate({"ui": {"auth": "editor:secret"}})
    assert exposure_warning("0.0.0.0", 7860, guarded) is None
    result = run("ui", "--auth-file", "/no/such/file")
    assert result.exit_code == 1 and "/no/such/file: cannot be read" in result.stderr


@pytest.mark.slow
def test_an_unreadable_subfolder_is_named_not_passed_over(tmp_path):
    """Run as root without the capabilities that let root read any folder, as a user would be."""
    import os
    import sys

    if not shutil.which("setpriv"):
        pytest.fail("setpriv (util-linux) is needed to run the command without root's read-anything capabilities")
    folder = tmp_path / "articles"
    (folder / "locked").mkdir(parents=True)
    (folder / "open.txt").write_text("Dam bursts\n\nThe Kessler dam burst on Monday, flooding three villages.\n")
    (folder / "locked" / "hidden.txt").write_text("Hidden\n\nA story nobody can read.\n")
    (folder / "locked").chmod(0)
    drop = "-dac_override,-dac_read_search"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    environment["NEWSQA_STORE__DATA_DIR"] = str(tmp_path / "index")
    try:
        result = subprocess.run(
            ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", sys.executable, "-c",
             "from ui.cli import main; main()", "ingest", str(folder), "-q"],
            env=environment, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    finally:
        (folder / "locked").chmod(0o755)
    assert result.stdout.startswith("1 article from 1 file: 1 added"), result.stderr
    locked = folder.resolve() / "locked"
    assert f"newsqa: warning: {locked}: folder skipped, it cannot be read (Permission denied)" in result.stderr


def test_since_last_reads_what_was_published_since_the_topic_was_last_asked_and_marks_it_new(tmp_path):
    from datetime import datetime

    from tests.helpers import TOPIC, story_jsonl
    from ui.asked import AskedMemory

    corpus = tmp_path / "story.jsonl"
    corpus.write_text(story_jsonl())
    assert run("ingest", str(corpus), "-q", data_dir=tmp_path / "index").exit_code == 0
    first = run("timeline", TOPIC, "--since", "last", data_dir=tmp_path / "index")
    assert first.exit_code == 0, first.stderr
    assert "never asked before here: every article is read" in first.stderr
    assert [line for line in first.stdout.splitlines() if line.startswith("20")] == [
        "2025-03-03",
        "2025-03-05",
        "2025-03-10",
    ]
    assert "new:" not in first.stdout
    # As if the story had last been looked at on 4 March.
    AskedMemory(tmp_path / "index").remember("timeline", f"  {TOPIC.upper()} ", datetime(2025, 3, 4, 12, 0))
    second = run("timeline", TOPIC, "--since", "last", data_dir=tmp_path / "index")
    assert "--since last: published since 2025-03-04 (last asked 2025-03-04 12:00)" in second.stderr
    lines = second.stdout.split("\n\n[")[0].splitlines()
    assert lines[0] == "2025-03-05" and lines[1].startswith("  new: Four firefighters were injured")
    assert lines[3] == "2025-03-10" and lines[4].startswith("  new: Port Anselm's council will build")
    assert "[1] (new since last asked) “Four firefighters were injured" in second.stdout
    # Asked just now: "last" is now today, and nothing of the story is that new.
    third = run("timeline", TOPIC, "--since", "last", data_dir=tmp_path / "index")
    assert f"No indexed article published {datetime.now().date()} to … is about" in third.stdout
    asked = run("ask", "How many firefighters were injured?", "--since", "last", data_dir=tmp_path / "index")
    assert asked.exit_code == 0 and "never asked before here" in asked.stderr
    bad = run("ask", "Who?", "--since", "lastt", data_dir=tmp_path / "index")
    assert bad.exit_code == 1 and "--since 'lastt' is not a date" in bad.stderr
