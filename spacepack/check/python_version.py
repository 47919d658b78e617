"""Which Python the image runs: the one the project was made with, never guessed from the host.

Exact pins (`.python-version`, `runtime.txt`) win when spacepack offers
them. Constraints (`requires-python`, Poetry's `python`, uv.lock's
`requires-python`, Pipfile's `python_version`) pick the lowest offered
version they allow: a lock resolved for `>=3.12` has wheels for 3.12, not
always for 3.13. With no declaration, the project's own evidence decides (a
Dockerfile's `FROM python:3.X`, `python-version` in CI, `python3.X` in a
script), else the default. An info finding (SP253) says which and why.

An end-of-life Python (3.9) is offered only to a project that says it and
nothing newer: its exact pin, constraints that allow no maintained version,
or its own Dockerfile/CI/scripts showing no maintained version. A warning
(SP254) says it gets no security fixes; a project that allows 3.10 or newer
never gets it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from spacepack.check.formats import READERS
from spacepack.check.manifests import ManifestFiles
from spacepack.check.tree import ProjectTree
from spacepack.findings import finding
from spacepack.plan import Finding

# The one list of Pythons spacepack offers (each has an official python:<v>-slim image), and the default.
SUPPORTED_PYTHONS: tuple[str, ...] = ("3.10", "3.11", "3.12", "3.13", "3.14")
# Offered too, with a warning (SP254), only to a project that says it and nothing newer: its packages may
# need it (3.9's `collections.MutableSet`-era pins), and it still has an official image, but no security fixes.
END_OF_LIFE_PYTHONS: tuple[str, ...] = ("3.9",)
DEFAULT_PYTHON = "3.11"

_RUNTIME_TXT = re.compile(r"^\s*python-(\d+\.\d+)(?:\.\d+)?\s*$")
_PYTHON_VERSION_LINE = re.compile(r"^\s*(?:cpython-|python)?(\d+\.\d+)(?:\.\d+)?(?:[^\s]*)\s*$")


@dataclass(frozen=True)
class PythonChoice:
    """The Python version the image uses, and the declaration it comes from."""

    version: str  # "3.11"
    source: str  # "requires-python in pyproject.toml", ".python-version", "default", ...
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class _Pin:
    version: str
    source: str
    path: str


@dataclass(frozen=True)
class _Constraint:
    alternatives: tuple[SpecifierSet, ...]
    text: str
    source: str
    path: str

    def allows(self, version: str) -> bool:
        # Check the .0 release and a late patch, so "<3.11.4" still allows 3.11 and ">=3.11.2" does too.
        return any(
            spec.contains(Version(f"{version}.{patch}"), prereleases=True)
            for spec in self.alternatives
            for patch in (0, 99)
        )


def _join(directory: str, name: str) -> str:
    return name if directory in {"", "."} else f"{directory}/{name}"


def _search_dirs(backend_dir: str) -> list[str]:
    """The backend folder and its parents up to the root: pins often live at a repository's top."""
    current = posixpath.normpath(backend_dir.strip("/")) if backend_dir.strip("/") not in {"", "."} else "."
    dirs: list[str] = []
    while True:
        dirs.append(current)
        if current == ".":
            return dirs
        current = posixpath.dirname(current) or "."


def _bad(path: str, what: str) -> Finding:
    return finding(
        "SP252",
        f"{path}: cannot read {what}; it is ignored",
        hint="write a version like 3.11 (or a PEP 440 specifier like >=3.10)",
        path=path,
    )


def _pin(tree: ProjectTree, rel: str, pattern: re.Pattern[str], what: str) -> _Pin | Finding | None:
    """A pin file's version: a `_Pin`, a finding when unreadable, None when the file is absent."""
    text = tree.read_text(rel)
    if text is None:
        return None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    match = pattern.match(lines[0]) if lines else None
    return _Pin(match.group(1), rel, rel) if match else _bad(rel, what)


