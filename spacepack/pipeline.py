"""The pipeline composed: check → render → build → smoke → push → wait → probe.

Each stage is a function of its own module (`check`, `render`, `build`,
`smoke`, `hub`); this module strings them together for the `build`, `push`
and `release` commands, and for a library user. It never prints: progress
goes to a `Progress` object the caller passes in. Each composed step returns
a typed result value; when a stage fails, its error is raised carrying the
partial result (`SpacepackError.result`), so a caller can report what was done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from spacepack.build import BuildFailure, BuildOptions, BuiltImage
from spacepack.check import check_with_kept_facts
from spacepack.config import Settings, load_settings
from spacepack.errors import CheckFailed, ExitCode, SpaceFailed, SpacepackError, UsageError
from spacepack.import_probe import ImportReport, ImportsMissing
from spacepack.masking import Masker
from spacepack.paths import shown
from spacepack.plan import UPLOAD_STEPS, Finding, Plan, Step
from spacepack.push import PushReport
from spacepack.render import Context, render_context
from spacepack.render.context import default_out_dir
from spacepack.render.dockerfile import app_port
from spacepack.render.plan_cache import cached_check_and_render
from spacepack.smoke import SmokeOptions, SmokeReport

if TYPE_CHECKING:
    from spacepack.build import BuildProgress
    from spacepack.engine import DockerClient
    from spacepack.hub import SpaceId
    from spacepack.space import SpaceReport


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


# --- check and render ------------------------------------------------------------------------


def stop_on_errors(
    plan: Plan, force: bool, progress: Progress, *, step: Step = "build", stopped: str = "nothing was built"
) -> None:
    """Stop `step` on the `check` error findings that block it, unless `force` (then they are only reported).

    An error that blocks only the upload (a committed credential: it leaks when
    published, not when built and run on this machine) lets `render`, `build`
    and `smoke` go on, printed as `error (blocks push): ...` with its fix; `push`
    and `release` stop on it before anything is uploaded.

    Raises:
        CheckFailed: with each blocking error finding and its fix as detail lines, carrying the plan.
    """
    blocking = plan.blocking(step)
    if step not in UPLOAD_STEPS:
        for finding in plan.upload_only():
            first, *fix = finding.describe()
            progress.say(f"error (blocks push): {first}")
            for line in fix:
                progress.say(f"  {line}")
    if not blocking:
        return
    if force:
        for finding in blocking:
            progress.say(f"error ignored (--force): {finding.describe()[0]}")
        return
    details = tuple(line for finding in blocking for line in finding.describe())
    upload_only = step in UPLOAD_STEPS and all(not f.blocks_step("build") for f in blocking)
    raise CheckFailed(
        f"`check` found {len(blocking)} error finding(s); {stopped}",
        hint="fix them (see above), or pass --force to go on anyway"
        + ("; `spacepack build` still builds and smoke-tests locally" if upload_only else ""),
        details=details,
    ).with_result(plan)


def check_and_render(
    settings: Settings, *, force: bool, progress: Progress, step: Step = "build", stopped: str = "nothing was built"
) -> tuple[Plan, Context]:
    """`check`, stop on the errors that block `step` (unless `force`), then `render` the build context.

    Both are skipped when nothing `check` reads changed since the last time (the plan cache).
    """
    plan, context, cached = cached_check_and_render(
        settings,
        default_out_dir(settings),
        check=check_with_kept_facts,
        render=lambda plan: render_context(plan, settings),
        before_render=lambda plan: stop_on_errors(plan, force, progress, step=step, stopped=stopped),
    )
    done = "reused the plan and the context in" if cached else f"rendered {len(context.files)} files into"
    progress.say(f"{done} {shown(context.path)}")
    for note in context.notes:
        if note.startswith("warning: "):
            progress.say(note)
    return plan, context


# --- build and smoke -------------------------------------------------------------------------


# The label that names the files a local image holds but its upload never does.
LOCAL_ONLY_LABEL = "dev.spacepack.local-only"


def local_only_files(plan: Plan, settings: Settings) -> dict[str, bytes]:
    """The files a local image gets that the upload never carries: path in the context -> content.

    A file holding a committed credential (an error that blocks only the
    upload, SP310/SP311) is left out of the rendered context, which is what
    `push` uploads. The app may still import it (a signing key in `auth.py`),
    and a local image without it would prove nothing; the local image never
    leaves this machine. Only a file that would ship but for the credential
    gets in: never a `.env` or another tool's credential file, nothing the
    ignore rules leave out, nothing outside what ships (the working folder and `plan.outside`), nothing read
    through a link or hard-linked, never a manifest with credentials (SP314).
    """
    from spacepack.ignore import is_secret_file
    from spacepack.render.render import context_root_path, shipping_rules, ships_from_outside
    from spacepack.safe_read import MAX_PYTHON_BYTES, read_project_bytes

    root = plan.root.resolve()
    working = (root / plan.working_dir).resolve()
    context_root = context_root_path(plan)
    # A manifest with credentials (SP314) is not read by the app: the rendered requirements replace it.
    manifests = {f.path for f in plan.findings if f.code == "SP314"}
    flagged = {f.path for f in plan.upload_only() if f.path} & set(plan.secret_files) - manifests
    rules = shipping_rules(plan, settings)
    files: dict[str, bytes] = {}
    for path in sorted(flagged):
        absolute = root / path
        if not (absolute.is_relative_to(working) or ships_from_outside(plan, path)):
            continue
        if is_secret_file(path) or rules.is_ignored(path):
            continue
        if _hard_linked(absolute):  # it may be a `.env` under another name: the walk leaves those out too
            continue
        read = read_project_bytes(root, path, max_bytes=MAX_PYTHON_BYTES)
        if read.data is not None:
            files[absolute.relative_to(context_root).as_posix()] = read.data
    return files


def _hard_linked(path: Path) -> bool:
    try:
        return path.lstat().st_nlink > 1
    except OSError:
        return True


def default_dotenv(plan: Plan) -> Path | None:
    """The project's `.env` (at its root, else in the backend folder): the local stand-in for Space secrets."""
    root = plan.root.resolve()
    for folder in (plan.root, plan.backend_path):
        candidate = folder / ".env"
        # Never through a link out of the project: `.env -> ~/.aws/credentials` would hand the
        # machine's credentials to the app in the smoke container.
        if candidate.is_file() and candidate.resolve().is_relative_to(root):
            return candidate
    return None


