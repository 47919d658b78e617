"""`spacepack doctor`: report what `build` and `push` need, and the one fix when something is missing."""

from __future__ import annotations

import os
from pathlib import Path

from spacepack.cli._app import app
from spacepack.cli._options import JsonOpt, PathArg
from spacepack.cli._output import emit_json, say


@app.command()
def doctor(
    path: PathArg = Path(),
    json_output: JsonOpt = False,
) -> None:
    """Check the Docker engine, the base image PATH builds from, the Hugging Face token; show the Hub endpoint."""
    from spacepack.config import load_settings
    from spacepack.doctor import base_image_for, run_doctor
    from spacepack.errors import EngineUnavailable

    report = run_doctor(os.environ, base_image=base_image_for(load_settings(path, environ=os.environ)))
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
