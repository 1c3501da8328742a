"""Generative answers from any LLM, every citation verified against its source.

All models sit behind :class:`Generator`, made by :func:`make_generator` from
``settings.llm``: an OpenAI-compatible endpoint (langchain-openai), Ollama
(langchain-ollama), or a local GGUF file (llama-cpp-python, an optional extra).

Every call has a timeout and no retries; any failure (unreachable, timed out,
rate-limited, malformed output) raises :class:`newsqa.errors.EngineError` with a one-line
message, and the caller falls back to the extractive engine.
"""

from __future__ import annotations

import os
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any, cast

from pydantic import SecretStr

from newsqa.errors import EngineError
from newsqa.settings import LLMSettings
from newsqa.text import strip_markers
from newsqa.types import Passage

# The refusal the answer prompt asks for; matched loosely, since small models paraphrase.
REFUSAL = re.compile(r"\b(?:cannot|can't|can not|unable to) answer\b", re.IGNORECASE)


def prompt(name: str) -> str:
    """A prompt template from rag/generative/prompts (see its README)."""
    return (resources.files("rag.generative") / "prompts" / f"{name}.txt").read_text(encoding="utf-8")


def answer_messages(question: str, passages: list[Passage]) -> list[tuple[str, str]]:
    """The chat messages of the answer prompt: numbered passages with title, source and date."""
    passage_template = prompt("passage")
    numbered = "\n\n".join(
        passage_template.format(
            number=n,
            title=p.title or p.article_id,
            source=p.source or "unknown source",
            published=p.published or "undated",
            text=p.text,
        ).strip()
        for n, p in enumerate(passages, start=1)
    )
    return [("system", prompt("answer").format(passages=numbered)), ("human", question)]


def condense_messages(question: str, history: list[tuple[str, str]]) -> list[tuple[str, str]]:
    turns = "\n".join(f"Q: {q}\nA: {strip_markers(a)}" for q, a in history[-3:])
    return [("human", prompt("condense").format(history=turns, question=question))]


class Generator(ABC):
    """Streams a chat model's reply as text pieces."""

    name: str

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings

    @abstractmethod
    def _pieces(self, messages: list[tuple[str, str]]) -> Iterator[str]:
        """The reply's text pieces; exceptions are classified by :meth:`stream`."""

    def _describe(self, error: Exception) -> str:
        text = f"{type(error).__name__}: {error}".lower()
        if "timeout" in text or "timed out" in text:
            return f"timed out after {self.settings.timeout_s:g}s"
        if "ratelimit" in text or "rate limit" in text or "429" in text:
            return "is rate-limited; try again later"
        if "connect" in text or "refused" in text:
            return "is unreachable; check that it runs and the base URL"
        return f"returned malformed output ({type(error).__name__})"

    def stream(self, messages: list[tuple[str, str]]) -> Iterator[str]:
        """Text pieces of the reply, within ``timeout_s`` overall; failures raise EngineError."""
        deadline = time.monotonic() + self.settings.timeout_s
        produced = False
        try:
            for piece in self._pieces(messages):
                if time.monotonic() > deadline:
                    raise TimeoutError("the reply took too long")
                if piece:
                    produced = True
                    yield piece
        except EngineError:
            raise
        except Exception as e:
            raise EngineError(f"the LLM {self.name} {self._describe(e)}") from e
        if not produced:
            raise EngineError(f"the LLM {self.name} returned an empty reply")

    def complete(self, messages: list[tuple[str, str]]) -> str:
        return "".join(self.stream(messages)).strip()


class LangChainGenerator(Generator):
    """A LangChain chat model: ChatOpenAI for OpenAI-compatible endpoints, or ChatOllama."""

    def __init__(self, settings: LLMSettings, model, name: str) -> None:
        super().__init__(settings)
        self._model = model
        self.name = name

    def _pieces(self, messages):
        for chunk in self._model.stream(messages):
            content = chunk.content
            if isinstance(content, list):
                content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
            yield content


class LlamaCppGenerator(Generator):
    """A GGUF model loaded in this process by llama-cpp-python."""

    def __init__(self, settings: LLMSettings) -> None:
        super().__init__(settings)
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise EngineError("the llamacpp provider needs llama-cpp-python: pip install 'newsqa[llamacpp]'") from e
        if not settings.model_path or not settings.model_path.is_file():
            raise EngineError(f"GGUF model {settings.model_path} not found; set NEWSQA_LLM__MODEL_PATH to the file")
        self.name = settings.model_path.name
        self._llama = Llama(model_path=str(settings.model_path), n_ctx=4096, verbose=False)

    def _pieces(self, messages):
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        chat: list[Any] = [{"role": roles[r], "content": c} for r, c in messages]
        # With stream=True the call returns chunks, which its declared return type does not narrow to.
        chunks = cast(
            Iterator[dict[str, Any]],
            self._llama.create_chat_completion(
                messages=chat,
                stream=True,
                max_tokens=self.settings.max_tokens,
                temperature=self.settings.temperature,
            ),
        )
        for chunk in chunks:
            yield chunk["choices"][0]["delta"].get("content") or ""


@lru_cache(maxsize=4)
def make_generator(settings: LLMSettings) -> Generator:
    """The generator for these settings, shared by the process."""
    if settings.provider == "llamacpp":
        return LlamaCppGenerator(settings)
    if settings.provider == "ollama":
        from langchain_ollama import ChatOllama

        ollama_url = settings.base_url or "http://127.0.0.1:11434"
        ollama = ChatOllama(
            model=settings.model,
            base_url=ollama_url,
            temperature=settings.temperature,
            num_predict=settings.max_tokens,
            client_kwargs={"timeout": settings.timeout_s},
        )
        return LangChainGenerator(settings, ollama, f"{settings.model} at {ollama_url}")
    from langchain_openai import ChatOpenAI

    base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL")
    key = settings.api_key.get_secret_value() if settings.api_key else os.environ.get("OPENAI_API_KEY")
    if not key and not base_url:
        raise EngineError("no LLM configured: set NEWSQA_LLM__BASE_URL (and NEWSQA_LLM__API_KEY if it needs one)")
    openai = ChatOpenAI(
        model=settings.model,
        base_url=base_url,
        # Local OpenAI-compatible servers take any key; the client insists on one.
        api_key=SecretStr(key or "not-needed"),
        timeout=settings.timeout_s,
        max_retries=0,
        max_completion_tokens=settings.max_tokens,
        temperature=settings.temperature,
        streaming=True,
    )
    return LangChainGenerator(settings, openai, f"{settings.model} at {base_url or 'api.openai.com'}")