@dataclass(frozen=True)
class ImageOptions:
    """How to build and smoke-test the image: the `build` and `release` flags, as one value.

    `smoke` None skips the smoke test (`--no-smoke`).
    """

    build: BuildOptions = field(default_factory=BuildOptions)
    smoke: SmokeOptions | None = field(default_factory=SmokeOptions)

    def resolve(self, plan: Plan, settings: Settings, secrets: Mapping[str, str] | None = None) -> ImageOptions:
        """Fill in what the plan decides: the health path, app_port, the container env, the required variables.

        `secrets` (what the Space will inject) reach the smoke container below `.env`,
        `--env-file` and `--env`. Every other option passes through as given.

        Raises:
            UsageError: a malformed --env, an unreadable env file.
        """
        if self.smoke is None:
            return self
        given = self.smoke.with_env(default_dotenv(plan), base=secrets)
        # A nested settings leaf is set when its group is, as one JSON value.
        needed = (e.name for e in plan.env if e.required and e.at_import and not e.set_in(given.env))
        smoke = replace(
            given,
            health_path=self.smoke.health_path or plan.health_path,
            app_port=app_port(settings),
            required_env=(*self.smoke.required_env, *needed),
        )
        return replace(self, smoke=smoke)


@dataclass(frozen=True)
class BuildResult:
    """What `build_and_smoke` made: the image, the smoke report, or where the build failed."""

    image: BuiltImage | None = None
    smoke: SmokeReport | None = None
    build_failure: BuildFailure | None = None
    imports: ImportReport | None = None  # the image's answer on the app's imports
    findings: tuple[Finding, ...] = ()  # check's findings, each saying what it blocks

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "image": self.image.to_json() if self.image else None,
            "smoke": self.smoke.to_json() if self.smoke else None,
            "findings": [finding.to_json() for finding in self.findings],
        }
        if self.imports is not None:
            document["imports"] = self.imports.to_json()
        if self.build_failure is not None:
            document["build_failure"] = self.build_failure.to_json()
        return document


