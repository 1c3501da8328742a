"""Ingestion into a real Chroma with the real model: idempotence, replacement, removal."""

from __future__ import annotations

import json

import pytest

from index import ingest, open_lexical, open_store, remove, stats
from index.store import write_lock
from newsqa.errors import IndexUnavailableError, InputError, ModelMismatchError
from rag import answer
from rag.retrieval.retriever import forget_indexes


def _article_ids(settings) -> list[str]:
    return sorted({r.metadata["article_id"] for r in open_store(settings).iter_all()})


def test_reingesting_the_same_files_adds_and_embeds_nothing(settings, article_dir):
    first = ingest([article_dir], settings, progress=False)
    count = open_store(settings).count()
    assert first.added == 1 and first.chunks_added == count > 0
    again = ingest([article_dir], settings, progress=False)
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 1)
    assert again.chunks_added == again.chunks_embedded == again.chunks_deleted == 0
    assert open_store(settings).count() == count
    assert len(open_lexical(open_store(settings))) == count


def test_a_changed_article_replaces_its_chunks(settings, article_dir):
    path = next(article_dir.iterdir())
    ingest([article_dir], settings, progress=False)
    before = {r.id for r in open_store(settings).iter_all()}
    path.write_text(path.read_text() + "\n\nA ceasefire was announced on Friday by the interim council.\n")
    report = ingest([article_dir], settings, progress=False)
    after = {r.id: r for r in open_store(settings).iter_all()}
    assert report.replaced == 1 and report.chunks_deleted == len(before)
    assert before.isdisjoint(after), "stale chunks of the old version remain"
    assert len(after) == report.chunks_added
    assert any("ceasefire was announced" in r.text for r in after.values())
    assert len(open_lexical(open_store(settings))) == len(after)


def test_other_chunk_settings_rechunk_the_whole_article(settings, article_dir):
    ingest([article_dir], settings, progress=False)
    body = next(article_dir.iterdir()).read_text().split("\n", 1)[1].strip()
    larger = settings.model_copy(update={"index": settings.index.model_copy(update={"chunk_size": 2000})})
    report = ingest([article_dir], larger, progress=False)
    assert report.replaced == 1 and report.chunks_deleted > 0
    chunks = sorted(open_store(larger).iter_all(), key=lambda r: r.metadata["start"])
    assert len(chunks) == report.chunks_added and {c.metadata["chunking"] for c in chunks} == {"2000/200"}
    # Every sentence of the article is still indexed: nothing was lost to ids shared with the old chunking.
    covered = "".join(c.text for c in chunks)
    assert all(line.strip() in covered for line in body.splitlines() if line.strip())
    assert ingest([article_dir], larger, progress=False).unchanged == 1


def test_removed_articles_leave_the_index(settings, article_dir):
    (article_dir / "other.txt").write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Monday.\n")
    ingest([article_dir], settings, progress=False)
    assert _article_ids(settings) == ["other", "syria-balqasah-clashes"]
    removed = remove(["other"], settings)
    assert removed >= 1
    assert _article_ids(settings) == ["syria-balqasah-clashes"]
    lexical = open_lexical(open_store(settings))
    assert not any(i.startswith("other::") for i in lexical.ids)
    with pytest.raises(InputError, match="not in the index: other"):
        remove(["other"], settings)


def test_stats_count_articles_sources_and_dates(settings, tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        '{"id": "x1", "title": "A", "source": "cnn", "published": "2022-06-17", "text": "The dam burst on Monday."}\n'
        '{"id": "x2", "title": "B", "source": "usatoday.com", "published": "2022-09-02", '
        '"text": "Rain fell all week."}\n'
    )
    ingest([corpus], settings, progress=False)
    info = stats(settings)
    assert (info.articles, info.chunks) == (2, 2)
    assert info.sources == {"cnn": 1, "usatoday.com": 1}
    assert (info.first_published, info.last_published) == ("2022-06-17", "2022-09-02")


def test_bad_files_in_a_folder_are_reported_and_good_ones_indexed(settings, article_dir):
    (article_dir / "broken.txt").write_bytes(b"\xff\xfe\x00\x01binary")
    report = ingest([article_dir], settings, progress=False)
    assert report.added == 1
    assert len(report.failed) == 1 and "broken.txt" in report.failed[0]


def test_bad_input_leaves_the_index_intact(settings, article_dir, tmp_path):
    ingest([article_dir], settings, progress=False)
    count = open_store(settings).count()
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    for bad in (empty, tmp_path / "missing.txt"):
        with pytest.raises(InputError):
            ingest([bad], settings, progress=False)
    assert open_store(settings).count() == count
    assert answer("Who led the loyalists in Balqasah?", settings=settings).short_answer == "Shujaa al-Ali"


