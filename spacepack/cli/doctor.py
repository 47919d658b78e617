"""`spacepack doctor`: report what `build` and `push` need, and the one fix when something is missing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from spacepack.cli._app import app
from spacepack.cli._options import PathArg, with_flags
from spacepack.cli._output import json_mode
from spacepack.cli._views import show_doctor

if TYPE_CHECKING:
    from spacepack.doctor import DoctorReport


@app.command()
@with_flags()
def doctor(path: PathArg = Path()) -> DoctorReport:
    """Check the Docker engine, the base image PATH builds from, the Hugging Face token; show the Hub endpoint."""
    from spacepack.config import load_settings
    from spacepack.doctor import base_image_for, run_doctor
    from spacepack.errors import EngineUnavailable

    settings = load_settings(path, environ=os.environ)
    report = run_doctor(os.environ, base_image=base_image_for(settings))
    if not json_mode():
        show_doctor(report)
    if not report.ready_for_build:
        raise EngineUnavailable("not ready to build", hint=report.first_fix).with_result(report)
    return report
