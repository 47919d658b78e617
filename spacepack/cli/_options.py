"""Options shared by several commands, declared once with their help text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PathArg = Annotated[Path, typer.Argument(help="The project folder (a repository root or the backend folder).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Go on even when `check` reports errors.")]

# build
TagOpt = Annotated[str | None, typer.Option("--tag", help="Image name:tag (default: spacepack/<project>:<sha>).")]
NoSmokeOpt = Annotated[bool, typer.Option("--no-smoke", help="Skip the smoke test.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not reuse cached layers.")]
PullOpt = Annotated[bool, typer.Option("--pull", help="Pull a newer base image first.")]
BuildArgOpt = Annotated[list[str] | None, typer.Option("--build-arg", help="KEY=VALUE build argument (repeatable).")]

# smoke
PortOpt = Annotated[
    int | None,
    typer.Option("--port", min=1, max=65535, help="PORT to inject (default: a random one != app_port)."),
]
HealthOpt = Annotated[str | None, typer.Option("--health", help="Path that must answer 2xx (default: detected).")]
EnvOpt = Annotated[list[str] | None, typer.Option("--env", "-e", help="KEY=VALUE for the container (repeatable).")]
EnvFileOpt = Annotated[Path | None, typer.Option("--env-file", help="A .env file (default: the project's .env).")]
HealthTimeoutOpt = Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the health path.")]
# `release` has two waits: --timeout is the Space's, this one the smoke test's.
SmokeTimeoutOpt = Annotated[
    float, typer.Option("--smoke-timeout", min=0.1, help="Seconds the smoke test waits for the health path.")
]
ExpectStatusOpt = Annotated[
    int | None, typer.Option("--expect-status", min=100, max=599, help="Exact status the health path must answer.")
]
ExpectJsonOpt = Annotated[
    list[str] | None, typer.Option("--expect-json", help="KEY=VALUE the health JSON must hold (repeatable).")
]
CheckPathOpt = Annotated[
    list[str] | None, typer.Option("--check", help="Another path that must answer 2xx (repeatable).")
]

# push
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
WaitTimeoutOpt = Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait for the Space to be RUNNING.")]
NoProbeOpt = Annotated[bool, typer.Option("--no-probe", help="Do not request the health path once RUNNING.")]
PruneOpt = Annotated[
    bool, typer.Option("--prune", help="Also delete files in the Space that spacepack did not upload.")
]
AllowMissingSecretsOpt = Annotated[
    bool,
    typer.Option("--allow-missing-secrets", help="Push even when the app reads a secret at start-up the Space lacks."),
]

# Where the Space's app is probed instead of https://<owner>-<name>.hf.space (proxies, tests).
PROBE_URL_ENV = "SPACEPACK_SPACE_URL"
