"""Paths as people read them: relative to the current folder when they are inside it."""

from __future__ import annotations

from pathlib import Path


def shown(path: Path | str) -> str:
    """`path` relative to the current folder when it lies below it, else as it is."""
    target = Path(path)
    try:
        return target.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except (ValueError, OSError):
        return str(target)
