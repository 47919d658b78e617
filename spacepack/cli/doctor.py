"""`spacepack doctor`: report what `build` and `push` need, and the one fix when something is missing."""

from __future__ import annotations

import os

import typer

from spacepack.cli._app import app
from spacepack.cli._output import emit_json, say


@app.command()
def doctor(
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Check the Docker engine, the base image, the Hugging Face token and the Hub endpoint."""
    from spacepack.doctor import DEFAULT_BASE_IMAGE, run_doctor
    from spacepack.errors import EngineUnavailable

    base_image = os.environ.get("SPACEPACK_BASE_IMAGE", DEFAULT_BASE_IMAGE)
    report = run_doctor(os.environ, base_image=base_image)
    if json_output:
        emit_json(report.to_json())
    else:
        for check in report.checks:
            mark = "ok " if check.ok else ("-- " if not check.needed_for_build else "NO ")
            say(f"{mark} {check.name}: {check.detail}")
            if not check.ok and check.fix:
                say(f"    fix: {check.fix}")
    if not report.ready_for_build:
        raise EngineUnavailable("not ready to build", hint=report.first_fix)
