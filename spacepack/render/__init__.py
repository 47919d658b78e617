"""`render`: from a Plan to a Space-ready build context (Dockerfile, README metadata, .dockerignore)."""

from __future__ import annotations

from spacepack.render.context import Context as Context
from spacepack.render.context import ContextFile as ContextFile
from spacepack.render.dockerfile import render_dockerfile as render_dockerfile
from spacepack.render.eject import eject_template as eject_template
from spacepack.render.metadata import build_metadata as build_metadata
from spacepack.render.metadata import validate_metadata as validate_metadata
from spacepack.render.render import render_context as render_context

__all__ = [
    "Context",
    "ContextFile",
    "build_metadata",
    "eject_template",
    "render_context",
    "render_dockerfile",
    "validate_metadata",
]
