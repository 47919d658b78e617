"""Where the templates live and the one jinja2 environment that renders them.

One copy of each template sits at the top of the repository (`Dockerfile.template`,
`templates/`); the wheel carries them as `spacepack/_templates/`. An installed
spacepack finds them there; a source checkout (or editable install) finds them
next to the package.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from spacepack.errors import RenderError

DOCKERFILE_TEMPLATE = "Dockerfile.template"
README_TEMPLATE = "README.md.j2"
DOCKERIGNORE_TEMPLATE = "dockerignore.j2"


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


@functools.lru_cache(maxsize=8)
def _environment(search_path: tuple[str, ...]) -> jinja2.Environment:
    # StrictUndefined: a misspelt variable fails the render instead of leaving a hole in the Dockerfile.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(search_path)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render_template(path: Path, variables: Mapping[str, Any]) -> str:
    """Render one template file with the shared environment.

    Args:
        path: the template file (a default one or the user's).
        variables: the values the template may use.

    Raises:
        RenderError: the file is missing or unreadable, has a syntax error, or
            uses a variable that does not exist (the message names both).
    """
    path = path.resolve()
    environment = _environment((str(path.parent),))
    try:
        template = environment.get_template(path.name)
        return template.render(**variables)
    except jinja2.TemplateNotFound:
        raise RenderError(
            f"template {path} does not exist",
            hint="fix the `template` setting or run `spacepack eject` to create one",
        ) from None
    except jinja2.UndefinedError as error:
        known = ", ".join(sorted(variables))
        raise RenderError(
            f"template {path.name} uses an undefined variable: {error.message}",
            hint=f"the variables are: {known}",
        ) from None
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(
            f"template {path.name} has a syntax error on line {error.lineno}: {error.message}",
            hint=f"fix {path}",
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise RenderError(f"cannot read template {path}: {error}", hint="check the file") from None
