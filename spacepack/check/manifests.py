"""What every manifest format shares: declared requirements, lock packages, the closure walk, and the reader seam.

Each format (requirements.txt, pyproject.toml, Pipfile, uv.lock, poetry.lock,
Pipfile.lock) is one `Reader` in `spacepack.check.formats`, kept in one
ordered list that the dependency, Python-version, layout and hygiene checks
all use. Readers are pure over file text; `ManifestFiles` reads and parses
each file once per check (link-safe and size-bounded, through the tree), so a
pyproject.toml is parsed once however many checks ask about it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from spacepack.check.tree import ProjectTree
from spacepack.findings import finding
from spacepack.plan import Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_URL_SCHEME = re.compile(r"^(?:git|hg|svn|bzr)\+|^(?:https?|ftp)://", re.IGNORECASE)
_MAX_OUTSIDE_BYTES = 8 * 1024 * 1024
_T = TypeVar("_T")


@dataclass(frozen=True)
class DeclaredRequirement:
    """One requirement as a manifest declares it."""

    line: str  # what pip takes, normalised ("fastapi[standard]>=0.110")
    name: str | None  # canonical name; None for a bare URL nobody named
    extras: frozenset[str] = frozenset()
    path: str = ""  # the manifest it comes from
    lineno: int | None = None
    vcs: bool = False  # installed from a version-control URL (needs git in the image)


def requirement(text: str, path: str, lineno: int | None) -> DeclaredRequirement:
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


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (parsers' messages run over several lines)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def load_toml(text: str, path: str) -> tuple[dict[str, Any] | None, Finding | None]:
    """Parse TOML text; a syntax error becomes an SP208 error finding instead of an exception."""
    try:
        return tomllib.loads(text.lstrip("\ufeff")), None
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as error:
        return None, finding(
            "SP208",
            f"{path} is not valid TOML: {first_line(error)}",
            hint="fix the TOML syntax at the place the message names",
            path=path,
        )


def as_table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def join(directory: str, name: str) -> str:
    """`directory/name`, posix, with "." (or "") meaning the project root."""
    return name if directory in {"", "."} else f"{directory}/{name}"


# --------------------------------------------------------------------------- what readers return


@dataclass(frozen=True)
class Declaration:
    """What one manifest declares for the runtime install."""

    kind: str  # the reader's kind: "requirements", "pyproject", "pipfile"
    path: str
    requirements: tuple[DeclaredRequirement, ...] = ()
    declares: bool = True  # the file declares dependencies at all (an empty list counts)
    listed_when_empty: bool = False  # an empty file is still "the" dependency list (requirements.txt)
    fallback: bool = False  # used only when no other declaration lists anything (Pipfile)
    words: str = "as declared"  # how the install uses it, for the plan
    options: tuple[str, ...] = ()  # global pip options
    files: tuple[str, ...] = ()  # the file and its includes, in reading order
    dropped_hashes: bool = False
    findings: tuple[Finding, ...] = ()
    project_name: str | None = None  # canonical, when the manifest names the project


@dataclass(frozen=True)
class LockRead:
    """A lock file found for a declaration: the lock with the project's roots, or why it is not used."""

    path: str
    lock: Lock | None  # None: not usable (the findings say why), the manifests are used instead
    roots: tuple[LockEdge, ...] = ()
    what: str = "the project"  # whose runtime closure it is, for the plan
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class PythonDeclared:
    """A Python constraint a manifest declares, as PEP 440 alternatives (None: unreadable)."""

    text: str
    source: str  # "requires-python in pyproject.toml"
    path: str
    alternatives: tuple[SpecifierSet, ...] | None


class Reader:
    """One manifest format: how to find it, what it declares or locks, and its Python constraint.

    Subclasses set the class attributes and override the methods that apply;
    the defaults say "this format has nothing of that kind".
    """

    kind: ClassVar[str]  # DependencySource.kind for what this reader provides
    names: ClassVar[tuple[str, ...]]  # file names, relative to a folder
    locks: ClassVar[str] = ""  # for a lock: the kind of declaration it pins
    relock: ClassVar[str] = ""  # for a lock: the command that rewrites it

    def declare(self, files: ManifestFiles, directory: str) -> Declaration | None:  # noqa: ARG002
        """The declaration in `directory`, or None when this format is not there."""
        return None

    def lock(self, files: ManifestFiles, directory: str, declared: Declaration) -> LockRead | None:  # noqa: ARG002
        """The lock pinning `declared`, or None when there is no such lock file."""
        return None

    def python(self, files: ManifestFiles, directory: str) -> tuple[PythonDeclared, ...]:  # noqa: ARG002
        """The Python constraints this format declares in `directory`."""
        return ()


class ManifestFiles:
    """The manifests of one check: each file read once through the tree and each parse done once."""

    def __init__(self, tree: ProjectTree) -> None:
        self.tree = tree
        self._parsed: dict[tuple[str, object], object] = {}

    def text(self, rel: str) -> str | None:
        """A manifest's text; `../name` reads one level above the root (a uv workspace's lock)."""
        if rel.startswith("../"):
            return _read_outside(self.tree.root, rel)
        return self.tree.read_text(rel)

    def parsed(self, rel: str, parse: Callable[[str, str], _T]) -> _T | None:
        """`parse(text, rel)` for an existing file, computed once per (file, parser)."""
        key = (rel, parse)
        if key not in self._parsed:
            text = self.text(rel)
            self._parsed[key] = None if text is None else parse(text, rel)
        return cast("_T | None", self._parsed[key])


