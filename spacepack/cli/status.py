"""`spacepack status`: is the Space up, on what, and does it have every secret the app needs?"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from spacepack.cli._app import app
from spacepack.cli._options import PathArg, SecretOpt, SecretsFromOpt, SpaceOpt, TokenOpt, with_flags
from spacepack.cli._output import json_mode
from spacepack.cli._views import show_status
from spacepack.errors import Result

if TYPE_CHECKING:
    from spacepack.errors import SpacepackError
    from spacepack.space import SpaceStatus


def _verdict(status: SpaceStatus) -> SpacepackError | None:
    from spacepack.errors import ExitCode, MissingSecrets, SpaceFailed

    code = status.exit_code
    if code == ExitCode.OK:
        return None
    if code == ExitCode.MISSING_SECRETS:
        first = status.audit.missing[0]
        return MissingSecrets(
            f"the Space lacks {', '.join(status.audit.missing)}, which the app reads",
            hint=f"spacepack push --secret {first} (or --var {first}=VALUE for a public value)",
        )
    if code == ExitCode.SPACE_NOT_RUNNING:
        return SpaceFailed(
            f"the Space is {status.stage}, not RUNNING",
            hint=f"follow it with `spacepack logs --space {status.space_id} --follow`, or open {status.page_url}",
            exit_code=code,
        )
    return SpaceFailed(
        f"the Space is in {status.stage}" + (f": {status.error_message}" if status.error_message else ""),
        hint=f"read `spacepack logs --space {status.space_id}"
        + (" --build`" if status.stage == "BUILD_ERROR" else "`"),
        exit_code=code,
    )


@app.command()
@with_flags()
def status(
    path: PathArg = Path(),
    space: SpaceOpt = None,
    token: TokenOpt = None,
    secret: SecretOpt = None,
    secrets_from: SecretsFromOpt = None,
) -> Result:
    """Show the Space's stage, hardware, sleep time, URLs, last commit, and audit its secrets and variables.

    The audit runs `check` on PATH: env vars the app reads without a default
    that the Space has neither as a secret nor as a variable are missing, and
    Space variables whose names look like secrets are flagged. Exits 0 when the
    Space is RUNNING and nothing required is missing; else 10/11/12 (error
    stage), 14 (not running) or 15 (missing secrets).
    """
    from spacepack import hub
    from spacepack import space as running
    from spacepack.check import check_project
    from spacepack.config import load_settings
    from spacepack.pipeline import resolve_push_target

    settings = load_settings(path, flags={"space": space}, environ=os.environ)
    target = resolve_push_target(
        settings, os.environ, token=token, secret_names=tuple(secret or ()), secrets_from=secrets_from
    )
    plan = check_project(settings)
    api = hub.get_hf_api(target.token)
    mask = running.log_masker(settings.project_dir, target.secrets, target.token)
    found = running.space_status(api, target.space, plan.env, mask=mask)
    if not json_mode():
        show_status(found)
    failure = _verdict(found)
    if failure is not None:
        raise failure.with_result(found)
    return found
