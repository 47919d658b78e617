"""`spacepack check [PATH]`: what will run, how, and what would break on a Space (nothing is run)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spacepack.cli._app import app
from spacepack.cli._output import emit_json, say
from spacepack.paths import shown

if TYPE_CHECKING:
    from spacepack.plan import Plan

_SEVERITY_TITLES = (("error", "errors"), ("warning", "warnings"), ("info", "notes"))


def show_plan(plan: Plan) -> None:
    """The human summary of a plan, on stderr: decisions and why, other candidates, findings."""
    chosen = next((c for c in plan.candidates if c.chosen), None)
    say(f"spacepack check: {shown(plan.root)}")
    say(f"  backend dir   {plan.backend_dir}")
    factory = " (factory)" if plan.factory else ""
    say(f"  entry         {plan.entry or '(none found)'}{factory}")
    if chosen is not None:
        say(f"                {chosen.reason}")
    say(f"  working dir   {plan.working_dir}")
    say(f"  python        {plan.python} ({plan.python_source})")
    sources = plan.dependencies.sources
    if sources:
        for source in sources:
            say(f"  dependencies  {source.path or '(imports)'}: {source.install}")
    else:
        say("  dependencies  (none declared)")
    if plan.dependencies.packages:
        say(f"                {', '.join(plan.dependencies.packages)}")
    if plan.system_packages:
        say(f"  apt packages  {', '.join(plan.system_packages)}")
    if plan.env:
        for var in plan.env:
            tags = [
                "required" if var.required else "optional",
                *(["secret"] if var.secret else []),
                *(["at import"] if var.at_import else []),
            ]
            say(f"  env           {var.name} ({', '.join(tags)})")
    else:
        say("  env           (no variables read)")
    say(f"  health path   {plan.health_path}")
    others = [c for c in plan.candidates if not c.chosen]
    if others:
        say("")
        say("other app candidates:")
        for candidate in others:
            where = f"{candidate.path}:{candidate.line}"
            say(f"  {candidate.entry} in {where} (score {candidate.score}): {candidate.reason}")
    for severity, title in _SEVERITY_TITLES:
        group = [f for f in plan.findings if f.severity == severity]
        if not group:
            continue
        say("")
        say(f"{title} ({len(group)}):")
        for finding in group:
            first, *fix = finding.describe()
            say(f"  {first}")
            for line in fix:
                say(f"      {line}")
    counts = {s: sum(1 for f in plan.findings if f.severity == s) for s, _ in _SEVERITY_TITLES}
    say("")
    say(f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s)")


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="The repository root or the backend folder.")] = Path(),
    backend_dir: Annotated[
        str | None, typer.Option("--backend-dir", help="The backend folder, relative to PATH (default: detected).")
    ] = None,
    entry: Annotated[
        str | None, typer.Option("--entry", help="The app as uvicorn takes it, e.g. src.main:app (default: detected).")
    ] = None,
    factory: Annotated[
        bool | None, typer.Option("--factory/--no-factory", help="ENTRY is a function that returns the app.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as one JSON document on stdout.")] = False,
) -> None:
    """Inspect PATH: find the app, how it runs, and what would break on a Space. Nothing is run."""
    from spacepack.check import check_project
    from spacepack.config import load_settings
    from spacepack.errors import CheckFailed

    flags: dict[str, Any] = {"backend_dir": backend_dir, "entry": entry, "factory": factory}
    settings = load_settings(path, flags, os.environ)
    plan = check_project(settings)
    show_plan(plan)
    if as_json:
        emit_json(plan.to_json())
    errors = plan.errors
    if errors:
        raise CheckFailed(
            f"`check` found {len(errors)} error finding(s)",
            hint="fix them (see the errors above), then run `spacepack check` again",
        )
