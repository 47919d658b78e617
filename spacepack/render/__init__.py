"""`render`: from a Plan to a Space-ready build context (Dockerfile, README metadata, .dockerignore)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacepack.render.context import Context as Context
    from spacepack.render.context import ContextFile as ContextFile
    from spacepack.render.dockerfile import render_dockerfile as render_dockerfile
    from spacepack.render.eject import eject_template as eject_template
    from spacepack.render.metadata import build_metadata as build_metadata
    from spacepack.render.metadata import validate_metadata as validate_metadata
    from spacepack.render.render import render_context as render_context

# Imported on first use: `check` reads the plan cache (spacepack.render.plan_cache) without paying for
# Jinja2 and YAML, which only rendering needs.
_HOMES = {
    "Context": "spacepack.render.context",
    "ContextFile": "spacepack.render.context",
    "render_dockerfile": "spacepack.render.dockerfile",
    "eject_template": "spacepack.render.eject",
    "build_metadata": "spacepack.render.metadata",
    "validate_metadata": "spacepack.render.metadata",
    "render_context": "spacepack.render.render",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)


__all__ = [
    "Context",
    "ContextFile",
    "build_metadata",
    "eject_template",
    "render_context",
    "render_dockerfile",
    "validate_metadata",
]
