"""poetry.lock: the locked closure of a Poetry project's main dependencies."""

from __future__ import annotations

import re

from packaging.utils import canonicalize_name

from spacepack.check.formats.pyproject import python_alternatives
from spacepack.check.manifests import (
    Declaration,
    Lock,
    LockEdge,
    LockedPackage,
    LockRead,
    ManifestFiles,
    PythonDeclared,
    Reader,
    as_list,
    as_str,
    as_table,
    grouped,
    join,
    load_toml,
    locked_python,
    requirement_edges,
    unreadable_lock,
)
from spacepack.plan import Finding

_POETRY_EXTRA_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def parse_poetry_lock(text: str, path: str) -> tuple[Lock | None, Finding | None]:
    """Read a poetry.lock: packages, their non-optional dependencies and their extras."""
    data, error = load_toml(text, path)
    if data is None:
        return None, error
    packages: list[LockedPackage] = []
    for raw in as_list(data.get("package")):
        table = as_table(raw)
        name = as_str(table.get("name"))
        if not name:
            continue
        required: list[LockEdge] = []
        optional: dict[str, LockEdge] = {}
        for dep_name, spec in as_table(table.get("dependencies")).items():
            for entry in spec if isinstance(spec, list) else [spec]:
                entry_table = as_table(entry)
                dep_extras = tuple(
                    canonicalize_name(e) for e in as_list(entry_table.get("extras")) if isinstance(e, str)
                )
                edge = LockEdge(
                    name=canonicalize_name(dep_name),
                    extras=dep_extras,
                    marker=as_str(entry_table.get("markers")),
                )
                if entry_table.get("optional") is True:
                    optional[edge.name] = edge
                else:
                    required.append(edge)
        extras: dict[str, tuple[LockEdge, ...]] = {}
        for extra, items in as_table(table.get("extras")).items():
            members: list[LockEdge] = []
            for item in as_list(items):
                match = _POETRY_EXTRA_NAME.match(item) if isinstance(item, str) else None
                if match:
                    dep = canonicalize_name(match.group(1))
                    members.append(optional.get(dep, LockEdge(name=dep)))
            extras[canonicalize_name(extra)] = tuple(members)
        packages.append(
            LockedPackage(
                name=canonicalize_name(name),
                version=as_str(table.get("version")),
                dependencies=tuple(required),
                extras=extras,
                source=as_table(table.get("source")),
                display_name=name,
            )
        )
    metadata = as_table(data.get("metadata"))
    lock = Lock(
        path=path,
        kind="poetry.lock",
        packages=grouped(packages),
        requires_python=as_str(metadata.get("python-versions")),
    )
    return lock, None


class PoetryLockReader(Reader):
    """poetry.lock beside the pyproject: its roots are the project's declared (Poetry or PEP 621) dependencies."""

    kind = "poetry.lock"
    names = ("poetry.lock",)
    locks = "pyproject"
    relock = "poetry lock"

    def lock(self, files: ManifestFiles, directory: str, declared: Declaration) -> LockRead | None:
        rel = join(directory, "poetry.lock")
        parsed = files.parsed(rel, parse_poetry_lock)
        if parsed is None:
            return None
        lock, _ = parsed
        if lock is None:
            return unreadable_lock(rel, self.relock)
        roots = tuple(requirement_edges(declared.requirements))
        return LockRead(path=rel, lock=lock, roots=roots, what=declared.project_name or "the project")

    def python(self, files: ManifestFiles, directory: str) -> tuple[PythonDeclared, ...]:
        rel = join(directory, "poetry.lock")
        text = locked_python(files, rel, parse_poetry_lock)
        if text in {"", "*"}:
            return ()
        return (PythonDeclared(text, f"python-versions in {rel}", rel, python_alternatives(text, True)),)
