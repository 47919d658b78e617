"""pydantic v1-only APIs in the app's code: the names pydantic 2 removed.

`from pydantic import BaseSettings` works with pydantic 1 and raises
PydanticImportError (an ImportError) under pydantic 2, so the app crashes at
start. The names come from pydantic's own migration table (vendored as data);
names pydantic 2 still serves with a deprecation warning are not listed. Only
files the app loads count, and never an import guarded by `except ImportError`.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.resources
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from spacepack.check.facts import Json
from spacepack.check.import_names import iter_imports
from spacepack.check.pyast import AppCode, ProjectIndex, walk_runtime

V1_ONLY_DATA = "data/pydantic_v1_only.txt"
_V1_FACT = "pydantic_v1.uses"  # module fact: [line, "module:name", at_import] per use; renamed when that changes
# The bound spacepack adds when the project leaves pydantic unbounded.
V1_BOUND = "pydantic<2"
# Releases that stand for each major line when deciding what a specifier allows.
_V1_RELEASES = tuple(Version(v) for v in ("1.10.22", "1.10.13", "1.9.2", "1.8.2", "1.7.4", "1.0"))
_V2_RELEASES = tuple(Version(v) for v in ("2.0", "2.5.3", "2.7.4", "2.10.6", "2.11.7", "2.12.0", "2.99"))


@functools.cache
def v1_only_names() -> frozenset[str]:
    """ "module:name" for every pydantic v1 name that pydantic 2 no longer provides."""
    text = importlib.resources.files("spacepack.check").joinpath(V1_ONLY_DATA).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class V1Use:
    """One use of a v1-only name in the app's code."""

    path: str
    line: int
    name: str  # "pydantic:BaseSettings"
    at_import: bool  # runs when its module is imported (not only when a function is called)

    @property
    def shown(self) -> str:
        module, _, name = self.name.partition(":")
        return f"`from {module} import {name}`"


def _guarded_lines(module: ast.Module) -> frozenset[int]:
    """Lines of imports inside `try: ... except ImportError` (the app copes without them)."""
    return frozenset(site.line for site in iter_imports(module) if site.optional)


def _module_aliases(module: ast.Module) -> dict[str, str]:
    """Local name -> pydantic module, for `import pydantic` / `import pydantic.x as y`."""
    aliases: dict[str, str] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pydantic" or alias.name.startswith("pydantic."):
                    aliases[alias.asname or alias.name.split(".", 1)[0]] = alias.name if alias.asname else "pydantic"
    return aliases


def _uses_in(path: str, module: ast.Module) -> Iterator[V1Use]:
    names = v1_only_names()
    guarded = _guarded_lines(module)
    aliases = _module_aliases(module)
    for node, place in walk_runtime(module):
        at_import = place.runs == "import"
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.lineno not in guarded:
            for alias in node.names:
                if f"{node.module}:{alias.name}" in names:
                    yield V1Use(path, node.lineno, f"{node.module}:{alias.name}", at_import)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            qualified = f"{aliases[node.value.id]}:{node.attr}"
            if qualified in names:
                yield V1Use(path, node.lineno, qualified, at_import)


def find_v1_uses(code: AppCode) -> list[V1Use]:
    """Uses of v1-only pydantic names in the files the app loads, in path and line order."""
    uses: list[V1Use] = []
    for path in code.modules:
        if code.loaded(path):
            uses.extend(_module_uses(code.index, path))
    return sorted(uses, key=lambda use: (use.path, use.line))


def _module_uses(index: ProjectIndex, path: str) -> list[V1Use]:
    """`_uses_in` one module, kept as a module fact: [line, "module:name", at_import] per use, in walk order."""

    def compute() -> Json:
        parsed = index.tree.python[path]
        # Every v1-only name lives in a `pydantic` module, which the module's text must then name.
        if parsed.tree is None or (parsed.source is not None and "pydantic" not in parsed.source):
            return []
        return [[use.line, use.name, use.at_import] for use in _uses_in(path, parsed.tree)]

    stored = index.facts.get(_V1_FACT, path, compute, _names_key())
    return [V1Use(path, line, name, at_import) for line, name, at_import in stored]


@functools.cache
def _names_key() -> str:
    """What the fact depends on besides the module: the v1-only names (a data file, not code)."""
    return hashlib.sha256("\n".join(sorted(v1_only_names())).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Allowed:
    """Which pydantic major lines a project's own declarations allow."""

    v1: bool
    v2: bool


def allowed_by_line(line: str) -> Allowed:
    """What a requirement line allows for pydantic (an unreadable line allows both: no guess)."""
    try:
        specifier = Requirement(line.split(";", 1)[0].strip()).specifier
    except InvalidRequirement:
        specifier = SpecifierSet()
    return allowed_by(specifier)


def allowed_by(specifier: SpecifierSet) -> Allowed:
    """Test well-known releases of each line, and the versions the specifier names itself (`==2.9.2`)."""
    named: list[Version] = []
    for spec in specifier:
        try:
            named.append(Version(spec.version.removesuffix(".*")))
        except InvalidVersion:
            continue
    candidates = [v for v in (*_V1_RELEASES, *_V2_RELEASES, *named) if specifier.contains(v, prereleases=True)]
    return Allowed(v1=any(v.major < 2 for v in candidates), v2=any(v.major >= 2 for v in candidates))


def allowed_by_versions(versions: Iterable[str | None]) -> Allowed:
    """What a lock's pinned versions of pydantic allow."""
    majors = set()
    for version in versions:
        try:
            majors.add(Version(version or "").major)
        except ValueError:
            majors.update({1, 2})  # unreadable: no guess
    return Allowed(v1=1 in majors, v2=any(major >= 2 for major in majors))
