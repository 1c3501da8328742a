"""A real interruption (SIGKILL mid-ingestion) and a real Chroma server on loopback."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import pytest

from index import ingest, open_lexical, open_store, remove
from index.samples import sample_article
from newsqa.errors import IndexUnavailableError
from rag import answer
from tests.helpers import free_port, newsqa_command, serving


def _write_articles(folder, count: int) -> None:
    """Distinct articles made by reshuffling the sample's paragraphs under new headlines."""
    paragraphs = sample_article().read_text().split("\n\n")[1:]
    rng = random.Random(7)
    folder.mkdir()
    for i in range(count):
        body = rng.sample(paragraphs, k=len(paragraphs))
        (folder / f"story-{i:03d}.txt").write_text(
            f"Dispatch {i} from Syria\n\n" + "\n\n".join(body) + f"\n\nFiled as dispatch {i}.\n"
        )


@pytest.mark.slow
def test_a_killed_ingestion_leaves_a_usable_index_and_a_rerun_completes_it(settings, tmp_path):
    folder = tmp_path / "many"
    _write_articles(folder, 60)
    env = {**os.environ, "NEWSQA_STORE__DATA_DIR": str(settings.store.data_dir), "NEWSQA_INDEX__WRITE_GROUP": "16"}
    process = subprocess.Popen(
        [*newsqa_command(), "ingest", str(folder)], env=env, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    seen = ""
    deadline = time.monotonic() + 300
    while "| 32/" not in seen and "| 48/" not in seen and time.monotonic() < deadline:
        char = process.stderr.read(1)
        if not char:
            break
        seen += char
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert "| 32/" in seen or "| 48/" in seen, f"ingestion never got going: {seen[-500:]}"

    partial = open_store(settings).count()
    assert 0 < partial
    lexical = open_lexical(open_store(settings))
    assert len(lexical) == partial, "BM25 was not brought back in step with the vector store"
    assert answer("Who led the loyalists in Balqasah?", settings=settings).short_answer == "Shujaa al-Ali"

    rerun = ingest([folder], settings, progress=False)
    complete = open_store(settings).count()
    assert rerun.chunks_added == complete - partial
    assert rerun.unchanged >= 1
    reference = settings.with_data_dir(tmp_path / "clean")
    ingest([folder], reference, progress=False)
    assert sorted(r.id for r in open_store(settings).iter_all()) == sorted(
        r.id for r in open_store(reference).iter_all()
    )


@pytest.mark.slow
def test_the_same_commands_work_against_a_chroma_server(settings, tmp_path):
    port = free_port()
    command = ["chroma", "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, port):
        remote = settings.model_copy(
            update={"store": settings.store.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port})}
        )
        report = ingest([sample_article()], remote, source="sample", progress=False)
        assert report.added == 1
        assert ingest([sample_article()], remote, source="sample", progress=False).unchanged == 1
        result = answer("Who led the loyalists in Balqasah?", settings=remote)
        assert result.short_answer == "Shujaa al-Ali"
        assert not (settings.store.data_dir / "chroma").exists(), "vectors went to the folder, not the server"
    # The server stops between two questions, then comes back.
    with pytest.raises(IndexUnavailableError, match=rf"Chroma server 127.0.0.1:{port} stopped answering"):
        answer("Who led the loyalists in Balqasah?", settings=remote)
    with serving(command, port):
        assert answer("Who led the loyalists in Balqasah?", settings=remote).short_answer == "Shujaa al-Ali"


@pytest.mark.slow
def test_two_folders_on_one_chroma_server_see_each_others_writes(settings, tmp_path):
    """The vectors are shared; each folder keeps its own BM25, which must follow the other's writes
    even when the number of chunks stays the same."""
    from rag.retrieval.retriever import open_index

    port = free_port()
    command = ["chroma", "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)]

    def on_the_server(folder: str):
        local = settings.with_data_dir(tmp_path / folder)
        return local.model_copy(
            update={"store": local.store.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port})}
        )

    first, second = on_the_server("first"), on_the_server("second")
    article = tmp_path / "port.txt"
    article.write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Monday, officials said.\n")
    with serving(command, port):
        ingest([article], first, progress=False)
        assert answer("When did the port of Tartus reopen?", settings=second).short_answer == "Monday"
        article.write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Thursday, officials said.\n")
        report = ingest([article], first, progress=False)
        assert report.replaced == 1 and report.chunks_added == report.chunks_deleted == 1
        # Same count of chunks, other ids: the second folder's BM25 must be rebuilt, not kept.
        lexical = open_index(second).lexical.current()
        assert sorted(lexical.ids) == sorted(r.id for r in open_store(first).iter_all())
        assert answer("When did the port of Tartus reopen?", settings=second).short_answer == "Thursday"