def build_project(
    settings: Settings,
    options: ImageOptions,
    *,
    force: bool,
    connect_docker: Callable[[], DockerClient],
    progress: Progress,
) -> BuildResult:
    """`spacepack build`: check and render (stopping on what blocks a build), then `build_and_smoke`.

    `connect_docker` makes the Docker client (`engine.get_docker_client`), once `check` let the build go on.
    """
    plan, context = check_and_render(settings, force=force, progress=progress)
    client = connect_docker()
    try:
        return build_and_smoke(client, settings, plan, context, options, progress=progress)
    finally:
        client.close()


def build_and_smoke(
    client: DockerClient,
    settings: Settings,
    plan: Plan,
    context: Context,
    options: ImageOptions,
    *,
    progress: Progress,
    upload_secrets: Mapping[str, str] | None = None,
) -> BuildResult:
    """Build the rendered context, then (unless `options.smoke` is None) smoke-test the image.

    Args:
        client: from `engine.get_docker_client()`.
        settings: the project's settings.
        plan: from `check_project`.
        context: from `render_context`.
        options: build and smoke options, as given (resolved here against the plan).
        progress: where progress goes.
        upload_secrets: given when the image proves an upload (`release`): it then holds exactly
            the context (otherwise it also gets the `local_only_files`, so an app with a committed
            credential comes up), and these values, which the Space will inject at run time, reach
            the smoke container too (below `.env`, `--env-file` and `--env`), masked everywhere.

    Raises:
        BuildFailed, SmokeFailed, EngineUnavailable: the stage's error, carrying the `BuildResult` so far.
    """
    from spacepack.database import choose_database, guess_database, unreachable_given
    from spacepack.smoke import SmokeTestFailed, run_smoke

    resolved = options.resolve(plan, settings, upload_secrets)
    built = build_step(client, settings, plan, context, options.build, progress=progress, upload_secrets=upload_secrets)
    result = BuildResult(image=built, findings=plan.findings)
    progress.say(
        f"built {built.id[7:19]} ({built.size / 1e6:.0f} MB) in {built.seconds:.1f} s as {', '.join(built.tags)}"
    )
    try:
        imports = _prove_imports(client, plan, built.tags[0], progress)
    except ImportsMissing as missing:
        raise missing.with_result(replace(result, imports=missing.report)) from None
    result = replace(result, imports=imports)
    if resolved.smoke is None:
        return result
    smoke = resolved.smoke
    need = guess_database(plan)
    given = any(name in smoke.env for name in need.names)
    database = choose_database(need, smoke.database, smoke.env, settings.postgres_image)
    replaced = unreachable_given(need, smoke.env) if database is not None and database.sidecar else ()
    if replaced:
        progress.say(
            f"{', '.join(replaced)} {'points' if len(replaced) == 1 else 'point'} at localhost or a compose "
            "service, which the smoke container can't reach: the throwaway Postgres stands in"
        )
    if database is None and need.postgres and need.names and smoke.database.mode == "auto" and not given:
        progress.say(
            f"{need.names[0]} has a default, so no throwaway Postgres is started "
            "(pass --database postgres to smoke-test against Postgres)"
        )
    # A health path nobody gave is check's guess: a 404 on it is confirmed against the app's routes.
    guessed = options.smoke is not None and options.smoke.health_path is None and settings.health_path is None
    try:
        report = run_smoke(
            client, built.tags[0], smoke, on_event=progress.say, database=database, health_guessed=guessed
        )
    except SmokeTestFailed as failed:
        progress.smoke_report(failed.report)
        raise failed.with_result(replace(result, smoke=failed.report)) from None
    progress.smoke_report(report)
    return replace(result, smoke=report)


