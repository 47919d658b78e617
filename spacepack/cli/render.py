"""`spacepack render` and `spacepack eject`: write the build context, or take over its template."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spacepack.cli._app import app
from spacepack.cli._options import PathArg, project_flags, with_flags
from spacepack.cli._output import Document, json_mode, say
from spacepack.cli._views import show_context
from spacepack.paths import shown

if TYPE_CHECKING:
    from spacepack.render import Context

OutOpt = Annotated[Path | None, typer.Option("--out", help="Context folder (default: PATH/.spacepack/context).")]
TemplateOpt = Annotated[str | None, typer.Option("--template", help="A Dockerfile template to render instead.")]
ForceRenderOpt = Annotated[bool, typer.Option("--force", help="Render even when `check` reports errors.")]
ForceEjectOpt = Annotated[bool, typer.Option("--force", help="Replace an existing Dockerfile.template.")]


@app.command()
@with_flags(project=project_flags)
def render(
    path: PathArg = Path(),
    out: OutOpt = None,
    template: TemplateOpt = None,
    force: ForceRenderOpt = False,
    *,
    project: dict[str, Any],
) -> Context:
    """Write a Space-ready build context: your app, Dockerfile, README.md, .dockerignore."""
    from spacepack import check
    from spacepack.cli._progress import ConsoleProgress
    from spacepack.config import load_settings
    from spacepack.pipeline import stop_on_errors
    from spacepack.render import render_context

    settings = load_settings(path, flags={**project, "template": template}, environ=os.environ)
    plan = check.check_with_kept_facts(settings)
    stop_on_errors(plan, force, ConsoleProgress(), step="render", stopped="nothing was rendered")
    context = render_context(plan, settings, out)
    if not json_mode():
        show_context(context)
    return context


@app.command()
@with_flags()
def eject(path: PathArg = Path(), force: ForceEjectOpt = False) -> Document:
    """Copy the default Dockerfile template into the project; `render` uses your copy from then on."""
    from spacepack.render import eject_template

    written = eject_template(path, force=force)
    say(f"wrote {shown(written)}: edit it; `spacepack render` now uses it")
    return Document({"template": str(written)})
