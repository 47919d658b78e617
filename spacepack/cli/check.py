"""`spacepack check [PATH]`: what will run, how, and what would break on a Space (nothing is run)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spacepack.cli._app import app
from spacepack.cli._options import project_flags, with_flags
from spacepack.cli._views import show_plan

if TYPE_CHECKING:
    from spacepack.plan import Plan


@app.command()
@with_flags(project=project_flags)
def check(
    path: Annotated[Path, typer.Argument(help="The repository root or the backend folder.")] = Path(),
    *,
    project: dict[str, Any],
) -> Plan:
    """Inspect PATH: find the app, how it runs, and what would break on a Space. Nothing is run."""
    from spacepack.check import check_with_kept_facts
    from spacepack.config import load_settings
    from spacepack.errors import CheckFailed
    from spacepack.render.context import default_out_dir
    from spacepack.render.plan_cache import cached_plan

    settings = load_settings(path, project, os.environ)
    plan, _cached = cached_plan(settings, default_out_dir(settings), check_with_kept_facts)
    show_plan(plan)
    # The gate a CI job runs before pushing: every error fails it, also one that blocks only the upload.
    errors = plan.errors
    if errors:
        hint = "fix them (see the errors above), then run `spacepack check` again"
        if len(plan.upload_only()) == len(errors):
            hint = "fix them before pushing (see the errors above); `spacepack build` still builds and smoke-tests"
        raise CheckFailed(f"`check` found {len(errors)} error finding(s)", hint=hint).with_result(plan)
    return plan
