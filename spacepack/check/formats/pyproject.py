"""pyproject.toml: PEP 621 `[project]` and Poetry's `[tool.poetry]` dependencies and Python constraints."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from packaging.markers import InvalidMarker
from packaging.requirements import InvalidRequirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from spacepack.check.manifests import (
    Declaration,
    DeclaredRequirement,
    ManifestFiles,
    PythonDeclared,
    Reader,
    as_list,
    as_str,
    as_table,
    first_line,
    join,
    load_toml,
    requirement,
)
from spacepack.findings import finding
from spacepack.plan import Finding

# --------------------------------------------------------------------------- Poetry constraints

_OPERATOR_SPACE = re.compile(r"(>=|<=|==|!=|~=|>|<|\^|~)\s+")


def _caret_or_tilde(clause: str, tilde: bool) -> str:
    """`^2.1.0.post1` -> `>=2.1.0.post1,<3`; `~1.2` -> `>=1.2,<1.3`: bounds from the release numbers alone."""
    text = clause[1:]
    try:
        parts = list(Version(text).release)
    except InvalidVersion as error:
        raise ValueError(clause) from error
    if tilde:
        index = 0 if len(parts) == 1 else 1
    else:
        index = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
    bumped = parts[:index] + [parts[index] + 1]
    return f">={text},<{'.'.join(str(p) for p in bumped)}"


def _poetry_clause(clause: str) -> str:
    if clause in {"*", ""}:
        return ""
    if clause.startswith("^"):
        return _caret_or_tilde(clause, tilde=False)
    if clause.startswith("~") and not clause.startswith("~="):
        return _caret_or_tilde(clause, tilde=True)
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


def _poetryrequirement(name: str, spec: object, path: str) -> list[DeclaredRequirement]:
    """[tool.poetry.dependencies] entry -> requirements (several for a list of constraints)."""
    entries = spec if isinstance(spec, list) else [spec]
    result: list[DeclaredRequirement] = []
    for entry in entries:
        table = entry if isinstance(entry, Mapping) else {"version": entry}
        if table.get("optional") is True:
            continue
        if any(key in table for key in ("path", "develop")):
            raise _LocalDependency(name)
        extras = [e for e in as_list(table.get("extras")) if isinstance(e, str)]
        head = name + (f"[{','.join(extras)}]" if extras else "")
        if "git" in table:
            ref = as_str(table.get("rev")) or as_str(table.get("tag")) or as_str(table.get("branch"))
            url = str(table["git"])
            text = f"{head} @ git+{url}" + (f"@{ref}" if ref else "")
        elif "url" in table:
            text = f"{head} @ {table['url']}"
        else:
            version = as_str(table.get("version")) or "*"
            alternatives = poetry_constraint(version)
            text = head + (str(alternatives[0]) if len(alternatives) == 1 else "")
        marker = as_str(table.get("markers"))
        if marker:
            text += f"; {marker}"
        result.append(requirement(text, path, None))
    return result


class _LocalDependency(Exception):
    """A Poetry dependency on a local path."""


# --------------------------------------------------------------------------- pyproject.toml


@dataclass(frozen=True)
class Pyproject:
    """What a pyproject.toml says about the runtime install and the Python version."""

    path: str
    name: str | None = None  # canonical
    display_name: str = ""  # [project].name as written
    description: str = ""
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
    project = as_table(data.get("project"))
    name = as_str(project.get("name"))
    dependencies: list[DeclaredRequirement] = []
    for number, item in enumerate(as_list(project.get("dependencies"))):
        if not isinstance(item, str):
            continue
        try:
            dependencies.append(requirement(item, path, None))
        except InvalidRequirement as err:
            findings.append(
                finding(
                    "SP208",
                    f"{path}: [project].dependencies[{number}] is not a valid requirement: {first_line(err)}",
                    hint="fix the requirement string (PEP 508)",
                    path=path,
                )
            )
    tool = as_table(data.get("tool"))
    poetry = as_table(tool.get("poetry"))
    poetry_deps: list[DeclaredRequirement] = []
    poetry_python: str | None = None
    for dep_name, spec in as_table(poetry.get("dependencies")).items():
        if canonicalize_name(dep_name) == "python":
            poetry_python = as_str(spec) or as_str(as_table(spec).get("version"))
            continue
        try:
            poetry_deps.extend(_poetryrequirement(dep_name, spec, path))
        except _LocalDependency:
            findings.append(
                finding(
                    "SP207",
                    f"{path}: Poetry dependency {dep_name} is a local path; it is skipped",
                    hint="publish it, or declare its dependencies in this project",
                    path=path,
                )
            )
        except (ValueError, InvalidRequirement, InvalidSpecifier, InvalidMarker):
            findings.append(
                finding(
                    "SP208",
                    f"{path}: cannot read the Poetry constraint of {dep_name}",
                    hint="use a constraint Poetry documents (^1.2, ~1.2, >=1.2,<2.0, 1.2.*)",
                    path=path,
                )
            )
    workspace = as_table(as_table(tool.get("uv")).get("workspace"))
    members = tuple(m for m in as_list(workspace.get("members")) if isinstance(m, str))
    return Pyproject(
        path=path,
        name=canonicalize_name(name) if name else None,
        display_name=name.strip() if name else "",
        description=(as_str(project.get("description")) or "").strip(),
        dependencies=tuple(dependencies),
        declares_dependencies="dependencies" in project,
        requires_python=as_str(project.get("requires-python")),
        poetry_dependencies=tuple(poetry_deps),
        is_poetry=bool(poetry),
        poetry_python=poetry_python,
        uv_workspace_members=members,
        findings=tuple(findings),
    )


def python_alternatives(text: str, poetry: bool) -> tuple[SpecifierSet, ...] | None:
    """A Python constraint as PEP 440 alternatives (Poetry's syntax when `poetry`); None when unreadable."""
    try:
        return tuple(poetry_constraint(text)) if poetry else (SpecifierSet(text.strip()),)
    except (InvalidSpecifier, ValueError):
        return None


class PyprojectReader(Reader):
    """pyproject.toml: PEP 621 dependencies, else Poetry's main group."""

    kind = "pyproject"
    names = ("pyproject.toml",)

    def read(self, files: ManifestFiles, directory: str) -> Pyproject | None:
        """The parsed pyproject.toml of a folder (parsed once per check)."""
        return files.parsed(join(directory, "pyproject.toml"), parse_pyproject)

    def declare(self, files: ManifestFiles, directory: str) -> Declaration | None:
        project = self.read(files, directory)
        if project is None:
            return None
        requirements = project.dependencies or project.poetry_dependencies
        return Declaration(
            kind=self.kind,
            path=project.path,
            requirements=requirements,
            declares=project.declares_dependencies or bool(project.poetry_dependencies) or bool(project.findings),
            findings=project.findings,
            project_name=project.name,
        )

    def python(self, files: ManifestFiles, directory: str) -> tuple[PythonDeclared, ...]:
        project = self.read(files, directory)
        if project is None:
            return ()
        found: list[PythonDeclared] = []
        if project.requires_python:
            text = project.requires_python
            source = f"requires-python in {project.path}"
            found.append(PythonDeclared(text.strip(), source, project.path, python_alternatives(text, False)))
        if project.poetry_python:
            text = project.poetry_python
            source = f"Poetry's python in {project.path}"
            found.append(PythonDeclared(text.strip(), source, project.path, python_alternatives(text, True)))
        return tuple(found)
