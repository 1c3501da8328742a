"""Shared fixtures: every test's index lives in its own temporary folder.

The embedding model is the real one and loads once for the whole session
(``index.embed.get_embedder`` is cached per process); unit tests of the logic around it
use ``fake_embedder`` instead and need no model at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index import ingest  # noqa: E402
from index.samples import sample_article  # noqa: E402
from newsqa.settings import Settings  # noqa: E402
from tests.fakes import FakeEmbedder  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's real index or NEWSQA_* settings."""
    for name in list(os.environ):
        if name.startswith("NEWSQA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings whose index is an empty folder of this test's own."""
    return Settings().with_data_dir(tmp_path / "index")


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory) -> Settings:
    """An index of the bundled sample article, built once and shared read-only."""
    settings = Settings().with_data_dir(tmp_path_factory.mktemp("sample") / "index")
    ingest([sample_article()], settings, source="sample", progress=False)
    return settings


@pytest.fixture
def article_dir(tmp_path) -> Path:
    """A folder holding a copy of the sample article, for tests that change files."""
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(sample_article(), folder / sample_article().name)
    return folder


@pytest.fixture(scope="session")
def fake_embedder() -> FakeEmbedder:
    """The deterministic stand-in for the model (see tests/fakes.py)."""
    return FakeEmbedder()
