"""The pipeline composed: check → render → build → smoke → push → wait → probe.

Each stage is a function of its own module (`check`, `render`, `build`,
`smoke`, `hub`); this module strings them together for the `build`, `push`
and `release` commands. It never prints: progress goes to a `Progress`
object the caller passes in, and results go into a `results` dict as they
come, so a caller can report one JSON document whether a stage succeeded or
raised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from spacepack.check import check_project
from spacepack.config import Settings
from spacepack.envfile import container_env
from spacepack.errors import CheckFailed, ExitCode, SpaceFailed
from spacepack.masking import Masker
from spacepack.paths import shown
from spacepack.plan import Plan
from spacepack.render import Context, render_context
from spacepack.render.dockerfile import app_port

if TYPE_CHECKING:
    from spacepack.build import BuildProgress, BuiltImage
    from spacepack.engine import DockerClient
    from spacepack.push import PushReport
    from spacepack.smoke import SmokeReport


class Progress(Protocol):
    """Where the pipeline reports what it is doing; the CLI draws it, tests may ignore it."""

    def say(self, line: str) -> None:
        """A line of progress."""

    def build_event(self, event: BuildProgress) -> None:
        """A build step started, or printed a line."""

    def smoke_report(self, report: SmokeReport) -> None:
        """The smoke test ended (healthy or not)."""

    def push_report(self, report: PushReport) -> None:
        """The push ended (or, with a dry run, was computed)."""

    def space_stage(self, stage: str, elapsed: float) -> None:
        """The Space's runtime stage changed."""


class QuietProgress:
    """A `Progress` that reports nothing."""

    def say(self, line: str) -> None:
        """Ignore the line."""

    def build_event(self, event: BuildProgress) -> None:
        """Ignore the event."""

    def smoke_report(self, report: SmokeReport) -> None:
        """Ignore the report."""

    def push_report(self, report: PushReport) -> None:
        """Ignore the report."""

    def space_stage(self, stage: str, elapsed: float) -> None:
        """Ignore the stage."""


# --- check and render ------------------------------------------------------------------------


def stop_on_errors(plan: Plan, force: bool, progress: Progress, *, stopped: str = "nothing was built") -> None:
    """Stop the pipeline on `check` error findings, unless `force` (then they are only reported).

    Raises:
        CheckFailed: with each error finding and its fix as detail lines.
    """
    errors = plan.errors
    if not errors:
        return
    if force:
        for finding in errors:
            progress.say(f"error ignored (--force): {finding.describe()[0]}")
        return
    details = tuple(line for finding in errors for line in finding.describe())
    raise CheckFailed(
        f"`check` found {len(errors)} error finding(s); {stopped}",
        hint="fix them (see above), or pass --force to go on anyway",
        details=details,
    )


def check_and_render(
    settings: Settings, *, force: bool, progress: Progress, stopped: str = "nothing was built"
) -> tuple[Plan, Context]:
    """`check`, stop on its errors (unless `force`), then `render` the build context."""
    plan = check_project(settings)
    stop_on_errors(plan, force, progress, stopped=stopped)
    context = render_context(plan, settings)
    progress.say(f"rendered {len(context.files)} files into {shown(context.path)}")
    return plan, context


# --- build and smoke -------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildOptions:
    """How to build: `build` and `release` flags."""

    tag: str | None = None
    no_cache: bool = False
    pull: bool = False
    build_args: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SmokeChoices:
    """How to smoke-test the image: `build` and `release` flags (None health = the detected path)."""

    port: int | None = None
    health: str | None = None
    env_pairs: tuple[str, ...] = ()
    env_file: Path | None = None
    timeout: float = 60.0
    expect_status: int | None = None
    expect_json: Mapping[str, str] = field(default_factory=dict)
    checks: tuple[str, ...] = ()


def default_dotenv(plan: Plan) -> Path | None:
    """The project's `.env` (at its root, else in the backend folder): the local stand-in for Space secrets."""
    for folder in (plan.root, plan.backend_path):
        candidate = folder / ".env"
        if candidate.is_file():
            return candidate
    return None


