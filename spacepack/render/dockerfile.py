"""The Dockerfile: which template, which variables, and the generated requirements file."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from spacepack import __version__
from spacepack.config import DEFAULT_APP_PORT, Settings
from spacepack.errors import RenderError
from spacepack.ignore import IgnoreRules
from spacepack.names import (
    DEBIAN_PACKAGE,
    ENTRY,
    HEALTH_PATH_LABEL,
    IMAGE_REFERENCE,
    LABEL_VALUE,
    VERSION_LABEL,
    display_name,
    is_relative_dir,
    matches,
)
from spacepack.paths import inside_project
from spacepack.plan import Plan
from spacepack.render.templates import DOCKERFILE_TEMPLATE, default_template_path, render_template
from spacepack.resolve import Resolution

# Named so it never collides with a requirements.txt of the user's that ships beside it.
REQUIREMENTS_FILE = "spacepack-requirements.txt"


def app_port(settings: Settings) -> int:
    """The port the Space routes to: the `app_port` setting, else metadata `app_port`, else 7860."""
    if settings.app_port is not None:
        return settings.app_port
    from_metadata = settings.metadata.get("app_port")
    if isinstance(from_metadata, int) and not isinstance(from_metadata, bool):
        return from_metadata
    return DEFAULT_APP_PORT


def requirements_text(plan: Plan) -> str:
    """The generated requirements file: the plan's requirement lines, plus uvicorn when missing."""
    lines = list(plan.dependencies.requirements)
    packages = {canonicalize_name(name) for name in plan.dependencies.packages}
    if "uvicorn" not in packages:
        lines.append("uvicorn")
    return "".join(f"{line}\n" for line in lines)


def uvicorn_command(plan: Plan) -> str:
    """The shell command the container runs (PORT is read when the container starts)."""
    if not matches(ENTRY, plan.entry):
        raise RenderError(
            f"entry {plan.entry!r} is not a 'module:attribute' uvicorn can load",
            hint='set entry = "package.module:app" in [tool.spacepack]',
        )
    factory = " --factory" if plan.factory else ""
    factory += " --interface wsgi" if plan.interface == "wsgi" else ""  # Flask, Django's wsgi.py
    return (
        f"exec uvicorn {plan.entry}{factory} --host 0.0.0.0 --port ${{PORT}} --proxy-headers --forwarded-allow-ips '*'"
    )


def _below_context_root(plan: Plan, folder: str) -> str:
    """A project folder (relative to the root) relative to the context root ("" for the root itself)."""
    root = plan.context_root
    if folder in {"", "."} or folder == root:
        return ""
    return folder if root in {"", "."} else folder[len(root) + 1 :]


def app_subdir(plan: Plan) -> str:
    """The working folder below the image's app folder ("" when the context is the working folder)."""
    return _below_context_root(plan, plan.working_dir)


def _image_folder(rel: str) -> str:
    """A project folder relative to the context root as a path in the image, validated for a Dockerfile line."""
    if rel in {"", "."}:
        return "/home/user/app"
    if not is_relative_dir(rel):
        raise RenderError(
            f"folder {rel!r} cannot be named in a Dockerfile (plain names only: letters, digits, . _ - @ +)",
            hint="rename the folder, or pass --backend-dir to one whose path is plain",
        )
    return f"/home/user/app/{rel}"


def python_path(plan: Plan) -> str:
    """The image's PYTHONPATH for `plan.python_path` ("" when none): folders in the image, `:`-joined."""
    folders = dict.fromkeys(_below_context_root(plan, folder) for folder in plan.python_path)
    return ":".join(_image_folder(folder) for folder in folders)


def _writable_dirs(plan: Plan) -> list[str]:
    result: set[str] = set()
    subdir = app_subdir(plan)
    if subdir:
        _image_folder(subdir)  # validated: it becomes WORKDIR
    for raw in [subdir, *(f"{subdir}/{d}" if subdir else d for d in plan.writable_dirs)]:
        normal = posixpath.normpath(raw.replace("\\", "/")).strip("/")
        if normal in {"", "."}:
            continue  # the app dir itself is already owned by uid 1000
        if not is_relative_dir(normal):
            raise RenderError(
                f"writable folder {raw!r} must be a plain path inside the app folder",
                hint="use a relative path such as data or .cache/huggingface",
            )
        # Each parent too, so that every folder on the way is owned by uid 1000.
        parts = normal.split("/")
        result.update("/".join(parts[:end]) for end in range(1, len(parts) + 1))
    return sorted(result)


# A C/C++ toolchain with the C library headers (gcc alone, without recommends, lacks libc6-dev).
BUILD_TOOLCHAIN = "build-essential"
_IN_TOOLCHAIN = frozenset({"gcc", "g++", "make", "libc6-dev"})
_BUILD_ONLY = frozenset({BUILD_TOOLCHAIN, "cmake", "pkg-config", *_IN_TOOLCHAIN})


