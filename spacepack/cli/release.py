"""`spacepack release`: check → render → build → smoke → push → wait → probe, stopping at the first failure."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from spacepack.cli._app import app
from spacepack.cli._output import emit_json, say
from spacepack.cli.build import BuildArgOpt, BuildChoices, BuildHealthOpt, NoCacheOpt, NoSmokeOpt, PullOpt, TagOpt
from spacepack.cli.push import (
    ForceOpt,
    HardwareOpt,
    MessageOpt,
    NoProbeOpt,
    PathArg,
    PrivateOpt,
    SecretOpt,
    SecretsFromOpt,
    SpaceOpt,
    TokenOpt,
    VarOpt,
)
from spacepack.cli.smoke import CheckOpt, EnvFileOpt, EnvOpt, ExpectJsonOpt, ExpectStatusOpt, JsonOpt, PortOpt

TargetOpt = Annotated[str | None, typer.Option("--target", help="A [tool.spacepack.targets.NAME] to release.")]
AllTargetsOpt = Annotated[bool, typer.Option("--all-targets", help="Release every target in turn.")]
SmokeTimeoutOpt = Annotated[float, typer.Option("--smoke-timeout", help="Seconds the smoke test waits for health.")]
WaitTimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the Space to be RUNNING.")]


def release_one(
    path: Path,
    target_name: str | None,
    flags: dict[str, Any],
    choices: BuildChoices,
    push_options: dict[str, Any],
    force: bool,
    document: dict[str, Any],
) -> None:
    """Release one Space; every stage's result goes into `document` as it comes."""
    from spacepack import hub
    from spacepack.check import check_project
    from spacepack.cli.build import build_and_smoke, stop_on_errors
    from spacepack.cli.push import push_and_wait, resolve_push_target
    from spacepack.config import load_settings
    from spacepack.engine import get_docker_client
    from spacepack.render import render_context

    quiet: bool = push_options["quiet"]
    settings = load_settings(path, flags=flags, environ=os.environ, target=target_name)
    document["stage"] = "check"
    target = resolve_push_target(
        settings,
        push_options["token"],
        push_options["secret_names"],
        push_options["secrets_from"],
        push_options["var_pairs"],
    )
    document["space"] = target.space_id
    # A bad or read-only token fails here, before minutes of building.
    hub.check_write_access(hub.get_hf_api(target.token), target.space_id)
    plan = check_project(settings)
    document["entry"] = plan.entry
    stop_on_errors(plan, force)
    document["stage"] = "render"
    context = render_context(plan, settings)
    say(f"[{target.space_id}] rendered {len(context.files)} files into {context.path}")
    document["stage"] = "build"
    client = get_docker_client()
    try:
        build_and_smoke(client, settings, plan, context, choices, document)
    finally:
        client.close()
    image = document.get("image") or {}
    document["image_ref"] = (image.get("tags") or [None])[0]
    document["stage"] = "push"
    push_document: dict[str, Any] = {}
    document["push"] = push_document
    try:
        push_and_wait(
            target,
            settings,
            plan,
            context,
            message=push_options["message"],
            dry_run=False,
            wait=True,
            timeout=push_options["timeout"],
            no_probe=push_options["no_probe"],
            quiet=quiet,
            document=push_document,
        )
    finally:
        commit = push_document.get("commit") or {}
        document["commit_url"] = commit.get("url")
        document["probe"] = push_document.get("probe")
    document["stage"] = "done"


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
    health: BuildHealthOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    smoke_timeout: SmokeTimeoutOpt = 60.0,
    expect_status: ExpectStatusOpt = None,
    expect_json: ExpectJsonOpt = None,
    check: CheckOpt = None,
    timeout: WaitTimeoutOpt = 1800.0,
    no_probe: NoProbeOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Release PATH to its Space: check, render, build, smoke, push, wait for RUNNING, probe.

    Non-interactive; stops at the first failure with that stage's exit code.
    With --all-targets, releases each configured target in turn and stops at
    the first target that fails (later ones are reported as skipped).
    """
    from spacepack.config import load_settings
    from spacepack.errors import SpacepackError, UsageError

    if not path.is_dir():
        raise UsageError(f"{path} is not a folder", hint="pass the project folder: spacepack release PATH --space ...")
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
    flags = {"space": space, "hardware": hardware, "private": private}
    choices = BuildChoices(
        tag=tag,
        no_smoke=no_smoke,
        no_cache=no_cache,
        pull=pull,
        build_args=tuple(build_arg or ()),
        port=port,
        health=health,
        env=tuple(env or ()),
        env_file=env_file,
        timeout=smoke_timeout,
        expect_status=expect_status,
        expect_json=tuple(expect_json or ()),
        checks=tuple(check or ()),
    )
    push_options: dict[str, Any] = {
        "token": token,
        "secret_names": secret or [],
        "secrets_from": secrets_from,
        "var_pairs": var or [],
        "message": message,
        "timeout": timeout,
        "no_probe": no_probe,
        "quiet": False,  # human progress always goes to stderr; --json only shapes stdout
    }
    results: list[dict[str, Any]] = []
    failure: SpacepackError | None = None
    for name in names:
        document: dict[str, Any] = {"target": name, "status": "running", "space": space, "stage": None}
        results.append(document)
        if failure is not None:
            document.update(status="skipped", stage=None)
            continue
        try:
            release_one(path, name, flags, choices, push_options, force, document)
        except SpacepackError as error:
            document.update(status="failed", error=error.message, hint=error.hint, exit_code=int(error.exit_code))
            failure = error
            continue
        document.update(status="released", exit_code=0)
        label = f"{name}: " if name else ""
        say(f"{label}released {document['space']}: {document.get('commit_url') or 'no change'}")
    if json_output:
        if all_targets:
            overall = "failed" if failure else "released"
            emit_json({"status": overall, "targets": results})
        else:
            emit_json(results[0])
    if failure is not None:
        raise failure
