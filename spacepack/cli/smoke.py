"""`spacepack smoke IMAGE`: run an image like a Space does and probe it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spacepack.cli._app import app
from spacepack.cli._options import smoke_flags, with_flags
from spacepack.cli._output import say
from spacepack.cli._views import show_smoke_report
from spacepack.config import DEFAULT_APP_PORT

if TYPE_CHECKING:
    from spacepack.smoke import SmokeOptions, SmokeReport

AppPortOpt = Annotated[int, typer.Option("--app-port", min=1, max=65535, help="The Space's app_port; PORT differs.")]


@dataclass(frozen=True)
class SmokeResult:
    """The result of `spacepack smoke`: its report."""

    report: SmokeReport

    def to_json(self) -> dict[str, Any]:
        return {"smoke": self.report.to_json()}


@app.command()
@with_flags(options=smoke_flags)
def smoke(
    image: Annotated[str, typer.Argument(help="Image id or name:tag to run (never pulled).")],
    app_port: AppPortOpt = DEFAULT_APP_PORT,
    *,
    options: SmokeOptions,
) -> SmokeResult:
    """Run IMAGE as uid 1000 with PORT injected, wait for health, probe / like the Spaces front end.

    The health path is --health, else the one `build` recorded in the image, else /health.
    The container gets --env, --env-file, or else the .env of the current folder.
    """
    from spacepack.engine import get_docker_client
    from spacepack.smoke import SmokeTestFailed, run_smoke

    resolved = replace(options.with_env(Path(".env")), app_port=app_port)
    client = get_docker_client()
    try:
        report = run_smoke(client, image, resolved, on_event=say)
    except SmokeTestFailed as failure:
        show_smoke_report(failure.report)
        raise failure.with_result(SmokeResult(failure.report)) from None
    finally:
        client.close()
    show_smoke_report(report)
    return SmokeResult(report)
