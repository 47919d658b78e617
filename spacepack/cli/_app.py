"""The typer application object that every command module registers on."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from spacepack import __version__
from spacepack.errors import EXIT_CODE_MEANINGS, ExitCode

INTERRUPTED_LINE = "interrupted; everything spacepack started was cleaned up"


class _Group(TyperGroup):
    """The command group; Ctrl-C gets its one line here.

    typer turns a KeyboardInterrupt raised by a command into a silent exit
    130 before `spacepack.cli.main` can see it, so the line is said where the
    command runs (the command's own `finally` blocks have cleaned up by then).
    """

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            print(INTERRUPTED_LINE, file=sys.stderr, flush=True)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


_EXIT_CODES = "\n".join(f"  {int(code):>3}  {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items())

app = typer.Typer(
    name="spacepack",
    cls=_Group,
    help=(
        "Ship a FastAPI (any ASGI) backend as a Hugging Face Docker Space: "
        "check, render, build, smoke-test, push.\n\n"
        f"Exit codes:\n\n{_EXIT_CODES}"
    ),
    no_args_is_help=True,
    add_completion=False,
    # Locals can hold tokens; never show them, even with --debug.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class State:
    """Options of the whole program, set by the root callback."""

    debug: bool = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spacepack {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(  # noqa: ARG001  (handled by its eager callback)
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
    debug: bool = typer.Option(
        False, "--debug", envvar="SPACEPACK_DEBUG", help="Show tracebacks for errors (never shows secrets)."
    ),
) -> None:
    """Ship a FastAPI (any ASGI) backend as a Hugging Face Docker Space."""
    State.debug = debug
