"""`eject`: copy the default Dockerfile template into a project, for editing."""

from __future__ import annotations

import shutil
from pathlib import Path

from spacepack.errors import UsageError
from spacepack.render.templates import DOCKERFILE_TEMPLATE, default_template_path


def eject_template(project_dir: Path, force: bool = False) -> Path:
    """Copy the default `Dockerfile.template` into the project; `render` uses it from then on.

    Args:
        project_dir: the project folder.
        force: overwrite an existing `Dockerfile.template`.

    Returns:
        The path written.

    Raises:
        UsageError: the folder does not exist, or the template exists and `force` is false.
    """
    if not project_dir.is_dir():
        raise UsageError(f"{project_dir} is not a folder", hint="pass the project folder: spacepack eject PATH")
    target = project_dir / DOCKERFILE_TEMPLATE
    if target.is_symlink():
        # A committed link (`Dockerfile.template -> ~/.bashrc`) must not make --force overwrite its target.
        raise UsageError(
            f"{target} is a link; spacepack does not write through links in the project",
            hint=f"remove the link {DOCKERFILE_TEMPLATE}, then run `spacepack eject` again",
        )
    if target.exists() and not force:
        raise UsageError(
            f"{target} already exists",
            hint="edit it, or pass --force to replace it with the default template",
        )
    shutil.copyfile(default_template_path(DOCKERFILE_TEMPLATE), target)
    return target
