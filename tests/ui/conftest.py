"""A real newsqa UI server on a free loopback port, over an index of the sample article."""

from __future__ import annotations

import os
import subprocess

import pytest

from index import ingest
from rag.cli import sample_article
from rag.settings import Settings
from tests.helpers import free_port, newsqa_command, wait_for_port


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ui") / "index"
    ingest([sample_article()], Settings().with_data_dir(data_dir), source="sample", progress=False)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    server = subprocess.Popen(
        [*newsqa_command(), "ui", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server, timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
