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
    AllowMissingSecretsOpt,
    ForceOpt,
    HardwareOpt,
    JsonOpt,
    MessageOpt,
    NoProbeOpt,
    PathArg,
    PrivateOpt,
    PruneOpt,
    SecretOpt,
    SecretsFromOpt,
    SpaceOpt,
    TokenOpt,
    VarOpt,
    WaitTimeoutOpt,
)
from spacepack.cli._output import emit_json, failure_fields, say

if TYPE_CHECKING:
    from spacepack.push import PushReport


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
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing remote.")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the Space until RUNNING, then probe its health path.")
    ] = False,
    timeout: WaitTimeoutOpt = 1800.0,
    no_probe: NoProbeOpt = False,
    prune: PruneOpt = False,
    allow_missing_secrets: AllowMissingSecretsOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Publish the project to a Hugging Face Docker Space: only what changed, never a secret file."""
    from spacepack.cli._progress import ConsoleProgress
    from spacepack.config import load_settings
    from spacepack.errors import SpacepackError
    from spacepack.pipeline import WaitOptions, check_and_render, push_and_wait, resolve_push_target

    settings = load_settings(path, flags={"space": space, "hardware": hardware, "private": private}, environ=os.environ)
    target = resolve_push_target(
        settings,
        os.environ,
        token=token,
        secret_names=tuple(secret or ()),
        secrets_from=secrets_from,
        var_pairs=tuple(var or ()),
        need_token=not dry_run,
    )
    target = replace(target, prune=prune, allow_missing_secrets=allow_missing_secrets)
    progress = ConsoleProgress(quiet_reports=json_output)
    if target.token_source:
        progress.say(f"token from {target.token_source}")
    results: dict[str, Any] = {}
    try:
        plan, context = check_and_render(settings, force=force, progress=progress, stopped="nothing was pushed")
        push_and_wait(
            target,
            settings,
            plan,
            context,
            message=message,
            dry_run=dry_run,
            wait=WaitOptions(
                wait=wait, timeout=timeout, probe=not no_probe, probe_base_url=os.environ.get(PROBE_URL_ENV)
            ),
            results=results,
            progress=progress,
        )
    except SpacepackError as error:
        if json_output:
            emit_json({**results, **failure_fields(error)})
        raise
    if json_output:
        emit_json(results)
