"""The vector store: one Chroma collection of chunks, local or on a Chroma server.

The collection is created with cosine distance and records the embedding model's name
and dimension in its metadata; opening it with another model raises
:class:`newsqa.errors.ModelMismatchError` instead of returning meaningless neighbours.

Each chunk carries its article's metadata (``article_id``, ``title``, ``source``,
``url``, ``published``, ``published_day``) and its character span in the article
(``start``, ``end``), so a citation can point into the article.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newsqa.errors import IndexUnavailableError, ModelMismatchError
from newsqa.settings import Settings

_PAGE = 5000
_GENERATION = "newsqa_generation"
_LOCK_POLL_S = 0.1


def chunk_id(article_id: str, version_hash: str, position: int) -> str:
    """Chunk ids change with the article's content and chunk settings, so no stale chunk survives a change."""
    return f"{article_id}::{version_hash[:16]}::{position}"


def article_of(chunk_id: str) -> str:
    """The article id inside a chunk id."""
    return chunk_id.rsplit("::", 2)[0]


@dataclass
class ChunkRecord:
    """A chunk as stored: its id, text, metadata and (when asked for) its vector."""

    id: str
    text: str
    metadata: dict[str, Any]


_FULL = ("database or disk is full", "no space left")
# Less free space than this on the index's disk, and a failed write is taken for a full disk.
_LOW_SPACE_BYTES = 1 << 20
_READ_ONLY = ("readonly database", "read-only file system", "permission denied")
# The last: Chroma failing to apply its log of writes (damaged rows), when no full disk explains it.
_DAMAGED = ("file is not a database", "malformed", "database disk image", "error sending backfill request")


def _chroma_failure(error: BaseException) -> bool:
    """Whether ``error`` is what a Chroma call raises when its files fail: an exception, or a Rust panic.

    Chroma's Rust core panics on some damaged databases, and pyo3 raises a panic as
    ``pyo3_runtime.PanicException``: a BaseException, which ``except Exception`` lets through
    as a traceback, of a type no importable module holds for an ``except`` to name.
    """
    return isinstance(error, Exception) or _is_panic(error)


def _is_panic(error: BaseException) -> bool:
    return type(error).__module__ == "pyo3_runtime"


def _nearly_full(where: str) -> bool:
    """Whether the disk holding ``where`` has (almost) no space left: Chroma's errors on a full
    disk speak of failed compactions and backfills, never of space."""
    path = Path(where)
    if not path.is_absolute():  # a Chroma server's address: its disk is not ours to see
        return False
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free < _LOW_SPACE_BYTES
    except OSError:
        return False


def storage_error(error: BaseException, where: str) -> IndexUnavailableError | None:
    """The one line for a failure of the index's files, with the advice that fits it (a full
    disk is not a damaged index); None when ``error`` is no storage failure."""
    text = str(error).lower()
    code = getattr(error, "errno", None)
    if code == errno.ENOSPC or any(words in text for words in _FULL) or _nearly_full(where):
        return IndexUnavailableError(
            f"the disk holding {where} is full; free some space and run the command again "
            "(what was indexed before is kept)"
        )
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or any(words in text for words in _READ_ONLY):
        return IndexUnavailableError(
            f"index folder {where} cannot be written (read-only, or another user's); newsqa writes to it "
            "even to answer, so make it writable or copy it to a folder that is"
        )
    if any(words in text for words in _DAMAGED) or _is_panic(error):
        return _Damaged(f"index folder {where} is damaged ({_legible(error)}); move it aside and ingest again")
    return None


class _Damaged(IndexUnavailableError):
    """Chroma's files read as damaged. A read retries it for a while: a file another process is rewriting
    reads so too ("Error deserializing pickle file: EOF" while a large ingest saves its vector index)."""


def _legible(error: BaseException) -> str:
    """An error's text for one line: a damaged database's messages carry its damaged bytes."""
    return "".join(c if c.isprintable() else "?" for c in f"{type(error).__name__}: {error}")


# The tables Chroma's Rust core reads as it opens: its migrations, catalogue and log of writes
# (the writes not yet folded into the index: a few hundred rows, read in milliseconds).
_READ_ON_OPENING = (
    "migrations",
    "tenants",
    "databases",
    "collections",
    "collection_metadata",
    "segments",
    "segment_metadata",
    "embeddings_queue",
)


