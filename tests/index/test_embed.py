"""Where the embedding model runs: the best device this machine has, or the one asked for if it has it."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from index.embed import get_embedder, resolve_device
from newsqa.errors import ModelMissingError
from newsqa.settings import Settings
from ui.cli import app


def test_auto_takes_the_cpu_on_a_machine_without_a_gpu_and_embeds_as_the_cpu_does():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU; auto takes it")
    assert resolve_device("auto") == "cpu"
    name = Settings().index.embedding_model
    auto, cpu = get_embedder(name, "auto"), get_embedder(name, "cpu")
    text = ["Voters in Quelmor elected Greta Nakamura as mayor."]
    assert np.allclose(auto.embed_documents(text), cpu.embed_documents(text))


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
