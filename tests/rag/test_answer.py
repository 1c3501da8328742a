"""The sample questions of the brief, answered over the real index of the sample article."""

from __future__ import annotations

import json
from datetime import date

import pytest

from newsqa.errors import InputError
from rag import Answer, answer, answer_stream


def _quotes(result: Answer) -> list[str]:
    return [c.quote for c in result.citations]


def test_who_led_the_loyalists(sample_settings):
    result = answer("Who led the loyalists in Balqasah?", settings=sample_settings)
    assert result.short_answer == "Shujaa al-Ali"
    assert result.text.startswith("Shujaa al-Ali [1]")
    assert len(result.citations) == 1
    assert result.citations[0].quote == (
        "An unspecified number of Assad’s supporters, led by a wanted man known as Shujaa al-Ali, "
        "were also killed in the fighting, the observatory added."
    )


def test_who_was_arrested(sample_settings):
    result = answer("Who was arrested in the Tartus countryside?", settings=sample_settings)
    assert result.short_answer == "Major-General Mohammed Kingo al-Hassan"
    assert _quotes(result) == [
        "Earlier Thursday, security forces arrested Major-General Mohammed Kingo al-Hassan "
        "in the Tartus countryside in western Syria."
    ]


def test_disagreeing_sources_are_both_cited(sample_settings):
    result = answer("How many security personnel were killed in the Balqasah fighting?", settings=sample_settings)
    assert result.short_answer == "4; 2"
    assert "4, according to the observatory [1]" in result.text
    assert "2, according to" in result.text and "SANA [2]" in result.text
    quotes = _quotes(result)
    assert len(quotes) == 2
    assert "deaths of four security personnel, the observatory reported" in quotes[0]
    assert "SANA confirmed the clashes, saying they left two security personnel dead" in quotes[1]


def test_when_did_assad_flee(sample_settings):
    result = answer("When did Assad flee the country?", settings=sample_settings)
    assert result.short_answer == "Dec. 8"
    assert len(result.citations) == 1
    assert "fled the country" in result.citations[0].quote and "on Dec. 8" in result.citations[0].quote


def test_out_of_corpus_question_abstains(sample_settings):
    result = answer("What is the capital of France?", settings=sample_settings)
    assert result.abstained
    assert result.citations == []
    assert result.short_answer is None
    assert "do not say" in result.text


def test_citation_spans_point_into_the_article(sample_settings):
    from index.samples import sample_article

    body = sample_article().read_text().split("\n", 1)[1].strip()
    for question in ("Who led the loyalists in Balqasah?", "When did Assad flee the country?"):
        citation = answer(question, settings=sample_settings).citations[0]
        assert body[citation.start : citation.end] == citation.quote
        assert citation.title == "Clashes heat up as Syrian forces lock horns with Assad loyalists"
        assert citation.source == "sample"


def test_answer_reports_passages_and_timings(sample_settings):
    result = answer("Who led the loyalists in Balqasah?", k=2, settings=sample_settings)
    assert 1 <= len(result.passages) <= 2
    assert all(p.score > 0 for p in result.passages)
    assert {"embed_query", "retrieve", "answer", "total"} <= result.timings_ms.keys()


def test_stream_yields_text_then_the_answer(sample_settings):
    pieces = list(answer_stream("When did Assad flee the country?", settings=sample_settings))
    final = pieces[-1]
    assert isinstance(final, Answer)
    assert all(isinstance(p, str) for p in pieces[:-1])
    assert "".join(pieces[:-1]) == final.text


def test_stages_come_before_each_step_and_loading_only_on_the_first_question(settings):
    from index import ingest
    from index.samples import sample_article
    from rag import Stage
    from rag.retrieval.retriever import forget_indexes

    ingest([sample_article()], settings, source="sample", progress=False)
    forget_indexes()
    first = list(answer_stream("When did Assad flee the country?", settings=settings, stages=True))
    again = list(answer_stream("When did Assad flee the country?", settings=settings, stages=True))
    assert [p for p in first if isinstance(p, Stage)] == [
        Stage(step="loading"),
        Stage(step="searching", passages=3),
        Stage(step="reading", passages=3),
    ]
    assert [p.step for p in again if isinstance(p, Stage)] == ["searching", "reading"]
    assert Stage(step="searching", passages=29518).describe() == "Searching 29,518 passages…"