def _check_texts(connection) -> None:
    """Raise DatabaseError where a table Chroma reads on opening holds text that is no UTF-8.

    A thread of Chroma's Rust core panics on such a row: the panic's message and backtrace
    reach the terminal before any error does.
    """
    import sqlite3

    connection.text_factory = bytes
    for table in _READ_ON_OPENING:
        columns = [row[1].decode() for row in connection.execute(f'PRAGMA table_info("{table}")')]
        if not columns:
            continue  # a table of another Chroma version's layout, for its open to judge
        pairs = ", ".join(f'typeof("{c}"), "{c}"' for c in columns)
        for row in connection.execute(f'SELECT {pairs} FROM "{table}"'):
            for kind, value in zip(row[::2], row[1::2]):
                try:
                    value.decode("utf-8") if kind == b"text" else None
                except UnicodeDecodeError as e:
                    raise sqlite3.DatabaseError(f"its table {table} holds bytes that are no text") from e


def _check_before_opening(database: Path, seconds: float, busy: str) -> None:
    """Read the SQLite database Chroma opens, and wait up to ``seconds`` for it to take a write.

    Raises IndexUnavailableError(``busy``) while it stays locked: a process stopped in the
    middle of a Chroma write keeps the database locked, and Chroma's own open then waits
    for ever, holding the interpreter; SQLite's busy timeout lets this check give up.
    Raises IndexUnavailableError naming the damage when the schema or a table Chroma reads on
    opening cannot be read: Chroma's Rust core builds its error from the damaged bytes, fails
    to decode them and aborts the whole process (a panic while unwinding a panic), so no
    handler of its errors can run; a damaged row makes a thread of it panic, printing a backtrace.
    """
    if not database.exists():
        return
    import sqlite3

    try:
        connection = sqlite3.connect(database, timeout=seconds, isolation_level=None)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # parses the schema
            _check_texts(connection)
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
        finally:
            connection.close()
    except sqlite3.OperationalError as e:
        # A lock means waiting; anything else (a full disk, a read-only file) is for Chroma's
        # open to meet: reading may still work, and its own error is classified like any other.
        if "locked" in str(e).lower() or "busy" in str(e).lower():
            raise IndexUnavailableError(busy) from e
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
        raise IndexUnavailableError(
            f"index folder {database.parent} is damaged (its database cannot be read: {_legible(e)}); "
            "move it aside and ingest again"
        ) from e


def database_file(settings: Settings) -> Path:
    """The SQLite file of a local index; its absence means there is no index (or it was deleted)."""
    return settings.store.data_dir / "chroma" / "chroma.sqlite3"


def _client(settings: Settings, *, create: bool):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    # Telemetry would try to reach the internet on every start.
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    store = settings.store
    if store.chroma_host:
        try:
            return chromadb.HttpClient(host=store.chroma_host, port=store.chroma_port, settings=chroma_settings)
        except Exception as e:
            raise IndexUnavailableError(
                f"Chroma server at {store.chroma_host}:{store.chroma_port} is unreachable ({e}); "
                "start it with `chroma run` or fix NEWSQA_STORE__CHROMA_HOST/PORT"
            ) from e
    path = store.data_dir / "chroma"
    if not create and not database_file(settings).exists():
        # Opening would create an empty database: a reader must not recreate a deleted index.
        raise IndexUnavailableError(f"no index in {store.data_dir}; run `newsqa ingest PATH` first")
    busy = (
        f"index folder {store.data_dir} stayed locked for {store.open_timeout_s:g}s: another process is stopped "
        "or stuck in the middle of a write; let it finish (or end it), then try again"
    )
    try:
        path.mkdir(parents=True, exist_ok=True)
        _check_before_opening(database_file(settings), store.open_timeout_s, busy)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except IndexUnavailableError:
        raise
    except BaseException as e:
        if not _chroma_failure(e):
            raise
        raise storage_error(e, str(path)) or IndexUnavailableError(
            f"index folder {path} cannot be opened ({_legible(e)}); if it is damaged, move it aside and ingest again"
        ) from e


class _Reachable:
    """A Chroma collection (or client) whose calls turn a lost server, a full disk or a read-only folder into
    :class:`IndexUnavailableError`.

    A Chroma server can stop between two questions and a disk can fill up mid-write; the
    user should read what to do, not an ``httpx`` or SQLite traceback. Once the server is
    back or the space freed, the next call simply works.
    """

    def __init__(self, collection: Any, location: str) -> None:
        self._collection = collection
        self._location = location

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            import httpx

            try:
                return attribute(*args, **kwargs)
            except httpx.TransportError as e:
                raise IndexUnavailableError(
                    f"{self._location} stopped answering ({type(e).__name__}); start it again with `chroma run`"
                ) from e
            except BaseException as e:
                problem = storage_error(e, self._location) if _chroma_failure(e) else None
                if problem is None:
                    raise
                raise problem from e

        return call


