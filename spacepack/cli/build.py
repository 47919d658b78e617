"""`spacepack build [PATH]`: check, render, build the image, then smoke-test it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spacepack.cli._app import app
from spacepack.cli._output import emit_json, say
from spacepack.cli.smoke import (
    CheckOpt,
    EnvFileOpt,
    EnvOpt,
    ExpectJsonOpt,
    ExpectStatusOpt,
    JsonOpt,
    PortOpt,
    TimeoutOpt,
    load_env,
    smoke_and_show,
)

if TYPE_CHECKING:
    from spacepack.config import Settings
    from spacepack.engine import DockerClient
    from spacepack.plan import Plan
    from spacepack.render import Context

# Build options, shared with `spacepack release`.
TagOpt = Annotated[str | None, typer.Option("--tag", help="Image name:tag (default: spacepack/<project>:<sha>).")]
NoSmokeOpt = Annotated[bool, typer.Option("--no-smoke", help="Skip the smoke test.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not reuse cached layers.")]
PullOpt = Annotated[bool, typer.Option("--pull", help="Pull a newer base image first.")]
BuildArgOpt = Annotated[list[str] | None, typer.Option("--build-arg", help="KEY=VALUE build argument (repeatable).")]
BuildHealthOpt = Annotated[str | None, typer.Option("--health", help="Path that must answer 2xx (default: detected).")]


def stop_on_errors(plan: Plan, force: bool) -> None:
    """Show error findings with their fixes; stop before the build unless --force."""
    from spacepack.errors import CheckFailed

    errors = plan.errors
    if not errors:
        return
    for finding in errors:
        where = f"{finding.path}:{finding.line}: " if finding.path and finding.line else ""
        say(f"{'warning (--force)' if force else 'error'}: {where}{finding.message} [{finding.code}]")
        if finding.hint:
            say(f"  fix: {finding.hint}")
    if not force:
        raise CheckFailed(
            f"`check` found {len(errors)} error finding(s); nothing was built",
            hint="fix them (see above), or pass --force to build anyway",
        )


def _default_dotenv(plan: Plan) -> Path | None:
    """The project's .env (at its root, else in the backend folder): the local stand-in for Space secrets."""
    for folder in (plan.root, plan.backend_path):
        candidate = folder / ".env"
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class BuildChoices:
    """What the user asked of the build and smoke stages (shared by `build` and `release`)."""

    tag: str | None = None
    no_smoke: bool = False
    no_cache: bool = False
    pull: bool = False
    build_args: tuple[str, ...] = ()
    port: int | None = None
    health: str | None = None
    env: tuple[str, ...] = ()
    env_file: Path | None = None
    timeout: float = 60.0
    expect_status: int | None = None
    expect_json: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()


def build_and_smoke(
    client: DockerClient,
    settings: Settings,
    plan: Plan,
    context: Context,
    choices: BuildChoices,
    document: dict[str, Any],
) -> None:
    """Build the rendered context, then smoke-test the image; results go into `document`.

    On failure the partial results are in `document` (`build_failure` or `smoke`)
    and the error is re-raised, so the caller prints one JSON document either way.
    """
    from spacepack.build import BuildStepFailed, build_image, image_names, new_log_path, parse_build_args
    from spacepack.cli._progress import BuildDisplay
    from spacepack.masking import Masker
    from spacepack.smoke import DEFAULT_APP_PORT, SmokeOptions, SmokeTestFailed, parse_expectations

    buildargs = parse_build_args(choices.build_args)
    tags, labels = image_names(plan.project_name, settings.project_dir, context.path, choices.tag, settings.space)
    log_path = new_log_path(settings.project_dir)
    say(f"building {', '.join(tags)} for linux/amd64; full log: {log_path}")
    try:
        with BuildDisplay() as display:
            built = build_image(
                client,
                context.path,
                tags=tags,
                labels=labels,
                nocache=choices.no_cache,
                pull=choices.pull,
                buildargs=buildargs,
                log_path=log_path,
                on_event=display.update,
                masker=Masker(buildargs.values()),
            )
    except BuildStepFailed as failed:
        say(failed.failure.to_text())
        document["build_failure"] = failed.failure.to_json()
        raise
    document["image"] = built.to_json()
    say(f"built {built.id[7:19]} ({built.size / 1e6:.0f} MB) in {built.seconds:.1f} s as {', '.join(built.tags)}")
    if choices.no_smoke:
        return
    app_port = context.metadata.get("app_port", settings.app_port or DEFAULT_APP_PORT)
    options = SmokeOptions(
        health_path=choices.health or plan.health_path,
        port=choices.port,
        app_port=int(app_port),
        env=load_env(list(choices.env), choices.env_file, _default_dotenv(plan)),
        timeout=choices.timeout,
        expect_status=choices.expect_status,
        expect_json=parse_expectations(list(choices.expect_json)),
        checks=choices.checks,
        required_env=tuple(e.name for e in plan.env if e.required and e.at_import),
    )
    try:
        report = smoke_and_show(client, built.tags[0], options)
    except SmokeTestFailed as failed:
        document["smoke"] = failed.report.to_json()
        raise
    document["smoke"] = report.to_json()


@app.command()
def build(
    path: Annotated[Path, typer.Argument(help="The project folder.")] = Path(),
    tag: TagOpt = None,
    no_smoke: NoSmokeOpt = False,
    no_cache: NoCacheOpt = False,
    pull: PullOpt = False,
    build_arg: BuildArgOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Build even when `check` found errors.")] = False,
    port: PortOpt = None,
    health: BuildHealthOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    timeout: TimeoutOpt = 60.0,
    expect_status: ExpectStatusOpt = None,
    expect_json: ExpectJsonOpt = None,
    check: CheckOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check, render and build PATH into an image for linux/amd64, then smoke-test it like a Space."""
    from spacepack.check import check_project
    from spacepack.config import load_settings
    from spacepack.engine import get_docker_client
    from spacepack.errors import SpacepackError
    from spacepack.render import render_context

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
        timeout=timeout,
        expect_status=expect_status,
        expect_json=tuple(expect_json or ()),
        checks=tuple(check or ()),
    )
    settings = load_settings(path, environ=os.environ)
    plan = check_project(settings)
    stop_on_errors(plan, force)
    context = render_context(plan, settings)
    say(f"rendered the build context in {context.path}")
    client = get_docker_client()
    document: dict[str, Any] = {"image": None, "smoke": None}
    try:
        build_and_smoke(client, settings, plan, context, choices, document)
    except SpacepackError:
        if as_json:
            emit_json(document)
        raise
    if as_json:
        emit_json(document)
