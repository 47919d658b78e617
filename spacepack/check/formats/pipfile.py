"""Pipfile: pipenv's `[packages]` and `[requires] python_version`."""

from __future__ import annotations

from collections.abc import Mapping

from packaging.requirements import InvalidRequirement

from spacepack.check.formats.pyproject import python_alternatives
from spacepack.check.manifests import (
    Declaration,
    DeclaredRequirement,
    ManifestFiles,
    PythonDeclared,
    Reader,
    as_list,
    as_str,
    as_table,
    join,
    load_toml,
    requirement,
)
from spacepack.findings import finding
from spacepack.plan import Finding


def parse_pipfile(text: str, path: str) -> tuple[tuple[DeclaredRequirement, ...], str | None, tuple[Finding, ...]]:
    """[packages] of a Pipfile as requirements, plus its [requires] python_version."""
    data, error = load_toml(text, path)
    if data is None:
        return (), None, (error,) if error else ()
    result: list[DeclaredRequirement] = []
    findings: list[Finding] = []
    for name, spec in as_table(data.get("packages")).items():
        table = spec if isinstance(spec, Mapping) else {"version": spec}
        extras = [e for e in as_list(table.get("extras")) if isinstance(e, str)]
        version = as_str(table.get("version")) or "*"
        text_req = name + (f"[{','.join(extras)}]" if extras else "") + ("" if version == "*" else version)
        marker = as_str(table.get("markers"))
        if marker:
            text_req += f"; {marker}"
        try:
            result.append(requirement(text_req, path, None))
        except InvalidRequirement:
            findings.append(
                finding(
                    "SP208",
                    f"{path}: cannot read the requirement for {name}",
                    hint="fix the [packages] entry",
                    path=path,
                )
            )
    python = as_str(as_table(data.get("requires")).get("python_version"))
    return tuple(result), python, tuple(findings)


class PipfileReader(Reader):
    """A Pipfile: installed only when no requirements file or pyproject lists dependencies."""

    kind = "pipfile"
    names = ("Pipfile",)

    def declare(self, files: ManifestFiles, directory: str) -> Declaration | None:
        rel = join(directory, "Pipfile")
        parsed = files.parsed(rel, parse_pipfile)
        if parsed is None:
            return None
        requirements, _, findings = parsed
        return Declaration(
            kind=self.kind,
            path=rel,
            requirements=requirements,
            listed_when_empty=True,
            fallback=True,
            words="[packages], as declared",
            findings=findings,
        )

    def python(self, files: ManifestFiles, directory: str) -> tuple[PythonDeclared, ...]:
        rel = join(directory, "Pipfile")
        parsed = files.parsed(rel, parse_pipfile)
        if parsed is None or not parsed[1]:
            return ()
        text = f"=={parsed[1]}.*"
        return (PythonDeclared(text, f"python_version in {rel}", rel, python_alternatives(text, False)),)
