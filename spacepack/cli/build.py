"""`spacepack build [PATH]`: check, render, build the image, then smoke-test it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spacepack.cli._app import app
from spacepack.cli._options import ForceOpt, PathArg, image_flags, project_flags, with_flags

if TYPE_CHECKING:
    from spacepack.pipeline import BuildResult, ImageOptions


@app.command()
@with_flags(project=project_flags, image=image_flags)
def build(
    path: PathArg = Path(),
    force: ForceOpt = False,
    *,
    project: dict[str, Any],
    image: ImageOptions,
) -> BuildResult:
    """Check, render and build PATH into an image for linux/amd64, then smoke-test it like a Space."""
    from spacepack.cli._progress import ConsoleProgress
    from spacepack.config import load_settings
    from spacepack.engine import get_docker_client
    from spacepack.errors import SpacepackError
    from spacepack.pipeline import BuildResult, build_project
    from spacepack.plan import Plan

    settings = load_settings(path, project, environ=os.environ)
    progress = ConsoleProgress()
    try:
        return build_project(settings, image, force=force, connect_docker=get_docker_client, progress=progress)
    except SpacepackError as error:
        if not isinstance(error.result, BuildResult):  # stopped before the build: both stages null
            findings = error.result.findings if isinstance(error.result, Plan) else ()
            error.with_result(BuildResult(findings=findings))
        raise
    finally:
        progress.close()
