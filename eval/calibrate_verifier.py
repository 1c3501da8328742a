"""Tune the verifier's support threshold on a question set with gold articles.

    python -m eval.calibrate_verifier --questions Q.jsonl --data-dir DIR

For each question, the claim is the question with its gold answer appended (what a
correct generated sentence says). Its best support among the sentences of the gold
article's retrieved passages that contain the answer is a positive; its best support
among the sentences of retrieved passages from other articles is a negative. The
threshold that best separates them (balanced accuracy) is printed beside the current
setting.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from eval.data import load_questions
from eval.metrics import contains_answer
from newsqa.settings import Settings
from rag.generative.verify import CitationVerifier
from rag.nlp.sentences import split_sentences
from rag.retrieval.retriever import build_retriever, open_index


def calibrate(questions_path: Path, settings: Settings) -> dict:
    index = open_index(settings)
    verifier = CitationVerifier(index.embedder, settings.verify)
    retriever = build_retriever(index, settings.retrieval, k=10)
    positives, negatives = [], []
    for q in load_questions(questions_path):
        claim = f"{q.question.rstrip('?')}: {q.answers[0]}."
        passages = retriever.invoke(index.query(q.question))
        gold = [
            s
            for p in passages
            if p.article_id in q.gold_doc_ids
            for s in split_sentences(p)
            if contains_answer(s.text, q.answers)
        ]
        other = [s for p in passages if p.article_id not in q.gold_doc_ids for s in split_sentences(p)]
        if gold:
            positives.append(float(verifier._support([claim], gold).max()))
        if other:
            negatives.append(float(verifier._support([claim], other).max()))
    pos, neg = np.array(positives), np.array(negatives)
    candidates = np.round(np.arange(0.3, 0.9, 0.01), 2)
    balanced = [((pos >= t).mean() + (neg < t).mean()) / 2 for t in candidates]
    best = float(candidates[int(np.argmax(balanced))])
    current = settings.verify.support_threshold
    return {
        "positives": len(pos),
        "negatives": len(neg),
        "best_threshold": best,
        "best_balanced_accuracy": float(max(balanced)),
        "current_threshold": current,
        "current_balanced_accuracy": float(((pos >= current).mean() + (neg < current).mean()) / 2),
        "positive_median": float(np.median(pos)),
        "negative_median": float(np.median(neg)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="an index that holds the questions' corpus")
    args = parser.parse_args()
    result = calibrate(args.questions, Settings().with_data_dir(args.data_dir))
    for key, value in result.items():
        print(f"{key:<28} {value:.3f}" if isinstance(value, float) else f"{key:<28} {value}")


if __name__ == "__main__":
    main()