# How long a read keeps trying while another process's write is under way: a write group of
# embed_batch_size chunks lands in well under this.
READ_RETRY_S = 10.0
_FIRST_PAUSE_S = 0.05
_LONGEST_PAUSE_S = 1.0


class VectorStore:
    """A Chroma collection of chunk vectors tied to one embedding model."""

    def __init__(
        self, settings: Settings, embedding_model: str, dimension: int, *, create: bool, precision: str = "fp32"
    ) -> None:
        self.settings = settings
        self.embedding_model = embedding_model
        self._client = _client(settings, create=create)
        name = settings.store.collection
        try:
            if create:
                self._collection = self._client.get_or_create_collection(
                    name,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={
                        "embedding_model": embedding_model,
                        "embedding_dimension": dimension,
                        "embedding_precision": precision,
                    },
                )
            else:
                self._collection = self._client.get_collection(name)
            self._collection = _Reachable(self._collection, self.location)
        except BaseException as e:
            if not _chroma_failure(e):
                raise
            if not create and "does not exist" in str(e).lower():
                raise IndexUnavailableError(
                    f"no index named {name!r} in {self.location}; run `newsqa ingest PATH` first"
                ) from e
            raise IndexUnavailableError(
                f"index {name!r} in {self.location} cannot be opened ({_legible(e)}); "
                "if it is corrupt, move the folder aside and ingest again"
            ) from e
        recorded = (self._collection.metadata or {}).get("embedding_model")
        # The weights' precision the vectors were made at: articles added later must be embedded at the same
        # one. Indexes made before int8 existed were fp32.
        self.precision = str((self._collection.metadata or {}).get("embedding_precision", "fp32"))
        if recorded != embedding_model:
            raise ModelMismatchError(
                f"index {name!r} was built with embedding model {recorded!r}, not {embedding_model!r}; "
                f"set NEWSQA_INDEX__EMBEDDING_MODEL={recorded} or ingest into another collection"
            )

    def _read(self, call: Callable[[Any], Any]) -> Any:
        """A read, tried again on a fresh view of the database while another process's write is half done.

        This process's Chroma keeps its view of the vectors in memory; while another process
        writes, a query may find ids in one part of the database that its view lacks ("Error
        finding id", an ``InternalError``), or a vector index file half rewritten (read as
        damage), and asking the same view again finds them no better. Each retry opens the
        database anew, so the read sees the last committed state.
        """
        from chromadb.errors import InternalError

        deadline = time.monotonic() + READ_RETRY_S
        pause = _FIRST_PAUSE_S
        while True:
            try:
                return call(self._collection)
            except (InternalError, _Damaged) as e:
                if self.is_remote:
                    raise
                if time.monotonic() + pause > deadline:
                    if isinstance(e, _Damaged):
                        raise
                    # No write finished in all that time: the vectors and the records disagree for good.
                    raise IndexUnavailableError(
                        f"index folder {self.location} is damaged ({_legible(e)}, for {READ_RETRY_S:g}s); "
                        "if no other process is writing to it, move it aside and ingest again"
                    ) from e
                time.sleep(pause)
                pause = min(2 * pause, _LONGEST_PAUSE_S)
                release_local_clients()
                fresh = _client(self.settings, create=False).get_collection(self.settings.store.collection)
                self._collection = _Reachable(fresh, self.location)

    @property
    def is_remote(self) -> bool:
        return bool(self.settings.store.chroma_host)

    def _stored_metadata(self) -> dict[str, Any]:
        """The collection's metadata as stored now (the open collection keeps what it read at opening)."""
        fresh = _Reachable(self._client, self.location).get_collection(self.settings.store.collection)
        return dict(fresh.metadata or {})

    def generation(self) -> int:
        """The stamp of the last committed write, kept in the collection itself, so that every
        folder whose vectors live on one Chroma server sees the writes of the others."""
        return int(self._stored_metadata().get(_GENERATION, 0))

    def bump_generation(self) -> int:
        """Stamp the collection after a write, before BM25 is updated from it; returns the stamp."""
        stamp = time.time_ns()
        self._collection.modify(metadata={**self._stored_metadata(), _GENERATION: stamp})
        return stamp

    @property
    def location(self) -> str:
        store = self.settings.store
        if store.chroma_host:
            return f"Chroma server {store.chroma_host}:{store.chroma_port}"
        return str(store.data_dir)

    def count(self) -> int:
        return self._read(lambda c: c.count())

    def ids_of_articles(self, article_ids: list[str]) -> dict[str, set[str]]:
        """Chunk ids currently stored for each of these articles (a filtered scan: ~0.08 s at a million
        chunks; a writer asks BM25 instead, see LexicalIndex.chunks_of)."""
        by_article: dict[str, set[str]] = {a: set() for a in article_ids}
        for start in range(0, len(article_ids), 500):
            batch = article_ids[start : start + 500]
            got = self._collection.get(where={"article_id": {"$in": batch}}, include=["metadatas"])
            for chunk_id, meta in zip(got["ids"], got["metadatas"]):
                by_article[meta["article_id"]].add(chunk_id)
        return by_article

    def paths_of(self, chunk_ids: list[str]) -> dict[str, str]:
        """The file each of these chunks' articles was indexed from ("" for none), by article id: a lookup
        by chunk id, whose cost does not grow with the index."""
        paths: dict[str, str] = {}
        for start in range(0, len(chunk_ids), _PAGE):
            got = self._collection.get(ids=chunk_ids[start : start + _PAGE], include=["metadatas"])
            paths.update((meta["article_id"], meta.get("path", "")) for meta in got["metadatas"])
        return paths

    def add(self, ids: list[str], texts: list[str], metadatas: list[dict], vectors: np.ndarray) -> None:
        for start in range(0, len(ids), _PAGE):
            end = start + _PAGE
            self._collection.add(
                ids=ids[start:end],
                documents=texts[start:end],
                metadatas=metadatas[start:end],
                embeddings=vectors[start:end],
            )

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), _PAGE):
            self._collection.delete(ids=ids[start : start + _PAGE])

    def query(self, vector: np.ndarray, n: int, where: dict | None) -> list[tuple[ChunkRecord, float]]:
        """The ``n`` nearest chunks with their cosine similarity."""
        n = min(n, self.count())
        asked = n
        while asked:
            got = self._read(functools.partial(_nearest, vector=vector, n=asked, where=where))
            hits = zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
            # A write killed between Chroma's two parts can leave a deleted chunk's vector behind without its
            # record: found, it has no text or metadata. It is no chunk; asked again, one more live one comes.
            found = [(ChunkRecord(i, doc, meta), 1.0 - dist) for i, doc, meta, dist in hits if meta is not None]
            if len(found) >= n or len(got["ids"][0]) < asked:  # enough, or all there is
                return found[:n]
            asked += len(got["ids"][0]) - len(found)
        return []

    def article_metadata(self) -> list[dict[str, Any]]:
        """One metadata record per stored article: that of its first chunk."""
        return self._collection.get(where={"chunk_index": 0}, include=["metadatas"])["metadatas"]

    def get(self, ids: list[str]) -> dict[str, ChunkRecord]:
        got = self._read(lambda c: c.get(ids=ids, include=["documents", "metadatas"]))
        return {i: ChunkRecord(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}

    def iter_all(self) -> Iterator[ChunkRecord]:
        """Every chunk, page by page, in the store's order."""
        offset = 0
        while True:
            got = self._collection.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            if not got["ids"]:
                return
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"]):
                yield ChunkRecord(i, d, m)
            offset += len(got["ids"])


def _nearest(collection, *, vector: np.ndarray, n: int, where: dict | None) -> dict[str, Any]:
    return collection.query(
        query_embeddings=[vector], n_results=n, where=where, include=["documents", "metadatas", "distances"]
    )


def release_local_clients() -> None:
    """Drop Chroma's in-process cache of local databases, so that a store opened next reads what
    other processes wrote since; stores already open keep working on what they had."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


@contextmanager
def write_lock(data_dir: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the index's write lock, waiting up to ``wait_s`` for it; a second writer gets a
    clear "busy" error, not a corrupt index and not a hang."""
    lock_path = data_dir / "write.lock"
    deadline = time.monotonic() + wait_s
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")
    except OSError as e:
        raise storage_error(e, str(data_dir)) or IndexUnavailableError(
            f"index folder {data_dir} cannot be used ({e.strerror}); check the path and its permissions"
        ) from e
    with handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as e:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip()
                    raise IndexUnavailableError(
                        f"index {data_dir} is locked by another newsqa process writing to it"
                        + (f" (pid {holder})" if holder else "")
                        + "; try again when it finishes"
                    ) from e
                time.sleep(_LOCK_POLL_S)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
