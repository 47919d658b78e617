"""`spacepack build [PATH]`: check, render, build the image, then smoke-test it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spacepack.cli._app import app
from spacepack.cli._options import (
    BuildArgOpt,
    CheckPathOpt,
    EnvFileOpt,
    EnvOpt,
    ExpectJsonOpt,
    ExpectStatusOpt,
    ForceOpt,
    HealthOpt,
    HealthTimeoutOpt,
    JsonOpt,
    NoCacheOpt,
    NoSmokeOpt,
    PathArg,
    PortOpt,
    PullOpt,
    TagOpt,
)
from spacepack.cli._output import emit_json, failure_fields

if TYPE_CHECKING:
    from spacepack.pipeline import BuildOptions, SmokeChoices


def build_choices(
    *,
    tag: str | None,
    no_cache: bool,
    pull: bool,
    build_arg: list[str] | None,
    no_smoke: bool,
    port: int | None,
    health: str | None,
    env: list[str] | None,
    env_file: Path | None,
    timeout: float,
    expect_status: int | None,
    expect_json: list[str] | None,
    check: list[str] | None,
) -> tuple[BuildOptions, SmokeChoices | None]:
    """The build and smoke flags (shared by `build` and `release`) as the pipeline's values."""
    from spacepack.build import parse_build_args
    from spacepack.errors import UsageError
    from spacepack.pipeline import BuildOptions, SmokeChoices
    from spacepack.smoke import parse_expectations

    if health is not None and not health.startswith("/"):
        raise UsageError(f"--health {health!r} must start with /", hint=f"e.g. --health /{health.lstrip('/')}")
    build = BuildOptions(tag=tag, no_cache=no_cache, pull=pull, build_args=parse_build_args(build_arg or ()))
    if no_smoke:
        return build, None
    smoke = SmokeChoices(
        port=port,
        health=health,
        env_pairs=tuple(env or ()),
        env_file=env_file,
        timeout=timeout,
        expect_status=expect_status,
        expect_json=parse_expectations(tuple(expect_json or ())),
        checks=tuple(check or ()),
    )
    return build, smoke


@app.command()
def build(
    path: PathArg = Path(),
    tag: TagOpt = None,
    no_smoke: NoSmokeOpt = False,
    no_cache: NoCacheOpt = False,
    pull: PullOpt = False,
    build_arg: BuildArgOpt = None,
    force: ForceOpt = False,
    port: PortOpt = None,
    health: HealthOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    timeout: HealthTimeoutOpt = 60.0,
    expect_status: ExpectStatusOpt = None,
    expect_json: ExpectJsonOpt = None,
    check: CheckPathOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check, render and build PATH into an image for linux/amd64, then smoke-test it like a Space."""
    from spacepack.cli._progress import ConsoleProgress
    from spacepack.config import load_settings
    from spacepack.engine import get_docker_client
    from spacepack.errors import SpacepackError
    from spacepack.pipeline import build_and_smoke, check_and_render

    build_options, smoke = build_choices(
        tag=tag,
        no_cache=no_cache,
        pull=pull,
        build_arg=build_arg,
        no_smoke=no_smoke,
        port=port,
        health=health,
        env=env,
        env_file=env_file,
        timeout=timeout,
        expect_status=expect_status,
        expect_json=expect_json,
        check=check,
    )
    settings = load_settings(path, environ=os.environ)
    progress = ConsoleProgress()
    results: dict[str, Any] = {"image": None, "smoke": None}
    try:
        plan, context = check_and_render(settings, force=force, progress=progress)
        client = get_docker_client()
        try:
            build_and_smoke(client, settings, plan, context, build_options, smoke, results=results, progress=progress)
        finally:
            client.close()
    except SpacepackError as error:
        if as_json:
            emit_json({**results, **failure_fields(error)})
        raise
    finally:
        progress.close()
    if as_json:
        emit_json(results)
