"""`spacepack ci github`: write a GitHub Actions workflow that runs `spacepack release`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from spacepack.cli._app import app
from spacepack.cli._output import emit_json, say
from spacepack.paths import shown

ci_app = typer.Typer(help="Write a CI workflow that releases the Space on every push and tag.", no_args_is_help=True)
app.add_typer(ci_app, name="ci")


@ci_app.command("github")
def github(
    path: Annotated[Path, typer.Argument(help="The project folder.")] = Path(),
    space: Annotated[str | None, typer.Option("--space", help="The Space, OWNER/NAME (default: config).")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Release this config target.")] = None,
    oidc: Annotated[
        bool, typer.Option("--oidc", help="Use Hugging Face trusted publishing instead of an HF_TOKEN secret.")
    ] = False,
    install: Annotated[
        str | None,
        typer.Option("--install", help="What the job pip-installs (default: spacepack==<this version>)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a different existing workflow.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Write .github/workflows/spacepack-release.yml: release on pushes to the default branch and on tags."""
    from spacepack.check import check_project
    from spacepack.ci import github_workflow, write_workflow
    from spacepack.config import load_settings

    settings = load_settings(path, flags={"space": space}, environ=os.environ, target=target)
    if settings.space:
        from spacepack.hub import validate_space_id

        validate_space_id(settings.space)
    # The secrets the app needs to start must reach the Space (and the smoke test) from repository secrets.
    plan = check_project(settings)
    app_secrets = tuple(var.name for var in plan.env if var.required and var.at_import)
    workflow = github_workflow(settings, target=target, oidc=oidc, app_secrets=app_secrets, install=install)
    written = write_workflow(workflow, force=force)
    if json_output:
        emit_json({**workflow.to_json(), "path": str(written)})
    say(f"wrote {shown(written)}")
    say(f"next step: {workflow.next_step}")