def test_follow_up_uses_the_conversation(sample_settings):
    first = answer("Who was arrested in the Tartus countryside?", settings=sample_settings)
    follow_up = answer("And who arrested him?", history=[(first.question, first.text)], settings=sample_settings)
    assert not follow_up.abstained
    assert follow_up.understood_as == "Who arrested Mohammed Kingo al-Hassan?"  # the person, without the title
    assert "security forces arrested Major-General Mohammed Kingo al-Hassan" in follow_up.citations[0].quote


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   \n\t", "empty"), ("why " * 25_000, "keep it under")],
)
def test_bad_questions_are_refused(sample_settings, question, message):
    with pytest.raises(InputError, match=message):
        answer(question, settings=sample_settings)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"question": "Who led the \ud800 loyalists?"}, "lone surrogate"),
        ({"filters": ["sample"]}, "filters must be a dict, not list"),
        ({"history": [{"role": "user"}]}, "history must be"),
        ({"history": [("Who was arrested?",)]}, "history must be"),
        ({"history": 5}, "history must be"),
    ],
)
def test_malformed_python_arguments_are_one_input_error(sample_settings, arguments, message):
    with pytest.raises(InputError, match=message):
        answer(**{"question": "Who led the loyalists?", **arguments}, settings=sample_settings)


def test_filters_limit_and_validate(sample_settings):
    kept = answer("Who led the loyalists in Balqasah?", filters={"sources": ["sample"]}, settings=sample_settings)
    assert kept.short_answer == "Shujaa al-Ali"
    # The sample article has no published date, so any date range excludes it.
    dated = answer("Who led the loyalists in Balqasah?", filters={"since": "2024-01-01"}, settings=sample_settings)
    assert dated.abstained and dated.passages == []
    with pytest.raises(InputError, match="unknown source 'cnn'; indexed sources: sample"):
        answer("Who led the loyalists?", filters={"sources": ["cnn"]}, settings=sample_settings)
    with pytest.raises(InputError, match="bad filter since"):
        answer("Who led the loyalists?", filters={"since": "last tuesday"}, settings=sample_settings)
    with pytest.raises(InputError, match="bad filter colour"):
        answer("Who led the loyalists?", filters={"colour": "red"}, settings=sample_settings)
    with pytest.raises(InputError, match=r"the date range starts \(2025-01-02\) after it ends"):
        answer("Who?", filters={"since": "2025-01-02", "until": "2025-01-01"}, settings=sample_settings)


def test_cloze_questions_are_filled_from_the_sentence(sample_settings):
    result = answer(
        "Fill in the blank: Earlier Thursday, security forces arrested _____ in the Tartus countryside.",
        settings=sample_settings,
    )
    assert result.short_answer == "Major-General Mohammed Kingo al-Hassan"
    assert result.citations[0].quote.startswith("Earlier Thursday, security forces arrested")


def _ingest_reports(settings, folder, reports: list[tuple[str, str, str]]) -> None:
    """Index one-sentence articles of one wire about the Kessler bridge: (id, published, text) each."""
    from index import ingest

    corpus = folder / "bridge.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"id": i, "title": "Kessler bridge opens", "source": "wire", "published": d, "text": t}) + "\n"
            for i, d, t in reports
        )
    )
    ingest([corpus], settings, progress=False)


def test_answers_are_as_of_a_date(settings, tmp_path):
    """Nothing published after as_of is read, the newest report ranks first, and time words are shown as read."""
    reports = [
        ("june", "2022-06-14", "On Tuesday the Kessler bridge was opened by Ana Ruiz, the mayor."),
        ("july", "2022-07-20", "After repairs the Kessler bridge was opened by Ben Okafor, the mayor."),
        ("old", "2021-03-02", "In a ceremony the Kessler bridge was opened by Carl Hahn, the mayor."),
    ]
    _ingest_reports(settings, tmp_path, reports)
    question = "Who opened the Kessler bridge this week?"
    june = answer(question, as_of=date(2022, 6, 17), settings=settings)
    assert june.short_answer == "Ana Ruiz" and june.as_of == date(2022, 6, 17)
    assert "july" not in {p.article_id for p in june.passages}
    assert june.time_range is not None and (june.time_range.start, june.time_range.phrase) == (
        date(2022, 6, 11),
        "this week",
    )
    # A follow-up keeps the time words of the turn it refers to: answered as its standalone question is.
    where = answer("And where?", history=[(question, june.text)], as_of=date(2022, 6, 17), settings=settings)
    alone = answer(where.understood_as or "", as_of=date(2022, 6, 17), settings=settings)
    assert where.understood_as == "Where did Ana Ruiz open the Kessler bridge this week?"
    assert where.time_range == alone.time_range == june.time_range
    assert [p.id for p in where.passages] == [p.id for p in alone.passages] and where.text == alone.text
    july = answer(question, as_of=date(2022, 7, 22), settings=settings)
    assert july.short_answer == "Ben Okafor" and july.passages[0].article_id == "july"
    # The reports disagree: the newest is the answer, and the earlier one is cited as such.
    assert july.text == "Ben Okafor [1], as of 2022-07-20; an earlier report (2022-06-14) said Ana Ruiz [2]."
    assert [c.published for c in july.citations] == ["2022-07-20", "2022-06-14"]
    # Asked about 2021, the 2021 report wins although newer ones are read too.
    older = answer("Who opened the Kessler bridge in 2021?", as_of=date(2022, 7, 22), settings=settings)
    assert older.passages[0].article_id == "old" and older.short_answer == "Carl Hahn"


