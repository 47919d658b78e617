"""Test helpers: fixture trees and plans for them, the sample app, the in-process CLI, bounded waits."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import textwrap
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest

from spacepack.plan import Plan

T = TypeVar("T")

# The smallest real backend: FastAPI with a /health route. Tests that need more append to it.
SAMPLE_APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
"""
SAMPLE_REQUIREMENTS = "fastapi\nuvicorn\n"
# A route module of a larger backend: one router, no env read, no class, nothing to find.
ROUTE_MODULE = """
from fastapi import APIRouter

router = APIRouter()


@router.get("/items")
def items() -> list[int]:
    return [1, 2]
"""


def build_file_tree(root: Path, spec: Mapping[str, str | bytes], dedent: bool = True) -> Path:
    """Create files under `root` from {relative path: content}; str content is dedented."""
    for rel, content in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n") if dedent else content, encoding="utf-8")
    return root


def age_tree(root: Path, seconds: float = 60.0) -> None:
    """Date every file below `root` back: a file state younger than 2 s is never recorded by a cache
    (it could hide a second write in the same clock tick), so tests of the caches settle their fixtures."""
    past = time.time() - seconds
    for folder, _dirs, names in os.walk(root):
        for name in names:
            os.utime(Path(folder) / name, (past, past), follow_symlinks=False)


def plan_for(root: Path, **overrides: Any) -> Plan:
    """A plan for the fixture tree at `root`: `main:app` at its root, Python 3.11; `overrides` replace fields."""
    values: dict[str, Any] = {
        "root": root,
        "backend_dir": ".",
        "entry": "main:app",
        "factory": False,
        "working_dir": ".",
        "python": "3.11",
        "python_source": "default",
    }
    values.update(overrides)
    return Plan(**values)


def wait_until(condition: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.05) -> T:
    """Poll `condition` until it returns a truthy value; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the real CLI entry point in this process; (exit code, stdout, stderr)."""
    from spacepack.cli import main

    with pytest.raises(SystemExit) as exited:
        main(argv)
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def default_sigint() -> None:
    """`preexec_fn` of a child the test will send SIGINT: a CI parent may ignore SIGINT, and children inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class ChildLines:
    """The lines a child writes to one pipe, read on a thread so that every wait for them has a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)

    def until(self, marker: str, timeout: float) -> str:
        """Wait for the first line holding `marker`; fail the test after `timeout` seconds or at end of stream."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{marker!r} not seen within {timeout} s:\n{self.text}") from None
            if line is None:
                raise AssertionError(f"the stream ended before {marker!r}:\n{self.text}")
            self.seen.append(line)
            if marker in line:
                return line

    def rest(self, timeout: float) -> str:
        """Everything up to the end of the stream (all of it, within `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the stream did not end within {timeout} s:\n{self.text}") from None
            if line is None:
                return self.text
            self.seen.append(line)

    @property
    def text(self) -> str:
        return "".join(self.seen)


def stop_child(process: subprocess.Popen[str], timeout: float = 30) -> None:
    """Kill a child the test has not seen exit, and reap it (bounded)."""
    if process.poll() is None:
        process.kill()
        process.wait(timeout=timeout)
