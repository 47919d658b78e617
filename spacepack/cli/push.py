"""`spacepack push`: publish the rendered context to a Docker Space, and optionally wait for it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spacepack.cli._app import app
from spacepack.cli._output import emit_json, say

if TYPE_CHECKING:
    from spacepack.config import Settings
    from spacepack.plan import Plan
    from spacepack.push import PushReport
    from spacepack.render import Context

# Where the Space's app is probed instead of https://<owner>-<name>.hf.space (proxies, tests).
PROBE_URL_ENV = "SPACEPACK_SPACE_URL"

PathArg = Annotated[Path, typer.Argument(help="The project folder.")]
SpaceOpt = Annotated[str | None, typer.Option("--space", help="The Space, OWNER/NAME (or `space` in the config).")]
TokenOpt = Annotated[
    str | None, typer.Option("--token", help="A Hugging Face write token (default: HF_TOKEN, then the saved login).")
]
PrivateOpt = Annotated[
    bool | None, typer.Option("--private/--public", help="Visibility when the Space is created.", show_default=False)
]
HardwareOpt = Annotated[str | None, typer.Option("--hardware", help="Hardware flavor, e.g. cpu-basic, t4-small.")]
SecretOpt = Annotated[
    list[str] | None, typer.Option("--secret", help="A Space secret whose value is the env var NAME (repeatable).")
]
SecretsFromOpt = Annotated[Path | None, typer.Option("--secrets-from", help="A NAME=VALUE file of Space secrets.")]
VarOpt = Annotated[list[str] | None, typer.Option("--var", help="A Space variable K=V (repeatable).")]
MessageOpt = Annotated[str | None, typer.Option("--message", "-m", help="Commit message (default: last git commit).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing remote.")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="Follow the Space until RUNNING, then probe its health path.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds --wait waits for RUNNING.")]
NoProbeOpt = Annotated[bool, typer.Option("--no-probe", help="With --wait: do not request the health path.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Push even when `check` reports errors.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def show_report(report: PushReport) -> None:
    """The human form of a push report, on stderr: file lines, metadata, names (never values)."""
    diff = report.diff
    verb = "would push" if report.dry_run else "pushed"
    say(f"{verb} to {report.space_id} ({report.url})")
    for sign, entries in (("+", diff.added), ("~", diff.changed), ("-", diff.deleted)):
        for entry in entries:
            say(f"  {sign} {entry.path}  ({entry.size:,} B)")
    if diff.unchanged:
        say(f"  = {len(diff.unchanged)} file(s) unchanged")
    if report.dry_run and report.metadata:
        say("metadata: " + ", ".join(f"{key}={value}" for key, value in report.metadata.items()))
    for kind, statuses in (("secrets", report.secrets), ("variables", report.variables)):
        if statuses:
            say(f"{kind}: " + ", ".join(f"{name} ({status})" for name, status in statuses.items()))
    for note in report.notes:
        say(f"note: {note}")
    if report.commit_oid:
        size = diff.upload_bytes
        say(
            f"commit {report.commit_oid[:8]}: {len(diff.added)} added, {len(diff.changed)} changed, "
            f"{len(diff.deleted)} deleted ({size:,} B uploaded): {report.commit_url}"
        )
    elif not report.dry_run:
        say("no change: the Space already has these files; no commit made")


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
    token: str | None,
    secret_names: list[str],
    secrets_from: Path | None,
    var_pairs: list[str],
    *,
    need_token: bool = True,
) -> PushTarget:
    """Everything `push` needs before any network call: Space id, token, secrets, variables.

    Raises:
        UsageError: no or invalid Space id, malformed --var, missing secret env var.
        AuthError: no token (unless `need_token` is False, for an offline dry run).
    """
    from spacepack import hub
    from spacepack.errors import AuthError, UsageError
    from spacepack.push import collect_secrets, parse_variables

    if not settings.space:
        raise UsageError("no Space given", hint="pass --space OWNER/NAME, or set space in the config")
    space_id = hub.validate_space_id(settings.space)
    secrets = collect_secrets(secret_names, secrets_from, os.environ)
    variables = parse_variables(var_pairs, settings.variables)
    found, source = hub.resolve_token(token, os.environ)
    if found is None and need_token:
        raise AuthError("no Hugging Face token found (--token, HF_TOKEN or a saved login)", hint=hub.TOKEN_FIX)
    return PushTarget(space_id, found, source, secrets, variables)


def push_and_wait(
    target: PushTarget,
    settings: Settings,
    plan: Plan,
    context: Context,
    *,
    message: str | None,
    dry_run: bool,
    wait: bool,
    timeout: float,
    no_probe: bool,
    quiet: bool,
    document: dict[str, Any],
) -> PushReport:
    """Push the rendered context, then (with `wait`) follow the Space to RUNNING and probe it.

    Results go into `document` as they come, so a caller can print one JSON
    document whether this returns or raises.
    """
    from dataclasses import replace

    from spacepack import hub
    from spacepack.errors import ExitCode, SpaceFailed
    from spacepack.masking import Masker

    api = hub.get_hf_api(target.token) if target.token else None
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
    document.update(report.to_json())
    if not quiet:
        show_report(report)
    if not wait or dry_run or api is None:
        return report

    def on_stage(stage: str, elapsed: float) -> None:
        if not quiet:
            say(f"  {elapsed:6.1f} s  {stage}")

    if not quiet:
        say(f"waiting for {target.space_id} to be RUNNING (up to {timeout:g} s)")
    try:
        space_report = hub.wait_for_space(
            api,
            target.space_id,
            timeout=timeout,
            on_stage=on_stage,
            probe=not no_probe,
            health_path=plan.health_path,
            probe_base_url=os.environ.get(PROBE_URL_ENV) or report.app_url,
            mask=Masker(target.secrets.values()),
        )
    except hub.SpaceStageError as error:
        document.update({"stage": error.stage, "error": error.message, "log_tail": list(error.log_tail)})
        if not quiet and error.log_tail:
            say(f"last {len(error.log_tail)} lines of the {'build' if error.stage == 'BUILD_ERROR' else 'run'} log:")
            for line in error.log_tail:
                say(f"  | {line}")
        raise
    report = replace(report, space=space_report)
    document.update(report.to_json())
    probe = space_report.probe
    if not quiet:
        say(f"RUNNING after {space_report.seconds:.1f} s: {space_report.app_url}")
        if probe is not None:
            say(f"probe GET {probe.url}: {probe.status if probe.status is not None else probe.error}")
    if probe is not None and not probe.ok:
        raise SpaceFailed(
            f"the Space is RUNNING but GET {plan.health_path} answered {probe.status or probe.error}",
            hint="check the run logs on the Space page; reproduce locally with `spacepack smoke`",
            exit_code=ExitCode.SPACE_RUNTIME_ERROR,
        )
    return report


@app.command()
def push(
    path: PathArg = Path(),
    space: SpaceOpt = None,
    token: TokenOpt = None,
    private: PrivateOpt = None,
    hardware: HardwareOpt = None,
    secret: SecretOpt = None,
    secrets_from: SecretsFromOpt = None,
    var: VarOpt = None,
    message: MessageOpt = None,
    dry_run: DryRunOpt = False,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 1800.0,
    no_probe: NoProbeOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Publish the project to a Hugging Face Docker Space: only what changed, never a secret file."""
    from spacepack.check import check_project
    from spacepack.cli.build import stop_on_errors
    from spacepack.config import load_settings
    from spacepack.errors import SpacepackError, UsageError
    from spacepack.render import render_context

    if not path.is_dir():
        raise UsageError(
            f"{path} is not a folder", hint="pass the project folder: spacepack push PATH --space OWNER/NAME"
        )
    settings = load_settings(path, flags={"space": space, "hardware": hardware, "private": private}, environ=os.environ)
    target = resolve_push_target(settings, token, secret or [], secrets_from, var or [], need_token=not dry_run)
    plan = check_project(settings)
    stop_on_errors(plan, force)
    context = render_context(plan, settings)
    if not json_output:
        say(f"rendered {len(context.files)} files into {context.path}")
        if target.token_source:
            say(f"token from {target.token_source}")
    document: dict[str, Any] = {}
    try:
        push_and_wait(
            target,
            settings,
            plan,
            context,
            message=message,
            dry_run=dry_run,
            wait=wait,
            timeout=timeout,
            no_probe=no_probe,
            quiet=json_output,
            document=document,
        )
    except SpacepackError:
        if json_output and document:
            emit_json(document)
        raise
    if json_output:
        emit_json(document)
