"""`spacepack render` and `spacepack eject`: write the build context, or take over its template."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from spacepack.cli._app import app
from spacepack.cli._output import emit_json, say

PathArg = Annotated[Path, typer.Argument(help="The project folder.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Context folder (default: PATH/.spacepack/context).")]
TemplateOpt = Annotated[str | None, typer.Option("--template", help="A Dockerfile template to render instead.")]
ForceRenderOpt = Annotated[bool, typer.Option("--force", help="Render even when `check` reports errors.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the context (files, sizes, hashes) as JSON.")]
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
    from spacepack.config import load_settings
    from spacepack.errors import CheckFailed, UsageError
    from spacepack.render import render_context

    if not path.is_dir():
        raise UsageError(f"{path} is not a folder", hint="pass the project folder: spacepack render PATH")
    settings = load_settings(path, flags={"template": template}, environ=os.environ)
    plan = check_project(settings)
    if plan.errors and not force:
        for finding in plan.errors:
            where = f" ({finding.path}{f':{finding.line}' if finding.line else ''})" if finding.path else ""
            say(f"error {finding.code}{where}: {finding.message}")
        raise CheckFailed(
            f"`check` found {len(plan.errors)} error(s); nothing was rendered",
            hint="fix them (see `spacepack check`), or pass --force to render anyway",
        )
    context = render_context(plan, settings, out)
    if json_output:
        emit_json(context.to_json())
        return
    total = sum(f.size for f in context.files)
    say(f"rendered {len(context.files)} files ({total:,} bytes) into {context.path}")
    for name in ("Dockerfile", "README.md", ".dockerignore"):
        say(f"  wrote {name}")
    for note in context.notes:
        say(f"  note: {note}")


@app.command()
def eject(
    path: PathArg = Path(),
    force: ForceEjectOpt = False,
) -> None:
    """Copy the default Dockerfile template into the project; `render` uses your copy from then on."""
    from spacepack.render import eject_template

    written = eject_template(path, force=force)
    say(f"wrote {written}: edit it; `spacepack render` now uses it")
