"""One settings tree for newsqa.

Every value can be set from the environment with the prefix ``NEWSQA_`` and ``__``
between levels, for example ``NEWSQA_STORE__DATA_DIR=/srv/newsqa`` or
``NEWSQA_RETRIEVAL__K=8``. Unknown keys are refused (``extra="forbid"``), so a typo in
a setting fails loudly instead of being ignored.

The thresholds that decide when the extractive engine answers or abstains live in
:class:`AnswerSettings`; each one is documented where it is declared.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from newsqa.types import Engine


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "newsqa"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsqa"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Section):
    """Where the index lives."""

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder of the local Chroma database and the BM25 index.",
    )
    collection: str = Field(
        default="newsqa",
        pattern=r"^[a-zA-Z0-9._-]{3,512}$",
        description="Chroma collection name: 3-512 characters of [a-zA-Z0-9._-].",
    )
    chroma_host: str | None = Field(
        default=None,
        description="Host of a Chroma server (`chroma run`); None keeps Chroma in data_dir.",
    )
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    lock_wait_s: float = Field(
        default=10.0, ge=0, description="Seconds a write waits for another process's write to finish before saying so."
    )
    open_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description=(
            "Seconds opening a local index may wait on a database another process holds locked (one "
            "stopped mid-write) before saying so instead of waiting for ever."
        ),
    )


def _networks(value: object) -> object:
    """A comma-separated list of IP addresses or networks, each checked, as a tuple; other values as given."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    for part in value if isinstance(value, list | tuple) else ():
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError as e:
            raise ValueError(f"{part!r} is not an IP address or network; give e.g. 127.0.0.1 or 10.0.0.0/8") from e
    return value


# IP addresses or networks, set from the environment as a plain comma-separated list
# ("127.0.0.1,10.0.0.0/8"; NoDecode: not JSON), each checked.
Networks = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_networks)]
# Every address, IPv4 and IPv6: what `--allow-private-hosts` allows.
ANY_ADDRESS = ("0.0.0.0/0", "::/0")


