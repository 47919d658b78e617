"""`spacepack render` and `spacepack eject`: write the build context, or take over its template."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from spacepack.cli._app import app
from spacepack.cli._options import JsonOpt, PathArg
from spacepack.cli._output import emit_json, say
from spacepack.paths import shown

OutOpt = Annotated[Path | None, typer.Option("--out", help="Context folder (default: PATH/.spacepack/context).")]
TemplateOpt = Annotated[str | None, typer.Option("--template", help="A Dockerfile template to render instead.")]
ForceRenderOpt = Annotated[bool, typer.Option("--force", help="Render even when `check` reports errors.")]
ForceEjectOpt = Annotated[bool, typer.Option("--force", help="Replace an existing Dockerfile.template.")]


@app.command()
def render(
    path: PathArg = Path(),
    out: OutOpt = None,
    template: TemplateOpt = None,
    force: ForceRenderOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Write a Space-ready build context: your app, Dockerfile, README.md, .dockerignore."""
    from spacepack.check import check_project
    from spacepack.cli._progress import ConsoleProgress
    from spacepack.config import load_settings
    from spacepack.pipeline import stop_on_errors
    from spacepack.render import render_context

    settings = load_settings(path, flags={"template": template}, environ=os.environ)
    plan = check_project(settings)
    stop_on_errors(plan, force, ConsoleProgress(), stopped="nothing was rendered")
    context = render_context(plan, settings, out)
    if json_output:
        emit_json(context.to_json())
        return
    total = sum(f.size for f in context.files)
    say(f"rendered {len(context.files)} files ({total:,} bytes) into {shown(context.path)}")
    for name in ("Dockerfile", "README.md", ".dockerignore"):
        say(f"  wrote {name}")
    for note in context.notes:
        say(f"  note: {note}")


@app.command()
def eject(
    path: PathArg = Path(),
    force: ForceEjectOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Copy the default Dockerfile template into the project; `render` uses your copy from then on."""
    from spacepack.render import eject_template

    written = eject_template(path, force=force)
    say(f"wrote {shown(written)}: edit it; `spacepack render` now uses it")
    if json_output:
        emit_json({"template": str(written)})