@pytest.mark.slow
def test_several_app_processes_answer_from_one_chroma_server_while_another_ingests(tmp_path):
    """SCALING.md's first step past one process: app processes of their own, one Chroma server."""
    port = free_port()
    command = ["chroma", "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)]
    server = {"NEWSQA_STORE__CHROMA_HOST": "127.0.0.1", "NEWSQA_STORE__CHROMA_PORT": str(port)}

    def run(folder: str, *args: str) -> subprocess.Popen:
        env = {**os.environ, **server, "NEWSQA_STORE__DATA_DIR": str(tmp_path / folder)}
        return subprocess.Popen([*newsqa_command(), *args], env=env, stdout=subprocess.PIPE, text=True)

    article = tmp_path / "port.txt"
    article.write_text("Port reopens\n\nThe port of Tartus reopened to shipping on Monday, officials said.\n")
    with serving(command, port):
        assert run("writer", "ingest", str(sample_article()), "-q").wait(timeout=300) == 0
        askers = [run(f"app-{i}", "ask", "Who led the loyalists in Balqasah?") for i in range(2)]
        writer = run("writer", "ingest", str(article), "-q")
        assert [p.communicate(timeout=300)[0].splitlines()[0] for p in askers] == ["Shujaa al-Ali [1]"] * 2
        assert writer.wait(timeout=300) == 0
        late = run("app-0", "ask", "When did the port of Tartus reopen?").communicate(timeout=300)[0]
        assert late.splitlines()[0] == "Monday [1]"


@pytest.mark.parametrize("damaged", ["manifest.json", "docs.npy", "terms.json", "segment"])
def test_damaged_bm25_files_are_rebuilt_from_the_vector_store(settings, damaged):
    import shutil

    from index.lexical import lexical_folder

    ingest([sample_article()], settings, source="sample", progress=False)
    folder = lexical_folder(open_store(settings))
    (segment,) = [p for p in folder.iterdir() if p.is_dir()]
    target = {"manifest.json": folder / damaged, "segment": segment}.get(damaged, segment / damaged)
    if target.is_dir():
        shutil.rmtree(target)
        target.write_text("not a folder")
    else:
        target.write_bytes(b"\x00garbage{")
    store = open_store(settings)
    assert len(open_lexical(store)) == store.count()
    assert answer("Who led the loyalists in Balqasah?", settings=settings).short_answer == "Shujaa al-Ali"


FAULT_SEED = int(os.environ.get("NEWSQA_FAULT_SEED", "20261127"))
KILL_POINTS = 10


def _versions_by_article(settings) -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for record in open_store(settings).iter_all():
        article, version, _ = record.id.split("::")
        versions.setdefault(article, set()).add(version)
    return versions


@pytest.mark.slow
def test_kill_9_at_seeded_points_never_leaves_the_index_inconsistent(settings, tmp_path):
    """SIGKILL during ingest, replace, remove and the BM25 rebuild, at points drawn from a printed seed.

    After each kill the index must open, BM25 must hold exactly Chroma's chunks, and a rerun of
    the same command must embed only what is missing and end where an uninterrupted run ends.
    """
    rng = random.Random(FAULT_SEED)
    print(f"fault seed {FAULT_SEED} (set NEWSQA_FAULT_SEED to replay)")
    folder = tmp_path / "many"
    _write_articles(folder, 30)
    env = {**os.environ, "NEWSQA_STORE__DATA_DIR": str(settings.store.data_dir), "NEWSQA_INDEX__WRITE_GROUP": "16"}
    env = {
        k: v for k, v in env.items() if not k.startswith("NEWSQA_") or k.startswith(("NEWSQA_STORE", "NEWSQA_INDEX"))
    }
    ingest([folder], settings, progress=False)
    # Each kind of command is killed at a point drawn inside how long it runs: at first a bound, then
    # what a run that finished before its point took, so that a faster machine (or a cheaper update)
    # does not leave the points past the end. A removal loads no model: it is over much sooner.
    spans = {"ingest": 7.0, "replace": 7.0, "remove": 1.4}
    kills = attempts = 0
    while kills < KILL_POINTS:
        attempts += 1
        assert attempts <= 4 * KILL_POINTS, "the commands kept finishing before their kill point"
        operation = rng.choice(["ingest", "replace", "remove"])
        stems = sorted(p.stem for p in folder.iterdir())
        if operation == "ingest":
            remove(rng.sample(stems, k=12), settings)  # so that the killed ingest has articles to add
        if operation == "replace":
            for stem in rng.sample(stems, k=12):
                path = folder / f"{stem}.txt"
                path.write_text(path.read_text() + f"\n\nCorrection {attempts}: an earlier version misstated a date.\n")
        if operation == "remove":
            command = [*newsqa_command(), "remove", *sorted(rng.sample(stems, k=12))]
        else:
            command = [*newsqa_command(), "ingest", str(folder), "-q"]
        delay = rng.uniform(0.4, 1.0) * spans[operation]
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            process.wait(timeout=delay)
            spans[operation] = time.monotonic() - started
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        killed = process.returncode == -signal.SIGKILL
        kills += killed
        print(f"{operation} {'killed' if killed else 'finished before'} at {delay:.1f}s (exit {process.returncode})")

        store = open_store(settings)
        chunks = sorted(r.id for r in store.iter_all())
        assert sorted(open_lexical(store).ids) == chunks, f"{operation} at {delay:.1f}s: BM25 out of step"
        assert len(chunks) == len(set(chunks))
        rerun = ingest([folder], settings, progress=False)
        # The rerun embeds only what the kill left missing: never an article it had already stored whole.
        assert rerun.chunks_embedded <= rerun.chunks_added
        assert rerun.unchanged + rerun.added + rerun.replaced == len(stems)
        assert all(len(v) == 1 for v in _versions_by_article(settings).values()), "an article kept two versions"
    reference = settings.with_data_dir(tmp_path / "clean")
    ingest([folder], reference, progress=False)
    assert sorted(r.id for r in open_store(settings).iter_all()) == sorted(
        r.id for r in open_store(reference).iter_all()
    )
    assert answer("Who led the loyalists in Balqasah?", settings=settings).short_answer == "Shujaa al-Ali"