def test_a_later_story_that_only_shares_words_is_no_update(settings, tmp_path):
    """Naming an earlier report is for one statement made again with another answer, not for another story."""
    reports = [
        ("opening", "2022-06-14", "On Tuesday the Kessler bridge was opened by Ana Ruiz, the mayor."),
        ("book", "2022-07-20", "The Kessler bridge opened last month; Ben Okafor, a historian, wrote a book about it."),
    ]
    _ingest_reports(settings, tmp_path, reports)
    result = answer("Who opened the Kessler bridge?", settings=settings)
    assert result.short_answer == "Ana Ruiz"
    assert result.text == "Ana Ruiz [1]"
    assert [c.published for c in result.citations] == ["2022-06-14"]


def test_a_long_lived_process_sees_what_another_process_ingested(settings, article_dir, tmp_path):
    """The UI answering while `newsqa ingest` runs in another terminal: new articles must not stay invisible."""
    import subprocess

    from index import ingest
    from tests.helpers import newsqa_command

    ingest([article_dir], settings, progress=False)
    question = "Who won the national chess title?"
    assert "chess" not in {p.article_id for p in answer(question, settings=settings).passages}
    (tmp_path / "chess.txt").write_text("Teenager wins chess title\n\nArjun Mehta won the national chess title.\n")
    command = [
        *newsqa_command(),
        "ingest",
        str(tmp_path / "chess.txt"),
        "-q",
        "--data-dir",
        str(settings.store.data_dir),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    result = answer(question, settings=settings)
    assert result.short_answer == "Arjun Mehta" and result.passages[0].article_id == "chess"
    # Dense search found it too, not only BM25, which reloads from its files.
    assert result.passages[0].dense_rank == 1


def test_passages_per_article_keeps_a_long_article_from_crowding_out_the_others(settings, tmp_path):
    """Unset, the best article gives every passage it ranks; at 2, its later chunks wait for the other articles."""
    from index import ingest

    paragraph = (
        "The Kessler bridge in Dunmore opened this week after four years of work on the river crossing. "
        "Dunmore's council says the Kessler bridge carries two lanes each way and a cycle path, and the "
        "Kessler bridge replaced a ferry that had run since 1952. Traffic on the Kessler bridge in Dunmore "
        "is expected to reach twenty thousand cars a day, the council said. "
    )
    long_story = "\n\n".join(f"Part {n}. {paragraph * 2}" for n in range(8))
    short_story = "The Kessler bridge in Dunmore was opened by Ana Ruiz, the mayor."
    corpus = tmp_path / "bridge.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"id": i, "title": "Kessler bridge opens", "source": s, "published": "2022-06-14", "text": t})
            + "\n"
            for i, s, t in (("long", "gazette", long_story), ("short", "wire", short_story))
        )
    )
    ingest([corpus], settings, progress=False)
    question = "Who opened the Kessler bridge in Dunmore?"
    assert {p.article_id for p in answer(question, k=5, settings=settings).passages} == {"long"}
    spread = settings.model_copy(
        update={"retrieval": settings.retrieval.model_copy(update={"passages_per_article": 2})}
    )
    result = answer(question, k=5, settings=spread)
    assert [p.article_id for p in result.passages] == ["long", "long", "short", "long", "long"]
    assert result.short_answer == "Ana Ruiz"
