"""How newsqa behaves from 30 thousand to a million chunks (``python -m eval.bench scale``).

    python -m eval.bench scale --base DIR --corpus C --questions Q \\
        --sizes 30000,100000,300000,1000000 --out eval/results/bench/scale.json

``--base`` is an index built by ``newsqa ingest`` from ``--corpus`` (real chunks of
realtimeqa-train's articles and their real vectors). The scale index grows from it through
newsqa's own ingestion (chunking, Chroma, BM25 segments, near-copy groups): first the
articles themselves, then copies of them under new ids, titled ``⟦n⟧ <title>``, whose
vectors are the originals' moved by a small random step (cosine ≈ 0.94), until each size is
reached. Embedding is the one step left out, as the issue asks, so that the curve is not
embedding time (which grows with the articles added, not the index: ``update`` measures it).
Copies are near-copies of their originals, so they fall into one near-copy group each.

At each size: ``answer()`` p50/p95 over the questions, dense/BM25/hybrid query p50 (query
vector made beforehand), adding 10 articles and removing them, the seconds until a second
process (open on the index all along) finds the added article, and a fresh process's open
(store, BM25, first hybrid query), its resident memory after five answers, and the disk.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from eval.data import load_questions, read_corpus, write_rows
from eval.metrics import percentile
from index import ingest, open_store, remove
from index.embed import Embedder
from index.lexical import lexical_text
from newsqa.settings import Settings
from newsqa.timing import Timer

#: Length of the random step that makes a copy's vectors (unit vectors: cosine ≈ 1/sqrt(1 + STEP²) ≈ 0.94).
STEP = 0.35
#: Articles per ingest while growing: bounds one run's memory and keeps its file under the 50 MB a file may have.
_GROWTH_BATCH = 5_000
#: Questions timed through answer() at each size (the query latencies use all of them).
_ANSWERS = 40
_MARK = re.compile(r"^⟦(\w+)⟧ ")


class ReplayEmbedder(Embedder):
    """The base index's vectors for its own texts; a copy's text gets its original's vector moved by a fixed step."""

    name = "replay"

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self._vectors = vectors
        self.dimension = len(next(iter(vectors.values())))

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)

    def _vector(self, text: str) -> np.ndarray:
        mark = _MARK.match(text)
        if not mark:
            return self._vectors[text]
        original = self._vectors[text[mark.end() :]]
        step = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(original.shape)
        moved = original + STEP * step / np.linalg.norm(step)
        return moved / np.linalg.norm(moved)


def _replay(base: Path) -> ReplayEmbedder:
    store = open_store(Settings().with_data_dir(base))
    got = store._collection.get(include=["documents", "metadatas", "embeddings"])  # noqa: SLF001
    vectors = {
        lexical_text(str(m.get("title") or ""), d): np.asarray(v, dtype=np.float32)
        for d, m, v in zip(got["documents"], got["metadatas"], got["embeddings"])
    }
    return ReplayEmbedder(vectors)


def _copies(rows: list[dict], chunks_per_article: dict[str, int], start: int, target: int, mark: str = ""):
    """Copies of ``rows`` (numbered from ``start``) until they hold ``target`` chunks; yields (row, chunks)."""
    n = start
    made = 0
    while made < target:
        for row in rows:
            if made >= target:
                return
            copy = (
                row
                if n == 0 and not mark
                else {
                    **row,
                    "id": f"{row['id']}~{mark}{n}",
                    "title": f"⟦{mark}{n}⟧ {row.get('title') or row['id']}",
                }
            )
            made += chunks_per_article[row["id"]]
            yield copy
        n += 1