def build_step(
    client: DockerClient,
    settings: Settings,
    plan: Plan,
    context: Context,
    options: BuildOptions,
    *,
    progress: Progress,
    upload_secrets: Mapping[str, str] | None = None,
) -> BuiltImage:
    """Build the rendered context into the project's image (the build half of `build_and_smoke`).

    Raises:
        BuildFailed: carrying a `BuildResult` with the failure, when a step fails.
        EngineUnavailable: when the engine refuses the build.
    """
    from spacepack.build import BuildStepFailed, build_image, image_tags, labels_to_pass, new_log_path
    from spacepack.render.dockerfile import spacepack_labels

    secrets, upload = upload_secrets or {}, upload_secrets is not None
    tags = image_tags(plan.project_name, settings.project_dir, context.path, options.tag)
    labels = labels_to_pass(context.path, spacepack_labels(plan))
    local_files = {} if upload else local_only_files(plan, settings)
    if local_files:
        # A label that depends on the files (one more step after the source), only for this rare image.
        labels[LOCAL_ONLY_LABEL] = ",".join(local_files)
        progress.say(
            f"this local image also holds {', '.join(local_files)} (committed credentials): "
            "push never uploads them; keep the image on this machine"
        )
    log_path = new_log_path(settings.project_dir)
    progress.say(f"building {', '.join(tags)} for linux/amd64; full log: {shown(log_path)}")
    try:
        built = build_image(
            client,
            context.path,
            tags=tags,
            labels=labels,
            options=replace(options, local_files=local_files),
            log_path=log_path,
            on_event=progress.build_event,
            masker=Masker([*options.build_args.values(), *secrets.values()]),
        )
    except BuildStepFailed as failed:
        raise failed.with_result(BuildResult(build_failure=failed.failure, findings=plan.findings)) from None
    return built


def _prove_imports(client: DockerClient, plan: Plan, image: str, progress: Progress) -> ImportReport:
    """The image, not check's guess, says whether the app's imports resolve.

    Raises:
        ImportsMissing: a module the app imports at import time is not in the image (exit code 5).
    """
    from spacepack.import_probe import app_imports, missing_lines, probe_imports

    report = probe_imports(client, image, app_imports(plan), on_event=progress.say)
    if report.warning:
        progress.say(f"warning: {report.warning}")
    for line in missing_lines(tuple(use for use in report.missing if use.in_function)):
        progress.say(f"warning: {line}")
    if report.fatal:
        sources = [source.path for source in plan.dependencies.sources if source.path]
        raise ImportsMissing(report, sources[0] if sources else "requirements.txt")
    if report.checked and not report.missing:
        progress.say(f"the image has all {len(report.checked)} imported module(s) ({report.seconds:.1f} s)")
    return report


# --- push, wait, probe -----------------------------------------------------------------------


@dataclass(frozen=True)
class PushTarget:
    """A validated Space id with the token, secrets and variables to push with (values never shown)."""

    space: SpaceId
    token: str | None
    token_source: str | None
    secrets: Mapping[str, str]
    variables: Mapping[str, str]
    prune: bool = False  # also delete files in the Space that spacepack did not upload
    allow_missing_secrets: bool = False  # push even when the app would lack a secret at start-up
    verified: bool = False  # the token's write access was checked already (whoami once per release)

    @property
    def space_id(self) -> str:
        """`owner/name`."""
        return self.space.repo_id