def _build_only(package: str) -> bool:
    return package.split("=", 1)[0] in _BUILD_ONLY or package.split("=", 1)[0].endswith("-dev")


def _system_packages(plan: Plan, settings: Settings, resolution: Resolution | None) -> list[str]:
    wanted = set(plan.system_packages)
    if resolution is not None and resolution.needs_build:
        wanted.add(BUILD_TOOLCHAIN)  # some package has no wheel for the target: it compiles in the image
    elif resolution is not None and resolution.exact:
        # Every package comes as a wheel (they bundle their libraries): compilers and headers buy nothing.
        wanted = {package for package in wanted if not _build_only(package)}
    if BUILD_TOOLCHAIN in wanted:
        wanted -= _IN_TOOLCHAIN  # build-essential depends on them
    packages = sorted(wanted | set(settings.system_packages))
    for package in packages:
        if not matches(DEBIAN_PACKAGE, package):
            raise RenderError(
                f"system package {package!r} is not a Debian package name",
                hint='use names such as "libpq-dev" in system_packages',
            )
    return packages


def base_image(plan: Plan, settings: Settings) -> str:
    """The image the Dockerfile starts FROM: `base_image`, else `python:<plan.python>-slim`."""
    image = settings.base_image or f"python:{plan.python}-slim"
    if not matches(IMAGE_REFERENCE, image):
        raise RenderError(f"base image {image!r} is not an image reference", hint="e.g. python:3.11-slim")
    return image


# The uv release the images fetch to install the dependencies (pinned: the same input renders the same image).
UV_VERSION = "0.13.9"
# uv installs the same pinned set several times faster than pip; `installer = "pip"` is the fallback.
DEFAULT_INSTALLER = "uv"


def spacepack_labels(plan: Plan) -> dict[str, str]:
    """The labels every image of the plan carries: the health path `smoke IMAGE` probes, spacepack's version.

    Both are the same on every commit, so the Dockerfile sets them before the source (a code-only rebuild
    re-runs only the source step). Nothing that changes per commit is a label: the image's tag names the
    commit.
    """
    return {HEALTH_PATH_LABEL: plan.health_path, VERSION_LABEL: __version__}


def image_labels(plan: Plan) -> dict[str, str]:
    """The `spacepack_labels` a Dockerfile `LABEL` line can hold as written; `build` passes the rest through the API."""
    return {key: value for key, value in spacepack_labels(plan).items() if matches(LABEL_VALUE, value)}


def dockerfile_variables(plan: Plan, settings: Settings, resolution: Resolution | None = None) -> dict[str, Any]:
    """Every variable a Dockerfile template (default or custom) can use.

    `resolution` is the render-time resolution of the requirements (None: not resolved, the image
    resolves them as pip or uv would).
    """
    return {
        "base_image": base_image(plan, settings),
        "python_version": plan.python,
        "system_packages": _system_packages(plan, settings, resolution),
        "requirements_file": REQUIREMENTS_FILE,
        "requirements_exact": resolution is not None and resolution.exact,
        "writable_dirs": _writable_dirs(plan),
        "app_port": app_port(settings),
        "entry": plan.entry,
        "factory": plan.factory,
        "cmd": json.dumps(["sh", "-c", uvicorn_command(plan)]),
        "project_name": display_name(plan.project_name),
        "installer": settings.installer or DEFAULT_INSTALLER,
        "uv_version": UV_VERSION,
        "labels": image_labels(plan),
        "app_subdir": app_subdir(plan),
        "python_path": python_path(plan),
    }


def dockerfile_template(settings: Settings) -> Path:
    """The template to render: `template` setting > the project's Dockerfile.template > the default."""
    if settings.template:
        source = settings.sources.get("template", "the config")
        # Inside the project only, and never a file that does not ship: the template's text becomes the Dockerfile.
        chosen = inside_project(settings.project_dir, settings.template, f"template (from {source})")
        if IgnoreRules().is_ignored(chosen.relative_to(settings.project_dir.resolve()).as_posix()):
            raise RenderError(
                f"template {settings.template} (from {source}) is a file that never ships (a secret or build output)",
                hint="point `template` at a Dockerfile template inside the project",
            )
        if not chosen.is_file():
            raise RenderError(
                f"template {settings.template} (from {source}) does not exist",
                hint="fix the path, or run `spacepack eject` to create Dockerfile.template",
            )
        return chosen
    ejected = settings.project_dir / DOCKERFILE_TEMPLATE
    if ejected.is_file() or ejected.is_symlink():
        return inside_project(settings.project_dir, DOCKERFILE_TEMPLATE, DOCKERFILE_TEMPLATE)
    return default_template_path(DOCKERFILE_TEMPLATE)


def render_dockerfile(plan: Plan, settings: Settings, resolution: Resolution | None = None) -> str:
    """The Dockerfile text for a plan (pure: reads the template, writes nothing).

    Raises:
        RenderError: a bad template, entry, package name or writable folder.
    """
    return render_template(dockerfile_template(settings), dockerfile_variables(plan, settings, resolution))