def bench_scale(base: Path, corpus: Path, questions_path: Path, sizes: list[int], out: Path, work: Path) -> dict:
    rows = [r for r in read_corpus(corpus) if str(r.get("text") or "").strip()]
    base_store = open_store(Settings().with_data_dir(base))
    per_article = {m["article_id"]: int(m["n_chunks"]) for m in base_store.article_metadata()}
    rows = [r for r in rows if r["id"] in per_article]
    replay = _replay(base)
    questions = [q.question for q in load_questions(questions_path)]
    result: dict[str, Any] = {"base_chunks": sum(per_article.values()), "step": STEP, "sizes": []}
    work.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="scale-", dir=work))
    settings = Settings().with_data_dir(data_dir)
    copies = _copies(rows, per_article, 0, 10**9)
    total = 0
    try:
        with mock.patch("index.ingest.get_embedder", lambda *a, **k: replay):
            for size in sorted(sizes):
                timer = Timer()
                while total < size:
                    batch: list[dict] = []
                    while total < size and len(batch) < _GROWTH_BATCH:
                        row = next(copies)
                        batch.append(row)
                        total += per_article[row["id"].split("~")[0]]
                    path = write_rows(batch, work / "grow.jsonl")
                    ingest([path], settings, progress=False)
                grown = timer.seconds
                entry = _measure(settings, rows, per_article, questions, size, replay)
                entry["grow_s"] = grown
                result["sizes"].append(entry)
                out.write_text(json.dumps(result, indent=2))
                print(json.dumps(entry), flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    plot(result, out.with_suffix(".png"))
    return result


def plot(result: dict, path: Path) -> None:
    """The curves against the index's size: latencies, update times, memory and disk."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = result["sizes"]
    chunks = [s["chunks"] for s in sizes]
    panels = {
        "query and answer, ms (p50)": [
            "answer_p50_ms",
            "answer_p95_ms",
            "hybrid_p50_ms",
            "dense_p50_ms",
            "bm25_p50_ms",
        ],
        "updates and opening, s": ["add10_s", "remove10_s", "visible_to_other_process_s", "cold_open_s"],
        "memory (MB) and disk (MB)": ["rss_mb", "disk_mb"],
    }
    figure, axes = plt.subplots(1, len(panels), figsize=(15, 4.2))
    for ax, (title, keys) in zip(axes, panels.items()):
        for key in keys:
            ax.plot(chunks, [s[key] for s in sizes], marker="o", label=key)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks in the index")
        ax.set_title(title)
        ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
    figure.suptitle("newsqa from 30k to 1M chunks (python -m eval.bench scale; 2 CPU cores)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def _chunk_vector(settings: Settings, article: str, replay: ReplayEmbedder) -> list[float]:
    """The vector of one of ``article``'s chunks: a dense search for it finds that chunk first once visible."""
    store = open_store(settings)
    chunk = next(iter(store.get(sorted(store.ids_of_articles([article])[article])).values()))
    return replay.embed_documents([lexical_text(chunk.metadata["title"], chunk.text)])[0].tolist()


def _measure(settings: Settings, rows, per_article, questions: list[str], size: int, replay: ReplayEmbedder) -> dict:
    from rag import answer
    from rag.retrieval.retriever import build_retriever, forget_indexes, open_index

    forget_indexes()
    store = open_store(settings)
    entry: dict[str, Any] = {"target": size, "chunks": store.count()}
    index = open_index(settings)
    answer(questions[0], settings=settings)
    times, stages = [], []
    for q in questions[:_ANSWERS]:
        timer = Timer()
        stages.append(answer(q, settings=settings).timings_ms)
        times.append(timer.ms)
    entry["answer_p50_ms"], entry["answer_p95_ms"] = percentile(times, 50), percentile(times, 95)
    # Where answer() spends its time at this size, stage by stage (medians, ms): what grows with the index.
    entry["answer_stages_p50_ms"] = {k: percentile([s.get(k, 0.0) for s in stages], 50) for k in stages[0]}
    queries = [index.query(q) for q in questions]
    for mode in ("dense", "bm25", "hybrid"):
        retriever = build_retriever(index, settings.retrieval, k=settings.retrieval.k, mode=mode)
        spent = []
        for query in queries:
            timer = Timer()
            retriever.invoke(query)
            spent.append(timer.ms)
        entry[f"{mode}_p50_ms"] = percentile(spent, 50)
    watcher = _Watcher(settings)
    try:
        added = list(_copies(rows[:10], per_article, 0, sum(per_article[r["id"]] for r in rows[:10]), mark="add"))
        path = write_rows(added, settings.store.data_dir.parent / "add.jsonl")
        timer = Timer()
        ingest([path], settings, progress=False)
        entry["add10_s"] = timer.seconds
        entry["visible_to_other_process_s"] = watcher.seconds_until_seen(
            added[0]["id"], added[0]["title"], _chunk_vector(settings, added[0]["id"], replay)
        )
        if watcher.died is not None:
            entry["other_process_died"] = watcher.died
    finally:
        watcher.close()
    timer = Timer()
    remove([r["id"] for r in added], settings)
    entry["remove10_s"] = timer.seconds
    forget_indexes()
    entry |= _cold_open(settings, questions[:5])
    entry["disk_mb"] = sum(f.stat().st_size for f in settings.store.data_dir.rglob("*") if f.is_file()) / 1e6
    entry["bytes_per_chunk"] = entry["disk_mb"] * 1e6 / entry["chunks"]
    return entry


_WATCH = """
import json, sys, time
import numpy as np
from newsqa.settings import Settings
from newsqa.types import Query
from rag.retrieval.retriever import build_retriever, open_index
settings = Settings().with_data_dir(sys.argv[1])
index = open_index(settings)
print("ready", flush=True)
asked = json.loads(sys.stdin.readline())
while True:
    index = open_index(settings)
    query = Query(text=asked["title"], vector=np.asarray(asked["vector"], dtype=np.float32))
    found = [build_retriever(index, settings.retrieval, k=20, mode=m).invoke(query) for m in ("dense", "bm25")]
    if all(asked["article"] in {p.article_id for p in passages} for passages in found):
        print(time.time(), flush=True)
        break
    time.sleep(0.05)
"""


class _Watcher:
    """A second process, open on the index before the update, that says when it finds the new article."""

    def __init__(self, settings: Settings) -> None:
        self.died: int | None = None  # the reader's exit status, had it ended before finding the article
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WATCH, str(settings.store.data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        assert self._process.stdout is not None and self._process.stdout.readline().strip() == "ready"

    def seconds_until_seen(self, article: str, title: str, vector: list[float], limit_s: float = 600.0) -> float:
        """Seconds from now (the update's end) until the watcher finds ``article`` by dense and BM25 search.

        BM25 looks for the title (its copy mark is a word no other article has), dense for
        one of its chunks' own vector.
        """
        assert self._process.stdin is not None and self._process.stdout is not None
        start = time.time()
        self._process.stdin.write(json.dumps({"article": article, "title": title, "vector": vector}) + "\n")
        self._process.stdin.flush()
        ready, _, _ = select.select([self._process.stdout], [], [], limit_s)
        line = self._process.stdout.readline() if ready else ""
        if not line:  # timed out, or the reader died (Chroma's Rust core segfaulted in one at 300k chunks)
            self.died = self._process.poll()
            return float("nan")
        return float(line) - start

    def close(self) -> None:
        self._process.kill()
        self._process.wait()


_COLD = """
import json, resource, sys, time
start = time.perf_counter()
from newsqa.settings import Settings
from rag import answer
from rag.retrieval.retriever import build_retriever, open_index
imported = time.perf_counter()
settings = Settings().with_data_dir(sys.argv[1])
index = open_index(settings)
build_retriever(index, settings.retrieval, k=settings.retrieval.k).invoke(index.query(sys.argv[2]))
opened = time.perf_counter()
for question in sys.argv[2:]:
    answer(question, settings=settings)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"cold_open_s": opened - imported, "imports_s": imported - start, "rss_mb": rss}))
"""


def _cold_open(settings: Settings, questions: list[str]) -> dict:
    """A fresh process: opening the index and its first hybrid query (imports apart), then its memory."""
    done = subprocess.run(
        [sys.executable, "-c", _COLD, str(settings.store.data_dir), *questions],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
