"""`spacepack push`: publish the rendered context to a Docker Space, and optionally wait for it."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spacepack.cli._app import app
from spacepack.cli._options import (
    PROBE_URL_ENV,
    ForceOpt,
    NoProbeOpt,
    PathArg,
    WaitTimeoutOpt,
    project_flags,
    push_flags,
    space_flags,
    with_flags,
)
from spacepack.cli._output import json_mode

if TYPE_CHECKING:
    from spacepack.pipeline import PushChoices, PushResult

DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing remote.")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="Follow the Space until RUNNING, then probe its health path.")]


@app.command()
@with_flags(project=project_flags, space=space_flags, choices=push_flags)
def push(
    path: PathArg = Path(),
    dry_run: DryRunOpt = False,
    wait: WaitOpt = False,
    timeout: WaitTimeoutOpt = 1800.0,
    no_probe: NoProbeOpt = False,
    force: ForceOpt = False,
    *,
    project: dict[str, Any],
    space: dict[str, Any],
    choices: PushChoices,
) -> PushResult:
    """Publish the project to a Hugging Face Docker Space: only what changed, never a secret file."""
    from spacepack.cli._progress import ConsoleProgress
    from spacepack.config import load_settings
    from spacepack.pipeline import WaitOptions, check_and_render, push_and_wait, resolve_push_target

    settings = load_settings(path, flags={**project, **space}, environ=os.environ)
    target = resolve_push_target(
        settings,
        os.environ,
        token=choices.token,
        secret_names=choices.secret_names,
        secrets_from=choices.secrets_from,
        var_pairs=choices.var_pairs,
        need_token=not dry_run,
    )
    target = replace(target, prune=choices.prune, allow_missing_secrets=choices.allow_missing_secrets)
    # Under --json the document says it all; the human report would repeat it.
    progress = ConsoleProgress(quiet_reports=json_mode())
    if target.token_source:
        progress.say(f"token from {target.token_source}")
    try:
        plan, context = check_and_render(
            settings, force=force, progress=progress, step="push", stopped="nothing was pushed"
        )
        return push_and_wait(
            target,
            settings,
            plan,
            context,
            message=choices.message,
            dry_run=dry_run,
            wait=WaitOptions(
                wait=wait, timeout=timeout, probe=not no_probe, probe_base_url=os.environ.get(PROBE_URL_ENV)
            ),
            progress=progress,
        )
    finally:
        progress.close()