@dataclass(frozen=True)
class PushChoices:
    """The push flags that name a token, secrets, variables and the commit message (values never shown)."""

    token: str | None = None
    secret_names: tuple[str, ...] = ()
    secrets_from: Path | None = None
    var_pairs: tuple[str, ...] = ()
    message: str | None = None
    prune: bool = False
    allow_missing_secrets: bool = False


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

    The edge where the Space id is validated, once, into a `SpaceId` (and the
    hardware, offline, against huggingface_hub's list).

    Raises:
        UsageError: no or invalid Space id, a malformed --var, a secret that is not set.
        AuthError: no token (unless `need_token` is False, for an offline dry run).
    """
    from spacepack import hub
    from spacepack.push import collect_secrets, parse_variables

    if not settings.space:
        raise UsageError("no Space given", hint="pass --space OWNER/NAME, or set space in the config")
    space = hub.SpaceId.parse(settings.space)
    if settings.hardware:
        hub.validate_hardware(settings.hardware)
    secrets = collect_secrets(secret_names, secrets_from, environ)
    variables = parse_variables(var_pairs, settings.variables)
    if need_token:
        found, source = hub.require_token(token, environ)
        return PushTarget(space, found, source, secrets, variables)
    found_or_none, source_or_none = hub.resolve_token(token, environ)
    return PushTarget(space, found_or_none, source_or_none, secrets, variables)


@dataclass(frozen=True)
class WaitOptions:
    """Whether and how to follow the Space after the push."""

    wait: bool = False
    timeout: float = 1800.0
    probe: bool = True
    probe_base_url: str | None = None  # default: the Space's own https://<owner>-<name>.hf.space


@dataclass(frozen=True)
class PushResult:
    """What a push did, and (when the Space failed after it) the stage it ended in, with its log tail."""

    report: PushReport
    failed_space_stage: str | None = None
    space_error: str = ""
    log_tail: tuple[str, ...] = ()

    @property
    def space(self) -> SpaceReport | None:
        return self.report.space

    def to_json(self) -> dict[str, Any]:
        document = self.report.to_json()
        if self.failed_space_stage is not None:
            # `stage` is the Space's runtime stage, as in the report's own `stage`.
            document.update(stage=self.failed_space_stage, error=self.space_error, log_tail=list(self.log_tail))
        return document


def push_and_wait(
    target: PushTarget,
    settings: Settings,
    plan: Plan,
    context: Context,
    *,
    message: str | None,
    dry_run: bool,
    wait: WaitOptions,
    progress: Progress,
) -> PushResult:
    """Push the rendered context, then (with `wait.wait`) follow the Space to RUNNING and probe it.

    Raises:
        UsageError, AuthError, PlanOrQuotaError, HubError: from the push.
        MissingSecrets: the app would crash for a missing secret (unless allowed).
        SpaceFailed: the Space ended in an error stage, or RUNNING but the probe failed.
        WaitTimeout: not RUNNING in time.
        Errors after the commit carry the `PushResult` so far.
    """
    from spacepack import hub, space
    from spacepack.push import PushOptions, push_context

    api = hub.get_hf_api(target.token) if target.token else None
    options = PushOptions(
        private=settings.private,
        hardware=settings.hardware,
        message=message,
        dry_run=dry_run,
        secrets=target.secrets,
        variables=target.variables,
        prune=target.prune,
        allow_missing_secrets=target.allow_missing_secrets,
        access_checked=target.verified,
    )
    report = push_context(api, target.space, context, plan, options)
    progress.push_report(report)
    if not wait.wait or dry_run or api is None:
        return PushResult(report)
    progress.say(f"waiting for {target.space_id} to be RUNNING (up to {wait.timeout:g} s)")
    probe_settings = space.ProbeSettings(plan.health_path, wait.probe_base_url or report.app_url)
    try:
        space_report = space.wait_for_space(
            api,
            target.space,
            space.WaitPolicy(timeout=wait.timeout),
            probe_settings if wait.probe else None,
            on_stage=progress.space_stage,
            mask=Masker(target.secrets.values()),
        )
    except space.SpaceStageError as error:
        raise error.with_result(PushResult(report, error.stage, error.message, error.log_tail)) from None
    except SpacepackError as error:
        raise error.with_result(PushResult(report)) from None
    result = PushResult(replace(report, space=space_report))
    probe = space_report.probe
    progress.say(f"RUNNING after {space_report.seconds:.1f} s: {space_report.app_url}")
    if probe is not None:
        progress.say(f"probe GET {probe.url}: {probe.status if probe.status is not None else probe.error}")
        if not probe.ok:
            raise SpaceFailed(
                f"the Space is RUNNING but GET {plan.health_path} answered {probe.status or probe.error}",
                hint="check the run logs on the Space page; reproduce locally with `spacepack smoke`",
                exit_code=ExitCode.SPACE_RUNTIME_ERROR,
            ).with_result(result)
    return result


# --- release -----------------------------------------------------------------------------------

ReleaseStage = Literal["check", "render", "build", "push"]
ReleaseStatus = Literal["released", "failed", "skipped"]


@dataclass(frozen=True)
class ReleaseOptions:
    """How to release: the image options, the push choices, the wait, and `--force`."""

    image: ImageOptions = field(default_factory=ImageOptions)
    push: PushChoices = field(default_factory=PushChoices)
    wait: WaitOptions = field(default_factory=lambda: WaitOptions(wait=True))
    force: bool = False


@dataclass(frozen=True)
class ReleaseResult:
    """One target's release: each stage's result as far as it got, and the stage that failed.

    `failed_stage` is None when released, skipped, or stopped before `check`
    (bad settings or Space id); `error` is the error that stopped it.
    """

    target: str | None
    space_id: str | None
    status: ReleaseStatus
    failed_stage: ReleaseStage | None = None
    check: Plan | None = None
    image: BuiltImage | None = None
    build_failure: BuildFailure | None = None
    smoke: SmokeReport | None = None
    push: PushResult | None = None
    error: SpacepackError | None = None

    @property
    def space(self) -> SpaceReport | None:
        """The running Space as the wait saw it (None without a wait)."""
        return self.push.space if self.push else None

    def to_json(self) -> dict[str, Any]:
        report = self.push.report if self.push else None
        space = self.space
        document: dict[str, Any] = {
            "target": self.target,
            "status": self.status,
            "space": self.space_id,
            "failed_stage": self.failed_stage,
            "entry": self.check.entry if self.check else None,
            "image": self.image.to_json() if self.image else None,
            "image_ref": self.image.tags[0] if self.image else None,
            "smoke": self.smoke.to_json() if self.smoke else None,
            "push": self.push.to_json() if self.push else None,
            "commit_url": report.commit_url if report else None,
            "probe": space.probe.to_json() if space and space.probe else None,
            "findings": [finding.to_json() for finding in self.check.findings] if self.check else [],
        }
        if self.build_failure is not None:
            document["build_failure"] = self.build_failure.to_json()
        if self.error is not None:
            document.update(self.error.to_json())
        elif self.status == "released":
            document["exit_code"] = 0
        return document


def release(
    settings: Settings,
    target: PushTarget,
    options: ReleaseOptions,
    *,
    name: str | None = None,
    connect_docker: Callable[[], DockerClient],
    progress: Progress,
) -> ReleaseResult:
    """Release one Space: check, render, build, smoke, push, wait for RUNNING, probe; stop at the first failure.

    Args:
        settings: the project's settings (for target `name`, if any).
        target: from `resolve_push_target`.
        options: image, push, wait and force options.
        name: the config target released, for the result.
        connect_docker: makes a Docker client (`engine.get_docker_client`).
        progress: where progress goes.

    Raises:
        SpacepackError: the first stage's error, with its exit code, carrying the failed `ReleaseResult`.
    """
    from spacepack import hub

    result = ReleaseResult(name, target.space_id, "released")
    stage: ReleaseStage = "check"
    try:
        # A bad or read-only token fails here, before minutes of building; the push then trusts it (one whoami).
        if target.token is not None and not target.verified:
            hub.check_write_access(hub.get_hf_api(target.token), target.space)
            target = replace(target, verified=True)
        plan = check_with_kept_facts(settings)
        result = replace(result, check=plan)
        # Release's goal is the upload: an error that would refuse the push stops it here, before
        # minutes of building (`--force` still overrides, as for push).
        stop_on_errors(plan, options.force, progress, step="release", stopped="nothing was built or pushed")
        stage = "render"
        context = render_context(plan, settings)
        progress.say(f"[{target.space_id}] rendered {len(context.files)} files into {shown(context.path)}")
        stage = "build"
        client = connect_docker()
        try:
            built = build_and_smoke(
                client, settings, plan, context, options.image, progress=progress, upload_secrets=target.secrets
            )
        finally:
            client.close()
        result = replace(result, image=built.image, smoke=built.smoke)
        stage = "push"
        pushed = push_and_wait(
            target,
            settings,
            plan,
            context,
            message=options.push.message,
            dry_run=False,
            wait=options.wait,
            progress=progress,
        )
    except SpacepackError as error:
        partial = error.result
        if isinstance(partial, BuildResult):
            result = replace(result, image=partial.image, smoke=partial.smoke, build_failure=partial.build_failure)
        elif isinstance(partial, PushResult):
            result = replace(result, push=partial)
        raise error.with_result(replace(result, status="failed", failed_stage=stage, error=error)) from None
    return replace(result, push=pushed)


@dataclass(frozen=True)
class ReleaseRun:
    """The releases of several targets, in order; after a failure the rest are skipped."""

    results: tuple[ReleaseResult, ...]

    @property
    def error(self) -> SpacepackError | None:
        """The error that stopped the run, if one did."""
        return next((r.error for r in self.results if r.error is not None), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "failed" if self.error else "released",
            "targets": [result.to_json() for result in self.results],
        }


def release_target_names(
    project_dir: Path, *, target: str | None, all_targets: bool, space: str | None, environ: Mapping[str, str]
) -> list[str | None]:
    """The config targets to release: `target` (None: the top level), or with `all_targets` every one.

    Raises:
        UsageError: both given, `all_targets` without targets, or a `space` with `all_targets`.
    """
    if all_targets and target:
        raise UsageError("--target and --all-targets exclude each other", hint="pass one of them")
    if not all_targets:
        return [target]
    configured = list(load_settings(project_dir, environ=environ).targets)
    if not configured:
        raise UsageError(
            "--all-targets but the config defines no targets",
            hint="add [tool.spacepack.targets.NAME] tables, or drop --all-targets",
        )
    if space:
        raise UsageError("--space cannot be combined with --all-targets", hint="set `space` in each target")
    return list(configured)


def release_targets(
    project_dir: Path,
    names: Sequence[str | None],
    options: ReleaseOptions,
    *,
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    connect_docker: Callable[[], DockerClient],
    progress: Progress,
) -> ReleaseRun:
    """Release each target in turn (None: the config's top level); stop at the first failure.

    Args:
        project_dir: the project folder.
        names: the targets, e.g. from `release_target_names`.
        options: how to release each.
        flags: settings given on the command line (`space`, `hardware`, `private`...).
        environ: the environment (settings, token, `--secret` values).
        connect_docker: makes a Docker client.
        progress: where progress goes.

    Returns:
        One result per target; after a failed one the rest are `skipped`. Never raises a
        `SpacepackError`: `ReleaseRun.error` is the one that stopped the run.
    """
    results: list[ReleaseResult] = []
    failed = False
    for name in names:
        if failed:
            results.append(ReleaseResult(name, flags.get("space"), "skipped"))
            continue
        try:
            settings = load_settings(project_dir, flags=flags, environ=environ, target=name)
            target = resolve_push_target(
                settings,
                environ,
                token=options.push.token,
                secret_names=options.push.secret_names,
                secrets_from=options.push.secrets_from,
                var_pairs=options.push.var_pairs,
            )
            target = replace(target, prune=options.push.prune, allow_missing_secrets=options.push.allow_missing_secrets)
            result = release(settings, target, options, name=name, connect_docker=connect_docker, progress=progress)
        except SpacepackError as error:
            failed = True
            partial = error.result
            if not isinstance(partial, ReleaseResult):
                partial = ReleaseResult(name, flags.get("space"), "failed", error=error)
            results.append(partial)
            continue
        label = f"{name}: " if name else ""
        commit_url = result.push.report.commit_url if result.push else None
        progress.say(f"{label}released {result.space_id}: {commit_url or 'no change'}")
        results.append(result)
    return ReleaseRun(tuple(results))