def test_same_file_name_from_another_folder_is_not_overwritten(settings, article_dir, tmp_path):
    ingest([article_dir], settings, progress=False)
    twin_dir = tmp_path / "elsewhere"
    twin_dir.mkdir()
    (twin_dir / "syria-balqasah-clashes.txt").write_text("Other story\n\nSomething else entirely happened.\n")
    report = ingest([twin_dir], settings, progress=False)
    assert report.added == 0 and "already indexed from" in report.failed[0]
    assert any("Shujaa al-Ali" in r.text for r in open_store(settings).iter_all())


def test_a_jsonl_row_does_not_replace_an_article_indexed_from_a_text_file(settings, article_dir, tmp_path):
    ingest([article_dir], settings, progress=False)
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "syria-balqasah-clashes", "title": "Other", "text": "Something else."}) + "\n")
    report = ingest([feed], settings, progress=False)
    assert report.added == report.replaced == 0 and "already indexed from" in report.failed[0]
    assert any("Shujaa al-Ali" in r.text for r in open_store(settings).iter_all())
    # Another .jsonl file reusing the id is another dataset's article: named and refused, unless replace says so.
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "row-1", "title": "T", "text": "First text."}) + "\n")
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "row-1", "title": "T", "text": "Second text."}) + "\n")
    assert ingest([tmp_path / "a.jsonl"], settings, progress=False).added == 1
    refused = ingest([tmp_path / "b.jsonl"], settings, progress=False)
    assert refused.replaced == 0 and "--replace" in refused.failed[0]
    assert any(r.text == "First text." for r in open_store(settings).iter_all())
    assert ingest([tmp_path / "b.jsonl"], settings, progress=False, replace=True).replaced == 1
    # The same file again, corrected, replaces its own rows as before.
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "row-1", "title": "T", "text": "Third text."}) + "\n")
    assert ingest([tmp_path / "b.jsonl"], settings, progress=False).replaced == 1


