"""The Space README: front matter in, front matter out, the body kept byte for byte."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from spacepack.errors import MetadataError, RenderError
from spacepack.ignore import IgnoreRules
from spacepack.plan import Plan, image_repository
from spacepack.render.templates import README_TEMPLATE, default_template_path, render_template
from spacepack.safe_read import read_project_bytes

# A front matter block: "---" on the first line, YAML, then "---" on a line of its own.
_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?P<yaml>.*?)(?:\r?\n)?^---[ \t]*(?:\r?\n|\Z)",
    re.DOTALL | re.MULTILINE,
)


def split_front_matter(text: str, where: str = "README.md") -> tuple[dict[str, Any] | None, str]:
    """Split a README into its front matter (None when it has none) and its body, untouched.

    Raises:
        MetadataError: the front matter is not YAML, or not a table of keys.
    """
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None, text
    try:
        # Aliases first: `*a` repeated over nested anchors (a "billion laughs") takes seconds and
        # gigabytes to load; Space metadata never needs them, so they are refused before loading.
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(match.group("yaml"))):
            raise MetadataError(
                f"the front matter of {where} uses YAML aliases (*name)",
                hint=f"write the values out in full in the block at the top of {where}",
            )
        loaded = yaml.safe_load(match.group("yaml"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" (line {mark.line + 2})" if mark is not None else ""
        raise MetadataError(
            f"the front matter of {where} is not valid YAML{line}",
            hint=f"fix the block between the '---' lines at the top of {where}",
        ) from None
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise MetadataError(
            f"the front matter of {where} is not a table of keys",
            hint=f"write 'key: value' lines between the '---' lines of {where}",
        )
    return loaded, text[match.end() :]


def front_matter(metadata: Mapping[str, Any]) -> str:
    """The YAML block, delimiters included (as `SpaceCardData.to_yaml()` would write it)."""
    body = yaml.safe_dump(dict(metadata), sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)
    return f"---\n{body}---\n"


def compose_readme(metadata: Mapping[str, Any], body: str) -> str:
    """Front matter followed by the body, unchanged."""
    return front_matter(metadata) + body


def find_readme(plan: Plan) -> Path | None:
    """The project's README.md: in the working dir, else the backend dir, else the project root."""
    for folder in (plan.working_dir, plan.backend_dir, "."):
        candidate = plan.root / folder / "README.md"
        if candidate.is_file() or candidate.is_symlink():
            return candidate
    return None


def read_readme(path: Path, root: Path | None = None) -> str:
    """A README's text (UTF-8), or a RenderError saying why it cannot be read.

    Its body is copied into the README that ships, so it is read like every
    project file: a regular file inside `root` (default: its folder), at
    most 2 MB, and never through a link to a file that does not ship (`README.md -> .env`).
    """
    result = read_project_bytes(
        root if root is not None else path.parent,
        path,
        may_follow=lambda target: not IgnoreRules().is_ignored(target),
    )
    try:
        if result.data is None:
            raise OSError(result.refused)
        return result.data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RenderError(f"cannot read {path.name}: {error}", hint=f"make {path.name} a regular UTF-8 file") from None


def default_body(plan: Plan, metadata: Mapping[str, Any]) -> str:
    """The README body written when the project has no README."""
    image_name = image_repository(plan.project_name)
    return render_template(
        default_template_path(README_TEMPLATE),
        {
            "title": metadata.get("title", plan.project_name),
            "description": plan.description.strip(),
            "entry": plan.entry,
            "health_path": plan.health_path,
            "app_port": metadata["app_port"],
            "image_name": image_name,
        },
    )
