"""A sentence-transformers model as one ONNX graph, exported once from its installed weights.

The graph computes what sentence-transformers does for the models newsqa embeds with: the
transformer, the mean of its token vectors under the attention mask, L2 normalisation.
``torch.onnx`` writes it (sentence-transformers' own ONNX backend needs ``optimum``, which
pins transformers below what gradio needs). Nothing is downloaded.

The graph is kept in the cache folder beside a stamp naming the weights it came from (each
file's size and modification time) and its own sha256: new weights, a changed file or a
damaged graph make a new export, never wrong vectors. An export is checked before it is
kept: on probe texts its vectors must match sentence-transformers' to :data:`MIN_COSINE`.
Several processes may export at once; each writes its own temporary file and the last
rename wins, with equal content.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import cast

import numpy as np

from newsqa.imports import torch_import

#: Vectors of the exported graph against sentence-transformers', on every probe: the index's
#: vectors come from either runtime, so they must be the same vectors (measured: 0.9999995).
MIN_COSINE = 0.999
#: int8 weights move every vector a little (0.98-0.999 on 400 news chunks): below this the quantisation broke.
MIN_INT8_COSINE = 0.97
#: Probe texts: a short question, a sentence, and one longer than the model reads (cut the same way).
_PROBES = (
    "Who led the loyalists?",
    "Voters in Quelmor elected Greta Nakamura as mayor on Sunday, the electoral board said.",
    " ".join(["The council met again on Tuesday to discuss the budget and the new tram line."] * 40),
)
_SUPPORTED_MODULES = (
    ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling"],
    [
        "sentence_transformers.models.Transformer",
        "sentence_transformers.models.Pooling",
        "sentence_transformers.models.Normalize",
    ],
)
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "config.json", "tokenizer.json")
#: The form of the export, kept in the stamp so a graph of an older form is exported again. 2: attention
#: traced from transformers' eager code. Its plain MatMul/Softmax graph runs 1.3x as fast in ONNX Runtime as
#: the form-1 graph traced from PyTorch's fused attention (fp32, 2 cores), 1.5x at int8, with the same vectors.
EXPORT_FORM = 2


class ExportError(Exception):
    """This model cannot run through ONNX Runtime here (its form, or a failed export); the message says why."""


def exported_graph(model_path: str, cache: Path, precision: str = "fp32") -> Path:
    """The model's ONNX graph in ``cache`` at ``precision`` (fp32 or int8), made first if there is none for
    these weights."""
    _check_supported(model_path)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(model_path).name)
    name = f"{slug}-{hashlib.sha256(model_path.encode()).hexdigest()[:12]}"
    weights = _weights(model_path)
    if precision == "int8":
        # The fp32 graph (90 MB to hash) is needed only to make the int8 one, not to use it.
        return _kept(
            cache / f"{name}-int8.onnx",
            weights,
            lambda into: _quantize(model_path, exported_graph(model_path, cache, "fp32"), into),
        )
    return _kept(cache / f"{name}.onnx", weights, lambda into: _export(model_path, into))


def _kept(target: Path, weights: dict[str, list[int]], make: Callable[[Path], float]) -> Path:
    """``target`` if its stamp names these weights and its own sha256; else made anew by ``make``."""
    stamp = target.with_suffix(".json")
    if _stamped(target, stamp, weights):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
        os.close(fd)
    except OSError as e:
        raise ExportError(f"cannot write the ONNX encoder into {target.parent} ({e.strerror or e})") from e
    temporary = Path(name)
    try:
        cosine = make(temporary)
        digest = _sha256(temporary)
        os.replace(temporary, target)
        stamp_text = json.dumps(
            {"weights": weights, "form": EXPORT_FORM, "sha256": digest, "min_cosine": cosine}, indent=1
        )
        _replace_text(stamp, stamp_text)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def _quantize(model_path: str, full: Path, target: Path) -> float:
    """int8 weights, one scale per output channel, 7-bit range; returns the least cosine with the fp32 graph."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # CPUs without VNNI multiply u8 by s8 in 16-bit sums that 8-bit weights can overflow: the 7-bit range
    # avoids it (plain int8 gave cosine 0.95 against fp32 on 400 news chunks; this, 0.992 on average).
    logging.disable(logging.WARNING)  # its advice to pre-process the graph goes to the root logger, i.e. the user
    try:
        quantize_dynamic(full, target, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
    except Exception as e:  # the quantiser raises what onnx and numpy raise; any of them means "no int8 here"
        raise ExportError(f"the int8 encoder could not be made ({type(e).__name__}: {e})") from e
    finally:
        logging.disable(logging.NOTSET)
    cosine = _least_cosine(target, model_path, _probe_vectors(full, model_path))
    if cosine < MIN_INT8_COSINE:
        raise ExportError(f"the int8 encoder's vectors stray from the model's (cosine {cosine:.4f})")
    return cosine


def _check_supported(model_path: str) -> None:
    folder = Path(model_path)
    try:
        modules = [m["type"] for m in json.loads((folder / "modules.json").read_text())]
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ExportError(f"{folder.name} does not describe its modules ({e})") from e
    means_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    )
    if modules not in _SUPPORTED_MODULES or not means_only:
        raise ExportError(f"{folder.name} is not a transformer with mean pooling, the form the export knows")
    if not (folder / "tokenizer.json").is_file():
        raise ExportError(f"{folder.name} has no tokenizer.json")


