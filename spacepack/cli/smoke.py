"""`spacepack smoke IMAGE`: run an image like a Space does and probe it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spacepack.cli._app import app
from spacepack.cli._options import (
    CheckPathOpt,
    EnvFileOpt,
    EnvOpt,
    ExpectJsonOpt,
    ExpectStatusOpt,
    HealthOpt,
    HealthTimeoutOpt,
    JsonOpt,
    PortOpt,
)
from spacepack.cli._output import emit_json, failure_fields, say
from spacepack.config import DEFAULT_APP_PORT

if TYPE_CHECKING:
    from spacepack.smoke import SmokeReport


def show_report(report: SmokeReport) -> None:
    """The human form of a smoke report, on stderr (the log tail is already masked)."""
    if report.verdict == "healthy":
        say(f"smoke: healthy in {report.time_to_healthy:.2f} s (PORT={report.injected_port})")
    else:
        if report.log_tail:
            say(f"last {len(report.log_tail)} lines of the container log:")
            for line in report.log_tail:
                say(f"  | {line}")
        say(f"smoke: failed (PORT={report.injected_port}): {report.reason}")
    for probe in report.probes[-6:]:
        status = "no answer" if probe.status is None else str(probe.status)
        say(f"  {probe.method:4} {probe.path:<20} {status:>9}  {probe.ms:7.1f} ms")
    for warning in report.warnings:
        say(f"warning: {warning}")


@app.command()
def smoke(
    image: Annotated[str, typer.Argument(help="Image id or name:tag to run (never pulled).")],
    port: PortOpt = None,
    health: HealthOpt = "/health",
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    timeout: HealthTimeoutOpt = 60.0,
    expect_status: ExpectStatusOpt = None,
    expect_json: ExpectJsonOpt = None,
    check: CheckPathOpt = None,
    app_port: Annotated[
        int, typer.Option("--app-port", min=1, max=65535, help="The Space's app_port; PORT differs.")
    ] = DEFAULT_APP_PORT,
    as_json: JsonOpt = False,
) -> None:
    """Run IMAGE as uid 1000 with PORT injected, wait for health, probe / like the Spaces front end.

    The container gets --env, --env-file, or else the .env of the current folder.
    """
    from spacepack.engine import get_docker_client
    from spacepack.envfile import container_env
    from spacepack.errors import UsageError
    from spacepack.smoke import SmokeOptions, SmokeTestFailed, parse_expectations, run_smoke

    health_path = health or "/health"
    if not health_path.startswith("/"):
        raise UsageError(f"--health {health_path!r} must start with /", hint=f"e.g. --health /{health_path}")
    options = SmokeOptions(
        health_path=health_path,
        port=port,
        app_port=app_port,
        env=container_env(tuple(env or ()), env_file, Path(".env")),
        timeout=timeout,
        expect_status=expect_status,
        expect_json=parse_expectations(tuple(expect_json or ())),
        checks=tuple(check or ()),
    )
    client = get_docker_client()
    try:
        report = run_smoke(client, image, options, on_event=say)
    except SmokeTestFailed as failure:
        show_report(failure.report)
        if as_json:
            emit_json({"smoke": failure.report.to_json(), **failure_fields(failure)})
        raise
    finally:
        client.close()
    show_report(report)
    if as_json:
        emit_json({"smoke": report.to_json()})