def _collect(
    tree: ProjectTree, backend_dir: str, files: ManifestFiles
) -> tuple[list[_Pin], list[_Constraint], list[Finding]]:
    """Pins (nearest folder first) and each format's constraints (reader order, nearest declaration per format)."""
    pins: list[_Pin] = []
    constraints: list[_Constraint] = []
    findings: list[Finding] = []
    seen: set[str] = set()
    pin_files = (
        (".python-version", _PYTHON_VERSION_LINE, "the Python version"),
        ("runtime.txt", _RUNTIME_TXT, "the Python version (expected python-3.11.9)"),
    )
    for directory in _search_dirs(backend_dir):
        for reader in READERS:
            if reader.kind in seen:
                continue
            declared = reader.python(files, directory)
            if declared:
                seen.add(reader.kind)
            for item in declared:
                if item.alternatives is None:
                    findings.append(_bad(item.path, f"the Python constraint {item.text!r}"))
                else:
                    constraints.append(_Constraint(item.alternatives, item.text, item.source, item.path))
        for name, pattern, what in pin_files:
            if name in seen:
                continue
            pin = _pin(tree, _join(directory, name), pattern, what)
            if pin is not None:
                seen.add(name)
                if isinstance(pin, _Pin):
                    pins.append(pin)
                else:
                    findings.append(pin)
    return pins, constraints, findings


def _offered(version: str) -> bool:
    return version in SUPPORTED_PYTHONS or version in END_OF_LIFE_PYTHONS


def is_end_of_life(version: str) -> bool:
    """An offered Python without security fixes (3.9): chosen only when the project says it."""
    return version in END_OF_LIFE_PYTHONS


def end_of_life_finding(version: str, why: str) -> Finding | None:
    """The warning (SP254) for an end-of-life Python (`why`: who asked for it), or None for a maintained one."""
    if not is_end_of_life(version):
        return None
    return finding(
        "SP254",
        f"Python {version} is end of life (no security fixes); it is used because {why}",
        hint=f"move to {SUPPORTED_PYTHONS[0]}+ when you can, then pin it (.python-version)",
    )


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def _nearest_offered(version: str) -> str:
    """The offered version closest to `version` ("3.9" -> "3.10", "3.15" -> "3.14")."""
    return min(SUPPORTED_PYTHONS, key=lambda v: (abs(_minor(v) - _minor(version)), _minor(v)))


def _maintained_range() -> str:
    return f"{SUPPORTED_PYTHONS[0]}–{SUPPORTED_PYTHONS[-1]}"


def _offered_range() -> str:
    old = f", and {', '.join(END_OF_LIFE_PYTHONS)} at end of life" if END_OF_LIFE_PYTHONS else ""
    return f"{_maintained_range()}{old}"


def _pick(constraints: list[_Constraint]) -> str | None:
    """The lowest maintained version every constraint allows (the one a lock made for the range is sure to
    fit); only when they allow none, the newest end-of-life one they allow."""
    allowed = [v for v in SUPPORTED_PYTHONS if all(c.allows(v) for c in constraints)]
    if allowed:
        return allowed[0]
    old = [v for v in END_OF_LIFE_PYTHONS if all(c.allows(v) for c in constraints)]
    return old[-1] if old else None


def _why(version: str, reason: str) -> Finding:
    return finding("SP253", f"python {version}: {reason}")


def detect_python(tree: ProjectTree, backend_dir: str, files: ManifestFiles | None = None) -> PythonChoice:
    """Choose the Python version of the image from what the project declares, else what it shows.

    Args:
        tree: the project as `load_tree` read it.
        backend_dir: the backend folder, posix, relative to the root.
        files: the check's manifests (read and parsed once); made here when not given.

    Returns:
        The version ("3.11"), where it comes from, an SP253 finding saying why,
        findings for conflicts and declarations spacepack cannot honour, and an
        SP254 warning when the version is end of life.
    """
    choice = _choose(tree, backend_dir, files or ManifestFiles(tree))
    old = end_of_life_finding(choice.version, f"the project asks for it ({choice.source}) and allows nothing newer")
    if old is None:
        return choice
    return PythonChoice(version=choice.version, source=choice.source, findings=(*choice.findings, old))