def _weights(model_path: str) -> dict[str, list[int]]:
    found = {}
    for name in _WEIGHT_FILES:
        path = Path(model_path) / name
        if path.is_file():
            info = path.stat()
            found[name] = [info.st_size, info.st_mtime_ns]
    return found


def _stamped(target: Path, stamp: Path, weights: dict[str, list[int]]) -> bool:
    try:
        recorded = json.loads(stamp.read_text())
        return (
            recorded["weights"] == weights
            and recorded.get("form") == EXPORT_FORM
            and recorded["sha256"] == _sha256(target)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _replace_text(path: Path, text: str) -> None:
    fd, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(name, path)


def _export(model_path: str, target: Path) -> float:
    """Writes the graph to ``target``; returns its least cosine with sentence-transformers on the probes."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        with torch_import():
            import onnx  # noqa: F401  (torch.onnx writes the graph through it)
            import torch
            from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ExportError(f"exporting the ONNX encoder needs {e.name}; run: pip install {e.name}") from e

    try:
        model = SentenceTransformer(
            model_path, device="cpu", local_files_only=True, model_kwargs={"attn_implementation": "eager"}
        )
    except OSError as e:
        raise ExportError(f"{Path(model_path).name} could not be loaded to export it ({e})") from e
    transformer = cast(torch.nn.Module, model[0].auto_model).eval()

    class _Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    sample = model.tokenizer(list(_PROBES[:2]), padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "texts", 1: "tokens"} for n in names} | {"embedding": {0: "texts"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python branches are about code we do not own
        try:
            torch.onnx.export(
                _Pooled(),
                tuple(sample[n] for n in names),
                str(target),
                input_names=names,
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,  # the TorchScript exporter: the dynamo one needs onnxscript
            )
        except Exception as e:  # torch.onnx raises many kinds; any of them means "use torch instead"
            raise ExportError(f"torch.onnx could not export {Path(model_path).name} ({type(e).__name__}: {e})") from e
    expected = model.encode(list(_PROBES), normalize_embeddings=True, convert_to_numpy=True)
    cosine = _least_cosine(target, model_path, expected)
    if cosine < MIN_COSINE:
        raise ExportError(f"the exported encoder's vectors differ from sentence-transformers' (cosine {cosine:.4f})")
    return cosine


def _probe_vectors(graph: Path, model_path: str) -> np.ndarray:
    from index.embed import OnnxEmbedder

    return OnnxEmbedder(graph.name, graph, model_path, batch_size=len(_PROBES)).embed_documents(list(_PROBES))


def _least_cosine(graph: Path, model_path: str, expected: np.ndarray) -> float:
    """The least cosine, over the probe texts, between ``graph``'s vectors and ``expected``."""
    return float(np.min(np.sum(expected * _probe_vectors(graph, model_path), axis=1)))
