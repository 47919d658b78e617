"""`spacepack smoke IMAGE`: run an image like a Space does and probe it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spacepack.cli._app import app
from spacepack.cli._output import emit_json, say

# Smoke options, shared with `spacepack build`.
PortOpt = Annotated[int | None, typer.Option("--port", help="PORT to inject (default: a free one != app_port).")]
HealthOpt = Annotated[str, typer.Option("--health", help="Path that must answer 2xx.")]
EnvOpt = Annotated[list[str] | None, typer.Option("--env", "-e", help="KEY=VALUE for the container (repeatable).")]
EnvFileOpt = Annotated[Path | None, typer.Option("--env-file", help="A .env file (default: the project's .env).")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the health path.")]
ExpectStatusOpt = Annotated[
    int | None, typer.Option("--expect-status", help="Exact status the health path must answer.")
]
ExpectJsonOpt = Annotated[
    list[str] | None, typer.Option("--expect-json", help="KEY=VALUE the health JSON must hold (repeatable).")
]
CheckOpt = Annotated[list[str] | None, typer.Option("--check", help="Another path that must answer 2xx (repeatable).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]

if TYPE_CHECKING:
    from spacepack.engine import DockerClient
    from spacepack.smoke import SmokeOptions, SmokeReport


def load_env(pairs: list[str], env_file: Path | None, default_dotenv: Path | None) -> dict[str, str]:
    """Merge env sources: the default `.env` (if it exists), then `--env-file`, then `--env` (highest).

    Raises:
        UsageError: on a malformed `--env` or a missing `--env-file`.
    """
    from dotenv import dotenv_values

    from spacepack.errors import UsageError

    env: dict[str, str] = {}
    if env_file is None and default_dotenv is not None and default_dotenv.is_file():
        env.update({k: v for k, v in dotenv_values(default_dotenv).items() if v is not None})
    if env_file is not None:
        if not env_file.is_file():
            raise UsageError(f"--env-file {env_file} does not exist", hint="give the path of a KEY=VALUE file")
        env.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            # Only the name part is shown: the rest may be a secret.
            raise UsageError(f"--env '{key[:4]}...' is not KEY=VALUE", hint="e.g. --env API_KEY=...")
        env[key.strip()] = value
    return env


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


def smoke_and_show(client: DockerClient, image: str, options: SmokeOptions) -> SmokeReport:
    """Run the smoke test and show its report on stderr; a failure is shown, then re-raised."""
    from spacepack.smoke import SmokeTestFailed, run_smoke

    try:
        report = run_smoke(client, image, options, on_event=say)
    except SmokeTestFailed as failure:
        show_report(failure.report)
        raise
    show_report(report)
    return report


@app.command()
def smoke(
    image: Annotated[str, typer.Argument(help="Image id or name:tag to run (never pulled).")],
    port: PortOpt = None,
    health: HealthOpt = "/health",
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    timeout: TimeoutOpt = 60.0,
    expect_status: ExpectStatusOpt = None,
    expect_json: ExpectJsonOpt = None,
    check: CheckOpt = None,
    app_port: Annotated[int, typer.Option("--app-port", help="The Space's app_port; PORT differs.")] = 7860,
    as_json: JsonOpt = False,
) -> None:
    """Run IMAGE as uid 1000 with PORT injected, wait for health, probe / like the Spaces front end."""
    from spacepack.engine import get_docker_client
    from spacepack.smoke import SmokeOptions, SmokeTestFailed, parse_expectations

    options = SmokeOptions(
        health_path=health,
        port=port,
        app_port=app_port,
        env=load_env(env or [], env_file, Path(".env")),
        timeout=timeout,
        expect_status=expect_status,
        expect_json=parse_expectations(expect_json or []),
        checks=tuple(check or ()),
    )
    client = get_docker_client()
    try:
        report = smoke_and_show(client, image, options)
    except SmokeTestFailed as failure:
        if as_json:
            emit_json({"smoke": failure.report.to_json()})
        raise
    if as_json:
        emit_json({"smoke": report.to_json()})