def _choose(tree: ProjectTree, backend_dir: str, files: ManifestFiles) -> PythonChoice:
    pins, constraints, findings = _collect(tree, backend_dir, files)
    supported_pins = [p for p in pins if _offered(p.version)]
    for pin in pins:
        if not _offered(pin.version):
            findings.append(
                finding(
                    "SP251",
                    f"{pin.path} asks for Python {pin.version}; spacepack offers {_offered_range()}, so it is ignored",
                    hint=f"pin one of {', '.join(SUPPORTED_PYTHONS)}, or set python in [tool.spacepack]",
                    path=pin.path,
                )
            )
    for first, other in zip(supported_pins, supported_pins[1:], strict=False):
        if first.version != other.version:
            findings.append(
                _conflict(f"{first.path} says {first.version}", f"{other.path} says {other.version}", other.path)
            )

    if supported_pins:
        pin = supported_pins[0]
        for c in constraints:
            if not c.allows(pin.version):
                findings.append(_conflict(f"{pin.path} pins {pin.version}", f"{c.source} is {c.text!r}", pin.path))
        findings.append(_why(pin.version, f"pinned by {pin.path}"))
        return PythonChoice(version=pin.version, source=pin.source, findings=tuple(findings))

    if not constraints:
        return _undeclared(tree, backend_dir, pins, findings)

    chosen = _pick(constraints)
    if chosen is not None:
        said = ", ".join(f"{c.source} is {c.text!r}" for c in constraints)
        which = (
            f"the only version spacepack offers that the project allows (none of {_maintained_range()})"
            if is_end_of_life(chosen)
            else f"the lowest version spacepack offers ({_maintained_range()}) that the project allows"
        )
        findings.append(_why(chosen, f"{which}: {said}"))
        return PythonChoice(version=chosen, source=constraints[0].source, findings=tuple(findings))
    return _nothing_allowed(constraints, findings)


def _undeclared(tree: ProjectTree, backend_dir: str, pins: list[_Pin], findings: list[Finding]) -> PythonChoice:
    """No constraint and no offered pin: an unoffered pin's nearest, the project's evidence, else the default."""
    if pins:
        pin = pins[0]
        version = _nearest_offered(pin.version)
        findings.append(_why(version, f"the offered version nearest to {pin.version}, which {pin.path} asks for"))
        return PythonChoice(version=version, source=f"nearest offered to {pin.source}", findings=tuple(findings))
    evidence = find_evidence(tree, backend_dir)
    if evidence is not None:
        version = evidence.version if _offered(evidence.version) else _nearest_offered(evidence.version)
        reason = f"the project declares no version, and {evidence.describe()}"
        if version != evidence.version:
            reason += f"; {evidence.version} is not offered, so the nearest one"
        findings.append(finding("SP253", f"python {version}: {reason}", path=evidence.path, line=evidence.line or None))
        return PythonChoice(version=version, source=evidence.source, findings=tuple(findings))
    findings.append(
        _why(
            DEFAULT_PYTHON,
            "spacepack's default: the project declares no version (requires-python, Poetry's python, "
            ".python-version, runtime.txt) and shows none (Dockerfile FROM, CI python-version)",
        )
    )
    return PythonChoice(version=DEFAULT_PYTHON, source="default", findings=tuple(findings))


