"""`spacepack release`: check → render → build → smoke → push → wait → probe, stopping at the first failure."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from spacepack.cli._app import app
from spacepack.cli._options import (
    PROBE_URL_ENV,
    AllowMissingSecretsOpt,
    BuildArgOpt,
    CheckPathOpt,
    EnvFileOpt,
    EnvOpt,
    ExpectJsonOpt,
    ExpectStatusOpt,
    ForceOpt,
    HardwareOpt,
    HealthOpt,
    JsonOpt,
    MessageOpt,
    NoCacheOpt,
    NoProbeOpt,
    NoSmokeOpt,
    PathArg,
    PortOpt,
    PrivateOpt,
    PruneOpt,
    PullOpt,
    SecretOpt,
    SecretsFromOpt,
    SmokeTimeoutOpt,
    SpaceOpt,
    TagOpt,
    TokenOpt,
    VarOpt,
    WaitTimeoutOpt,
)
from spacepack.cli._output import emit_json

TargetOpt = Annotated[str | None, typer.Option("--target", help="A [tool.spacepack.targets.NAME] to release.")]
AllTargetsOpt = Annotated[bool, typer.Option("--all-targets", help="Release every target in turn.")]


@app.command()
def release(
    path: PathArg = Path(),
    space: SpaceOpt = None,
    target: TargetOpt = None,
    all_targets: AllTargetsOpt = False,
    token: TokenOpt = None,
    private: PrivateOpt = None,
    hardware: HardwareOpt = None,
    secret: SecretOpt = None,
    secrets_from: SecretsFromOpt = None,
    var: VarOpt = None,
    message: MessageOpt = None,
    tag: TagOpt = None,
    no_smoke: NoSmokeOpt = False,
    no_cache: NoCacheOpt = False,
    pull: PullOpt = False,
    build_arg: BuildArgOpt = None,
    port: PortOpt = None,
    health: HealthOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    smoke_timeout: SmokeTimeoutOpt = 60.0,
    expect_status: ExpectStatusOpt = None,
    expect_json: ExpectJsonOpt = None,
    check: CheckPathOpt = None,
    timeout: WaitTimeoutOpt = 1800.0,
    no_probe: NoProbeOpt = False,
    prune: PruneOpt = False,
    allow_missing_secrets: AllowMissingSecretsOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Release PATH to its Space: check, render, build, smoke, push, wait for RUNNING, probe.

    Non-interactive; stops at the first failure with that stage's exit code.
    The Space secrets (--secret, --secrets-from) also reach the smoke test's
    container, as they reach the app on the Space. With --all-targets, releases
    each configured target in turn and stops at the first target that fails
    (later ones are reported as skipped).
    """
    from spacepack.cli._progress import ConsoleProgress
    from spacepack.cli.build import build_choices
    from spacepack.config import load_settings
    from spacepack.engine import get_docker_client
    from spacepack.errors import SpacepackError, UsageError
    from spacepack.pipeline import WaitOptions, resolve_push_target
    from spacepack.pipeline import release as release_one

    if all_targets and target:
        raise UsageError("--target and --all-targets exclude each other", hint="pass one of them")
    names: list[str | None] = [target]
    if all_targets:
        configured = list(load_settings(path, environ=os.environ).targets)
        if not configured:
            raise UsageError(
                "--all-targets but the config defines no targets",
                hint="add [tool.spacepack.targets.NAME] tables, or drop --all-targets",
            )
        if space:
            raise UsageError("--space cannot be combined with --all-targets", hint="set `space` in each target")
        names = list(configured)
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
        timeout=smoke_timeout,
        expect_status=expect_status,
        expect_json=expect_json,
        check=check,
    )
    wait = WaitOptions(wait=True, timeout=timeout, probe=not no_probe, probe_base_url=os.environ.get(PROBE_URL_ENV))
    progress = ConsoleProgress()
    documents: list[dict[str, Any]] = []
    failure: SpacepackError | None = None
    try:
        for name in names:
            document: dict[str, Any] = {"target": name, "status": "running", "space": space, "stage": None}
            documents.append(document)
            if failure is not None:
                document["status"] = "skipped"
                continue
            try:
                settings = load_settings(
                    path,
                    flags={"space": space, "hardware": hardware, "private": private},
                    environ=os.environ,
                    target=name,
                )
                push_target = resolve_push_target(
                    settings,
                    os.environ,
                    token=token,
                    secret_names=tuple(secret or ()),
                    secrets_from=secrets_from,
                    var_pairs=tuple(var or ()),
                )
                push_target = replace(push_target, prune=prune, allow_missing_secrets=allow_missing_secrets)
                release_one(
                    settings,
                    push_target,
                    build=build_options,
                    smoke=smoke,
                    wait=wait,
                    message=message,
                    force=force,
                    connect_docker=get_docker_client,
                    results=document,
                    progress=progress,
                )
            except SpacepackError as error:
                document.update(status="failed", error=error.message, hint=error.hint, exit_code=int(error.exit_code))
                failure = error
                continue
            document.update(status="released", exit_code=0)
            label = f"{name}: " if name else ""
            progress.say(f"{label}released {document['space']}: {document.get('commit_url') or 'no change'}")
    finally:
        progress.close()
    if json_output:
        emit_json(
            {"status": "failed" if failure else "released", "targets": documents} if all_targets else documents[0]
        )
    if failure is not None:
        raise failure
