"""The values the pipeline passes along: a `Plan` (made by `check`) and its parts.

Every value is frozen and serialisable with `to_json()`; `spacepack check
--json` prints `Plan.to_json()`. No value here ever holds a secret's value.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from spacepack.ignore import LeftOut

Severity = Literal["error", "warning", "info"]
# What an error finding stops: every step ("everything": the app will not come up), or only the steps that
# publish the code ("upload": a committed credential leaks when uploaded, not when built and run locally).
Blocks = Literal["everything", "upload"]
# The steps that consult the findings before they go on.
Step = Literal["render", "build", "smoke", "push", "release"]
# The steps that publish the code to the Hub (`ci`-generated jobs run `release`).
UPLOAD_STEPS: frozenset[Step] = frozenset({"push", "release"})


def image_repository(project_name: str) -> str:
    """`spacepack/<name>`: the project's image repository, made valid for Docker (lowercase, [a-z0-9._-])."""
    name = re.sub(r"[^a-z0-9._-]+", "-", project_name.lower()).strip("._-") or "app"
    return f"spacepack/{name}"


CandidateKind = Literal["instance", "shim", "factory"]
# How uvicorn talks to the app: ASGI (FastAPI, Starlette...) or WSGI (Flask, Django's wsgi.py), `--interface wsgi`.
Interface = Literal["asgi", "wsgi"]


@dataclass(frozen=True)
class Finding:
    """One thing `check` noticed, with where it is and how to fix it."""

    code: str
    severity: Severity
    message: str
    hint: str = ""
    path: str | None = None
    line: int | None = None
    blocks: Blocks | None = None  # for an error: what it stops (set from the code's registry row)

    def blocks_step(self, step: Step) -> bool:
        """Whether this finding stops `step`: the one place that decides."""
        if self.severity != "error":
            return False
        return self.blocks != "upload" or step in UPLOAD_STEPS

    def describe(self) -> tuple[str, ...]:
        """The finding as people read it: `[CODE] path:line: message`, then `fix: hint` when there is one."""
        where = f"{self.path}:{self.line}: " if self.path and self.line else f"{self.path}: " if self.path else ""
        first = f"[{self.code}] {where}{self.message}"
        return (first, f"fix: {self.hint}") if self.hint else (first,)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
            "blocks": self.blocks,
        }


@dataclass(frozen=True)
class Candidate:
    """An ASGI app that could be the one to run, with its score and the verdict on it."""

    entry: str  # "module:attr" as uvicorn takes it, from `working_dir`
    path: str  # file, relative to the project root
    line: int
    kind: CandidateKind
    factory: bool
    score: int
    chosen: bool
    reason: str
    working_dir: str = "."

    def to_json(self) -> dict[str, Any]:
        return {
            "entry": self.entry,
            "path": self.path,
            "line": self.line,
            "kind": self.kind,
            "factory": self.factory,
            "working_dir": self.working_dir,
            "score": self.score,
            "chosen": self.chosen,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class EnvVar:
    """An environment variable the app reads."""

    name: str
    required: bool  # read with no default
    secret: bool  # its name looks like a secret (token, key, password...)
    where: tuple[str, ...] = ()  # "path:line" places, or ".env.example"
    at_import: bool = False  # read while the module is imported (a smoke test needs a value)
    # A nested settings field's leaf (pydantic-settings `env_nested_delimiter`): the group variable
    # that sets it too, as one JSON value (`APP_DB` for `APP_DB__URL`).
    group: str | None = None

    def set_in(self, names: Collection[str]) -> bool:
        """Whether `names` (env vars given, secrets, variables) sets this one, by its name or its group's."""
        return self.name in names or (self.group is not None and self.group in names)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "required": self.required,
            "secret": self.secret,
            "at_import": self.at_import,
            "where": list(self.where),
            **({"group": self.group} if self.group else {}),
        }


@dataclass(frozen=True)
class DependencySource:
    """A manifest or lock file the dependencies come from, and how it is installed."""

    path: str  # relative to the project root ("" for inferred-from-imports)
    # The kind of the manifest reader it comes from ("requirements", "pyproject", "uv.lock", "poetry.lock",
    # "pipfile", ...; see spacepack.check.formats), or "imports" when inferred from the code.
    kind: str
    install: str  # human words: "pinned from uv.lock", "union with pyproject.toml", ...

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "install": self.install}


