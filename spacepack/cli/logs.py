"""`spacepack logs`: the Space's run or build logs, with known secret values masked."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from spacepack.cli._app import app
from spacepack.cli._options import PathArg, SecretOpt, SecretsFromOpt, SpaceOpt, TokenOpt, with_flags
from spacepack.cli._output import Document, json_mode

BuildLogOpt = Annotated[bool, typer.Option("--build", help="The build log instead of the run log.")]
FollowOpt = Annotated[bool, typer.Option("--follow", "-f", help="Stream new lines until Ctrl-C.")]
TailOpt = Annotated[int | None, typer.Option("--tail", "-n", min=1, help="Only the last N lines.")]


@app.command()
@with_flags()
def logs(
    path: PathArg = Path(),
    space: SpaceOpt = None,
    build: BuildLogOpt = False,
    follow: FollowOpt = False,
    tail: TailOpt = None,
    token: TokenOpt = None,
    secret: SecretOpt = None,
    secrets_from: SecretsFromOpt = None,
) -> Document:
    """Print the Space's run log (or --build log), masking every secret value spacepack knows.

    The values masked are those of --secret, --secrets-from, the project's .env
    and the token (the Hub never returns secret values). --follow streams until
    Ctrl-C; --json prints one document with the lines (and excludes --follow).
    """
    from spacepack import hub
    from spacepack import space as running
    from spacepack.config import load_settings
    from spacepack.errors import UsageError
    from spacepack.pipeline import resolve_push_target

    if follow and json_mode():
        raise UsageError("--follow streams lines; it cannot be combined with --json", hint="drop one of the two")
    if follow and tail is not None:
        raise UsageError("--tail and --follow exclude each other", hint="--follow streams the whole log from its start")
    settings = load_settings(path, flags={"space": space}, environ=os.environ)
    target = resolve_push_target(
        settings, os.environ, token=token, secret_names=tuple(secret or ()), secrets_from=secrets_from
    )
    api = hub.get_hf_api(target.token)
    mask = running.log_masker(settings.project_dir, target.secrets, target.token)
    lines = running.logs(api, target.space, build=build, follow=follow, tail=tail, mask=mask)
    kind = "build" if build else "run"
    if json_mode():
        collected = list(lines)
        return Document({"space_id": target.space_id, "log": kind, "count": len(collected), "lines": collected})
    count = 0
    for line in lines:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        count += 1
    return Document({"space_id": target.space_id, "log": kind, "count": count})
