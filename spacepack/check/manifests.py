"""Readers for dependency manifests and lock files: pure functions over their text.

requirements.txt (with `-r`/`-c` includes), PEP 621 and Poetry metadata in
pyproject.toml, uv.lock, poetry.lock and Pipfile. Each reader returns what it
found plus findings for what it had to skip; none of them raises on bad
input except `SpacepackError` subclasses, and none touches the disk (includes
are read through a callback).
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from spacepack.plan import Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

FINDING_CODES: dict[str, str] = {
    "SP207": "a requirement points at a local path or an editable install; it is not installed from an index",
    "SP208": "a manifest or lock file cannot be read (bad TOML, invalid requirement line)",
    "SP209": "a requirements include (-r/-c) names a file that does not exist",
    "SP210": "an unknown pip option in a requirements file is ignored",
}

ReadText = Callable[[str], "str | None"]

# pip options that apply to the whole install; kept as lines so render writes them into its requirements file.
_GLOBAL_OPTIONS = (
    "--index-url",
    "-i",
    "--extra-index-url",
    "--find-links",
    "-f",
    "--trusted-host",
    "--pre",
    "--prefer-binary",
    "--only-binary",
    "--no-binary",
)
_HASH_OPTION = re.compile(r"\s+--hash[=\s]\S+")
_PER_REQUIREMENT_OPTION = re.compile(r"\s+--(?:config-settings|global-option|install-option)[=\s]\S+")
_COMMENT = re.compile(r"(^|\s)#.*$")
_URL_SCHEME = re.compile(r"^(?:git|hg|svn|bzr)\+|^(?:https?|ftp)://", re.IGNORECASE)
_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class DeclaredRequirement:
    """One requirement as a manifest declares it."""

    line: str  # what pip takes, normalised ("fastapi[standard]>=0.110")
    name: str | None  # canonical name; None for a bare URL nobody named
    extras: frozenset[str] = frozenset()
    path: str = ""  # the manifest it comes from
    lineno: int | None = None
    vcs: bool = False  # installed from a version-control URL (needs git in the image)


@dataclass(frozen=True)
class RequirementsFile:
    """What a requirements file (and everything it includes) declares."""

    requirements: tuple[DeclaredRequirement, ...] = ()
    options: tuple[str, ...] = ()  # global pip options, in order ("--extra-index-url https://...")
    files: tuple[str, ...] = ()  # the file and its includes, in reading order
    findings: tuple[Finding, ...] = ()
    dropped_hashes: bool = False


def _requirement(text: str, path: str, lineno: int | None) -> DeclaredRequirement:
    """Parse a PEP 508 string; raises InvalidRequirement."""
    req = Requirement(text)
    vcs = bool(req.url and _URL_SCHEME.match(req.url) and "+" in req.url.split("://", 1)[0])
    return DeclaredRequirement(
        line=str(req),
        name=canonicalize_name(req.name),
        extras=frozenset(canonicalize_name(e) for e in req.extras),
        path=path,
        lineno=lineno,
        vcs=vcs,
    )


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Lines with comments removed and backslash continuations joined, numbered from 1."""
    pending = ""
    start = 0
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = _COMMENT.sub("", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            yield start, joined
    if pending.strip():
        yield start, pending.strip()


def _split_option(line: str) -> tuple[str, str]:
    """("-r", "base.txt") from "-r base.txt", "-rbase.txt" or "--requirement=base.txt"."""
    if line.startswith("--"):
        name, sep, value = line.partition("=")
        if not sep:
            name, _, value = line.partition(" ")
        return name.strip(), value.strip()
    return line[:2], line[2:].strip()


def _looks_local(target: str) -> bool:
    if target.startswith(("file:", ".", "/", "~")) or re.match(r"^[A-Za-z]:[\\/]", target):
        return True
    return "/" in target.split("@", 1)[0] and "://" not in target and " @ " not in target


def _bare_url(target: str, path: str, lineno: int) -> DeclaredRequirement:
    egg = _EGG.search(target)
    name: str | None = canonicalize_name(egg.group(1)) if egg else None
    if name is None:
        filename = target.split("#", 1)[0].split("?", 1)[0].rsplit("/", 1)[-1]
        if filename.endswith((".whl", ".tar.gz", ".zip")):
            name = canonicalize_name(re.split(r"-\d", filename, maxsplit=1)[0])
    vcs = "+" in target.split("://", 1)[0]
    if egg and name:
        line = f"{egg.group(1)} @ {target.split('#', 1)[0]}"
    else:
        line = target
    return DeclaredRequirement(line=line, name=name, path=path, lineno=lineno, vcs=vcs)


def parse_requirements(path: str, read: ReadText) -> RequirementsFile:
    """Read a requirements file and its `-r`/`-c` includes.

    Constraints (`-c`) narrow the specifiers of requirements with the same
    name; they never add a requirement of their own.

    Args:
        path: posix path of the file, relative to the project root.
        read: returns a file's text by relative path, or None when missing.

    Returns:
        The requirements in first-seen order (one per name), global pip options and findings.
    """
    requirements: dict[str, DeclaredRequirement] = {}
    unnamed: list[DeclaredRequirement] = []
    constraints: dict[str, SpecifierSet] = {}
    options: list[str] = []
    files: list[str] = []
    findings: list[Finding] = []
    dropped_hashes = False

    def visit(current: str, as_constraints: bool, via: str | None, via_line: int | None) -> None:
        nonlocal dropped_hashes
        if current in files:
            return
        text = read(current)
        if text is None:
            findings.append(
                Finding(
                    code="SP209",
                    severity="error",
                    message=f"{via} includes {current}, which does not exist" if via else f"{current} is missing",
                    hint="fix the path of the -r/-c line (it is relative to the including file)",
                    path=via or current,
                    line=via_line,
                )
            )
            return
        files.append(current)
        folder = posixpath.dirname(current)
        for lineno, line in _logical_lines(text):
            if _HASH_OPTION.search(" " + line):
                dropped_hashes = True
                line = _HASH_OPTION.sub("", " " + line).strip()
                if not line:
                    continue
            line = _PER_REQUIREMENT_OPTION.sub("", line)
            if line.startswith("-"):
                name, value = _split_option(line)
                if name in {"-r", "--requirement", "-c", "--constraint"}:
                    include = posixpath.normpath(posixpath.join(folder, value))
                    visit(include, as_constraints or name in {"-c", "--constraint"}, current, lineno)
                    continue
                if name in {"-e", "--editable"}:
                    if _looks_local(value) or not _URL_SCHEME.match(value):
                        findings.append(
                            Finding(
                                code="SP207",
                                severity="warning",
                                message=f"{current}:{lineno} installs a local path in editable mode "
                                f"({value}); it is skipped",
                                hint="declare the project's own dependencies (pyproject "
                                "[project].dependencies or requirements.txt) instead of `-e .`",
                                path=current,
                                line=lineno,
                            )
                        )
                        continue
                    line = value  # a VCS URL installs fine without -e
                elif name in _GLOBAL_OPTIONS:
                    if not as_constraints and line not in options:
                        options.append(line)
                    continue
                else:
                    findings.append(
                        Finding(
                            code="SP210",
                            severity="warning",
                            message=f"{current}:{lineno} uses the pip option {name}, which spacepack ignores",
                            hint="remove it, or put the requirement it needs in pyproject.toml",
                            path=current,
                            line=lineno,
                        )
                    )
                    continue
            if _looks_local(line):
                findings.append(
                    Finding(
                        code="SP207",
                        severity="warning",
                        message=f"{current}:{lineno} installs a local path ({line}); it is skipped",
                        hint="declare that package's dependencies directly, or publish it to an index",
                        path=current,
                        line=lineno,
                    )
                )
                continue
            if _URL_SCHEME.match(line):
                if not as_constraints:
                    unnamed.append(_bare_url(line, current, lineno))
                continue
            try:
                declared = _requirement(line, current, lineno)
            except InvalidRequirement as error:
                findings.append(
                    Finding(
                        code="SP208",
                        severity="error",
                        message=f"{current}:{lineno} is not a valid requirement: {_first_line(error)}",
                        hint="fix the line (PEP 508: `name[extras] >= version ; marker`)",
                        path=current,
                        line=lineno,
                    )
                )
                continue
            assert declared.name is not None
            if as_constraints:
                spec = Requirement(line).specifier
                constraints[declared.name] = constraints.get(declared.name, SpecifierSet()) & spec
            elif declared.name not in requirements:
                requirements[declared.name] = declared

    visit(posixpath.normpath(path), False, None, None)
    merged = [_constrain(req, constraints.get(req.name or "")) for req in requirements.values()]
    return RequirementsFile(
        requirements=tuple(merged + unnamed),
        options=tuple(options),
        files=tuple(files),
        findings=tuple(findings),
        dropped_hashes=dropped_hashes,
    )


def _constrain(req: DeclaredRequirement, constraint: SpecifierSet | None) -> DeclaredRequirement:
    if not constraint:
        return req
    parsed = Requirement(req.line)
    if parsed.url:
        return req
    parsed.specifier = parsed.specifier & constraint
    return DeclaredRequirement(
        line=str(parsed), name=req.name, extras=req.extras, path=req.path, lineno=req.lineno, vcs=req.vcs
    )


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


# --------------------------------------------------------------------------- TOML


def load_toml(text: str, path: str) -> tuple[dict[str, Any] | None, Finding | None]:
    """Parse TOML text; a syntax error becomes an SP208 error finding instead of an exception."""
    try:
        return tomllib.loads(text.lstrip("\ufeff")), None
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as error:
        return None, Finding(
            code="SP208",
            severity="error",
            message=f"{path} is not valid TOML: {_first_line(error)}",
            hint="fix the TOML syntax at the place the message names",
            path=path,
        )


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- Poetry constraints

_OPERATOR_SPACE = re.compile(r"(>=|<=|==|!=|~=|>|<|\^|~)\s+")
_NUMERIC = re.compile(r"^\d+(?:\.\d+)*$")


def _bump(parts: list[int], index: int) -> str:
    bumped = parts[:index] + [parts[index] + 1]
    return ".".join(str(p) for p in bumped)


def _poetry_clause(clause: str) -> str:
    if clause in {"*", ""}:
        return ""
    if clause.startswith("^"):
        version = clause[1:]
        if not _NUMERIC.match(version):
            raise ValueError(clause)
        parts = [int(p) for p in version.split(".")]
        index = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
        return f">={version},<{_bump(parts, index)}"
    if clause.startswith("~") and not clause.startswith("~="):
        version = clause[1:]
        if not _NUMERIC.match(version):
            raise ValueError(clause)
        parts = [int(p) for p in version.split(".")]
        index = 0 if len(parts) == 1 else 1
        return f">={version},<{_bump(parts, index)}"
    if clause[0].isdigit():
        return f"=={clause}"
    return clause


def poetry_constraint(constraint: str) -> list[SpecifierSet]:
    """Poetry version constraint (`^3.11`, `~1.2`, `>=1 <2`, `a || b`) as PEP 440 alternatives.

    Raises:
        ValueError: when the constraint cannot be understood.
    """
    alternatives: list[SpecifierSet] = []
    for alternative in constraint.split("||"):
        text = _OPERATOR_SPACE.sub(r"\1", alternative.strip())
        clauses = [c for c in re.split(r"[,\s]+", text) if c]
        pep440 = [converted for c in clauses if (converted := _poetry_clause(c))]
        try:
            alternatives.append(SpecifierSet(",".join(pep440)))
        except InvalidSpecifier as error:
            raise ValueError(constraint) from error
    return alternatives


def _poetry_requirement(name: str, spec: object, path: str) -> list[DeclaredRequirement]:
    """[tool.poetry.dependencies] entry -> requirements (several for a list of constraints)."""
    entries = spec if isinstance(spec, list) else [spec]
    result: list[DeclaredRequirement] = []
    for entry in entries:
        table = entry if isinstance(entry, Mapping) else {"version": entry}
        if table.get("optional") is True:
            continue
        if any(key in table for key in ("path", "develop")):
            raise _LocalDependency(name)
        extras = [e for e in _list(table.get("extras")) if isinstance(e, str)]
        head = name + (f"[{','.join(extras)}]" if extras else "")
        if "git" in table:
            ref = _str(table.get("rev")) or _str(table.get("tag")) or _str(table.get("branch"))
            url = str(table["git"])
            text = f"{head} @ git+{url}" + (f"@{ref}" if ref else "")
        elif "url" in table:
            text = f"{head} @ {table['url']}"
        else:
            version = _str(table.get("version")) or "*"
            alternatives = poetry_constraint(version)
            text = head + (str(alternatives[0]) if len(alternatives) == 1 else "")
        marker = _str(table.get("markers"))
        if marker:
            text += f"; {marker}"
        result.append(_requirement(text, path, None))
    return result


class _LocalDependency(Exception):
    """A Poetry dependency on a local path."""


# --------------------------------------------------------------------------- pyproject.toml


@dataclass(frozen=True)
class Pyproject:
    """What a pyproject.toml says about the runtime install and the Python version."""

    path: str
    name: str | None = None  # canonical
    dependencies: tuple[DeclaredRequirement, ...] = ()  # PEP 621 [project].dependencies
    declares_dependencies: bool = False  # [project].dependencies is present (even empty)
    requires_python: str | None = None
    poetry_dependencies: tuple[DeclaredRequirement, ...] = ()  # main group, without python
    is_poetry: bool = False
    poetry_python: str | None = None
    uv_workspace_members: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()


def parse_pyproject(text: str, path: str) -> Pyproject:
    """Read the dependency and Python metadata of a pyproject.toml (PEP 621, Poetry, uv workspace)."""
    data, error = load_toml(text, path)
    if data is None:
        return Pyproject(path=path, findings=(error,) if error else ())
    findings: list[Finding] = []
    project = _table(data.get("project"))
    name = _str(project.get("name"))
    dependencies: list[DeclaredRequirement] = []
    for number, item in enumerate(_list(project.get("dependencies"))):
        if not isinstance(item, str):
            continue
        try:
            dependencies.append(_requirement(item, path, None))
        except InvalidRequirement as err:
            findings.append(
                Finding(
                    code="SP208",
                    severity="error",
                    message=f"{path}: [project].dependencies[{number}] is not a valid requirement: {_first_line(err)}",
                    hint="fix the requirement string (PEP 508)",
                    path=path,
                )
            )
    tool = _table(data.get("tool"))
    poetry = _table(tool.get("poetry"))
    poetry_deps: list[DeclaredRequirement] = []
    poetry_python: str | None = None
    for dep_name, spec in _table(poetry.get("dependencies")).items():
        if canonicalize_name(dep_name) == "python":
            poetry_python = _str(spec) or _str(_table(spec).get("version"))
            continue
        try:
            poetry_deps.extend(_poetry_requirement(dep_name, spec, path))
        except _LocalDependency:
            findings.append(
                Finding(
                    code="SP207",
                    severity="warning",
                    message=f"{path}: Poetry dependency {dep_name} is a local path; it is skipped",
                    hint="publish it, or declare its dependencies in this project",
                    path=path,
                )
            )
        except (ValueError, InvalidRequirement, InvalidSpecifier, InvalidMarker):
            findings.append(
                Finding(
                    code="SP208",
                    severity="error",
                    message=f"{path}: cannot read the Poetry constraint of {dep_name}",
                    hint="use a constraint Poetry documents (^1.2, ~1.2, >=1.2,<2.0, 1.2.*)",
                    path=path,
                )
            )
    workspace = _table(_table(tool.get("uv")).get("workspace"))
    members = tuple(m for m in _list(workspace.get("members")) if isinstance(m, str))
    return Pyproject(
        path=path,
        name=canonicalize_name(name) if name else None,
        dependencies=tuple(dependencies),
        declares_dependencies="dependencies" in project,
        requires_python=_str(project.get("requires-python")),
        poetry_dependencies=tuple(poetry_deps),
        is_poetry=bool(poetry),
        poetry_python=poetry_python,
        uv_workspace_members=members,
        findings=tuple(findings),
    )


# --------------------------------------------------------------------------- Pipfile


def parse_pipfile(text: str, path: str) -> tuple[tuple[DeclaredRequirement, ...], str | None, tuple[Finding, ...]]:
    """[packages] of a Pipfile as requirements, plus its [requires] python_version."""
    data, error = load_toml(text, path)
    if data is None:
        return (), None, (error,) if error else ()
    result: list[DeclaredRequirement] = []
    findings: list[Finding] = []
    for name, spec in _table(data.get("packages")).items():
        table = spec if isinstance(spec, Mapping) else {"version": spec}
        extras = [e for e in _list(table.get("extras")) if isinstance(e, str)]
        version = _str(table.get("version")) or "*"
        text_req = name + (f"[{','.join(extras)}]" if extras else "") + ("" if version == "*" else version)
        marker = _str(table.get("markers"))
        if marker:
            text_req += f"; {marker}"
        try:
            result.append(_requirement(text_req, path, None))
        except InvalidRequirement:
            findings.append(
                Finding(
                    code="SP208",
                    severity="error",
                    message=f"{path}: cannot read the requirement for {name}",
                    hint="fix the [packages] entry",
                    path=path,
                )
            )
    python = _str(_table(data.get("requires")).get("python_version"))
    return tuple(result), python, tuple(findings)


# --------------------------------------------------------------------------- lock files


@dataclass(frozen=True)
class LockEdge:
    """A dependency from one locked package (or the project) to another."""

    name: str  # canonical
    extras: tuple[str, ...] = ()
    marker: str | None = None
    version: str | None = None  # disambiguates when the lock holds several versions


@dataclass(frozen=True)
class LockedPackage:
    """One package of a lock file."""

    name: str  # canonical
    version: str | None
    dependencies: tuple[LockEdge, ...] = ()
    extras: Mapping[str, tuple[LockEdge, ...]] = field(default_factory=dict)
    source: Mapping[str, Any] = field(default_factory=dict)
    display_name: str = ""

    @property
    def local(self) -> bool:
        """Installed from a folder or file (a workspace member, a path dependency)."""
        return any(k in self.source for k in ("editable", "virtual", "path", "directory")) or self.source.get(
            "type"
        ) in {"directory", "file"}


@dataclass(frozen=True)
class Lock:
    """A parsed lock file: packages by canonical name (several versions possible)."""

    path: str
    kind: str  # "uv.lock" | "poetry.lock"
    packages: Mapping[str, tuple[LockedPackage, ...]]
    requires_python: str | None = None


@dataclass(frozen=True)
class Pinned:
    """A package of the runtime closure, pinned."""

    name: str  # canonical
    version: str | None
    marker: str | None
    package: LockedPackage

    def requirement_line(self) -> str | None:
        """The pip line for this package; None for a local package that cannot be pinned."""
        source = self.package.source
        head = self.package.display_name or self.name
        if self.package.local:
            return None
        if source.get("type") == "git":
            ref = _str(source.get("resolved_reference")) or _str(source.get("reference"))
            line = f"{head} @ git+{source.get('url')}" + (f"@{ref}" if ref else "")
        elif _str(source.get("git")):
            base, _, commit = str(source["git"]).partition("#")
            line = f"{head} @ git+{base.split('?', 1)[0]}" + (f"@{commit}" if commit else "")
        elif source.get("type") == "url" or ("url" in source and "type" not in source):
            line = f"{head} @ {source.get('url')}"
        else:
            line = f"{head}=={self.version}" if self.version else head
        return line + (f"; {self.marker}" if self.marker else "")


def _edge(raw: object) -> LockEdge | None:
    table = _table(raw)
    name = _str(table.get("name"))
    if not name:
        return None
    extras = tuple(canonicalize_name(e) for e in _list(table.get("extra")) if isinstance(e, str))
    return LockEdge(
        name=canonicalize_name(name),
        extras=extras,
        marker=_str(table.get("marker")),
        version=_str(table.get("version")),
    )


def parse_uv_lock(text: str, path: str) -> tuple[Lock | None, Finding | None]:
    """Read a uv.lock (TOML): packages with their dependency edges and optional-dependency extras."""
    data, error = load_toml(text, path)
    if data is None:
        return None, error
    packages: dict[str, list[LockedPackage]] = {}
    for raw in _list(data.get("package")):
        table = _table(raw)
        name = _str(table.get("name"))
        if not name:
            continue
        edges = tuple(e for e in map(_edge, _list(table.get("dependencies"))) if e)
        extras: dict[str, tuple[LockEdge, ...]] = {
            canonicalize_name(extra): tuple(e for e in map(_edge, _list(items)) if e)
            for extra, items in _table(table.get("optional-dependencies")).items()
        }
        package = LockedPackage(
            name=canonicalize_name(name),
            version=_str(table.get("version")),
            dependencies=edges,
            extras=extras,
            source=_table(table.get("source")),
            display_name=name,
        )
        packages.setdefault(package.name, []).append(package)
    lock = Lock(
        path=path,
        kind="uv.lock",
        packages={k: tuple(v) for k, v in packages.items()},
        requires_python=_str(data.get("requires-python")),
    )
    return lock, None


_POETRY_EXTRA_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def parse_poetry_lock(text: str, path: str) -> tuple[Lock | None, Finding | None]:
    """Read a poetry.lock: packages, their non-optional dependencies and their extras."""
    data, error = load_toml(text, path)
    if data is None:
        return None, error
    packages: dict[str, list[LockedPackage]] = {}
    for raw in _list(data.get("package")):
        table = _table(raw)
        name = _str(table.get("name"))
        if not name:
            continue
        required: list[LockEdge] = []
        optional: dict[str, LockEdge] = {}
        for dep_name, spec in _table(table.get("dependencies")).items():
            for entry in spec if isinstance(spec, list) else [spec]:
                entry_table = _table(entry)
                dep_extras = tuple(canonicalize_name(e) for e in _list(entry_table.get("extras")) if isinstance(e, str))
                edge = LockEdge(
                    name=canonicalize_name(dep_name),
                    extras=dep_extras,
                    marker=_str(entry_table.get("markers")),
                )
                if entry_table.get("optional") is True:
                    optional[edge.name] = edge
                else:
                    required.append(edge)
        extras: dict[str, tuple[LockEdge, ...]] = {}
        for extra, items in _table(table.get("extras")).items():
            members: list[LockEdge] = []
            for item in _list(items):
                match = _POETRY_EXTRA_NAME.match(item) if isinstance(item, str) else None
                if match:
                    dep = canonicalize_name(match.group(1))
                    members.append(optional.get(dep, LockEdge(name=dep)))
            extras[canonicalize_name(extra)] = tuple(members)
        package = LockedPackage(
            name=canonicalize_name(name),
            version=_str(table.get("version")),
            dependencies=tuple(required),
            extras=extras,
            source=_table(table.get("source")),
            display_name=name,
        )
        packages.setdefault(package.name, []).append(package)
    metadata = _table(data.get("metadata"))
    lock = Lock(
        path=path,
        kind="poetry.lock",
        packages={k: tuple(v) for k, v in packages.items()},
        requires_python=_str(metadata.get("python-versions")),
    )
    return lock, None


# Markers joined along many paths grow fast; past this many alternatives a package is simply installed.
_MAX_MARKER_ALTERNATIVES = 4


def _and(parent: str | None, edge: str | None) -> str | None:
    if parent is None:
        return edge
    if edge is None:
        return parent
    return f"({parent}) and ({edge})"


def _normalise_marker(marker: str | None) -> str | None:
    if marker is None:
        return None
    try:
        return str(Marker(marker))
    except InvalidMarker:
        return marker


def resolve_closure(lock: Lock, roots: Iterable[LockEdge]) -> tuple[list[Pinned], list[str]]:
    """Every package the roots need, transitively, with the markers under which they are needed.

    Args:
        lock: the parsed lock file.
        roots: the project's runtime dependency edges (dev groups already left out).

    Returns:
        (pinned packages sorted by name then version, names of roots missing from the lock).
    """
    # (name, version) -> set of alternative markers; None in the set means "always".
    needed: dict[tuple[str, str | None], set[str | None]] = {}
    expanded: dict[tuple[str, str | None], set[str]] = {}
    chosen: dict[tuple[str, str | None], LockedPackage] = {}
    missing: list[str] = []
    stack: list[tuple[LockEdge, str | None, bool]] = [(edge, None, True) for edge in roots]
    steps = 0
    while stack and steps < 200_000:  # a bound, so a pathological lock cannot spin
        steps += 1
        edge, parent_marker, is_root = stack.pop()
        candidates = lock.packages.get(edge.name, ())
        if edge.version is not None:
            candidates = tuple(p for p in candidates if p.version == edge.version) or candidates
        if not candidates:
            if is_root:
                missing.append(edge.name)
            continue
        package = candidates[0]
        key = (package.name, package.version)
        chosen[key] = package
        markers = needed.setdefault(key, set())
        extras_done = expanded.setdefault(key, set())
        marker = _and(parent_marker, _normalise_marker(edge.marker))
        grew = False
        if None not in markers and marker not in markers:
            if marker is None or len(markers) >= _MAX_MARKER_ALTERNATIVES:
                markers.clear()
                markers.add(None)
            else:
                markers.add(marker)
            grew = True
        effective = None if None in markers else marker
        to_walk: list[LockEdge] = []
        if grew:
            to_walk.extend(package.dependencies)
            for extra in extras_done:
                to_walk.extend(package.extras.get(extra, ()))
        for extra in edge.extras:
            if extra not in extras_done:
                extras_done.add(extra)
                to_walk.extend(package.extras.get(extra, ()))
        stack.extend((child, effective, False) for child in to_walk)
    pinned: list[Pinned] = []
    for key in sorted(needed, key=lambda k: (k[0], k[1] or "")):
        markers = needed[key]
        if None in markers or not markers:
            combined = None
        elif len(markers) == 1:
            combined = next(iter(markers))
        else:
            combined = " or ".join(f"({m})" for m in sorted(m for m in markers if m))
        pinned.append(Pinned(name=key[0], version=key[1], marker=combined, package=chosen[key]))
    return pinned, sorted(set(missing))
