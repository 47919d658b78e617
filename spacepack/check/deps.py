"""What the image installs: manifests and locks read, imports checked against them.

`read_dependencies` finds the manifests of the backend (requirements.txt,
pyproject.toml, uv.lock - also one level up, for uv workspaces -, poetry.lock,
Pipfile), prefers a lock when there is one, and checks every import of the
backend's modules against what will be installed. Nothing is imported or run.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from spacepack.check.import_names import (
    BUNDLED_IMPORTS,
    ImportSite,
    distribution_to_install,
    distributions_for,
    expand_known,
    is_test_only,
    iter_imports,
    stdlib_names,
)
from spacepack.check.manifests import FINDING_CODES as _MANIFEST_CODES
from spacepack.check.manifests import (
    DeclaredRequirement,
    Lock,
    LockEdge,
    Pinned,
    Pyproject,
    RequirementsFile,
    parse_pipfile,
    parse_poetry_lock,
    parse_pyproject,
    parse_requirements,
    parse_uv_lock,
    resolve_closure,
)
from spacepack.check.tree import ProjectTree
from spacepack.plan import Dependencies, DependencySource, Finding

FINDING_CODES: dict[str, str] = {
    "SP201": "requirements.txt and pyproject.toml each declare part of the dependencies; both are installed",
    "SP202": "no dependency manifest: packages were inferred from imports (unpinned)",
    "SP203": "a module imports a package that no dependency provides",
    "SP204": "uvicorn is not declared; spacepack adds it to the install",
    "SP205": "a test or lint tool is declared as a runtime dependency",
    "SP206": "a dependency needs system packages to build or run; they are added to the image",
    **_MANIFEST_CODES,
    "SP211": "a lock file does not contain the project; the manifests are used instead",
    "SP212": "a lock file misses a declared dependency (out of date); the declaration is installed too",
}

_REQUIREMENTS_FILES = (
    "requirements.txt",
    "requirements/prod.txt",
    "requirements/production.txt",
    "requirements/base.txt",
    "requirements/main.txt",
    "requirements/requirements.txt",
)
_SKIPPED_DIRS = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks"})
_SKIPPED_FILES = frozenset({"conftest.py", "setup.py", "noxfile.py"})
_MAX_OUTSIDE_LOCK_BYTES = 8 * 1024 * 1024

# distribution -> (system packages, why); only for what a slim Debian image lacks.
NATIVE_NEEDS: dict[str, tuple[tuple[str, ...], str]] = {
    "psycopg2": (
        ("build-essential", "libpq-dev"),
        "psycopg2 builds from source: it needs a C compiler and the libpq headers",
    ),
    "mysqlclient": (
        ("build-essential", "default-libmysqlclient-dev", "pkg-config"),
        "mysqlclient builds from source: it needs a C compiler, the MySQL client headers and pkg-config",
    ),
    "python-ldap": (
        ("build-essential", "libldap2-dev", "libsasl2-dev"),
        "python-ldap builds against the OpenLDAP headers",
    ),
    "pycairo": (("build-essential", "libcairo2-dev", "pkg-config"), "pycairo builds against the cairo headers"),
    "pygraphviz": (("build-essential", "graphviz-dev"), "pygraphviz builds against the graphviz headers"),
    "mariadb": (("build-essential", "libmariadb-dev"), "the mariadb connector builds against MariaDB Connector/C"),
    "dlib": (("build-essential", "cmake"), "dlib compiles C++ with CMake at install time"),
    "uwsgi": (("build-essential",), "uWSGI compiles C at install time"),
    "opencv-python": (("libgl1", "libglib2.0-0"), "opencv-python loads libGL and GLib at import"),
    "opencv-contrib-python": (
        ("libgl1", "libglib2.0-0"),
        "opencv-contrib-python loads libGL and GLib at import",
    ),
}
_NATIVE_HINTS: dict[str, str] = {
    "psycopg2": "or depend on psycopg2-binary (a wheel, no build tools needed)",
    "opencv-python": "or depend on opencv-python-headless (no GUI libraries needed)",
    "opencv-contrib-python": "or depend on opencv-contrib-python-headless (no GUI libraries needed)",
}


@dataclass(frozen=True)
class DependencyReport:
    """What `check` decided about the install, and what it noticed on the way."""

    dependencies: Dependencies
    system_packages: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass
class _Install:
    """Mutable accumulator while deciding the install."""

    lines: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    direct: dict[str, DeclaredRequirement] = field(default_factory=dict)  # canonical name -> declaration
    available: set[str] = field(default_factory=set)  # every distribution that will be installed
    sources: list[DependencySource] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    local: set[str] = field(default_factory=set)  # workspace members: provided, never installed from an index
    vcs: bool = False
    locked: bool = False
    manifest: str = ""  # where to tell the user to add a dependency

    def add(self, req: DeclaredRequirement) -> None:
        if req.name is not None and req.name in self.direct:
            return
        if req.name is not None:
            self.direct[req.name] = req
        self.lines.append(req.line)
        self.vcs = self.vcs or req.vcs


def _join(directory: str, name: str) -> str:
    return name if directory in {"", "."} else posixpath.normpath(f"{directory}/{name}")


def _ancestors(directory: str) -> list[str]:
    result: list[str] = []
    current = posixpath.normpath(directory) if directory not in {"", "."} else "."
    while current not in {".", ""}:
        result.append(current)
        current = posixpath.dirname(current) or "."
    result.append(".")
    return result


def _unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _read_outside(tree: ProjectTree, rel: str) -> str | None:
    """Read a file one level above the root (a uv workspace lock); the tree only reads below it."""
    path = (tree.root / rel).resolve()
    try:
        if not path.is_file() or path.stat().st_size > _MAX_OUTSIDE_LOCK_BYTES:
            return None
        return path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def _read(tree: ProjectTree, rel: str) -> str | None:
    if rel.startswith("../"):
        return _read_outside(tree, rel)
    return tree.read_text(rel)


def _manifest_dir(tree: ProjectTree, backend_dir: str, working_dir: str) -> str | None:
    """The first folder (backend, working dir, then upwards) that declares dependencies."""
    for directory in _unique([_norm(backend_dir), _norm(working_dir), *_ancestors(_norm(backend_dir))]):
        if any(tree.read_text(_join(directory, name)) is not None for name in (*_REQUIREMENTS_FILES, "Pipfile")):
            return directory
        text = tree.read_text(_join(directory, "pyproject.toml"))
        if text is not None:
            project = parse_pyproject(text, _join(directory, "pyproject.toml"))
            if project.declares_dependencies or project.poetry_dependencies or project.findings:
                return directory
    return None


def _norm(directory: str) -> str:
    cleaned = directory.strip().strip("/")
    return posixpath.normpath(cleaned) if cleaned not in {"", "."} else "."


def _edges(requirements: Iterable[DeclaredRequirement]) -> list[LockEdge]:
    edges: list[LockEdge] = []
    for req in requirements:
        if req.name is None:
            continue
        marker: str | None = None
        try:
            parsed = Requirement(req.line)
            marker = str(parsed.marker) if parsed.marker else None
        except InvalidRequirement:
            pass
        edges.append(LockEdge(name=req.name, extras=tuple(sorted(req.extras)), marker=marker))
    return edges


def _find_uv_lock(tree: ProjectTree, directory: str) -> tuple[str, Lock] | None:
    """uv.lock beside the pyproject, else one level up (the root of a uv workspace)."""
    here = _join(directory, "uv.lock")
    parent = _join(posixpath.dirname(directory) if directory != "." else "..", "uv.lock")
    for rel in (here, parent):
        text = _read(tree, rel)
        if text is None:
            continue
        lock, error = parse_uv_lock(text, rel)
        if lock is None:
            return (rel, Lock(path=rel, kind="error", packages={})) if error else None
        return rel, lock
    return None


def _uv_project(lock: Lock, manifest_dir: str, root_name: str, name: str | None) -> LockEdge | None:
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


def _use_lock(
    install: _Install,
    lock: Lock,
    roots: Sequence[LockEdge],
    declared: Sequence[DeclaredRequirement],
    what: str,
) -> None:
    pinned, missing = resolve_closure(lock, roots)
    local: list[Pinned] = []
    lines: list[str] = []
    for item in pinned:
        line = item.requirement_line()
        if line is None:
            local.append(item)
            install.available.add(item.name)  # provided by the workspace, not by an index
            install.local.add(item.name)
            continue
        lines.append(line)
        install.available.add(item.name)
        install.vcs = install.vcs or "git+" in line
    install.lines.extend(lines)
    install.locked = True
    for req in declared:
        if req.name is not None:
            install.direct.setdefault(req.name, req)
    relock = "uv lock" if lock.kind == "uv.lock" else "poetry lock"
    for name in missing:
        missing_req = next((r for r in declared if r.name == name), None)
        if missing_req is None:
            continue
        install.lines.append(missing_req.line)
        install.available.add(name)
        install.findings.append(
            Finding(
                code="SP212",
                severity="warning",
                message=f"{lock.path} does not have {name}, which "
                f"{missing_req.path or 'the project'} declares; the lock looks out of date",
                hint=f"run `{relock}` and commit the lock file",
                path=lock.path,
            )
        )
    for item in local:
        install.findings.append(
            Finding(
                code="SP207",
                severity="warning",
                message=f"{item.package.display_name or item.name} is a local package in {lock.path} "
                "(a workspace member or path dependency); its dependencies are installed, the package is not",
                hint="keep its code inside the backend folder, or publish it to an index",
                path=lock.path,
            )
        )
    install.sources.append(
        DependencySource(
            path=lock.path,
            kind="uv.lock" if lock.kind == "uv.lock" else "poetry.lock",
            install=f"pinned from {posixpath.basename(lock.path)}: runtime closure of {what} "
            f"({len(lines)} packages, dev groups and optional extras excluded)",
        )
    )


def _from_manifests(tree: ProjectTree, directory: str) -> _Install:
    install = _Install()
    pyproject: Pyproject | None = None
    pyproject_path = _join(directory, "pyproject.toml")
    text = tree.read_text(pyproject_path)
    if text is not None:
        pyproject = parse_pyproject(text, pyproject_path)
        install.findings.extend(pyproject.findings)

    requirements: RequirementsFile | None = None
    for name in _REQUIREMENTS_FILES:
        rel = _join(directory, name)
        if tree.read_text(rel) is not None:
            requirements = parse_requirements(rel, tree.read_text)
            install.findings.extend(requirements.findings)
            install.options.extend(requirements.options)
            break

    project_reqs: tuple[DeclaredRequirement, ...] = ()
    if pyproject is not None:
        project_reqs = pyproject.dependencies or pyproject.poetry_dependencies

    # 1. A lock: the pinned runtime closure of the project.
    if pyproject is not None:
        found = _find_uv_lock(tree, directory)
        if found is not None:
            lock_path, lock = found
            if lock.kind == "error":
                install.findings.append(
                    Finding(
                        code="SP208",
                        severity="warning",
                        message=f"{lock_path} cannot be read; the manifests are used instead",
                        hint="run `uv lock` to rewrite it",
                        path=lock_path,
                    )
                )
            else:
                project = _uv_project(lock, directory, tree.root.name, pyproject.name)
                if project is None:
                    install.findings.append(
                        Finding(
                            code="SP211",
                            severity="warning",
                            message=f"{lock_path} has no entry for {pyproject.name or pyproject_path}; "
                            "the manifests are used instead",
                            hint="run `uv lock` in the project (or its workspace root) and commit uv.lock",
                            path=lock_path,
                        )
                    )
                else:
                    package = lock.packages[project.name][0]
                    roots = list(package.dependencies)
                    if not roots and project_reqs:
                        roots = _edges(project_reqs)
                    _use_lock(install, lock, roots, project_reqs, pyproject.name or "the project")
        if not install.locked:
            poetry_path = _join(directory, "poetry.lock")
            poetry_text = tree.read_text(poetry_path)
            if poetry_text is not None:
                lock_or_none, error = parse_poetry_lock(poetry_text, poetry_path)
                if lock_or_none is None:
                    if error:
                        install.findings.append(error)
                else:
                    _use_lock(
                        install,
                        lock_or_none,
                        _edges(project_reqs),
                        project_reqs,
                        pyproject.name or "the project",
                    )

    # 2. Declarations: requirements.txt and pyproject, united (and on top of a lock, what it misses).
    declared_sets: list[tuple[str, str, tuple[DeclaredRequirement, ...]]] = []
    if requirements is not None and (requirements.requirements or not project_reqs):
        declared_sets.append(
            ("requirements", requirements.files[0] if requirements.files else "", requirements.requirements)
        )
    if project_reqs and pyproject is not None:
        declared_sets.append(("pyproject", pyproject.path, project_reqs))

    if install.locked:
        extra = [r for _, _, reqs in declared_sets for r in reqs if r.name is None or r.name not in install.available]
        for req in extra:
            install.lines.append(req.line)
            install.vcs = install.vcs or req.vcs
            if req.name:
                install.available.add(req.name)
        if extra:
            install.findings.append(
                Finding(
                    code="SP201",
                    severity="info",
                    message=f"{extra[0].path} declares packages the lock does not pin "
                    f"({', '.join(r.name or r.line for r in extra)}); they are installed too, unpinned",
                    hint="declare every dependency in pyproject.toml and re-lock",
                    path=extra[0].path,
                )
            )
            install.sources.append(
                DependencySource(path=extra[0].path, kind="requirements", install="added on top of the lock")
            )
    else:
        for kind, path, reqs in declared_sets:
            for req in reqs:
                install.add(req)
            words = "as declared"
            if kind == "requirements" and requirements is not None and len(requirements.files) > 1:
                words += f", with {', '.join(requirements.files[1:])}"
            if len(declared_sets) > 1:
                words += f"; union with {declared_sets[0][1] if kind == 'pyproject' else declared_sets[1][1]}"
            install.sources.append(
                DependencySource(path=path, kind=kind, install=words)  # type: ignore[arg-type]
            )
        if len(declared_sets) > 1:
            install.findings.append(
                Finding(
                    code="SP201",
                    severity="info",
                    message=f"{declared_sets[0][1]} and {declared_sets[1][1]} each declare dependencies; "
                    "spacepack installs the union of both",
                    hint="keep one list of dependencies (pyproject [project].dependencies) to avoid drift",
                    path=declared_sets[1][1],
                )
            )
        if not declared_sets:
            pipfile_path = _join(directory, "Pipfile")
            pipfile_text = tree.read_text(pipfile_path)
            if pipfile_text is not None:
                reqs, _, pipfile_findings = parse_pipfile(pipfile_text, pipfile_path)
                install.findings.extend(pipfile_findings)
                for req in reqs:
                    install.add(req)
                install.sources.append(
                    DependencySource(path=pipfile_path, kind="pipfile", install="[packages], as declared")
                )
        install.available |= expand_known((name, req.extras) for name, req in install.direct.items())
    if requirements is not None and requirements.dropped_hashes:
        install.sources.append(
            DependencySource(
                path=requirements.files[0],
                kind="requirements",
                install="--hash options dropped (pip's hash mode)",
            )
        )
    install.manifest = (
        requirements.files[0]
        if requirements is not None and requirements.files
        else (pyproject.path if pyproject is not None else _join(directory, "requirements.txt"))
    )
    return install


def _is_app_module(path: str, backend_dir: str) -> bool:
    prefix = "" if backend_dir == "." else backend_dir + "/"
    rest = path[len(prefix) :]
    parts = rest.split("/")
    name = parts[-1]
    if name in _SKIPPED_FILES or name.startswith("test_") or name.endswith("_test.py"):
        return False
    return not any(part in _SKIPPED_DIRS for part in parts[:-1])


def _local_names(tree: ProjectTree, directories: Iterable[str], project_name: str | None) -> set[str]:
    """Module names the project itself provides (files and folders holding Python)."""
    names: set[str] = set()
    for directory in directories:
        prefix = "" if directory == "." else directory + "/"
        for path in tree.python_under(directory):
            parts = path[len(prefix) :].split("/")
            names.update(parts[:-1])
            names.add(parts[-1][:-3])
    if project_name:
        names.add(project_name.replace("-", "_"))
    return names


def _provided(module: str, available: set[str]) -> bool:
    parts = module.split(".")
    candidates = set(distributions_for(module))
    candidates.update(canonicalize_name("-".join(parts[:end])) for end in range(1, len(parts) + 1))
    return bool(candidates & available)


def _third_party_imports(
    tree: ProjectTree, backend_dir: str, working_dir: str, project_name: str | None
) -> list[tuple[str, ImportSite]]:
    stdlib = stdlib_names()
    local = _local_names(tree, _unique([backend_dir, working_dir]), project_name)
    sites: list[tuple[str, ImportSite]] = []
    for path in tree.python_under(backend_dir):
        if not _is_app_module(path, backend_dir):
            continue
        module = tree.python[path]
        if module.tree is None:
            continue
        for site in iter_imports(module.tree):
            top = site.module.split(".", 1)[0]
            if top in stdlib or top in local or top in BUNDLED_IMPORTS or not top.isidentifier():
                continue
            sites.append((path, site))
    return sites


def _check_imports(install: _Install, sites: list[tuple[str, ImportSite]]) -> None:
    reported: dict[str, list[tuple[str, ImportSite]]] = {}
    for path, site in sites:
        if site.optional or _provided(site.module, install.available):
            continue
        reported.setdefault(distribution_to_install(site.module), []).append((path, site))
    for dist, places in sorted(reported.items(), key=lambda item: canonicalize_name(item[0])):
        if canonicalize_name(dist) == "uvicorn":
            continue  # handled by the uvicorn rule: render adds it
        path, site = places[0]
        more = f" (and {len(places) - 1} more place{'s' if len(places) > 2 else ''})" if len(places) > 1 else ""
        install.findings.append(
            Finding(
                code="SP203",
                severity="error",
                message=f"{path}:{site.line} imports {site.module}, but no dependency provides it{more}",
                hint=f"add {dist} to {install.manifest or 'requirements.txt'}"
                + (" and re-lock" if install.locked else ""),
                path=path,
                line=site.line,
            )
        )


def _infer_from_imports(install: _Install, sites: list[tuple[str, ImportSite]]) -> None:
    wanted: dict[str, str] = {}
    for _, site in sites:
        if site.optional:
            continue
        dist = distribution_to_install(site.module)
        wanted.setdefault(canonicalize_name(dist), dist)
    for name in sorted(wanted):
        install.add(DeclaredRequirement(line=wanted[name], name=name))
    install.available |= expand_known((name, frozenset()) for name in wanted)
    install.sources.append(DependencySource(path="", kind="imports", install="inferred from imports, unpinned"))
    install.findings.append(
        Finding(
            code="SP202",
            severity="warning",
            message="no requirements.txt or pyproject.toml declares the dependencies; inferred from imports: "
            + (", ".join(wanted[n] for n in sorted(wanted)) or "none"),
            hint="add a requirements.txt (or pyproject [project].dependencies) with pinned versions",
        )
    )


def _system_packages(install: _Install) -> tuple[str, ...]:
    packages: list[str] = []
    for name in sorted(install.available | set(install.direct)):
        need = NATIVE_NEEDS.get(name)
        if need is None:
            continue
        system, why = need
        packages.extend(system)
        hint = "spacepack installs them in the image"
        if name in _NATIVE_HINTS:
            hint += "; " + _NATIVE_HINTS[name]
        install.findings.append(
            Finding(
                code="SP206",
                severity="info",
                message=f"{why}: adding {', '.join(system)}",
                hint=hint,
            )
        )
    if install.vcs:
        packages.append("git")
        install.findings.append(
            Finding(
                code="SP206",
                severity="info",
                message="a dependency installs from a git URL: adding git",
                hint="spacepack installs it in the image; a release on an index builds faster",
            )
        )
    return tuple(_unique(packages))


def read_dependencies(tree: ProjectTree, backend_dir: str, working_dir: str) -> DependencyReport:
    """Decide what the image installs, and check the backend's imports against it.

    Args:
        tree: the project as `load_tree` read it.
        backend_dir: the backend folder, posix, relative to the root ("." allowed).
        working_dir: where uvicorn runs, posix, relative to the root.

    Returns:
        The dependencies (sources, canonical package names, the exact requirement
        lines to pip-install, deterministic order), system packages and findings.
    """
    backend_dir, working_dir = _norm(backend_dir), _norm(working_dir)
    directory = _manifest_dir(tree, backend_dir, working_dir)
    project_name: str | None = None
    if directory is not None:
        install = _from_manifests(tree, directory)
        text = tree.read_text(_join(directory, "pyproject.toml"))
        if text is not None:
            project_name = parse_pyproject(text, "pyproject.toml").name
    else:
        install = _Install()
    sites = _third_party_imports(tree, backend_dir, working_dir, project_name)
    if directory is None:
        _infer_from_imports(install, sites)
    else:
        _check_imports(install, sites)

    if "uvicorn" not in install.available and "uvicorn" not in install.direct:
        install.lines.append("uvicorn")
        install.available.add("uvicorn")
        install.findings.append(
            Finding(
                code="SP204",
                severity="info",
                message="uvicorn is not declared; spacepack adds it to the install to serve the app",
                hint=f"declare uvicorn in {install.manifest or 'requirements.txt'} to pin its version",
                path=install.manifest or None,
            )
        )

    tools = sorted(name for name in install.direct if is_test_only(name))
    if tools:
        first = install.direct[tools[0]]
        install.findings.append(
            Finding(
                code="SP205",
                severity="warning",
                message=f"test and lint tools are declared as runtime dependencies: {', '.join(tools)}",
                hint="move them to a dev group ([dependency-groups] or optional-dependencies) "
                "or requirements-dev.txt; they make the image bigger",
                path=first.path or None,
                line=first.lineno,
            )
        )
    system = _system_packages(install)
    if install.locked:
        packages = sorted(install.available - install.local)
    else:
        packages = sorted(set(install.direct) | ({"uvicorn"} & install.available))
    dependencies = Dependencies(
        sources=tuple(install.sources),
        packages=tuple(packages),
        requirements=tuple(_unique([*install.options, *install.lines])),
    )
    return DependencyReport(dependencies=dependencies, system_packages=system, findings=tuple(install.findings))
