"""Where the templates live and the one jinja2 environment (a sandbox) that renders them.

One copy of each template sits at the top of the repository (`Dockerfile.template`,
`templates/`); the wheel carries them as `spacepack/_templates/`. An installed
spacepack finds them there; a source checkout (or editable install) finds them
next to the package.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from spacepack.errors import RenderError
from spacepack.paths import shown
from spacepack.safe_read import read_project_bytes

DOCKERFILE_TEMPLATE = "Dockerfile.template"
README_TEMPLATE = "README.md.j2"
DOCKERIGNORE_TEMPLATE = "dockerignore.j2"
_MAX_TEMPLATE_BYTES = 1024 * 1024


def _packaged_dir() -> Path | None:
    packaged = Path(str(importlib.resources.files("spacepack") / "_templates"))
    return packaged if (packaged / DOCKERFILE_TEMPLATE).is_file() else None


def template_dir() -> Path:
    """The folder holding the default `Dockerfile.template`.

    Returns:
        `spacepack/_templates` inside an installed wheel, else the repository's
        top level (where `Dockerfile.template` and `templates/` are).
    """
    return _packaged_dir() or Path(__file__).resolve().parent.parent.parent


def default_template_path(name: str) -> Path:
    """The path of one default template, by name (e.g. `README.md.j2`).

    The wheel flattens `templates/*` into `_templates/` beside `Dockerfile.template`;
    a source checkout keeps them in `templates/`.
    """
    packaged = _packaged_dir()
    if packaged is not None:
        return packaged / name
    base = template_dir()
    return base / name if name == DOCKERFILE_TEMPLATE else base / "templates" / name


@functools.lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    # The sandbox: a project's own Dockerfile.template is untrusted input, and
    # `{{ cycler.__init__.__globals__ }}` must not reach Python. An empty loader,
    # so `{% include %}` cannot pull a host file into a file that ships.
    # StrictUndefined: a misspelt variable fails the render instead of leaving a hole in the Dockerfile.
    return ImmutableSandboxedEnvironment(
        loader=jinja2.DictLoader({}),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def _source(path: Path) -> str:
    """A template's text: a regular file (never a FIFO or a device), at most 1 MB, UTF-8."""
    result = read_project_bytes(path.parent, path.name, max_bytes=_MAX_TEMPLATE_BYTES)
    if result.data is None:
        if not path.parent.is_dir() or not os.path.lexists(path):
            raise RenderError(
                f"template {shown(path)} does not exist",
                hint="fix the `template` setting or run `spacepack eject` to create one",
            )
        raise RenderError(f"cannot read template {shown(path)}: {result.refused}", hint="use a regular UTF-8 file")
    try:
        return result.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RenderError(f"cannot read template {shown(path)}: not UTF-8 text", hint="save it as UTF-8") from None


def render_template(path: Path, variables: Mapping[str, Any]) -> str:
    """Render one template file in the sandbox, with only `variables`.

    Args:
        path: the template file (a default one or the user's, already checked
            to lie inside the project).
        variables: the values the template may use.

    Raises:
        RenderError: the file is missing or unreadable, has a syntax error,
            uses a variable that does not exist (the message names both), or
            tries something the sandbox forbids.
    """
    try:
        path = path.resolve()
    except (OSError, RuntimeError, ValueError):
        raise RenderError("the template path cannot be read", hint="fix the `template` setting") from None
    source = _source(path)
    try:
        return _environment().from_string(source).render(**variables)
    except jinja2.UndefinedError as error:
        known = ", ".join(sorted(variables))
        raise RenderError(
            f"template {path.name} uses an undefined variable: {error.message}",
            hint=f"the variables are: {known}",
        ) from None
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(
            f"template {path.name} has a syntax error on line {error.lineno}: {error.message}",
            hint=f"fix {shown(path)}",
        ) from None
    except SecurityError:
        raise RenderError(
            f"template {path.name} tries something the template sandbox forbids",
            hint="templates may only use the documented variables, filters and tests",
        ) from None
    except jinja2.TemplateError as error:  # e.g. {% include %}: the loader is empty on purpose
        raise RenderError(
            f"template {path.name} cannot be rendered: {type(error).__name__}",
            hint="templates may only use the documented variables; includes and imports are not available",
        ) from None
    except (OverflowError, MemoryError, RecursionError):
        raise RenderError(f"template {path.name} is too expensive to render", hint="simplify the template") from None
