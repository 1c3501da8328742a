"""Speed and retrieval benchmarks; every figure is printed beside a reference measured in the same run.

    python -m eval.bench ingest --corpus ../shared/data/realtimeqa-dev/corpus.jsonl --limit 300 [--questions Q]
    python -m eval.bench update --corpus C --data-dir DIR
    python -m eval.bench startup
    python -m eval.bench scale --base DIR --corpus C --questions Q [--sizes 30000,...] --out FILE
    python -m eval.bench retrieval --corpus C --questions Q --data-dir DIR [--tutorial] [--answers]

``ingest`` compares newsqa's whole ingestion (parse, chunk, embed, Chroma, BM25) with the
LangChain tutorial's (splitter, sentence-transformers, Chroma) and with newsqa's own before
ONNX Runtime (torch fp32), on the same articles in one run; with ``--questions``, hybrid
hit@5 of newsqa's index against the torch baseline's.

``update`` adds 1 and then 10 articles to a copy of the index in ``--data-dir`` and removes
them, against rebuilding BM25 and the near-copy groups from the whole index (what every
update cost before BM25 had segments), measured in the same run.

``startup`` times a cold ``newsqa ask`` over the sample and a cold ``newsqa ui`` until it
serves its page and then answers its first question, against a cold ``python -c "import
chromadb, spacy"`` (each the median of three fresh processes), and splits one cold ask into
its phases (imports, opening the index, the first query vector, the first answer).

``scale`` is :mod:`eval.scale`.

``retrieval`` compares article-level hit@5 and query latency of hybrid retrieval with
dense-only and BM25-only over the same index, each also within the week before the
question's date; ``--tutorial`` adds rank-bm25 over the LangChain tutorial's chunks
(1000/200 recursive splitter, no headline), ``--tutorial-dense`` the tutorial's dense
search over them. The index in ``--data-dir`` is built if it is empty.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from eval.data import load_questions, read_corpus, write_rows
from eval.metrics import hit_at_k, percentile
from index import ingest, open_store
from index.embed import get_embedder, resolve_model_path
from index.ingest import IngestReport
from newsqa.settings import Settings
from newsqa.timing import Timer

TUTORIAL_CHUNK, TUTORIAL_OVERLAP = 1000, 200
# Parts of the ingest comparison: each part is ingested by the three contenders in turn, so drift hits all alike.
_ROUNDS = 6


def _ratio(value: float, reference: float) -> str:
    return f"{value / reference:.3f}" if reference else "n/a"


def bench_ingest(corpus: Path, limit: int, questions_path: Path | None) -> dict:
    """newsqa's ingestion against the LangChain tutorial's and the torch fp32 baseline's, on the same articles.

    Three ingests of one subset, each with its model loaded first: newsqa as configured;
    newsqa with sentence-transformers (torch fp32) and its old batch of 64, the
    configuration before ONNX Runtime (the vectors' baseline); and the tutorial's. A shared
    machine's speed drifts over minutes, so the subset goes in :data:`_ROUNDS` parts, each
    ingested by all three in turn (in rotated order), and each one's times are summed. With
    ``questions_path``, the subset starts with the questions' gold articles, and hybrid
    hit@5 is compared over the two newsqa indexes.
    """
    questions = load_questions(questions_path) if questions_path else []
    rows = _subset(read_corpus(corpus), questions, limit)
    settings = Settings()
    baseline = settings.model_copy(
        update={
            "index": settings.index.model_copy(
                update={"embedding_runtime": "torch", "embed_batch_size": 64, "embedding_precision": "fp32"}
            )
        }
    )
    result: dict[str, Any] = {"articles": len(rows), "rounds": _ROUNDS}
    with tempfile.TemporaryDirectory() as tmp:
        configs = {
            "newsqa": settings.with_data_dir(Path(tmp) / "newsqa"),
            "torch_baseline": baseline.with_data_dir(Path(tmp) / "torch_baseline"),
        }
        for config in configs.values():
            get_embedder(config.index, documents=True).embed_documents(["warm up"])
        totals = {name: IngestReport() for name in configs}
        tutorial_chunks, tutorial_s = 0, 0.0
        tutorial = _Tutorial(Path(tmp) / "tutorial")
        for n in range(_ROUNDS):
            part = write_rows(rows[n::_ROUNDS], Path(tmp) / f"part-{n}.jsonl")
            turns = ["newsqa", "torch_baseline", "tutorial"]
            for name in turns[n % 3 :] + turns[: n % 3]:
                if name == "tutorial":
                    chunks, seconds = tutorial.ingest(rows[n::_ROUNDS])
                    tutorial_chunks, tutorial_s = tutorial_chunks + chunks, tutorial_s + seconds
                    continue
                done = ingest([part], configs[name], progress=False)
                totals[name].chunks_added += done.chunks_added
                totals[name].seconds += done.seconds
                totals[name].embed_seconds += done.embed_seconds
        report, ours = totals["newsqa"], configs["newsqa"]
        base_report, base = totals["torch_baseline"], configs["torch_baseline"]
        rate = report.chunks_added / report.seconds
        tutorial_rate = tutorial_chunks / tutorial_s
        result |= {
            "chunks": report.chunks_added,
            "ingest_seconds": report.seconds,
            "ingest_chunks_per_s": rate,
            "embed_seconds": report.embed_seconds,
            "overhead_seconds": report.seconds - report.embed_seconds,
            "torch_baseline_chunks_per_s": base_report.chunks_added / base_report.seconds,
            "tutorial_chunks": tutorial_chunks,
            "tutorial_seconds": tutorial_s,
            "tutorial_chunks_per_s": tutorial_rate,
            "tutorial_ratio": rate / tutorial_rate,
            "tutorial_article_ratio": tutorial_s / report.seconds,
            "baseline_ratio": rate / (base_report.chunks_added / base_report.seconds),
        }
        if questions:
            scored = [q for q in questions if set(q.gold_doc_ids) & {r["id"] for r in rows}]
            hits = {name: _hybrid_hit5(config, scored) for name, config in (("newsqa", ours), ("baseline", base))}
            result |= {"hit5_questions": len(scored), "hit5": hits["newsqa"], "hit5_baseline": hits["baseline"]}
            result["hit5_delta"] = hits["newsqa"] - hits["baseline"]
    print(f"articles {len(rows)}; newsqa {report.chunks_added} chunks, the tutorial {tutorial_chunks}")
    print(f"newsqa ingest, end to end     {rate:8.1f} chunks/s ({report.seconds:.1f}s)")
    print(f"torch fp32, batch 64 (before) {result['torch_baseline_chunks_per_s']:8.1f} chunks/s")
    print(f"the LangChain tutorial        {tutorial_rate:8.1f} chunks/s ({tutorial_s:.1f}s)")
    print(
        f"tutorial_ratio {result['tutorial_ratio']:.3f} by chunks/s, "
        f"{result['tutorial_article_ratio']:.3f} by time for the same articles (bar >= 1.5); "
        f"not embedding: {result['overhead_seconds']:.1f}s of {report.seconds:.1f}s"
    )
    if questions:
        print(
            f"hybrid hit@5 over {result['hit5_questions']} questions: {result['hit5']:.3f} against the torch "
            f"baseline's {result['hit5_baseline']:.3f} (delta {result['hit5_delta']:+.3f}; bar within 0.01)"
        )
    return result


def _subset(rows: list[dict], questions, limit: int) -> list[dict]:
    """The questions' gold articles first, then the corpus's first articles, ``limit`` in all (those with text)."""
    gold = {doc for q in questions for doc in q.gold_doc_ids}
    usable = [r for r in rows if str(r.get("text") or "").strip()]
    ordered = [r for r in usable if r["id"] in gold] + [r for r in usable if r["id"] not in gold]
    return ordered[:limit]


class _Tutorial:
    """The LangChain RAG tutorial's ingestion, step for step, into one Chroma collection.

    ``RecursiveCharacterTextSplitter(1000, 200)``, then ``HuggingFaceEmbeddings`` and
    ``Chroma.from_documents``. langchain-huggingface and langchain-chroma are not newsqa's
    dependencies, so their calls underneath are made here as they make them:
    sentence-transformers' ``encode`` with its default batch of 32 on texts whose newlines
    became spaces, then Chroma's ``upsert`` in batches of the client's largest. The model
    is loaded before any clock starts, as newsqa's is.
    """

    def __init__(self, folder: Path) -> None:
        import chromadb
        from langchain_text_splitters import RecursiveCharacterTextSplitter
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(
            resolve_model_path(Settings().index.embedding_model), device="cpu", local_files_only=True
        )
        self._model.encode(["warm up"])
        self._splitter = RecursiveCharacterTextSplitter(chunk_size=TUTORIAL_CHUNK, chunk_overlap=TUTORIAL_OVERLAP)
        self._client = chromadb.PersistentClient(path=str(folder))
        self._collection = self._client.get_or_create_collection("langchain")

    def ingest(self, rows: list[dict]) -> tuple[int, float]:
        """Chunks added and seconds taken for ``rows``."""
        import uuid

        timer = Timer()
        texts, metadatas = [], []
        for row in rows:
            for piece in self._splitter.split_text(str(row["text"])):
                texts.append(piece)
                metadatas.append({"source": str(row["id"])})
        vectors = self._model.encode([t.replace("\n", " ") for t in texts], batch_size=32)
        step = self._client.get_max_batch_size()
        for start in range(0, len(texts), step):
            end = start + step
            self._collection.upsert(
                ids=[str(uuid.uuid4()) for _ in texts[start:end]],
                embeddings=vectors[start:end].tolist(),
                documents=texts[start:end],
                metadatas=metadatas[start:end],  # type: ignore[arg-type]
            )
        return len(texts), timer.seconds


def _hybrid_hit5(settings: Settings, questions) -> float:
    from rag.retrieval.retriever import build_retriever, open_index

    index = open_index(settings)
    retriever = build_retriever(index, settings.retrieval, k=50, mode="hybrid")
    found = [
        hit_at_k(_article_ranking(retriever.invoke(index.query(q.question))), set(q.gold_doc_ids), 5) for q in questions
    ]
    return float(np.mean(found)) if found else float("nan")


def _article_ranking(passages) -> list[str]:
    return [p.article_id for p in passages]


def bench_retrieval(
    corpus: Path, questions_path: Path, data_dir: Path, tutorial: bool, tutorial_dense: bool, answer_latency: bool
) -> dict:
    from newsqa.types import Filters
    from rag.retrieval.retriever import build_retriever, open_index

    settings = Settings().with_data_dir(data_dir)
    store = open_store(settings, create=True)
    if store.count() == 0:
        report = ingest([corpus], settings)
        print(f"built the index: {report.summary()}")
    index = open_index(settings)
    questions = load_questions(questions_path)
    depth = 50
    retrievers = {
        mode: build_retriever(index, settings.retrieval, k=depth, mode=mode) for mode in ("dense", "bm25", "hybrid")
    }
    hits: dict[str, list[float]] = {
        name: [] for name in ("dense", "bm25", "hybrid", "dense+week", "bm25+week", "hybrid+week")
    }
    latency: dict[str, list[float]] = {name: [] for name in ("embed_query", "dense", "bm25", "hybrid")}
    for q in questions:
        timer = Timer()
        query = index.query(q.question)
        latency["embed_query"].append(timer.ms)
        for mode, retriever in retrievers.items():
            timer = Timer()
            passages = retriever.invoke(query)
            latency[mode].append(timer.ms)
            hits[mode].append(hit_at_k(_article_ranking(passages), set(q.gold_doc_ids), 5))
        since, until = q.window() or (None, None)
        week_query = query.model_copy(update={"filters": Filters(since=since, until=until)})
        for mode, retriever in retrievers.items():
            week = retriever.invoke(week_query)
            hits[f"{mode}+week"].append(hit_at_k(_article_ranking(week), set(q.gold_doc_ids), 5))

    result: dict[str, Any] = {"questions": len(questions), "hit@5": {k: float(np.mean(v)) for k, v in hits.items()}}
    result["latency_ms_p50"] = {k: percentile(v, 50) for k, v in latency.items()}
    if tutorial:
        result["tutorial"] = _tutorial_baselines(corpus, questions, index.embedder, tutorial_dense)
    if answer_latency:
        from rag import answer

        answer(questions[0].question, settings=settings)
        times = []
        for q in questions:
            timer = Timer()
            answer(q.question, settings=settings)
            times.append(timer.ms)
        result["answer_ms_p50"] = percentile(times, 50)
        result["answer_ms_p95"] = percentile(times, 95)

    print(f"\nquestions: {len(questions)}; article-level hit@5 (first 5 distinct articles of the ranking)")
    tutorial_hits = result.get("tutorial", {}).get("hit@5", {})
    for name, value in {**{f"tutorial {k}": v for k, v in tutorial_hits.items()}, **result["hit@5"]}.items():
        print(f"  {name:<22} {value:.3f}")
    best_baseline = max([result["hit@5"]["dense"], result["hit@5"]["bm25"], *tutorial_hits.values()])
    print(
        f"  hybrid / best baseline: {_ratio(result['hit@5']['hybrid'], best_baseline)}  (bar: > 1 and hybrid >= 0.80)"
    )
    best_week = max(result["hit@5"]["dense+week"], result["hit@5"]["bm25+week"])
    print(f"  hybrid+week / best baseline+week: {_ratio(result['hit@5']['hybrid+week'], best_week)}")
    print("query latency p50, ms")
    for name, value in result["latency_ms_p50"].items():
        print(f"  {name:<22} {value:.1f}")
    for name, value in result.get("tutorial", {}).get("latency_ms_p50", {}).items():
        print(f"  tutorial {name:<13} {value:.1f}")
    if answer_latency:
        retrieval = result["latency_ms_p50"]["embed_query"] + result["latency_ms_p50"]["hybrid"]
        print(
            f"  answer() end to end    {result['answer_ms_p50']:.1f} (p95 {result['answer_ms_p95']:.1f}; bar <= 350); "
            f"over embedding + hybrid retrieval alone ({retrieval:.1f}): {_ratio(result['answer_ms_p50'], retrieval)}"
        )
    return result


def _tutorial_baselines(corpus: Path, questions, embedder, dense: bool) -> dict:
    """The LangChain tutorial's retrieval over the same corpus: plain chunks, no headline.

    rank-bm25 always; the dense search only with ``dense``, since it embeds every chunk again.
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from rank_bm25 import BM25Okapi

    splitter = RecursiveCharacterTextSplitter(chunk_size=TUTORIAL_CHUNK, chunk_overlap=TUTORIAL_OVERLAP)
    chunk_texts, chunk_articles = [], []
    for row in read_corpus(corpus):
        text = str(row.get("text") or "")
        for piece in splitter.split_text(text):
            chunk_texts.append(piece)
            chunk_articles.append(row["id"])
    vectors = None
    if dense:
        print(f"tutorial baseline: embedding {len(chunk_texts)} plain chunks")
        vectors = embedder.embed_documents(chunk_texts)
    bm25 = BM25Okapi([t.lower().split() for t in chunk_texts])
    hits: dict[str, list[float]] = {"dense": [], "rank-bm25": []} if dense else {"rank-bm25": []}
    latency: dict[str, list[float]] = {"dense (numpy)": [], "rank-bm25": []} if dense else {"rank-bm25": []}
    for q in questions:
        if vectors is not None:
            query_vector = embedder.embed_query(q.question)
            timer = Timer()
            top = np.argsort(-(vectors @ query_vector))[:5]
            latency["dense (numpy)"].append(timer.ms)
            hits["dense"].append(hit_at_k([chunk_articles[i] for i in top], set(q.gold_doc_ids), 5))
        timer = Timer()
        scores = bm25.get_scores(q.question.lower().split())
        top = np.argsort(-scores)[:5]
        latency["rank-bm25"].append(timer.ms)
        hits["rank-bm25"].append(hit_at_k([chunk_articles[i] for i in top], set(q.gold_doc_ids), 5))
    return {
        "chunks": len(chunk_texts),
        "hit@5": {k: float(np.mean(v)) for k, v in hits.items()},
        "latency_ms_p50": {k: percentile(v, 50) for k, v in latency.items()},
    }


def bench_update(corpus: Path, data_dir: Path, sizes: list[int]) -> dict:
    from index import remove
    from index.lexical import LexicalIndex, open_lexical

    rows = [r for r in read_corpus(corpus) if str(r.get("text") or "").strip()]
    result: dict[str, Any] = {"updates": []}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "index"
        shutil.copytree(data_dir, copy)
        settings = Settings().with_data_dir(copy)
        store = open_store(settings)
        open_lexical(store)  # brought up to date first, untimed
        # The model loads once per process (as in `newsqa ui` or `watch`): not an update's cost.
        get_embedder(settings.index).embed_query("warm up")
        timer = Timer()
        LexicalIndex.build(store)
        result["chunks"] = store.count()
        result["rebuild_s"] = rebuild = timer.seconds
        print(f"index of {result['chunks']:,} chunks; rebuilding BM25 and near-copies from it: {rebuild:.2f}s")
        for size in sizes:
            # Real articles under new ids: they join the index as new stories (and as copies of their originals).
            fresh = [{**row, "id": f"bench-update-{size}-{i}"} for i, row in enumerate(rows[-size:])]
            path = write_rows(fresh, Path(tmp) / f"add-{size}.jsonl")
            report = ingest([path], settings, progress=False)
            timer = Timer()
            remove([row["id"] for row in fresh], settings)
            removed = timer.seconds
            entry = {
                "articles": size,
                "chunks": report.chunks_added,
                "add_s": report.seconds,
                "embed_s": report.embed_seconds,
                "add_beyond_embedding_s": report.seconds - report.embed_seconds,
                "remove_s": removed,
                "add_ratio_to_rebuild": (report.seconds - report.embed_seconds) / rebuild,
                "remove_ratio_to_rebuild": removed / rebuild,
            }
            result["updates"].append(entry)
            print(
                f"add {size} article(s), {report.chunks_added} chunks: {report.seconds:.2f}s "
                f"({report.embed_seconds:.2f}s embedding; the rest {_ratio(entry['add_beyond_embedding_s'], rebuild)}"
                f" of a rebuild); remove them: {removed:.2f}s ({_ratio(removed, rebuild)} of a rebuild)"
            )
    return result


_STARTUP_RUNS = 3
_UI_WAIT_S = 120.0


def _cold(command: list[str], env: dict[str, str]) -> float:
    """Seconds for a fresh process to run ``command`` to its end (it must succeed)."""

    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _ui_ready(data_dir: Path, env: dict[str, str], question: str) -> tuple[float, float]:
    """Seconds from launching ``newsqa ui`` until its page answers, and then until its API answers a question."""
    from gradio_client import Client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.perf_counter()
    server = subprocess.Popen(
        ["newsqa", "ui", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - start < _UI_WAIT_S:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                    ready = time.perf_counter() - start
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"newsqa ui did not serve its page within {_UI_WAIT_S:.0f}s")
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        timer = Timer()
        client.predict(question, 5, [], "", "", "", api_name="/answer")
        return ready, timer.seconds
    finally:
        server.terminate()
        server.wait()


# Where a cold `newsqa ask` spends its time, phase by phase, in one fresh process.
_ASK_PHASES = """
import json, sys, time
start = time.perf_counter()
import ui.cli
from newsqa.settings import Settings
from rag.retrieval.retriever import open_index
imported = time.perf_counter()
settings = Settings()
index = open_index(settings)
opened = time.perf_counter()
index.query(sys.argv[1])
embedded = time.perf_counter()
from rag import answer
answer(sys.argv[1], settings=settings)
done = time.perf_counter()
print(json.dumps({"imports_s": imported - start, "open_index_s": opened - imported,
                  "first_query_vector_s": embedded - opened, "first_answer_s": done - embedded,
                  "torch_loaded": "torch" in sys.modules}))
"""


def bench_startup() -> dict:
    from index.samples import SAMPLE_QUESTIONS, sample_article

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "index"
        ingest([sample_article()], Settings().with_data_dir(data_dir), source="sample", progress=False)
        env = {**os.environ, "NEWSQA_STORE__DATA_DIR": str(data_dir)}
        question = SAMPLE_QUESTIONS[0]
        imports = [_cold([sys.executable, "-c", "import chromadb, spacy"], env) for _ in range(_STARTUP_RUNS)]
        asks = [_cold(["newsqa", "ask", question], env) for _ in range(_STARTUP_RUNS)]
        ui = [_ui_ready(data_dir, env, question) for _ in range(_STARTUP_RUNS)]
        phases = subprocess.run(
            [sys.executable, "-c", _ASK_PHASES, question], env=env, check=True, capture_output=True, text=True
        )
    result = {
        "imports_s": statistics.median(imports),
        "ask_s": statistics.median(asks),
        "ratio": statistics.median(asks) / statistics.median(imports),
        "ui_ready_s": statistics.median(r for r, _ in ui),
        "ui_first_answer_s": statistics.median(a for _, a in ui),
        "ask_phases": json.loads(phases.stdout.strip().splitlines()[-1]),
        "runs": {
            "imports_s": imports,
            "ask_s": asks,
            "ui_ready_s": [r for r, _ in ui],
            "ui_first_answer_s": [a for _, a in ui],
        },
    }
    print(
        f"cold `newsqa ask` {result['ask_s']:.1f}s against `import chromadb, spacy` {result['imports_s']:.1f}s "
        f"(ratio {result['ratio']:.2f}; bar <= 3); `newsqa ui` serving after {result['ui_ready_s']:.1f}s (bar <= 15), "
        f"its first answer {result['ui_first_answer_s']:.1f}s later"
    )
    print("a cold ask, phase by phase: " + ", ".join(f"{k} {v}" for k, v in result["ask_phases"].items()))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_ingest = sub.add_parser("ingest", help="ingestion throughput against the encoder's own")
    p_ingest.add_argument("--corpus", type=Path, required=True)
    p_ingest.add_argument("--limit", type=int, default=300, help="articles to use (default 300)")
    p_ingest.add_argument("--questions", type=Path, help="questions whose gold articles join the subset, for hit@5")
    p_update = sub.add_parser("update", help="adding and removing articles against a rebuild of BM25")
    p_update.add_argument("--corpus", type=Path, required=True, help="articles to add (the last of the file)")
    p_update.add_argument("--data-dir", type=Path, required=True, help="the index (copied; left unchanged)")
    p_update.add_argument("--sizes", default="1,10", help="articles per update (default 1,10)")
    p_scale = sub.add_parser("scale", help="answer, query, update and open times from 30k to 1M chunks")
    p_scale.add_argument("--base", type=Path, required=True, help="an index built from --corpus (left unchanged)")
    p_scale.add_argument("--corpus", type=Path, required=True, help="the articles the base index holds")
    p_scale.add_argument("--questions", type=Path, required=True, help="questions to time answer() and queries on")
    p_scale.add_argument("--sizes", default="30000,100000,300000,1000000", help="chunks (default 30k to 1M)")
    p_scale.add_argument("--out", type=Path, required=True, help="the figures, written after each size")
    p_scale.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()), help="folder of the scale index")
    sub.add_parser("startup", help="cold `newsqa ask` and `newsqa ui` against importing chromadb and spaCy")
    p_retrieval = sub.add_parser("retrieval", help="hit@5 and latency of hybrid against its baselines")
    p_retrieval.add_argument("--corpus", type=Path, required=True)
    p_retrieval.add_argument("--questions", type=Path, required=True)
    p_retrieval.add_argument("--data-dir", type=Path, required=True)
    p_retrieval.add_argument("--tutorial", action="store_true", help="also run the tutorial's rank-bm25 baseline")
    p_retrieval.add_argument(
        "--tutorial-dense", action="store_true", help="and its dense baseline (embeds the corpus again)"
    )
    p_retrieval.add_argument("--answers", action="store_true", help="also time answer() end to end")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    if args.command == "ingest":
        result = bench_ingest(args.corpus, args.limit, args.questions)
    elif args.command == "scale":
        from eval.scale import bench_scale

        sizes = [int(n) for n in args.sizes.split(",")]
        result = bench_scale(args.base, args.corpus, args.questions, sizes, args.out, args.work)
    elif args.command == "startup":
        result = bench_startup()
    elif args.command == "update":
        result = bench_update(args.corpus, args.data_dir, [int(n) for n in args.sizes.split(",")])
    else:
        result = bench_retrieval(
            args.corpus, args.questions, args.data_dir, args.tutorial, args.tutorial_dense, args.answers
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