class IndexSettings(_Section):
    """How articles become chunks and vectors."""

    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Sentence-transformers model; the bundled one needs no download.",
    )
    embedding_device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        default="auto",
        description="Where the embedding model runs: auto takes a CUDA GPU, then Apple's MPS, then the CPU.",
    )
    embedding_runtime: Literal["auto", "onnx", "torch"] = Field(
        default="auto",
        description=(
            "What runs the model. onnx: ONNX Runtime on the CPU, on the model's own weights exported once by "
            "torch.onnx (same vectors, no torch to load: questions start seconds sooner); torch: "
            "sentence-transformers. auto: onnx for questions, and for articles unless a GPU is used."
        ),
    )
    embedding_precision: Literal["auto", "fp32", "int8"] = Field(
        default="auto",
        description=(
            "Precision of the model's weights for a new index's articles. auto: int8 (ONNX Runtime) on the CPU, "
            "1.9x as fast at the same retrieval on realtimeqa-train's validation weeks; fp32 where articles are "
            "embedded on a GPU. An index keeps the one it was built with; questions are embedded at fp32."
        ),
    )
    encoder_cache: Path = Field(
        default_factory=_default_cache_dir,
        description="Folder of the exported ONNX encoders (made from the installed weights, never downloaded).",
    )
    chunk_size: int = Field(default=1000, ge=200, le=4000, description="Characters per chunk.")
    chunk_overlap: int = Field(default=200, ge=0, description="Characters shared by neighbours.")
    embed_batch_size: int = Field(
        default=4,
        ge=1,
        le=1024,
        description=(
            "Texts encoded together, longest first. On 2 cores, batches of 2-4 encoded news chunks 1.2-1.4x as "
            "fast as 64 in isolation, but whole ingestion only matched torch with 64 (eval/results/bench/"
            "ingest.json); raise it on a GPU."
        ),
    )
    write_group: int = Field(
        default=1024,
        ge=16,
        description="Chunks embedded and written together; an interruption loses at most one group.",
    )
    max_file_bytes: int = Field(default=50_000_000, ge=1, description="Larger files are refused.")
    duplicate_threshold: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Articles sharing this share of their 5-word shingles are copies of one story (MinHash estimate).",
    )
    max_fetch_bytes: int = Field(default=20_000_000, ge=1, description="Larger web pages and feeds are refused.")
    fetch_timeout_s: float = Field(
        default=20.0, gt=0, description="Seconds a page or feed may take to arrive, whole: a slow drip is cut."
    )
    max_redirects: int = Field(default=5, ge=0, le=20, description="Redirects followed when fetching a URL.")
    feed_pages: bool = Field(
        default=True,
        description=(
            "Fetch the page each feed entry links to and index its text (most feeds carry a one-line teaser); "
            "the entry's own text is indexed only when its page fails."
        ),
    )
    feed_host_delay_s: float = Field(
        default=1.0,
        ge=0,
        description="Seconds between two page requests to one host while reading a feed: a polite crawler's pace.",
    )
    feed_budget_s: float = Field(
        default=300.0,
        gt=0,
        description=(
            "Seconds the feeds' pages of one command (an ingest, a poll) may take in all; entries past it are "
            "indexed from the feed's own text this time and their pages fetched on the next poll, so one slow "
            "host cannot stall a poll."
        ),
    )
    allow_private_hosts: Networks = Field(
        default=(),
        description=(
            "Private, loopback and link-local networks that pages and feeds may be fetched from, "
            "comma-separated (NEWSQA_INDEX__ALLOW_PRIVATE_HOSTS=10.0.0.0/8 for an intranet; "
            "`newsqa ingest --allow-private-hosts` allows all). Empty (the default): only public "
            "addresses, checked at every redirect and on the address actually connected to, so a link "
            "cannot turn newsqa against the services of its own host or network."
        ),
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> IndexSettings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self


# Most passages an answer reads: more are slower to read than they add (every way in, the UI's slider too).
MAX_K = 50


class RetrievalSettings(_Section):
    """Hybrid retrieval: dense and BM25 candidates fused by reciprocal rank."""

    k: int = Field(default=5, ge=1, le=MAX_K, description="Passages handed to the answerer.")
    candidates: int = Field(
        default=40, ge=1, le=500, description="Candidates each retriever contributes to the fusion."
    )
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant.")
    passages_per_article: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Passages one article gives before the next articles' are taken (it gives more only when fewer "
            "articles match); unset, an article gives as many as rank. Over realtimeqa-dev without a date window "
            "the gold answer is then in the five passages for 0.80 of questions at 1 and 0.76 at 2, against 0.68 "
            "unset, but the extractive reader answers no more of them and multiple choice falls (figures in "
            "eval/results/README.md): an engine reading every passage may gain from it."
        ),
    )
    dense_weight: float = Field(default=1.0, ge=0)
    bm25_weight: float = Field(default=1.0, ge=0)
    recency_weight: float = Field(
        default=2.0,
        ge=0,
        description=(
            "Weight of the recency prior in the fusion: at 1.0, an article published on the day asked about (or "
            "inside the range the question names) counts as much as a first rank in one retriever. "
            "`python -m eval.tune_recency` on realtimeqa-dev, asked as of each question's date: hit@5 0.804 "
            "without the prior, 0.929-0.938 at weight 2 for half-lives of 2 to 30 days, 0.893-0.902 at 1."
        ),
    )
    recency_half_life_days: float = Field(
        default=7.0, gt=0, description="Days after which the recency prior of an article halves."
    )


class AnswerSettings(_Section):
    """The extractive engine: which sentences it reads, its reader model, and when it names a second source."""

    max_question_chars: int = Field(default=2000, ge=10, description="Longer questions are refused.")
    sentence_pool: int = Field(
        default=24, ge=1, description="Sentences, best by lexical overlap, scored with the model."
    )
    min_entity_coverage: float = Field(
        default=0.5,
        description=(
            "Share of the question's named entities (each counted by the share of its words named) that "
            "an article's retrieved passages must mention; a question about France is not answered from "
            "a passage that never names it."
        ),
    )
    reader_model: Path | None = Field(
        default=None,
        description=(
            "JSON parameters of the reader's learned model (rag.extractive.model.ReaderModel), made by "
            "`python -m eval.train_reader`; unset means the model shipped in rag/extractive/reader_model.json. "
            "Its threshold says when to abstain."
        ),
    )
    support_model: Path | None = Field(
        default=None,
        description=(
            "ONNX graph of the support model (rag.extractive.support), made with the reader model by "
            "`python -m eval.train_reader --support`; unset means rag/extractive/support_model.onnx, where that "
            "command writes it. Read only when the reader model uses its features (the shipped one does not)."
        ),
    )
    neighbour_weight: float = Field(
        default=0.3, description="Share of a neighbouring sentence's overlap a sentence inherits."
    )
    second_source_ratio: float = Field(
        default=0.75,
        ge=0.0,
        le=1.0,
        description=(
            "A source that answers otherwise is shown when its sentence's embedding similarity to the "
            "question is this share of the best sentence's."
        ),
    )
    newer_report_ratio: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description=(
            'A report of another day that answers otherwise is named ("as of ...; an earlier report said ...") '
            "when the reader scores its answer this share of the best answer's score."
        ),
    )
    same_claim_overlap: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description=(
            "Share of words (their answers left out) two articles' sentences must have in common for "
            'different answers in them to be shown as "Sources differ" or as an earlier report, not '
            "taken for two stories."
        ),
    )
    language_confidence: float = Field(
        default=0.9,
        ge=0.5,
        le=1.0,
        description=(
            "How sure the language identifier must be that a question is not in the language of "
            "its passages before saying so instead of answering (no English question of "
            "realtimeqa-dev reaches 0.9 for another language; short ones are rarely sure)."
        ),
    )


