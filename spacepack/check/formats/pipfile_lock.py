"""Pipfile.lock: pipenv's lock, a flat, already resolved list of the `default` (runtime) packages."""

from __future__ import annotations

import json
from typing import Any

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
    as_str,
    as_table,
    join,
    locked_python,
    requirement_edges,
    unreadable_lock,
)


def _source(entry: Any) -> dict[str, Any]:
    """Where a package comes from, in the shape `Pinned.requirement_line` reads (git, url, local path)."""
    git = as_str(entry.get("git"))
    if git:
        ref = as_str(entry.get("ref"))
        return {"git": f"{git}#{ref}" if ref else git}
    if as_str(entry.get("path")) or entry.get("editable") is True:
        return {"path": entry.get("path") or "."}
    url = as_str(entry.get("file"))
    return {"url": url} if url else {}


def parse_pipfile_lock(text: str, path: str) -> tuple[Lock | None, tuple[LockEdge, ...]]:
    """The `default` section of a Pipfile.lock as a lock, its packages as roots (with their markers).

    Returns (None, ()) for text that is not JSON.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None, ()
    packages: dict[str, tuple[LockedPackage, ...]] = {}
    roots: list[LockEdge] = []
    for name, raw in as_table(as_table(data).get("default")).items():
        entry = as_table(raw)
        version = as_str(entry.get("version"))
        package = LockedPackage(
            name=canonicalize_name(name),
            version=version.removeprefix("==") if version else None,
            source=_source(entry),
            display_name=name,
        )
        packages[package.name] = (package,)
        roots.append(LockEdge(name=package.name, marker=as_str(entry.get("markers"))))
    requires = as_table(as_table(as_table(data).get("_meta")).get("requires"))
    python = as_str(requires.get("python_full_version")) or as_str(requires.get("python_version"))
    lock = Lock(path=path, kind="pipfile.lock", packages=packages, requires_python=python)
    return lock, tuple(roots)


class PipfileLockReader(Reader):
    """Pipfile.lock beside a Pipfile: installed exactly as locked, `develop` packages left out."""

    kind = "pipfile.lock"
    names = ("Pipfile.lock",)
    locks = "pipfile"
    relock = "pipenv lock"

    def lock(self, files: ManifestFiles, directory: str, declared: Declaration) -> LockRead | None:
        rel = join(directory, "Pipfile.lock")
        parsed = files.parsed(rel, parse_pipfile_lock)
        if parsed is None:
            return None
        lock, roots = parsed
        if lock is None:
            return unreadable_lock(rel, self.relock)
        # A declared package the lock lacks is a root the closure reports missing (SP212: out of date).
        unlocked = [edge for edge in requirement_edges(declared.requirements) if edge.name not in lock.packages]
        return LockRead(path=rel, lock=lock, roots=(*roots, *unlocked), what=f"{declared.path} [packages]")

    def python(self, files: ManifestFiles, directory: str) -> tuple[PythonDeclared, ...]:
        rel = join(directory, "Pipfile.lock")
        version = locked_python(files, rel, parse_pipfile_lock)
        if not version:
            return ()
        text = f"=={version}" if version.count(".") >= 2 else f"=={version}.*"
        return (PythonDeclared(text, f"python_version in {rel}", rel, python_alternatives(text, False)),)