def _nothing_allowed(constraints: list[_Constraint], findings: list[Finding]) -> PythonChoice:
    """Together the constraints allow nothing offered: report which ones disagree, then honour the first alone."""
    for c in constraints[1:]:
        if _pick([constraints[0], c]) is None and _pick([c]) is not None:
            findings.append(
                _conflict(f"{constraints[0].source} is {constraints[0].text!r}", f"{c.source} is {c.text!r}", c.path)
            )
    first = constraints[0]
    first_alone = _pick([first])
    if first_alone is not None:
        findings.append(_why(first_alone, f"the lowest offered version {first.source} ({first.text!r}) allows"))
        return PythonChoice(version=first_alone, source=first.source, findings=tuple(findings))
    below = not first.allows(SUPPORTED_PYTHONS[0]) and any(_allows_older(s) for s in first.alternatives)
    fallback = SUPPORTED_PYTHONS[0] if below else SUPPORTED_PYTHONS[-1]
    findings.append(
        finding(
            "SP251",
            f"{first.source} is {first.text!r}, which allows none of {', '.join(SUPPORTED_PYTHONS)}; "
            f"using Python {fallback}",
            hint=f"widen the constraint to include one of {', '.join(SUPPORTED_PYTHONS)} "
            f'(e.g. requires-python = ">={SUPPORTED_PYTHONS[0]}")',
            path=first.path,
        )
    )
    findings.append(_why(fallback, f"the offered version nearest to what {first.source} asks for"))
    return PythonChoice(version=fallback, source=f"nearest supported to {first.source}", findings=tuple(findings))


def _allows_older(spec: SpecifierSet) -> bool:
    try:
        return any(spec.contains(Version(f"3.{minor}.0")) for minor in range(6, _minor(SUPPORTED_PYTHONS[0])))
    except InvalidVersion:  # pragma: no cover - the versions above are valid
        return False


def _conflict(one: str, other: str, path: str) -> Finding:
    return finding(
        "SP250",
        f"the Python version is declared twice and they disagree: {one}, {other}",
        hint="make them agree (or set python in [tool.spacepack] to decide explicitly)",
        path=path,
    )


# --------------------------------------------------------------------------- the project's own evidence

# `FROM python:3.10.4-slim`, `FROM tiangolo/uvicorn-gunicorn-fastapi:python3.9-slim AS base`
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<image>\S+)", re.IGNORECASE)
_IMAGE_PYTHON = re.compile(r"python[-:_]?(?P<version>3\.\d{1,2})(?!\d)", re.IGNORECASE)
# `python-version: "3.10"`, `python-version: ["3.10", "3.11"]` (a matrix: the lowest is tested too)
_CI_PYTHON = re.compile(r"python-version\s*:\s*(?P<rest>.*)$", re.IGNORECASE)
_VERSION = re.compile(r"(?<![\d.])(?P<version>3\.\d{1,2})(?![\d])")
# `python3.10 -m uvicorn ...` in a shell script, Makefile or Procfile
_SCRIPT_PYTHON = re.compile(r"\bpython(?P<version>3\.\d{1,2})(?![\d])")
# asdf / mise: `python 3.10.4`
_TOOL_VERSIONS = re.compile(r"^\s*python\s+(?P<version>3\.\d{1,2})(?:[.\s]|$)")


@dataclass(frozen=True)
class Evidence:
    """A Python version the project shows without declaring it, and where."""

    version: str  # "3.10"
    kind: str  # "dockerfile", "tool-versions", "ci", "script"
    path: str
    line: int
    said: str  # the words as written: "FROM python:3.10.4-slim"

    @property
    def source(self) -> str:
        return {"dockerfile": "FROM in", "tool-versions": "python in", "ci": "python-version in"}.get(
            self.kind, f"python{self.version} in"
        ) + f" {self.path}"

    def describe(self) -> str:
        what = {
            "dockerfile": "its Dockerfile builds",
            "tool-versions": "its tool versions pin",
            "ci": "its CI tests with",
            "script": "its scripts run",
        }[self.kind]
        return f"{what} `{self.said}`"  # the finding carries the path and line


def is_dockerfile(name: str) -> bool:
    """`Dockerfile`, `Dockerfile.prod`, `api.dockerfile`."""
    lower = name.lower()
    return lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile")


