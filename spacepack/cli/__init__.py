"""Command-line interface: a thin shell over the library.

Each command parses options into `Settings` and options values, calls the
library and returns the result value it gets. The command group prints a
result's document; `main` turns errors into messages, exit codes and (with
`--json`) their document: exactly one JSON document on stdout, on success,
failure and usage errors alike.
"""

from __future__ import annotations

import gc
import sys
import traceback
from typing import Any, NoReturn

import typer

from spacepack.cli import build as _build  # noqa: F401  (registers the command)
from spacepack.cli import check as _check  # noqa: F401  (registers the command)
from spacepack.cli import ci as _ci  # noqa: F401  (registers `ci github`)
from spacepack.cli import doctor as _doctor  # noqa: F401  (registers the command)
from spacepack.cli import logs as _logs  # noqa: F401  (registers the command)
from spacepack.cli import open as _open  # noqa: F401  (registers the command)
from spacepack.cli import push as _push  # noqa: F401  (registers the command)
from spacepack.cli import release as _release  # noqa: F401  (registers the command)
from spacepack.cli import render as _render  # noqa: F401  (registers render and eject)
from spacepack.cli import smoke as _smoke  # noqa: F401  (registers the command)
from spacepack.cli import status as _status  # noqa: F401  (registers the command)
from spacepack.cli._app import INTERRUPTED_LINE, State, app
from spacepack.cli._output import Output, emit_json, say
from spacepack.errors import EXIT_CODE_MEANINGS, ExitCode, SpacepackError
from spacepack.interrupts import ignore_further_interrupts, restored_after

# The collector's thresholds for the CLI's own process (Python's defaults: 700, 10, 10). `check` builds
# and keeps the syntax tree of every module of the project, millions of objects that are alive until it
# returns; with the defaults the collector runs over them in some 560 collections that free next to
# nothing, about a fifth of `check` on a 2,000-module backend. Rarer young collections and almost no full
# ones leave the peak memory of such a run as it was, and the long commands (push, logs) still collect.
CLI_GC_THRESHOLDS = (50_000, 20, 100)


def _failure(message: str, code: int, hint: str = "") -> dict[str, Any]:
    return {"status": "failed", "error": message, "hint": hint, "exit_code": int(code)}


def _exit(code: int, document: dict[str, Any] | None = None) -> NoReturn:
    """Print the run's one JSON document (under --json), then exit with `code`."""
    if Output.json and document is not None:
        emit_json(document)
    sys.exit(int(code))


def _spacepack_error(error: SpacepackError) -> NoReturn:
    if State.debug:
        traceback.print_exc()
    for line in error.details:
        say(line)
    say(f"error: {error.message}")
    if error.hint:
        say(f"  fix: {error.hint}")
    partial = error.result.to_json() if error.result is not None else {}
    _exit(error.exit_code, {**partial, **error.to_json()})


def _usage_error(error: typer.exceptions.TyperException) -> NoReturn:
    # The parser's own errors (unknown command or option, a missing or bad value): usage, exit 2.
    show = getattr(error, "show", None)
    if callable(show):
        show()
    else:
        say(f"error: {error}")
    _exit(ExitCode.USAGE, _failure(error.format_message(), ExitCode.USAGE, "see --help"))


def main(argv: list[str] | None = None, prog_name: str = "spacepack") -> None:
    """Run the CLI; the one place where exceptions become messages, exit codes and failure documents.

    `argv` None is the process's own command line (`spacepack ...`); a list means a caller runs the
    CLI in-process, and gets its SIGINT handler back afterwards (and keeps its collector's thresholds).
    """
    if argv is None:
        gc.set_threshold(*CLI_GC_THRESHOLDS)
    try:
        with restored_after(in_process=argv is not None):
            _main(argv, prog_name)
    finally:
        if argv is None:
            # The process ends here. What the command built (`check` leaves every module's syntax tree in
            # reference cycles) would be collected by the interpreter's last collection at exit: about
            # 0.15 s on a 2,000-module backend, to free memory the OS takes back anyway. Frozen objects
            # are never collected; exit handlers (temporary folders, log flushing) still run.
            gc.freeze()


def _main(argv: list[str] | None, prog_name: str) -> None:
    Output.reset()
    try:
        result = app(args=argv, standalone_mode=False, prog_name=prog_name)
    except SpacepackError as error:
        _spacepack_error(error)
    except KeyboardInterrupt:
        ignore_further_interrupts()
        say(INTERRUPTED_LINE)
        _exit(ExitCode.INTERRUPTED, _failure(INTERRUPTED_LINE, ExitCode.INTERRUPTED))
    except SystemExit:
        raise
    except typer.Abort:
        say("aborted")
        _exit(ExitCode.INTERRUPTED, _failure("aborted", ExitCode.INTERRUPTED))
    except typer.exceptions.TyperException as error:
        _usage_error(error)
    except Exception as error:
        if State.debug:
            raise
        say(f"internal error: {type(error).__name__}: {error}")
        say("  fix: re-run with --debug for the traceback and report it")
        _exit(ExitCode.INTERNAL, _failure(f"internal error: {type(error).__name__}", ExitCode.INTERNAL))
    if isinstance(result, int):  # --help, --version, or Ctrl-C turned into an exit code by the group
        meaning = next((text for code, text in EXIT_CODE_MEANINGS.items() if code == result), "failed")
        _exit(result, _failure(meaning, result) if result else None)
    sys.exit(0)  # the group printed the result's document


def hf_extension_main() -> None:
    """The `hf-spacepack` console script: the same CLI, run by `hf spacepack ...` (an `hf` extension)."""
    main(prog_name="hf spacepack")


__all__ = ["app", "hf_extension_main", "main"]