@dataclass(frozen=True)
class Dependencies:
    """What gets installed in the image."""

    sources: tuple[DependencySource, ...] = ()
    packages: tuple[str, ...] = ()  # canonical distribution names
    requirements: tuple[str, ...] = ()  # the requirement lines render installs (pinned when locked)
    # Lines of `requirements` that spacepack added to what the project declares: the distribution of an
    # import nothing declares (SP215), the pydantic v1 bound (SP216). Resolved alongside a lock's pins.
    added: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "sources": [s.to_json() for s in self.sources],
            "packages": list(self.packages),
            "requirements": list(self.requirements),
            "added": list(self.added),
        }


@dataclass(frozen=True)
class Plan:
    """Everything `check` decided about a project: what runs, how, and what would break."""

    root: Path  # the PATH given, absolute
    backend_dir: str  # relative to root ("." when root is the backend)
    entry: str  # "module:attr"
    factory: bool
    working_dir: str  # relative to root: where uvicorn runs
    python: str  # "3.11"
    python_source: str  # "requires-python in pyproject.toml", "default", ...
    dependencies: Dependencies = field(default_factory=Dependencies)
    system_packages: tuple[str, ...] = ()
    env: tuple[EnvVar, ...] = ()
    health_path: str = "/health"
    candidates: tuple[Candidate, ...] = ()
    findings: tuple[Finding, ...] = ()
    writable_dirs: tuple[str, ...] = ()  # relative to working_dir: folders the app writes (SQLite, caches)
    secret_files: tuple[str, ...] = ()  # relative to root: files holding secrets; never shipped or uploaded
    # What ships although spacepack leaves it out by default, because the app uses it (relative to root,
    # folders end with "/"); and what is left out by default, with its file counts.
    kept_anyway: tuple[str, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    project_name: str = "app"
    description: str = ""
    interface: Interface = "asgi"
    # What the app needs from outside the working folder (relative to root; folders end with "/"): a module
    # it imports from a folder above, a folder it serves (`StaticFiles(directory="../web")`). They ship at
    # the same place relative to the working folder; `python_path` folders go on the image's PYTHONPATH.
    outside: tuple[str, ...] = ()
    python_path: tuple[str, ...] = ()

    @property
    def context_root(self) -> str:
        """The folder the build context mirrors, relative to root ("." for the root): the working folder,
        or the nearest folder that also holds what ships from outside it."""
        # A shipped folder counts itself, a shipped file its folder.
        folders = [p.rstrip("/") if p.endswith("/") else p.rpartition("/")[0] for p in self.outside]
        split = [
            [part for part in p.split("/") if part not in {"", "."}]
            for p in (self.working_dir, *folders, *self.python_path)
        ]
        common: list[str] = []
        for parts in zip(*split, strict=False):
            if any(part != parts[0] for part in parts):
                break
            common.append(parts[0])
        return "/".join(common) or "."

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Every error finding (what `check` exits 3 on), whatever step it blocks."""
        return tuple(f for f in self.findings if f.severity == "error")

    def blocking(self, step: Step) -> tuple[Finding, ...]:
        """The error findings that stop `step`."""
        return tuple(f for f in self.findings if f.blocks_step(step))

    def upload_only(self) -> tuple[Finding, ...]:
        """The error findings that stop only the upload (`push`, `release`): local steps go on past them."""
        return tuple(f for f in self.errors if not f.blocks_step("build"))

    @property
    def backend_path(self) -> Path:
        return (self.root / self.backend_dir).resolve()

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "project_name": self.project_name,
            "description": self.description,
            "backend_dir": self.backend_dir,
            "entry": self.entry,
            "factory": self.factory,
            "interface": self.interface,
            "working_dir": self.working_dir,
            "python": self.python,
            "python_source": self.python_source,
            "dependencies": self.dependencies.to_json(),
            "system_packages": list(self.system_packages),
            "env": [e.to_json() for e in self.env],
            "health_path": self.health_path,
            "writable_dirs": list(self.writable_dirs),
            "secret_files": list(self.secret_files),
            "kept_anyway": list(self.kept_anyway),
            "outside": list(self.outside),
            "python_path": list(self.python_path),
            "left_out": [item.to_json() for item in self.left_out],
            "candidates": [c.to_json() for c in self.candidates],
            "findings": [f.to_json() for f in self.findings],
        }
