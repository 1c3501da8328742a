"""The Markdown report and PNG plots of an evaluation run, and the comparison plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ANSWER_ROWS = [
    ("em", "exact match (SQuAD normalisation)"),
    ("f1", "token F1 (SQuAD)"),
    ("em_paper", "exact match (paper normalisation)"),
    ("f1_paper", "token F1 (paper)"),
    ("contains", "answer contains the gold answer"),
    ("mc_correct", "multiple-choice accuracy"),
]


def _fmt(stat: dict | None) -> str:
    if not stat or np.isnan(stat["mean"]):
        return "n/a"
    if "low" in stat:
        return f"{stat['mean']:.3f} [{stat['low']:.3f}, {stat['high']:.3f}]"
    return f"{stat['mean']:.3f}"


def _plots(folder: Path, result: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = result["summary"]
    ks = [1, 3, 5, 10]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for mode in ("hybrid", "dense", "bm25"):
        ax.plot(ks, [summary[f"{mode}_hit@{k}"]["mean"] for k in ks], marker="o", label=mode)
    ax.set_xlabel("k (distinct articles)")
    ax.set_ylabel("hit@k")
    ax.set_ylim(0, 1)
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Article-level hit@k")
    fig.tight_layout()
    fig.savefig(folder / "hit_at_k.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for stage in ("retrieval_ms", "answer_ms"):
        ax.hist([r[stage] for r in result["records"]], bins=30, alpha=0.6, label=stage.replace("_ms", ""))
    ax.set_xlabel("milliseconds")
    ax.set_ylabel("questions")
    ax.legend()
    ax.set_title("Latency per stage")
    fig.tight_layout()
    fig.savefig(folder / "latency.png", dpi=120)
    plt.close(fig)
    return ["hit_at_k.png", "latency.png"]


def write_report(folder: Path, result: dict) -> Path:
    summary = result["summary"]
    config = result["config"]
    plots = _plots(folder, result)
    ingestion = result["ingestion"]
    lines = [
        f"# Evaluation: {folder.name}",
        "",
        f"Corpus `{result['corpus']}`, {result['n_questions']} questions from `{result['questions']}`.",
        f"Config: engine {config.get('engine', 'extractive')}, retrieval {config['mode']}, k={config['k']}, "
        f"question-date window {'on' if config['date_window'] else 'off'}, "
        f"asked as of the question's date {'yes' if config.get('as_of_question_date') else 'no'}.",
        f"Index: {ingestion['chunks']} chunks"
        + (
            f"; this run ingested {ingestion['chunks_added']} chunks in {ingestion['seconds']:.0f}s "
            f"({ingestion['chunks_per_s']:.1f} chunks/s)"
            if ingestion.get("chunks_per_s")
            else "; already indexed"
        )
        + f". Evaluation took {result['eval_seconds']:.0f}s.",
        "",
        *[line for warning in result.get("warnings", []) for line in (f"**Warning:** {warning}.", "")],
        "Figures are means with 95% bootstrap intervals.",
        "",
        "## Retrieval (article level)",
        "",
        "| retriever | hit@1 | hit@3 | hit@5 | hit@10 | MRR@10 | nDCG@10 |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode in ("hybrid", "dense", "bm25"):
        cells = [
            _fmt(summary.get(f"{mode}_{metric}"))
            for metric in ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10")
        ]
        lines.append(f"| {mode}{' (answers use this)' if mode == config['mode'] else ''} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Answers",
        "",
        f"| metric | newsqa {config.get('engine', 'extractive')} | lead-sentence baseline |",
        "|---|---|---|",
    ]
    for key, label in ANSWER_ROWS:
        lead = summary.get(f"lead_{key}")
        lines.append(f"| {label} | {_fmt(summary.get(key))} | {_fmt(lead) if lead else '—'} |")
    lines += [
        f"| upper bound: gold answer inside the {config['k']} passages | {_fmt(summary.get('upper_bound'))} | |",
    ]
    if result["paper_reference"]:
        lines += [
            "",
            "Published reference on these questions, realtimeqa-dev (RealTime QA paper, paper normalisation):",
            "",
            "| system | MC | EM | F1 |",
            "|---|---|---|---|",
        ]
    for name, ref in result["paper_reference"].items():
        lines.append(f"| {name} | {ref['mc_accuracy']:.3f} | {ref['em_paper']:.3f} | {ref['f1_paper']:.3f} |")
    lines += [
        "",
        "## Citations and abstention",
        "",
        "| metric | value |",
        "|---|---|",
        f"| citation precision (quote contains the gold answer) | {_fmt(summary.get('citation_precision'))} |",
        f"| citation recall (answered questions with a supporting quote) | {_fmt(summary.get('citation_recall'))} |",
        *(
            [
                "| citation precision before verification (cited passage contains the gold answer) | "
                f"{_fmt(summary['citation_precision_unverified'])} |"
            ]
            if "citation_precision_unverified" in summary
            else []
        ),
        *(
            [
                f"| LLM replies / with no [n] marker at all / fell back to extractive | {llm['replies']} / "
                f"{llm['replies_citing_nothing']} / {llm['fell_back_to_extractive']} |",
                f"| generated sentences kept (cited) / dropped as unsupported | {llm['sentences_kept']} / "
                f"{llm['sentences_dropped_unsupported']} |",
            ]
            if (llm := summary.get("llm"))
            else []
        ),
        f"| abstention recall (gold articles held out) | {_fmt(summary.get('abstention_recall'))} |",
        f"| abstention precision | {_fmt(summary.get('abstention_precision'))} |",
        *(
            [
                "| held-out cases whose passages still contain the gold answer (from another article) | "
                f"{_fmt(summary['answer_without_gold'])} |",
                "| abstention recall where those passages do not contain it | "
                f"{_fmt(summary['abstention_recall_answer_absent'])} |",
            ]
            if "abstention_recall_answer_absent" in summary
            else []
        ),
        f"| abstained although the gold article was indexed | {_fmt(summary.get('abstention_rate_answerable'))} |",
        *(
            [
                "| abstentions (either case) whose passages lacked the gold answer | "
                f"{_fmt(summary['abstentions_answer_absent'])} |"
            ]
            if "abstentions_answer_absent" in summary
            else []
        ),
        *(
            [
                "",
                "## Conflicting sources (each article has a copy from another outlet with the answer swapped)",
                "",
                "| metric | value |",
                "|---|---|",
                f"| the answer names both sides | {_fmt(summary['conflict_both'])} |",
                f"| the answer names only the swapped side | {_fmt(summary['conflict_swapped_only'])} |",
            ]
            if "conflict_both" in summary
            else []
        ),
        "",
        "## Latency",
        "",
        "| stage | p50 ms | p95 ms |",
        "|---|---|---|",
    ]
    for stage in ("retrieval_ms", "answer_ms"):
        lines.append(f"| {stage[:-3]} | {summary[stage]['p50']:.1f} | {summary[stage]['p95']:.1f} |")
    lines += ["", *[f"![{p}]({p})" for p in plots], ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    return path


def comparison_plot(runs: list[dict], names: list[str], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["hybrid_hit@5", "f1", "contains", "mc_correct", "citation_precision", "abstention_recall"]
    keys = [k for k in keys if any(k in r["summary"] for r in runs)]
    width = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, (run, name) in enumerate(zip(runs, names)):
        values = [run["summary"].get(k, {}).get("mean", np.nan) for k in keys]
        ax.bar(np.arange(len(keys)) + i * width, values, width, label=name)
    ax.set_xticks(np.arange(len(keys)) + width * (len(runs) - 1) / 2)
    ax.set_xticklabels(keys, rotation=20, ha="right")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title("Runs compared")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