def _evidence_kind(path: str) -> str | None:
    name = path.rpartition("/")[2]
    if is_dockerfile(name):
        return "dockerfile"
    if name == ".tool-versions":
        return "tool-versions"
    if path.startswith(".github/workflows/") and name.endswith((".yml", ".yaml")) or name == ".gitlab-ci.yml":
        return "ci"
    if name.endswith((".sh", ".bash")) or name in {"Makefile", "Procfile", "justfile"}:
        return "script"
    return None


_KIND_ORDER = ("dockerfile", "tool-versions", "ci", "script")


def _near(path: str, backend_dir: str) -> bool:
    """A file of the backend folder (any depth), of one of its parents (directly), or CI config at the root."""
    folder = path.rpartition("/")[0]
    backend = "" if backend_dir in {"", "."} else backend_dir.strip("/")
    return (
        not backend
        or folder == backend
        or folder.startswith(backend + "/")
        or backend.startswith(folder + "/")
        or not folder
        or path.startswith(".github/workflows/")
    )


def _versions_in(kind: str, line: str) -> list[tuple[str, str]]:
    """(version, the words that say it) found in one line of a file of that kind."""
    if kind == "dockerfile":
        match = _FROM.match(line)
        found = _IMAGE_PYTHON.search(match.group("image")) if match else None
        return [(found.group("version"), f"FROM {match.group('image')}")] if match and found else []
    if kind == "tool-versions":
        found = _TOOL_VERSIONS.match(line)
        return [(found.group("version"), line.strip())] if found else []
    if kind == "ci":
        found = _CI_PYTHON.search(line)
        rest = found.group("rest") if found else ""
        return [(v.group("version"), f"python-version: {v.group('version')}") for v in _VERSION.finditer(rest)]
    return [(v.group("version"), f"python{v.group('version')}") for v in _SCRIPT_PYTHON.finditer(line)]


def _distance(path: str, backend_dir: str) -> tuple[int, int, str]:
    """Files in the backend folder first, then deeper in it, then in its parents, nearest first."""
    folder = path.rpartition("/")[0]
    backend = "" if backend_dir in {"", "."} else backend_dir.strip("/")
    depth = folder.count("/") + 1 if folder else 0
    backend_depth = backend.count("/") + 1 if backend else 0
    inside = folder == backend or not backend or folder.startswith(backend + "/")
    return (0 if inside else 1, abs(depth - backend_depth), path)


def _preference(version: str) -> tuple[int, int]:
    """Within one file: the lowest maintained version, else the newest end-of-life one, else the lowest."""
    if version in SUPPORTED_PYTHONS:
        return (0, _minor(version))
    if is_end_of_life(version):
        return (1, -_minor(version))
    return (2, _minor(version))


def find_evidence(tree: ProjectTree, backend_dir: str) -> Evidence | None:
    """The Python version the project's own files show: Dockerfiles first, then tool pins, CI, scripts.

    Within a kind the nearest file wins (the backend folder before the root),
    and within a file the lowest maintained version (a CI matrix tests all of
    them); an end-of-life one only when the file shows no maintained one.
    """
    found: list[tuple[int, tuple[int, int], str, Evidence]] = []
    for path in tree.files:
        kind = _evidence_kind(path)
        if kind is None or not _near(path, backend_dir):
            continue
        text = tree.read_text(path)
        if not text:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            for version, said in _versions_in(kind, line):
                evidence = Evidence(version, kind, path, number, said)
                found.append((_KIND_ORDER.index(kind), _preference(version), path, evidence))
    if not found:
        return None
    best_kind = min(item[0] for item in found)
    same_kind = [item for item in found if item[0] == best_kind]
    nearest = min(same_kind, key=lambda item: _distance(item[2], backend_dir))[2]
    in_file = [item for item in same_kind if item[2] == nearest]
    return min(in_file, key=lambda item: (item[1], item[3].line))[3]
