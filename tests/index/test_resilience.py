"""A real interruption (SIGKILL mid-ingestion) and a real Chroma server on loopback."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import pytest

from index import ingest, open_lexical, open_store
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


@pytest.mark.parametrize("damaged", ["chunks.json", "days.npy", "bm25"])
def test_damaged_bm25_files_are_rebuilt_from_the_vector_store(settings, damaged):
    import shutil

    from index.lexical import lexical_folder

    ingest([sample_article()], settings, source="sample", progress=False)
    target = lexical_folder(open_store(settings)) / damaged
    if target.is_dir():
        shutil.rmtree(target)
        target.write_text("not a folder")
    else:
        target.write_bytes(b"\x00garbage{")
    store = open_store(settings)
    assert len(open_lexical(store)) == store.count()
    assert answer("Who led the loyalists in Balqasah?", settings=settings).short_answer == "Shujaa al-Ali"
