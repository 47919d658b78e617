"""Which Python the image runs: read from the project's own declarations, never guessed from the host.

Exact pins (`.python-version`, `runtime.txt`) win when spacepack supports
them; constraints (`requires-python`, Poetry's `python`, uv.lock's
`requires-python`, Pipfile's `python_version`) pick the newest supported
version they allow, preferring 3.11, the version the base image is tested on.
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

SUPPORTED: tuple[str, ...] = ("3.10", "3.11", "3.12", "3.13")
PREFERRED = "3.11"
DEFAULT = "3.11"

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


def _pick(constraints: list[_Constraint]) -> str | None:
    allowed = [v for v in SUPPORTED if all(c.allows(v) for c in constraints)]
    if not allowed:
        return None
    return PREFERRED if PREFERRED in allowed else allowed[-1]


def detect_python(tree: ProjectTree, backend_dir: str, files: ManifestFiles | None = None) -> PythonChoice:
    """Choose the Python version of the image from what the project declares.

    Args:
        tree: the project as `load_tree` read it.
        backend_dir: the backend folder, posix, relative to the root.
        files: the check's manifests (read and parsed once); made here when not given.

    Returns:
        The version ("3.11"), where it comes from, and findings for conflicts
        and declarations spacepack cannot honour.
    """
    pins, constraints, findings = _collect(tree, backend_dir, files or ManifestFiles(tree))
    supported_pins = [p for p in pins if p.version in SUPPORTED]
    for pin in pins:
        if pin.version not in SUPPORTED:
            findings.append(
                finding(
                    "SP251",
                    f"{pin.path} asks for Python {pin.version}; spacepack supports "
                    f"{', '.join(SUPPORTED)}, so it is ignored",
                    hint=f"pin one of {', '.join(SUPPORTED)}, or set python in [tool.spacepack]",
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
        return PythonChoice(version=pin.version, source=pin.source, findings=tuple(findings))

    if not constraints:
        return PythonChoice(version=DEFAULT, source="default", findings=tuple(findings))

    chosen = _pick(constraints)
    if chosen is not None:
        return PythonChoice(version=chosen, source=constraints[0].source, findings=tuple(findings))

    # Together they allow nothing supported: report which ones disagree, then honour the first alone.
    for c in constraints[1:]:
        if _pick([constraints[0], c]) is None and _pick([c]) is not None:
            findings.append(
                _conflict(f"{constraints[0].source} is {constraints[0].text!r}", f"{c.source} is {c.text!r}", c.path)
            )
    first_alone = _pick([constraints[0]])
    if first_alone is not None:
        return PythonChoice(version=first_alone, source=constraints[0].source, findings=tuple(findings))
    below = all(not c.allows("3.10") and any(_allows_older(s) for s in c.alternatives) for c in constraints[:1])
    fallback = SUPPORTED[0] if below else SUPPORTED[-1]
    findings.append(
        finding(
            "SP251",
            f"{constraints[0].source} is {constraints[0].text!r}, which allows none of "
            f"{', '.join(SUPPORTED)}; using Python {fallback}",
            hint=f'widen the constraint to include one of {", ".join(SUPPORTED)} (e.g. requires-python = ">=3.10")',
            path=constraints[0].path,
        )
    )
    return PythonChoice(
        version=fallback, source=f"nearest supported to {constraints[0].source}", findings=tuple(findings)
    )


def _allows_older(spec: SpecifierSet) -> bool:
    try:
        return any(spec.contains(Version(f"3.{minor}.0")) for minor in range(6, 10))
    except InvalidVersion:  # pragma: no cover - the versions above are valid
        return False


def _conflict(one: str, other: str, path: str) -> Finding:
    return finding(
        "SP250",
        f"the Python version is declared twice and they disagree: {one}, {other}",
        hint="make them agree (or set python in [tool.spacepack] to decide explicitly)",
        path=path,
    )
