"""`spacepack release`: check → render → build → smoke → push → wait → probe, stopping at the first failure."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spacepack.cli._app import app
from spacepack.cli._options import (
    PROBE_URL_ENV,
    ForceOpt,
    NoProbeOpt,
    PathArg,
    SmokeTimeoutOpt,
    WaitTimeoutOpt,
    image_flags,
    project_flags,
    push_flags,
    renamed,
    space_flags,
    with_flags,
)

if TYPE_CHECKING:
    from spacepack.errors import Result
    from spacepack.pipeline import ImageOptions, PushChoices

TargetOpt = Annotated[str | None, typer.Option("--target", help="A [tool.spacepack.targets.NAME] to release.")]
AllTargetsOpt = Annotated[bool, typer.Option("--all-targets", help="Release every target in turn.")]


@app.command()
@with_flags(
    project=project_flags,
    space=space_flags,
    choices=push_flags,
    image=renamed(image_flags, timeout=("smoke_timeout", SmokeTimeoutOpt)),
)
def release(
    path: PathArg = Path(),
    target: TargetOpt = None,
    all_targets: AllTargetsOpt = False,
    timeout: WaitTimeoutOpt = 1800.0,
    no_probe: NoProbeOpt = False,
    force: ForceOpt = False,
    *,
    project: dict[str, Any],
    space: dict[str, Any],
    choices: PushChoices,
    image: ImageOptions,
) -> Result:
    """Release PATH to its Space: check, render, build, smoke, push, wait for RUNNING, probe.

    Non-interactive; stops at the first failure with that stage's exit code.
    The Space secrets (--secret, --secrets-from) also reach the smoke test's
    container, as they reach the app on the Space. With --all-targets, releases
    each configured target in turn and stops at the first target that fails
    (later ones are reported as skipped).
    """
    from spacepack.cli._progress import ConsoleProgress
    from spacepack.engine import get_docker_client
    from spacepack.pipeline import ReleaseOptions, WaitOptions, release_target_names, release_targets

    names = release_target_names(path, target=target, all_targets=all_targets, space=space["space"], environ=os.environ)
    wait = WaitOptions(wait=True, timeout=timeout, probe=not no_probe, probe_base_url=os.environ.get(PROBE_URL_ENV))
    options = ReleaseOptions(image=image, push=choices, wait=wait, force=force)
    progress = ConsoleProgress()
    try:
        run = release_targets(
            path,
            names,
            options,
            flags={**project, **space},
            environ=os.environ,
            connect_docker=get_docker_client,
            progress=progress,
        )
    finally:
        progress.close()
    result: Result = run if all_targets else run.results[0]
    if run.error is not None:
        raise run.error.with_result(result)
    return result
