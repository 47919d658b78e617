"""Command-line interface: a thin shell over the library.

Each command parses options into `Settings`, calls one library function and
prints the value it returns. Errors are mapped to exit codes in `main` only.
"""

from __future__ import annotations

import sys
import traceback

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
from spacepack.cli._output import emit_json, failure_fields, json_emitted, say, start_run
from spacepack.errors import ExitCode, SpacepackError


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the one place where exceptions become messages and exit codes."""
    start_run()
    try:
        code = app(args=argv, standalone_mode=False, prog_name="spacepack")
    except SpacepackError as error:
        if State.debug:
            traceback.print_exc()
        for line in error.details:
            say(line)
        say(f"error: {error.message}")
        if "--json" in (sys.argv[1:] if argv is None else argv) and not json_emitted():
            emit_json(failure_fields(error))  # --json promises one document, failures included
        if error.hint:
            say(f"  fix: {error.hint}")
        sys.exit(int(error.exit_code))
    except KeyboardInterrupt:
        say(INTERRUPTED_LINE)
        sys.exit(int(ExitCode.INTERRUPTED))
    except SystemExit:
        raise
    except typer.Abort:
        say("aborted")
        sys.exit(int(ExitCode.INTERRUPTED))
    except typer.exceptions.TyperException as error:
        # The parser's own errors (unknown command, bad option value): usage, exit 2.
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            say(f"error: {error}")
        sys.exit(int(ExitCode.USAGE))
    except Exception as error:
        if State.debug:
            raise
        say(f"internal error: {type(error).__name__}: {error}")
        say("  fix: re-run with --debug for the traceback and report it")
        sys.exit(int(ExitCode.INTERNAL))
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
