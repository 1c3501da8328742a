"""Whether a sentence says what a question asks: a small cross-encoder learned on realtimeqa-train.

The reader's other features see a sentence through the question's words (overlap, parse
distance); a cross-encoder reads the question and the sentence together, so it can tell
that "the bill would come to 412 million euros" answers "How much will the tram extension
cost?" though they share no word. :class:`SupportScorer` gives each (question,
sentence) pair the probability that the sentence contains the answer; the reader's model
takes it as the features ``support`` and ``support_share``.

The model is the first layers of the installed MiniLM, fine-tuned by ``python -m
eval.train_reader --support`` (:mod:`eval.train_support`) with a linear head over the mean
of its token vectors; none is shipped, since on realtimeqa-train's validation weeks it did
not make the reader's answers better (eval/results/reader/README.md). Its graph holds what
was learned (the layers, the position and type embeddings, the head; weights stored as
float16 and cast up inside the graph), not MiniLM's word-piece table, which stayed frozen
and is read from the installed model: the graph takes each token's word vector as input.
ONNX Runtime runs it, so answering loads no torch.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from newsqa.errors import ModelMissingError

SHIPPED_SUPPORT = Path(__file__).with_name("support_model.onnx")
#: The reader's features this model measures (rag.extractive.features).
SUPPORT_FEATURES = ("support", "support_share")


#: The word-piece table the graph's inputs come from, inside the installed MiniLM.
WORD_TABLE = "embeddings.word_embeddings.weight"
#: Pairs cut to this many tokens (the longer of question and sentence first): news sentences
#: are seldom longer, and every token costs every layer.
MAX_TOKENS = 96


def reads_support(features: Iterable[str]) -> bool:
    """Whether a reader model over ``features`` reads this model's scores (so it must be loaded and run)."""
    return bool(set(SUPPORT_FEATURES) & set(features))


class SupportScorer:
    """The probability that each sentence contains the answer to a question; loaded once per engine."""

    def __init__(self, graph: Path) -> None:
        import onnxruntime
        from safetensors import safe_open
        from tokenizers import Tokenizer

        from index.embed import resolve_model_path

        try:
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
            meta = self._session.get_modelmeta().custom_metadata_map
            self.trained_on = json.loads(meta.get("trained_on", "{}"))
            model_path = resolve_model_path(meta["base"])
            self._tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
            with safe_open(str(Path(model_path) / "model.safetensors"), framework="np") as weights:
                self._words = weights.get_tensor(WORD_TABLE)
        except Exception as e:  # ONNX Runtime, safetensors and tokenizers each raise their own kinds
            raise ModelMissingError(
                f"support model {graph} cannot be read ({e}); retrain it with `python -m eval.train_reader`"
            ) from e
        expected = self._session.get_inputs()[0].shape[-1]
        if self._words.shape[1] != expected:
            raise ModelMissingError(
                f"support model {graph} reads vectors of {expected} numbers, the embedding model's are "
                f"{self._words.shape[1]}; retrain it with `python -m eval.train_reader`"
            )
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="longest_first")
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")

    def scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """One probability per sentence that it contains the answer to ``question``."""
        if not sentences:
            return np.zeros(0)
        encodings = self._tokenizer.encode_batch([(question, s) for s in sentences])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        feeds = {
            "words": self._words[ids],
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        logits = self._session.run(None, feeds)[0]
        return 1 / (1 + np.exp(-logits.astype(np.float64)))


@functools.lru_cache(maxsize=4)
def load_support(graph: Path | None) -> SupportScorer:
    """The support model at ``graph`` (the shipped one when None), loaded once per process."""
    return SupportScorer(graph or SHIPPED_SUPPORT)