def _read_outside(root: Path, rel: str) -> str | None:
    path = (root / rel).resolve()
    try:
        if not path.is_file() or path.stat().st_size > _MAX_OUTSIDE_BYTES:
            return None
        return path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def requirement_edges(requirements: Iterable[DeclaredRequirement]) -> list[LockEdge]:
    """Declared requirements as lock roots (name, extras, marker)."""
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
    kind: str  # the reader's kind: "uv.lock", "poetry.lock", "pipfile.lock"
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
            ref = as_str(source.get("resolved_reference")) or as_str(source.get("reference"))
            line = f"{head} @ git+{source.get('url')}" + (f"@{ref}" if ref else "")
        elif as_str(source.get("git")):
            base, _, commit = str(source["git"]).partition("#")
            line = f"{head} @ git+{base.split('?', 1)[0]}" + (f"@{commit}" if commit else "")
        elif source.get("type") == "url" or ("url" in source and "type" not in source):
            line = f"{head} @ {source.get('url')}"
        else:
            line = f"{head}=={self.version}" if self.version else head
        return line + (f"; {self.marker}" if self.marker else "")


def grouped(packages: Iterable[LockedPackage]) -> dict[str, tuple[LockedPackage, ...]]:
    """A lock's packages by canonical name, in file order (a name may be locked at several versions)."""
    by_name: dict[str, list[LockedPackage]] = {}
    for package in packages:
        by_name.setdefault(package.name, []).append(package)
    return {name: tuple(versions) for name, versions in by_name.items()}


def unreadable_lock(rel: str, relock: str) -> LockRead:
    """A lock file that does not parse: SP213, and the manifests are used instead."""
    unreadable = finding(
        "SP213",
        f"{rel} cannot be read; the manifests are used instead",
        hint=f"run `{relock}` to rewrite it",
        path=rel,
    )
    return LockRead(path=rel, lock=None, findings=(unreadable,))


def locked_python(files: ManifestFiles, rel: str, parse: Callable[[str, str], tuple[Lock | None, Any]]) -> str:
    """The Python constraint a lock file records, stripped; "" when it records none or is not there."""
    parsed = files.parsed(rel, parse)
    lock = parsed[0] if parsed else None
    return lock.requires_python.strip() if lock and lock.requires_python else ""


def lock_edge(raw: object) -> LockEdge | None:
    table = as_table(raw)
    name = as_str(table.get("name"))
    if not name:
        return None
    extras = tuple(canonicalize_name(e) for e in as_list(table.get("extra")) if isinstance(e, str))
    return LockEdge(
        name=canonicalize_name(name),
        extras=extras,
        marker=as_str(table.get("marker")),
        version=as_str(table.get("version")),
    )


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


def _extra_edges(package: LockedPackage, extra: str) -> list[LockEdge]:
    """The edges an extra adds, with the `extra == "..."` clauses of their markers taken as true.

    Locks (poetry.lock) keep that clause on an extra's dependencies; pip
    evaluates `extra` as empty for a top-level line, so a pinned line that kept
    it would never install.
    """
    edges: list[LockEdge] = []
    for edge in package.extras.get(extra, ()):
        marker = without_extra_clauses(edge.marker)
        edges.append(LockEdge(name=edge.name, extras=edge.extras, marker=marker, version=edge.version))
    return edges


def without_extra_clauses(marker: str | None) -> str | None:
    """A marker with every `extra == "x"` clause taken as true (None: always true)."""
    if marker is None or "extra" not in marker:
        return marker
    try:
        parsed = Marker(marker)
    except InvalidMarker:
        return marker
    return _marker_text(parsed._markers)


def _is_extra_clause(item: object) -> bool:
    return isinstance(item, tuple) and any(str(part) == "extra" for part in item[::2])


def _marker_text(items: list[Any]) -> str | None:
    """Rebuild packaging's parsed marker list (`[clause, "and", [...], "or", ...]`) without extra clauses."""
    alternatives: list[list[str]] = [[]]
    always = False
    for item in items:
        if item == "or":
            alternatives.append([])
        elif item == "and":
            continue
        elif isinstance(item, list):
            inner = _marker_text(item)
            if inner is not None:
                alternatives[-1].append(f"({inner})")
        elif _is_extra_clause(item):
            continue
        else:
            left, op, right = item
            alternatives[-1].append(f"{left.serialize()} {op.serialize()} {right.serialize()}")
    texts: list[str] = []
    for clauses in alternatives:
        if not clauses:
            always = True
        texts.append(" and ".join(clauses))
    if always:
        return None
    return texts[0] if len(texts) == 1 else " or ".join(f"({t})" for t in texts)


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
                to_walk.extend(_extra_edges(package, extra))
        for extra in edge.extras:
            if extra not in extras_done:
                extras_done.add(extra)
                to_walk.extend(_extra_edges(package, extra))
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
