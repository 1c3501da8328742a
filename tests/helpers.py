"""Helpers for tests that start servers and commands."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


def newsqa_command() -> list[str]:
    return [sys.executable, "-c", "from ui.cli import main; main()"]


@contextmanager
def serving(command: list[str], port: int, *, env: dict | None = None, timeout: float = 120):
    """Run a server process until the block ends; yields once it listens on ``port``."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process, timeout=timeout)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
