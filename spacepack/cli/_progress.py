"""Build progress on the terminal: a live panel on a TTY, plain lines otherwise."""

from __future__ import annotations

import time
from collections import deque
from types import TracebackType
from typing import TYPE_CHECKING

from spacepack.cli._output import plain_mode, say

if TYPE_CHECKING:
    from rich.console import Group
    from rich.live import Live

    from spacepack.build import BuildProgress

LIVE_LINES = 6


class BuildDisplay:
    """Shows `BuildProgress` values: step N of M, elapsed time and the current step's last lines.

    Use as a context manager and pass `display.update` as the build's `on_event`.
    Under CI=true or when stderr is not a terminal, prints one line per step.
    """

    def __init__(self, plain: bool | None = None) -> None:
        self.plain = plain_mode() if plain is None else plain
        self._lines: deque[str] = deque(maxlen=LIVE_LINES)
        self._header = "starting the build"
        self._live: Live | None = None
        self._started = time.monotonic()

    def __enter__(self) -> BuildDisplay:
        if not self.plain:
            from rich.console import Console
            from rich.live import Live

            # `self` is the renderable: rich calls __rich__ at every refresh, so the clock runs
            # even while a quiet step prints nothing.
            self._live = Live(self, console=Console(stderr=True), refresh_per_second=8, transient=True)
            self._live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.__exit__(kind, error, trace)
            self._live = None

    def update(self, progress: BuildProgress) -> None:
        """Take one progress value from the build."""
        self._started = time.monotonic() - progress.elapsed
        if progress.kind == "step":
            self._lines.clear()
            self._header = f"step {progress.step}/{progress.total}  {progress.command}"
            if self.plain:
                say(f"[{progress.elapsed:6.1f}s] step {progress.step}/{progress.total}: {progress.command}")
        elif progress.kind == "line":
            self._lines.append(progress.line)
        elif progress.kind == "done" and self.plain:
            say(f"[{progress.elapsed:6.1f}s] image built")
        if self._live is not None:
            self._live.refresh()

    def __rich__(self) -> Group:
        from rich.console import Group
        from rich.text import Text

        elapsed = time.monotonic() - self._started
        header = Text(f"building  {elapsed:5.1f}s  {self._header}", style="bold", overflow="ellipsis", no_wrap=True)
        body = [Text("  " + line[:200], style="dim", overflow="ellipsis", no_wrap=True) for line in self._lines]
        return Group(header, *body)