class LLMSettings(_Section):
    """The generative engine's model; used when ``engine`` is ``llm``."""

    provider: Literal["openai", "ollama", "llamacpp"] = Field(
        default="openai",
        description=(
            "openai: any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, LM Studio); "
            "ollama: an Ollama server; llamacpp: a local GGUF file (pip install newsqa[llamacpp])."
        ),
    )
    base_url: str | None = Field(
        default=None, description="Endpoint URL; for openai, OPENAI_BASE_URL is used when this is unset."
    )
    model: str = Field(default="gpt-4o-mini", description="Model name the endpoint serves.")
    api_key: SecretStr | None = Field(default=None, description="Key; for openai, OPENAI_API_KEY is used when unset.")
    model_path: Path | None = Field(default=None, description="GGUF file for the llamacpp provider.")
    timeout_s: float = Field(default=60.0, gt=0, description="Seconds before a call is abandoned.")
    max_tokens: int = Field(default=256, ge=16, le=4096)
    temperature: float = Field(default=0.0, ge=0, le=2)


class UISettings(_Section):
    """Who may use the chat UI."""

    auth: SecretStr | None = Field(
        default=None,
        description=(
            "user:password required to open the UI and its API (NEWSQA_UI__AUTH, or `newsqa ui --auth-file`); "
            "None leaves it open to anyone who reaches the port."
        ),
    )
    requests_per_minute: int = Field(
        default=30,
        ge=0,
        description=(
            "Questions and uploads one client (by network address) may send a minute, through the page "
            "or the API; 0 for no limit. Two are answered at a time, so one client cannot starve the rest."
        ),
    )

    trusted_proxies: Networks = Field(
        default=(),
        description=(
            "Addresses or networks of the reverse proxies in front of the UI, comma-separated "
            "(NEWSQA_UI__TRUSTED_PROXIES=127.0.0.1 behind nginx on the same machine). Only a request "
            "that comes from one of them has its X-Forwarded-For read, and then only the address the "
            "last trusted proxy added counts as the client's. Empty (the default): every limit counts "
            "the connection's own address, whatever a client writes in its headers."
        ),
    )

    def credentials(self) -> tuple[str, str] | None:
        """The (user, password) pair, or None when the UI is open."""
        if self.auth is None:
            return None
        user, _, password = self.auth.get_secret_value().partition(":")
        if not user or not password:
            raise ValueError("ui.auth must be user:password")
        return user, password


class VerifySettings(_Section):
    """How generated sentences are checked against the sentences they cite."""

    support_threshold: float = Field(
        default=0.60,
        description=(
            "A claim is supported when lexical coverage and embedding similarity, weighted below, reach "
            "this against one sentence of a passage. eval/calibrate_verifier.py on realtimeqa-dev: 0.60 best "
            "separates claims from gold sentences (median 0.65) and from other articles' (median 0.56)."
        ),
    )
    lexical_weight: float = Field(default=0.5, description="Weight of the share of the claim's words found.")
    semantic_weight: float = Field(default=0.5, description="Weight of the embedding cosine similarity.")


class Settings(BaseSettings):
    """All of newsqa's settings; pass one object down, never read globals deep inside."""

    model_config = SettingsConfigDict(env_prefix="NEWSQA_", env_nested_delimiter="__", extra="forbid", frozen=True)

    store: StoreSettings = Field(default_factory=StoreSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    verify: VerifySettings = Field(default_factory=VerifySettings)
    ui: UISettings = Field(default_factory=UISettings)
    engine: Engine = Field(default="extractive", description="extractive works offline; llm needs the model in `llm`.")

    def with_data_dir(self, data_dir: Path | str) -> Settings:
        """A copy of these settings that keeps its index in ``data_dir``."""
        store = self.store.model_copy(update={"data_dir": Path(data_dir)})
        return self.model_copy(update={"store": store})
