"""Imports that would bring in torch where nothing uses it.

spaCy's machine, thinc, imports torch on its own import only to offer torch layers: ~2 s of
every cold start, for ``en_core_web_sm``, which runs on numpy (its parses are the same
without torch: checked on 30 articles). :func:`import_without_torch` imports a module while
``import torch`` fails, so thinc records "no torch" and goes on.

Hiding torch is process-wide for that moment, so every import that may bring torch in
(sentence-transformers, the ONNX export, the device check) runs under :func:`torch_import`,
which the hiding holds too: neither meets the other half-done.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

_torch_import = threading.RLock()


@contextmanager
def torch_import() -> Iterator[None]:
    """Around code that may import torch: it waits while torch is hidden."""
    with _torch_import:
        yield


def import_without_torch(name: str) -> ModuleType:
    """``importlib.import_module(name)`` with torch hidden, unless torch is loaded already."""
    with _torch_import:
        if "torch" in sys.modules:
            return importlib.import_module(name)
        sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError while set
        try:
            return importlib.import_module(name)
        finally:
            del sys.modules["torch"]
