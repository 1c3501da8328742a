"""Load: many questions at once through the UI's API and the Python API, while another process ingests.

    python -m eval.bench_load [--questions 50] [--answers 30] [--written 100] [--out eval/results/load/metrics.json]

Builds a fresh index of made-up council stories (each names one mayor, so every answer
can be checked), then measures, each beside the serial latency of the same questions in
the same run:

* ``api``: ``--questions`` concurrent calls of the served UI's ``/answer`` (a real
  ``newsqa ui`` process, through gradio_client);
* ``during_ingest``: rounds of ``--answers`` concurrent :func:`rag.answer` calls in this
  process for as long as a ``newsqa ingest`` process adds ``--written`` more stories;
* ``after_ingest``: the new stories asked about through both, so that a long-lived
  process is seen to read what another process just wrote.

An answer is right when its short answer is the mayor the story names; a call that raises
is counted in ``errors`` (the first one's message kept), never ends the run. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from eval.metrics import percentile
from index import ingest
from newsqa.settings import Settings
from newsqa.timing import Timer

TOWNS = [
    "Arwad", "Baniyas", "Dreikish", "Jableh", "Kassab", "Latakia", "Masyaf", "Qardaha", "Safita", "Salamiyah",
    "Shaykh Badr", "Tartus", "Yabroud", "Zabadani", "Douma", "Harasta", "Nabk", "Qatana", "Suwayda", "Shahba",
]  # fmt: skip
QUARTERS = ["Central", "North", "South", "East", "West", "Old", "New", "Upper"]
GIVEN = ["Rami", "Lina", "Omar", "Hala", "Fadi", "Nour", "Samir", "Dima", "Karim", "Rania"]
NEWSQA = [sys.executable, "-c", "from ui.cli import main; main()"]
FAMILY = ["Haddad", "Khoury", "Nasser", "Saleh", "Darwish", "Mansour", "Aziz", "Hakim", "Qassem", "Tamer"]


def _stories(first: int, count: int) -> list[tuple[str, str, str]]:
    """(file stem, town, mayor) for ``count`` stories from number ``first``; no two of the first 160 share a town."""
    stories = []
    for i in range(count):
        n = first + i
        town = f"{TOWNS[n % len(TOWNS)]} {QUARTERS[n // len(TOWNS)]}"
        mayor = f"{GIVEN[n % len(GIVEN)]} {FAMILY[(n // len(GIVEN)) % len(FAMILY)]}"
        stories.append((f"council-{n:03d}", town, mayor))
    return stories


def _write(folder: Path, stories: list[tuple[str, str, str]]) -> Path:
    folder.mkdir(parents=True)
    for stem, town, mayor in stories:
        (folder / f"{stem}.txt").write_text(
            f"{town} council elects a new mayor\n\n"
            f"The council of {town} elected {mayor} as mayor on Tuesday, ending a month of deadlock. "
            f"{mayor} won eleven of the nineteen votes, the council's clerk said.\n"
        )
    return folder


def _question(town: str) -> str:
    return f"Who was elected mayor of {town}?"


def _timed(call, question: str) -> tuple[float, str | None]:
    timer = Timer()
    result = call(question)
    return timer.ms, (result.get("short_answer") if isinstance(result, dict) else result.short_answer)


def _checked(call, story) -> tuple[float, str | None, str | None]:
    """Latency, short answer and, when the call raised, its error: an error is counted, not fatal."""
    try:
        return (*_timed(call, _question(story[1])), None)
    except Exception as e:
        return float("nan"), None, f"{type(e).__name__}: {e}"


def _run_concurrently(call, stories, workers: int) -> dict:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda story: _checked(call, story), stories))
    latencies = [ms for ms, _, error in outcomes if error is None]
    right = sum(answer == mayor for (_, answer, _), (_, _, mayor) in zip(outcomes, stories))
    errors = [error for _, _, error in outcomes if error]
    return {
        "calls": len(stories),
        "right": right,
        "errors": len(errors),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
    } | ({"first_error": errors[0]} if errors else {})


def _while_running(call, stories, workers: int, writer: subprocess.Popen) -> dict:
    """Rounds of ``workers`` concurrent calls until ``writer`` ends (one round at least), summed."""
    rounds: list[dict] = []
    while not rounds or writer.poll() is None:
        rounds.append(_run_concurrently(call, stories, workers))
    latencies = [r["p50_ms"] for r in rounds]
    return {
        "rounds": len(rounds),
        "calls": sum(r["calls"] for r in rounds),
        "right": sum(r["right"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": max(r["p95_ms"] for r in rounds),
    } | next(({"first_error": r["first_error"]} for r in rounds if "first_error" in r), {})


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env |= {"GRADIO_ANALYTICS_ENABLED": "False", "NEWSQA_UI__REQUESTS_PER_MINUTE": "0"}
    return subprocess.Popen(
        [*NEWSQA, "ui", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def bench_load(questions: int, answers: int, written: int) -> dict:
    from gradio_client import Client

    from rag import answer

    folder = Path(tempfile.mkdtemp(prefix="newsqa-load-"))
    settings = Settings().with_data_dir(folder / "index")
    first = _stories(0, max(questions, answers))
    second = _stories(len(first), written)
    ingest([_write(folder / "first", first)], settings, progress=False)

    def ask(question: str):
        return answer(question, settings=settings)

    serial = _run_concurrently(ask, first[:answers], workers=1)
    port = _free_port()
    server = _serve(settings.store.data_dir, port)
    try:
        client = _connect(Client, port, server)

        def ask_api(question: str):
            return client.predict(question, api_name="/answer")

        api = _run_concurrently(ask_api, first[:questions], workers=questions)
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
        env["NEWSQA_STORE__DATA_DIR"] = str(settings.store.data_dir)
        writer = subprocess.Popen(
            [*NEWSQA, "ingest", str(_write(folder / "second", second)), "-q"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        during = _while_running(ask, first[:answers], answers, writer) | {"articles_written": written}
        writer.wait(timeout=600)
        after = {
            "python": _run_concurrently(ask, second[:answers], workers=answers),
            "api": _run_concurrently(ask_api, second[:answers], workers=answers),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "serial_python": serial,
        "api": api | {"p50_vs_serial": round(api["p50_ms"] / serial["p50_ms"], 2)},
        "during_ingest": during | {"p50_vs_serial": round(during["p50_ms"] / serial["p50_ms"], 2)},
        "after_ingest": after,
        "articles": len(first) + len(second),
    }


def _connect(client_class, port: int, server: subprocess.Popen, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return client_class(f"http://127.0.0.1:{port}", verbose=False)
        except Exception:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=50, help="concurrent calls of the UI's /answer")
    parser.add_argument("--answers", type=int, default=30, help="concurrent answer() calls during an ingest")
    parser.add_argument("--written", type=int, default=100, help="articles the other process ingests meanwhile")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    figures = bench_load(args.questions, args.answers, args.written)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