def test_two_files_with_one_id_in_a_run_are_both_named_and_the_first_kept(settings, tmp_path):
    for folder, headline in (("a", "Dam bursts in the valley"), ("b", "Chess title goes to a teenager")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text(f"{headline}\n\nThe body of the {folder} report.\n")
    lines = "\n".join(json.dumps({"id": "x", "title": t, "text": t}) for t in ("One", "Two"))
    (tmp_path / "feed.jsonl").write_text(lines + "\n")
    report = ingest([tmp_path / "a", tmp_path / "b", tmp_path / "feed.jsonl"], settings, progress=False)
    assert report.articles == 2 and report.added == 2
    assert len(report.failed) == 2
    assert (
        str(tmp_path / "b" / "report.txt") in report.failed[0]
        and str(tmp_path / "a" / "report.txt") in report.failed[0]
    )
    assert report.failed[1].endswith("feed.jsonl:2: article id 'x' was already given on line 1")
    titles = {r.metadata["title"] for r in open_store(settings).iter_all()}
    assert titles == {"Dam bursts in the valley", "One"}


def test_only_web_links_are_stored(settings, tmp_path):
    rows = [
        {"id": "a", "title": "A", "text": "Dam bursts in the valley.", "url": "javascript:alert(1)"},
        {"id": "b", "title": "B", "text": "Chess title for a teenager.", "url": "data:text/html,<b>x</b>"},
        {"id": "c", "title": "C", "text": "Council approves the budget.", "url": "https://example.org/c"},
    ]
    corpus = tmp_path / "links.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = ingest([corpus], settings, progress=False)
    assert report.added == 3 and not report.failed
    assert [w.split(": ", 1)[1] for w in report.warnings] == [
        "article 'a' links to a javascript: address; the link was dropped, the article indexed without it",
        "article 'b' links to a data: address; the link was dropped, the article indexed without it",
    ]
    urls = {r.metadata["article_id"]: r.metadata["url"] for r in open_store(settings).iter_all()}
    assert urls == {"a": "", "b": "", "c": "https://example.org/c"}


def test_one_file_by_another_path_is_the_same_article(settings, article_dir, monkeypatch):
    ingest([article_dir], settings, progress=False)
    monkeypatch.chdir(article_dir.parent)
    (article_dir.parent / "link").symlink_to(article_dir)
    for other in (article_dir.name, "link", f"./{article_dir.name}/../{article_dir.name}"):
        report = ingest([other], settings, progress=False)
        assert report.unchanged == 1 and not report.failed, other


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(settings, article_dir):
    ingest([article_dir], settings, progress=False)
    count = open_store(settings).count()
    (article_dir / "new.txt").write_text("New\n\nA new article arrived.\n")
    impatient = settings.model_copy(update={"store": settings.store.model_copy(update={"lock_wait_s": 0.3})})
    with write_lock(settings.store.data_dir):
        with pytest.raises(IndexUnavailableError, match=r"locked by another newsqa process writing to it \(pid \d+\)"):
            ingest([article_dir], impatient, progress=False)
    assert open_store(settings).count() == count


def test_a_writer_waits_for_a_short_write_to_finish(settings, article_dir):
    import threading
    import time

    lock_held = threading.Event()

    def hold_briefly():
        with write_lock(settings.store.data_dir):
            lock_held.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    lock_held.wait()
    report = ingest([article_dir], settings, progress=False)
    holder.join()
    assert report.added == 1


def test_a_corrupt_index_folder_gives_a_clear_error(settings, article_dir):
    ingest([article_dir], settings, progress=False)
    forget_indexes()
    database = settings.store.data_dir / "chroma" / "chroma.sqlite3"
    database.write_bytes(b"this is not a sqlite database" * 100)
    with pytest.raises(IndexUnavailableError, match="is damaged .*; move it aside and ingest again") as caught:
        answer("Who led the loyalists in Balqasah?", settings=settings)
    assert "\n" not in str(caught.value)


def test_an_index_deleted_under_a_running_process_is_not_answered_from_memory(settings, article_dir):
    import shutil

    ingest([article_dir], settings, progress=False)
    assert answer("Who led the loyalists in Balqasah?", settings=settings).short_answer == "Shujaa al-Ali"
    shutil.rmtree(settings.store.data_dir)
    with pytest.raises(IndexUnavailableError, match="run `newsqa ingest PATH` first"):
        answer("Who led the loyalists in Balqasah?", settings=settings)
    assert not settings.store.data_dir.exists(), "a reader recreated the deleted index folder"


def test_asking_before_anything_is_indexed_says_what_to_do(settings):
    with pytest.raises(IndexUnavailableError, match="run `newsqa ingest PATH` first"):
        answer("Who led the loyalists in Balqasah?", settings=settings)


def test_another_embedding_model_is_refused(settings, article_dir):
    from index.embed import resolve_model_path

    ingest([article_dir], settings, progress=False)
    other = settings.model_copy(
        update={"index": settings.index.model_copy(update={"embedding_model": resolve_model_path("all-MiniLM-L6-v2")})}
    )
    with pytest.raises(ModelMismatchError, match="was built with embedding model 'all-MiniLM-L6-v2'"):
        answer("Who led the loyalists in Balqasah?", settings=other)


def test_articles_in_arabic_greek_and_chinese_are_found_by_bm25_in_their_own_words(settings, tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    stories = {
        "arabic": ("اشتباكات في بلقسة", "قتل أربعة من عناصر الأمن في اشتباكات قرب قرية بلقسة غرب حمص."),
        "greek": ("Σεισμός στην Αθήνα", "Ισχυρός σεισμός έπληξε την Αθήνα το πρωί της Δευτέρας."),
        "chinese": ("东京发生地震", "周一早上东京发生强烈地震，数千人被疏散。"),
    }
    for name, (headline, story) in stories.items():
        (folder / f"{name}.txt").write_text(f"{headline}\n\n{story}\n", encoding="utf-8")
    assert ingest([folder], settings, progress=False).added == 3
    lexical = open_lexical(open_store(settings))
    for query, expected in (("قرية بلقسة", "arabic"), ("σεισμός Αθήνα", "greek"), ("东京地震", "chinese")):
        hits = lexical.search(query, 3)
        assert hits and hits[0].chunk_id.startswith(f"{expected}::"), (query, hits)


def test_an_index_of_articles_without_a_single_word_still_opens_and_answers(settings, tmp_path):
    (tmp_path / "rule.txt").write_text("=====\n\n" + "=" * 5000 + "\n")
    assert ingest([tmp_path / "rule.txt"], settings, progress=False).added == 1
    assert stats(settings).articles == 1
    assert answer("Who led the loyalists?", settings=settings).abstained


@pytest.mark.slow
def test_a_one_line_file_of_a_megabyte_grows_the_index_by_a_bounded_factor(settings, tmp_path):
    sentences = [f"Report {i} says the river rose {i % 9} metres near the dam overnight. " for i in range(16_000)]
    text = "".join(sentences)[:1_000_000]
    (tmp_path / "wall.txt").write_text(text)
    ingest([tmp_path / "wall.txt"], settings, progress=False)
    grown = sum(f.stat().st_size for f in settings.store.data_dir.rglob("*") if f.is_file())
    assert grown < 20 * len(text), f"{grown:,} bytes of index for {len(text):,} bytes of text"
