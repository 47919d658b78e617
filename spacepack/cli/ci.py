"""`spacepack ci github`: write a GitHub Actions workflow that runs `spacepack release`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from spacepack.cli._app import app, sub_app
from spacepack.cli._options import project_flags, with_flags
from spacepack.cli._output import Document, say
from spacepack.paths import shown

ci_app = sub_app("Write a CI workflow that releases the Space on every push and tag.")
app.add_typer(ci_app, name="ci")


@ci_app.command("github")
@with_flags(project=project_flags)
def github(
    path: Annotated[Path, typer.Argument(help="The project folder.")] = Path(),
    space: Annotated[str | None, typer.Option("--space", help="The Space, OWNER/NAME (default: config).")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Release this config target.")] = None,
    oidc: Annotated[
        bool, typer.Option("--oidc", help="Use Hugging Face trusted publishing instead of an HF_TOKEN secret.")
    ] = False,
    install: Annotated[
        str | None,
        typer.Option("--install", help="What the job pip-installs (default: where this spacepack came from)."),
    ] = None,
    no_action: Annotated[
        bool, typer.Option("--no-action", help="Install and run spacepack in the job instead of using its action.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a different existing workflow.")] = False,
    *,
    project: dict[str, Any],
) -> Document:
    """Write .github/workflows/spacepack-release.yml: release on pushes to the default branch and on tags."""
    from spacepack.check import check_project
    from spacepack.ci import github_workflow, write_workflow
    from spacepack.config import load_settings
    from spacepack.hub import validate_space_id

    settings = load_settings(path, flags={**project, "space": space}, environ=os.environ, target=target)
    if settings.space:
        validate_space_id(settings.space)
    # The secrets the app needs to start must reach the Space (and the smoke test) from repository secrets.
    plan = check_project(settings)
    app_secrets = tuple(var.name for var in plan.env if var.required and var.at_import)
    workflow = github_workflow(
        settings, target=target, oidc=oidc, app_secrets=app_secrets, install=install, use_action=not no_action
    )
    written = write_workflow(workflow, force=force)
    if workflow.warning:
        say(f"warning: {workflow.warning}")
    say(f"wrote {shown(written)}")
    say(f"next step: {workflow.next_step}")
    return Document({**workflow.to_json(), "path": str(written)})
