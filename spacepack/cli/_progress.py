"""Progress on the terminal: a live build panel on a TTY, plain lines otherwise, and the reports."""

from __future__ import annotations

import time
from collections import deque
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from spacepack.cli._output import plain_mode, say
from spacepack.cli._views import show_push_report, show_smoke_report

if TYPE_CHECKING:
    from spacepack.build import BuildProgress
    from spacepack.push import PushReport
    from spacepack.smoke import SmokeReport

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
        elapsed = time.monotonic() - self._started
        header = Text(f"building  {elapsed:5.1f}s  {self._header}", style="bold", overflow="ellipsis", no_wrap=True)
        body = [Text("  " + line[:200], style="dim", overflow="ellipsis", no_wrap=True) for line in self._lines]
        return Group(header, *body)


class ConsoleProgress:
    """The pipeline's `Progress` on the terminal: lines on stderr, a live build panel, reports.

    The build panel opens with the first build event and closes before the next
    line of any other kind, so nothing is drawn over it.
    """

    def __init__(self, quiet_reports: bool = False) -> None:
        self._display: BuildDisplay | None = None
        self.quiet_reports = quiet_reports

    def _close_display(self) -> None:
        if self._display is not None:
            self._display.__exit__(None, None, None)
            self._display = None

    def close(self) -> None:
        """Close the build panel if it is still open (call in a `finally`)."""
        self._close_display()

    def say(self, line: str) -> None:
        """A line of progress."""
        self._close_display()
        say(line)

    def build_event(self, event: BuildProgress) -> None:
        """Feed the live build panel (or the plain step lines)."""
        if self._display is None:
            self._display = BuildDisplay().__enter__()
        self._display.update(event)
        if event.kind == "done":
            self._close_display()

    def smoke_report(self, report: SmokeReport) -> None:
        """Show the smoke report."""
        self._close_display()
        show_smoke_report(report)

    def push_report(self, report: PushReport) -> None:
        """Show the push report (not with --json on `push`, where the document says it all)."""
        self._close_display()
        if not self.quiet_reports:
            show_push_report(report)

    def space_stage(self, stage: str, elapsed: float) -> None:
        """One line per stage change."""
        self._close_display()
        say(f"  {elapsed:6.1f} s  {stage}")
