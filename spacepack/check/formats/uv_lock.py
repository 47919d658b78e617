"""uv.lock: the project's locked runtime closure, beside its pyproject.toml or at a uv workspace's root."""

from __future__ import annotations

import posixpath

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
    lock_edge,
    locked_python,
    requirement_edges,
    unreadable_lock,
)
from spacepack.findings import finding
from spacepack.plan import Finding


def parse_uv_lock(text: str, path: str) -> tuple[Lock | None, Finding | None]:
    """Read a uv.lock (TOML): packages with their dependency edges and optional-dependency extras."""
    data, error = load_toml(text, path)
    if data is None:
        return None, error
    packages: list[LockedPackage] = []
    for raw in as_list(data.get("package")):
        table = as_table(raw)
        name = as_str(table.get("name"))
        if not name:
            continue
        edges = tuple(e for e in map(lock_edge, as_list(table.get("dependencies"))) if e)
        extras: dict[str, tuple[LockEdge, ...]] = {
            canonicalize_name(extra): tuple(e for e in map(lock_edge, as_list(items)) if e)
            for extra, items in as_table(table.get("optional-dependencies")).items()
        }
        packages.append(
            LockedPackage(
                name=canonicalize_name(name),
                version=as_str(table.get("version")),
                dependencies=edges,
                extras=extras,
                source=as_table(table.get("source")),
                display_name=name,
            )
        )
    lock = Lock(
        path=path,
        kind="uv.lock",
        packages=grouped(packages),
        requires_python=as_str(data.get("requires-python")),
    )
    return lock, None


def _project_edge(lock: Lock, manifest_dir: str, root_name: str, name: str | None) -> LockEdge | None:
    """The project's own entry in a uv lock: by name, else by its folder relative to the lock."""
    if name and name in lock.packages:
        return LockEdge(name=name)
    lock_dir = posixpath.dirname(lock.path) or "."
    if lock_dir == "..":
        relative = root_name if manifest_dir == "." else f"{root_name}/{manifest_dir}"
    else:
        relative = posixpath.relpath(manifest_dir, lock_dir)
    for packages in lock.packages.values():
        for package in packages:
            where = package.source.get("editable") or package.source.get("virtual")
            if isinstance(where, str) and posixpath.normpath(where) == posixpath.normpath(relative):
                return LockEdge(name=package.name)
    return None


class UvLockReader(Reader):
    """uv.lock beside the pyproject, else one level up (the root of a uv workspace)."""

    kind = "uv.lock"
    names = ("uv.lock",)
    locks = "pyproject"
    relock = "uv lock"

    def lock(self, files: ManifestFiles, directory: str, declared: Declaration) -> LockRead | None:
        parent = join(posixpath.dirname(directory) if directory != "." else "..", "uv.lock")
        for rel in (join(directory, "uv.lock"), parent):
            parsed = files.parsed(rel, parse_uv_lock)
            if parsed is None:
                continue
            lock, _ = parsed
            if lock is None:
                return unreadable_lock(rel, self.relock)
            return self._project_closure(files, directory, declared, lock)
        return None

    def _project_closure(self, files: ManifestFiles, directory: str, declared: Declaration, lock: Lock) -> LockRead:
        project = _project_edge(lock, directory, files.tree.root.name, declared.project_name)
        if project is None:
            missing = finding(
                "SP211",
                f"{lock.path} has no entry for {declared.project_name or declared.path}; "
                "the manifests are used instead",
                hint="run `uv lock` in the project (or its workspace root) and commit uv.lock",
                path=lock.path,
            )
            return LockRead(path=lock.path, lock=None, findings=(missing,))
        roots = list(lock.packages[project.name][0].dependencies)
        if not roots and declared.requirements:
            roots = requirement_edges(declared.requirements)
        return LockRead(path=lock.path, lock=lock, roots=tuple(roots), what=declared.project_name or "the project")

    def python(self, files: ManifestFiles, directory: str) -> tuple[PythonDeclared, ...]:
        rel = join(directory, "uv.lock")
        text = locked_python(files, rel, parse_uv_lock)
        if text in {"", "*"}:
            return ()
        return (PythonDeclared(text, f"requires-python in {rel}", rel, python_alternatives(text, False)),)
