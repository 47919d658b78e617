"""The typer application object that every command module registers on."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from spacepack import __version__
from spacepack.cli._output import JSON_FLAG, Output, emit_json
from spacepack.errors import EXIT_CODE_MEANINGS, ExitCode, Result
from spacepack.interrupts import ignore_further_interrupts

INTERRUPTED_LINE = "interrupted; everything spacepack started was cleaned up"


def take_json_flag(args: list[str]) -> bool:
    """Remove every `--json` from a command's arguments (up to `--`); whether there was one.

    Taken out before the command parses its arguments, so a usage error in any
    other argument (`push -m --json`) is still reported as a JSON document.
    """
    found = False
    index = 0
    while index < len(args) and args[index] != "--":
        if args[index] == JSON_FLAG:
            del args[index]
            found = True
        else:
            index += 1
    return found


class _Group(TyperGroup):
    """The command group: takes `--json` out of a command's arguments and prints the result's document.

    Commands return a result value; under `--json` the top group prints its
    document here, and `spacepack.cli.main` prints the document of a failure.
    typer turns a KeyboardInterrupt raised by a command into a silent exit
    130 before `spacepack.cli.main` can see it, so its line is said here,
    where the command runs (its own `finally` blocks have cleaned up by then).
    """

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, TyperGroup) and take_json_flag(rest):
            Output.json = True
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        top = ctx.parent is None
        if top:
            Output.reset()
        try:
            result = super().invoke(ctx)
        except KeyboardInterrupt:
            ignore_further_interrupts()  # the cleanup is done; a second Ctrl-C must not turn exit 130 into a kill
            print(INTERRUPTED_LINE, file=sys.stderr, flush=True)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        if top and Output.json and isinstance(result, Result):
            emit_json(result.to_json())
        return result


EXIT_CODE_TABLE = "\n".join(f"  {int(code):>3}  {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items())

app = typer.Typer(
    name="spacepack",
    cls=_Group,
    help=(
        "Ship a FastAPI (any ASGI) backend as a Hugging Face Docker Space: "
        "check, render, build, smoke-test, push.\n\n"
        # "\b" keeps the paragraph as written: one exit code a line, not rewrapped.
        f"Exit codes:\n\n\b\n{EXIT_CODE_TABLE}"
    ),
    no_args_is_help=True,
    add_completion=False,
    # Locals can hold tokens; never show them, even with --debug.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def sub_app(help_text: str) -> typer.Typer:
    """A command group under `spacepack` (e.g. `ci`); its commands take `--json` like the others."""
    return typer.Typer(cls=_Group, help=help_text, no_args_is_help=True)


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
