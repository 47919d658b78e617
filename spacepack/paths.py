"""Paths as people read them, and paths from settings held inside the project.

Every path a setting names (template, backend_dir, writable folders, targets'
values, the workflow file) must resolve inside the project, and the folders
spacepack writes (`.spacepack/context`, `.spacepack/logs`) must not follow a
link a repository committed: a project is hostile input (see RELIABILITY.md).
"""

from __future__ import annotations

from pathlib import Path

from spacepack.errors import ConfigError

# Linux refuses longer paths (PATH_MAX); a longer setting is refused as bad input, not an OSError.
MAX_PATH_CHARS = 4096


def shown(path: Path | str) -> str:
    """`path` relative to the current folder when it lies below it, else as it is."""
    target = Path(path)
    try:
        return target.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except (ValueError, OSError, RuntimeError):
        return printable(str(target))


def printable(text: str) -> str:
    """Text safe to put on one output line: control characters and undecodable bytes escaped."""
    escaped = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in escaped)


def check_path_value(value: str, what: str) -> None:
    """Refuse a path setting that cannot name a file: a NUL byte, a control character, absurd length.

    Raises:
        ConfigError: naming the setting (`what`), never echoing the whole value.
    """
    if "\x00" in value or any(ord(c) < 32 for c in value):
        raise ConfigError(f"{what} holds a NUL byte or a control character", hint=f"fix {what}")
    if len(value) > MAX_PATH_CHARS:
        raise ConfigError(f"{what} is {len(value)} characters long", hint=f"use a path under {MAX_PATH_CHARS}")


def inside_project(project_dir: Path, value: str, what: str) -> Path:
    """The resolved path a setting names, which must lie inside the project.

    Args:
        project_dir: the project folder.
        value: the setting's value (relative to the project, or absolute).
        what: how to name the setting in the error ("template (from spacepack.toml)").

    Raises:
        ConfigError: the value leaves the project (`..`, an absolute path
            elsewhere, `~`, a link pointing out) or cannot name a file.
    """
    check_path_value(value, what)
    root = project_dir.resolve()
    candidate = Path(value)
    candidate = candidate if candidate.is_absolute() else root / candidate
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError, ValueError):
        raise ConfigError(f"{what} cannot be resolved (a link loop?)", hint=f"fix {what}") from None
    if not resolved.is_relative_to(root):
        raise ConfigError(
            f"{what} points outside the project",
            hint="spacepack reads only files inside the project; copy the file into it",
        )
    return resolved


def safe_output_dir(project_dir: Path, relative: Path) -> Path:
    """`project_dir / relative` for a folder spacepack writes, refusing any link on the way.

    A repository that commits `.spacepack` as a link to `~/.ssh` must not make
    spacepack write (or replace) anything there.

    Raises:
        ConfigError: a part of the way is a link, or a file where a folder should be.
    """
    root = project_dir.resolve()
    current = root
    walked = Path()
    for part in relative.parts:
        current, walked = current / part, walked / part
        name = printable(walked.as_posix())
        if current.is_symlink():
            raise ConfigError(
                f"{name} in the project is a link; spacepack does not write through links",
                hint=f"remove the link {name} (spacepack creates the folder itself)",
            )
        if current.exists() and not current.is_dir():
            raise ConfigError(f"{name} in the project is not a folder", hint=f"remove {name}")
    return current
