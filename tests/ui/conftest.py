"""A real newsqa UI server on a free loopback port, over an index of the sample article."""

from __future__ import annotations

import os

import pytest

from index import ingest
from index.samples import sample_article
from newsqa.settings import Settings
from tests.helpers import free_port, newsqa_command, serving


@pytest.fixture(scope="module")
def ui_data_dir(tmp_path_factory):
    """The folder of the UI server's index, for a test to write to as another process would."""
    data_dir = tmp_path_factory.mktemp("ui") / "index"
    ingest([sample_article()], Settings().with_data_dir(data_dir), source="sample", progress=False)
    return data_dir


@pytest.fixture(scope="module")
def ui_server(ui_data_dir):
    data_dir = ui_data_dir
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    # The browser and load tests all come from one address, faster than a person asks.
    env["NEWSQA_UI__REQUESTS_PER_MINUTE"] = "0"
    with serving([*newsqa_command(), "ui", "--port", str(port), "--data-dir", str(data_dir)], port, env=env):
        yield f"http://127.0.0.1:{port}"
