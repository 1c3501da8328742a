"""What runs the embedding model: ONNX Runtime over a graph exported from the installed weights, or
sentence-transformers on the best device this machine has, with the same vectors either way."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from index.embed import OnnxEmbedder, SentenceTransformerEmbedder, get_embedder, resolve_device, resolve_model_path
from index.encoder_export import EXPORT_FORM, MIN_COSINE, MIN_INT8_COSINE, exported_graph
from newsqa.errors import ModelMissingError
from newsqa.settings import IndexSettings
from ui.cli import app

TEXTS = [
    "Voters in Quelmor elected Greta Nakamura as mayor.",
    "Who leads the talks?",
    " ".join(["The tram extension will cost 412 million euros, the city said on Monday."] * 30),  # past 256 tokens
    "",
]


def _model_path() -> str:
    return resolve_model_path(IndexSettings().embedding_model)


def test_questions_run_through_onnx_with_the_vectors_sentence_transformers_gives():
    onnx = get_embedder(IndexSettings())
    torch_side = get_embedder(IndexSettings(embedding_runtime="torch", embedding_device="cpu"), documents=True)
    assert isinstance(onnx, OnnxEmbedder) and isinstance(torch_side, SentenceTransformerEmbedder)
    cosines = np.sum(onnx.embed_documents(TEXTS) * torch_side.embed_documents(TEXTS), axis=1)
    assert cosines.min() >= MIN_COSINE
    assert np.allclose(np.linalg.norm(onnx.embed_documents(TEXTS), axis=1), 1.0, atol=1e-5)
    # one text alone and the same text in a batch of longer ones (padded) give the same vector
    assert np.allclose(onnx.embed_query(TEXTS[0]), onnx.embed_documents(TEXTS)[0], atol=1e-5)


def test_on_a_machine_without_a_gpu_articles_run_through_onnx_too():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU; auto takes it")
    assert resolve_device("auto") == "cpu"
    assert get_embedder(IndexSettings(), documents=True) is get_embedder(IndexSettings())


def test_the_graph_is_exported_once_and_a_damaged_one_is_exported_again(tmp_path):
    graph = exported_graph(_model_path(), tmp_path)
    stamp = json.loads(graph.with_suffix(".json").read_text())
    assert stamp["min_cosine"] >= MIN_COSINE
    first = graph.stat().st_mtime_ns
    assert exported_graph(_model_path(), tmp_path) == graph and graph.stat().st_mtime_ns == first
    with graph.open("r+b") as f:  # one flipped byte in the weights: still a loadable graph, wrong vectors
        f.seek(graph.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    again = exported_graph(_model_path(), tmp_path)
    assert again.stat().st_mtime_ns != first
    vectors = OnnxEmbedder("again", again, _model_path(), batch_size=8).embed_documents(TEXTS)
    assert np.sum(vectors * get_embedder(IndexSettings()).embed_documents(TEXTS), axis=1).min() >= MIN_COSINE
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    # A graph of an older export form (form 1 traced PyTorch's fused attention) is exported again.
    older = json.loads(again.with_suffix(".json").read_text()) | {"form": 1}
    again.with_suffix(".json").write_text(json.dumps(older))
    made = again.stat().st_mtime_ns
    assert exported_graph(_model_path(), tmp_path).stat().st_mtime_ns != made
    assert json.loads(again.with_suffix(".json").read_text())["form"] == EXPORT_FORM


def test_a_model_the_export_does_not_know_runs_on_torch_or_is_one_line_when_onnx_is_asked(tmp_path):
    import shutil

    folder = tmp_path / "cls-model"
    shutil.copytree(_model_path(), folder)
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text()) | {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}
    pooling.write_text(json.dumps(config))
    auto = get_embedder(IndexSettings(embedding_model=str(folder), encoder_cache=tmp_path / "cache"))
    assert isinstance(auto, SentenceTransformerEmbedder)
    with pytest.raises(ModelMissingError, match="not a transformer with mean pooling.*EMBEDDING_RUNTIME=torch"):
        get_embedder(IndexSettings(embedding_model=str(folder), embedding_runtime="onnx"))


def test_an_unwritable_cache_is_one_line_when_onnx_is_asked(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(ModelMissingError, match="cannot write the ONNX encoder into"):
        get_embedder(IndexSettings(embedding_runtime="onnx", encoder_cache=blocked / "cache"))


@pytest.mark.slow
def test_a_cold_ask_loads_neither_torch_nor_sentence_transformers(sample_settings):
    """The point of the ONNX runtime and of hiding torch from spaCy: seconds off every cold start."""
    get_embedder(IndexSettings())  # the graph exists, as after any ingest on this machine
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from ui.cli import app\n"
        "result = CliRunner().invoke(app, ['ask', 'Who led the loyalists in Balqasah?'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(result.output)\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n"
    )
    env = {**os.environ, "NEWSQA_STORE__DATA_DIR": str(sample_settings.store.data_dir)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert "Shujaa al-Ali" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_device_this_machine_lacks_is_one_line_naming_the_setting(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(ModelMissingError, match="embedding device 'cuda' is not available on this machine"):
        resolve_device("cuda")
    (tmp_path / "a.txt").write_text("Mayor elected\n\nVoters in Quelmor elected Greta Nakamura as mayor.\n")
    env = {"NEWSQA_STORE__DATA_DIR": str(tmp_path / "index"), "NEWSQA_INDEX__EMBEDDING_DEVICE": "cuda"}
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "a.txt"), "-q"], env=env)
    assert result.exit_code == 1 and "NEWSQA_INDEX__EMBEDDING_DEVICE=auto" in result.output
    assert "Traceback" not in result.output
    unknown = CliRunner().invoke(app, ["stats"], env=env | {"NEWSQA_INDEX__EMBEDDING_DEVICE": "tpu"})
    assert unknown.exit_code != 0 and "Traceback" not in unknown.output


def test_an_int8_index_embeds_its_articles_at_int8_and_its_questions_at_fp32(tmp_path, article_dir):
    from index import ingest, open_store
    from index.embed import document_precision
    from newsqa.settings import Settings
    from rag import answer
    from rag.retrieval.retriever import open_index

    int8 = Settings().with_data_dir(tmp_path / "int8")
    assert document_precision(int8.index) == "int8"  # auto, on this machine's CPU
    ingest([article_dir], int8, progress=False)
    assert open_store(int8).precision == "int8"
    full = get_embedder(IndexSettings())
    assert open_index(int8).embedder is full
    quantised = get_embedder(int8.index, documents=True, precision="int8")
    assert quantised is not full and isinstance(quantised, OnnxEmbedder)
    texts = TEXTS[:3]  # the empty text's vector is no text's: it strays most (0.967)
    cosines = np.sum(quantised.embed_documents(texts) * full.embed_documents(texts), axis=1)
    assert MIN_INT8_COSINE <= cosines.min() and cosines.mean() < 0.9999  # near, and not the fp32 vectors
    assert answer("Who led the loyalists in Balqasah?", settings=int8).short_answer == "Shujaa al-Ali"
    # An index keeps the precision it was built with, whatever the settings say later.
    fp32 = Settings().with_data_dir(tmp_path / "fp32")
    fp32 = fp32.model_copy(update={"index": fp32.index.model_copy(update={"embedding_precision": "fp32"})})
    ingest([article_dir], fp32, progress=False)
    later = fp32.model_copy(update={"index": fp32.index.model_copy(update={"embedding_precision": "int8"})})
    assert open_store(later).precision == "fp32" and open_index(later).embedder is full


def test_auto_precision_is_fp32_where_articles_are_embedded_by_torch():
    from index.embed import document_precision

    assert document_precision(IndexSettings(embedding_runtime="torch")) == "fp32"
    assert document_precision(IndexSettings(embedding_precision="fp32")) == "fp32"
    assert document_precision(IndexSettings(embedding_device="cpu")) == "int8"


def test_int8_with_the_torch_runtime_is_one_line():
    with pytest.raises(ModelMissingError, match="int8 weights run through ONNX Runtime only"):
        get_embedder(IndexSettings(embedding_runtime="torch"), documents=True, precision="int8")