def build_and_smoke(
    client: DockerClient,
    settings: Settings,
    plan: Plan,
    context: Context,
    build: BuildOptions,
    smoke: SmokeChoices | None,
    *,
    results: dict[str, Any],
    progress: Progress,
    secrets: Mapping[str, str] | None = None,
) -> tuple[BuiltImage, SmokeReport | None]:
    """Build the rendered context, then (unless `smoke` is None) smoke-test the image.

    Args:
        client: from `engine.get_docker_client()`.
        settings: the project's settings.
        plan: from `check_project`.
        context: from `render_context`.
        build: build flags.
        smoke: smoke flags, or None to skip the smoke test.
        results: filled with `image` and `smoke` (or `build_failure`) as they come.
        progress: where progress goes.
        secrets: values the Space will inject at run time; the smoke container gets them
            too (below `.env`, `--env-file` and `--env`), and they are masked everywhere.

    Raises:
        BuildFailed, SmokeFailed, EngineUnavailable: the stage's error, after `results` got what was seen.
    """
    from spacepack.build import BuildStepFailed, build_image, image_names, new_log_path
    from spacepack.database import DatabaseChoice, choose_database, guess_database
    from spacepack.smoke import SmokeOptions, SmokeTestFailed, run_smoke

    tags, labels = image_names(plan.project_name, settings.project_dir, context.path, build.tag, settings.space)
    log_path = new_log_path(settings.project_dir)
    progress.say(f"building {', '.join(tags)} for linux/amd64; full log: {shown(log_path)}")
    try:
        built = build_image(
            client,
            context.path,
            tags=tags,
            labels=labels,
            nocache=build.no_cache,
            pull=build.pull,
            buildargs=build.build_args,
            log_path=log_path,
            on_event=progress.build_event,
            masker=Masker([*build.build_args.values(), *(secrets or {}).values()]),
        )
    except BuildStepFailed as failed:
        results["build_failure"] = failed.failure.to_json()
        raise
    results["image"] = built.to_json()
    progress.say(
        f"built {built.id[7:19]} ({built.size / 1e6:.0f} MB) in {built.seconds:.1f} s as {', '.join(built.tags)}"
    )
    _prove_imports(client, plan, built.tags[0], results, progress)
    if smoke is None:
        return built, None
    env = container_env(smoke.env_pairs, smoke.env_file, default_dotenv(plan), base=secrets)
    database = choose_database(guess_database(plan), DatabaseChoice(), env, settings.postgres_image)
    options = SmokeOptions(
        health_path=smoke.health or plan.health_path,
        port=smoke.port,
        app_port=app_port(settings),
        env=env,
        timeout=smoke.timeout,
        expect_status=smoke.expect_status,
        expect_json=smoke.expect_json,
        checks=smoke.checks,
        required_env=tuple(e.name for e in plan.env if e.required and e.at_import),
    )
    try:
        report = run_smoke(
            client,
            built.tags[0],
            options,
            on_event=progress.say,
            database=database,
            health_guessed=smoke.health is None and settings.health_path is None,
        )
    except SmokeTestFailed as failed:
        results["smoke"] = failed.report.to_json()
        progress.smoke_report(failed.report)
        raise
    results["smoke"] = report.to_json()
    progress.smoke_report(report)
    return built, report


def _prove_imports(client: DockerClient, plan: Plan, image: str, results: dict[str, Any], progress: Progress) -> None:
    """The image, not check's guess, says whether the app's imports resolve.

    Raises:
        ImportsMissing: a module the app imports at import time is not in the image (exit code 5).
    """
    from spacepack.import_probe import ImportsMissing, app_imports, missing_lines, probe_imports

    report = probe_imports(client, image, app_imports(plan), on_event=progress.say)
    results["imports"] = report.to_json()
    if report.warning:
        progress.say(f"warning: {report.warning}")
    for line in missing_lines(tuple(use for use in report.missing if use.in_function)):
        progress.say(f"warning: {line}")
    if report.fatal:
        sources = [source.path for source in plan.dependencies.sources if source.path]
        raise ImportsMissing(report, sources[0] if sources else "requirements.txt")
    if report.checked:
        progress.say(f"the image has all {len(report.checked)} imported module(s) ({report.seconds:.1f} s)")


# --- push, wait, probe -----------------------------------------------------------------------


@dataclass(frozen=True)
class PushTarget:
    """A validated Space id with the token, secrets and variables to push with (values never shown)."""

    space_id: str
    token: str | None
    token_source: str | None
    secrets: Mapping[str, str]
    variables: Mapping[str, str]


def resolve_push_target(
    settings: Settings,
    environ: Mapping[str, str],
    *,
    token: str | None = None,
    secret_names: tuple[str, ...] = (),
    secrets_from: Path | None = None,
    var_pairs: tuple[str, ...] = (),
    need_token: bool = True,
) -> PushTarget:
    """Everything a push needs before any network call: Space id, token, secrets, variables.

    Raises:
        UsageError: no or invalid Space id, a malformed --var, a secret that is not set.
        AuthError: no token (unless `need_token` is False, for an offline dry run).
    """
    from spacepack import hub
    from spacepack.errors import UsageError
    from spacepack.push import collect_secrets, parse_variables

    if not settings.space:
        raise UsageError("no Space given", hint="pass --space OWNER/NAME, or set space in the config")
    space_id = hub.validate_space_id(settings.space)
    secrets = collect_secrets(secret_names, secrets_from, environ)
    variables = parse_variables(var_pairs, settings.variables)
    if need_token:
        found, source = hub.require_token(token, environ)
        return PushTarget(space_id, found, source, secrets, variables)
    found_or_none, source_or_none = hub.resolve_token(token, environ)
    return PushTarget(space_id, found_or_none, source_or_none, secrets, variables)


