"""The LLM engine when its server misbehaves: clear notice, extractive answer, never a hang.

The servers here are real HTTP servers on loopback that misbehave on purpose (a real
llama.cpp server cannot be made to time out or rate-limit on demand); the well-behaved
case runs against llama.cpp's own server in test_llm_server.py.
"""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from rag import answer
from tests.helpers import free_port


class _Misbehaving(http.server.BaseHTTPRequestHandler):
    behaviour = "slow"

    def do_POST(self):  # noqa: N802 - the name http.server calls
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.behaviour == "slow":
            time.sleep(20)
            return
        if self.behaviour == "rate-limit":
            body = b'{"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}'
            self.send_response(429)
        else:
            body = b"this is not a chat completion"
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def misbehaving_server(request):
    handler = type("Handler", (_Misbehaving,), {"behaviour": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _llm_settings(sample_settings, base_url: str, timeout: float = 2.0):
    llm = sample_settings.llm.model_copy(update={"base_url": base_url, "model": "any", "timeout_s": timeout})
    return sample_settings.model_copy(update={"engine": "llm", "llm": llm})


def _falls_back(result, phrase: str) -> None:
    assert result.notice and phrase in result.notice and "showing the extractive answer" in result.notice
    assert result.engine == "extractive"
    assert result.short_answer == "Shujaa al-Ali"


def test_unreachable_server(sample_settings):
    settings = _llm_settings(sample_settings, f"http://127.0.0.1:{free_port()}/v1")
    _falls_back(answer("Who led the loyalists in Balqasah?", settings=settings), "is unreachable")


@pytest.mark.parametrize("misbehaving_server", ["slow"], indirect=True)
def test_a_server_that_never_answers_times_out(sample_settings, misbehaving_server):
    started = time.monotonic()
    result = answer("Who led the loyalists in Balqasah?", settings=_llm_settings(sample_settings, misbehaving_server))
    assert time.monotonic() - started < 10
    _falls_back(result, "timed out after 2s")


@pytest.mark.parametrize("misbehaving_server", ["rate-limit"], indirect=True)
def test_rate_limited(sample_settings, misbehaving_server):
    result = answer("Who led the loyalists in Balqasah?", settings=_llm_settings(sample_settings, misbehaving_server))
    _falls_back(result, "is rate-limited")


@pytest.mark.parametrize("misbehaving_server", ["garbage"], indirect=True)
def test_malformed_output(sample_settings, misbehaving_server):
    result = answer("Who led the loyalists in Balqasah?", settings=_llm_settings(sample_settings, misbehaving_server))
    assert result.notice and "showing the extractive answer" in result.notice
    assert result.short_answer == "Shujaa al-Ali"


def test_no_llm_configured_says_how_to_configure(sample_settings, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = answer("Who led the loyalists in Balqasah?", settings=sample_settings.model_copy(update={"engine": "llm"}))
    assert "set NEWSQA_LLM__BASE_URL" in result.notice
