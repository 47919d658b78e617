"""Cleanup that a second Ctrl-C cannot cut short.

The first Ctrl-C stops the work and starts its cleanup (removing a build's
untagged layers, a smoke test's container). People press Ctrl-C twice; a
second one within the cleanup must not abort it halfway while spacepack then
says everything was cleaned up. Inside `deferred_interrupts()` a SIGINT is
remembered instead of raised, and raised once the block is done.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT until the block ends, then raise KeyboardInterrupt if one came.

    Only the main thread can own signal handlers; elsewhere the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def remember(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def ignore_further_interrupts() -> None:
    """After the cleanup of an interrupt: only the report and the exit remain, which a Ctrl-C must not cut."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