@dataclass(frozen=True)
class WaitOptions:
    """Whether and how to follow the Space after the push."""

    wait: bool = False
    timeout: float = 1800.0
    probe: bool = True
    probe_base_url: str | None = None  # default: the Space's own https://<owner>-<name>.hf.space


def push_and_wait(
    target: PushTarget,
    settings: Settings,
    plan: Plan,
    context: Context,
    *,
    message: str | None,
    dry_run: bool,
    wait: WaitOptions,
    results: dict[str, Any],
    progress: Progress,
    api_factory: Callable[[str], Any] | None = None,
) -> PushReport:
    """Push the rendered context, then (with `wait.wait`) follow the Space to RUNNING and probe it.

    Raises:
        UsageError, AuthError, PlanOrQuotaError, HubError: from the push.
        SpaceFailed: the Space ended in an error stage, or RUNNING but the probe failed.
        WaitTimeout: not RUNNING in time.
    """
    from dataclasses import replace

    from spacepack import hub

    make_api = api_factory or hub.get_hf_api
    api = make_api(target.token) if target.token else None
    report = hub.push_context(
        api,
        target.space_id,
        context,
        plan,
        private=settings.private,
        hardware=settings.hardware,
        message=message,
        dry_run=dry_run,
        secrets=target.secrets,
        variables=target.variables,
    )
    results.update(report.to_json())
    progress.push_report(report)
    if not wait.wait or dry_run or api is None:
        return report
    progress.say(f"waiting for {target.space_id} to be RUNNING (up to {wait.timeout:g} s)")
    try:
        space_report = hub.wait_for_space(
            api,
            target.space_id,
            timeout=wait.timeout,
            on_stage=progress.space_stage,
            probe=wait.probe,
            health_path=plan.health_path,
            probe_base_url=wait.probe_base_url or report.app_url,
            mask=Masker(target.secrets.values()),
        )
    except hub.SpaceStageError as error:
        results.update({"stage": error.stage, "error": error.message, "log_tail": list(error.log_tail)})
        raise
    report = replace(report, space=space_report)
    results.update(report.to_json())
    probe = space_report.probe
    progress.say(f"RUNNING after {space_report.seconds:.1f} s: {space_report.app_url}")
    if probe is not None:
        progress.say(f"probe GET {probe.url}: {probe.status if probe.status is not None else probe.error}")
        if not probe.ok:
            raise SpaceFailed(
                f"the Space is RUNNING but GET {plan.health_path} answered {probe.status or probe.error}",
                hint="check the run logs on the Space page; reproduce locally with `spacepack smoke`",
                exit_code=ExitCode.SPACE_RUNTIME_ERROR,
            )
    return report


# --- release -----------------------------------------------------------------------------------


def release(
    settings: Settings,
    target: PushTarget,
    *,
    build: BuildOptions,
    smoke: SmokeChoices | None,
    wait: WaitOptions,
    message: str | None,
    force: bool,
    connect_docker: Callable[[], DockerClient],
    results: dict[str, Any],
    progress: Progress,
) -> None:
    """Release one Space: check, render, build, smoke, push, wait for RUNNING, probe; stop at the first failure.

    `results["stage"]` says where it got to (`check`, `render`, `build`, `push`,
    then `done`); the other keys hold each stage's result as it comes.

    Raises:
        SpacepackError: the first stage's error, with its exit code.
    """
    from spacepack import hub

    results.update(stage="check", space=target.space_id)
    # A bad or read-only token fails here, before minutes of building.
    if target.token is not None:
        hub.check_write_access(hub.get_hf_api(target.token), target.space_id)
    plan = check_project(settings)
    results["entry"] = plan.entry
    stop_on_errors(plan, force, progress)
    results["stage"] = "render"
    context = render_context(plan, settings)
    progress.say(f"[{target.space_id}] rendered {len(context.files)} files into {shown(context.path)}")
    results["stage"] = "build"
    client = connect_docker()
    try:
        built, _ = build_and_smoke(
            client, settings, plan, context, build, smoke, results=results, progress=progress, secrets=target.secrets
        )
    finally:
        client.close()
    results["image_ref"] = built.tags[0]
    results["stage"] = "push"
    pushed: dict[str, Any] = {}
    results["push"] = pushed
    try:
        push_and_wait(
            target,
            settings,
            plan,
            context,
            message=message,
            dry_run=False,
            wait=wait,
            results=pushed,
            progress=progress,
        )
    finally:
        commit = pushed.get("commit") or {}
        results["commit_url"] = commit.get("url")
        results["probe"] = pushed.get("probe")
    results["stage"] = "done"
