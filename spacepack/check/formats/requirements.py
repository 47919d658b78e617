"""requirements.txt: PEP 508 lines, pip options and `-r`/`-c` includes."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from spacepack.check.manifests import (
    Declaration,
    DeclaredRequirement,
    ManifestFiles,
    Reader,
    first_line,
    join,
    requirement,
)
from spacepack.findings import finding
from spacepack.plan import Finding

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
class RequirementsFile:
    """What a requirements file (and everything it includes) declares."""

    requirements: tuple[DeclaredRequirement, ...] = ()
    options: tuple[str, ...] = ()  # global pip options, in order ("--extra-index-url https://...")
    files: tuple[str, ...] = ()  # the file and its includes, in reading order
    findings: tuple[Finding, ...] = ()
    dropped_hashes: bool = False


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
                finding(
                    "SP209",
                    f"{via} includes {current}, which does not exist" if via else f"{current} is missing",
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
                            finding(
                                "SP207",
                                f"{current}:{lineno} installs a local path in editable mode ({value}); it is skipped",
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
                        finding(
                            "SP210",
                            f"{current}:{lineno} uses the pip option {name}, which spacepack ignores",
                            hint="remove it, or put the requirement it needs in pyproject.toml",
                            path=current,
                            line=lineno,
                        )
                    )
                    continue
            if _looks_local(line):
                findings.append(
                    finding(
                        "SP207",
                        f"{current}:{lineno} installs a local path ({line}); it is skipped",
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
                declared = requirement(line, current, lineno)
            except InvalidRequirement as error:
                findings.append(
                    finding(
                        "SP208",
                        f"{current}:{lineno} is not a valid requirement: {first_line(error)}",
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


class RequirementsReader(Reader):
    """The first requirements file of a folder (with its includes)."""

    kind = "requirements"
    names = (
        "requirements.txt",
        "requirements/prod.txt",
        "requirements/production.txt",
        "requirements/base.txt",
        "requirements/main.txt",
        "requirements/requirements.txt",
    )

    def declare(self, files: ManifestFiles, directory: str) -> Declaration | None:
        for name in self.names:
            rel = join(directory, name)
            if files.text(rel) is None:
                continue
            parsed = parse_requirements(rel, files.text)
            return Declaration(
                kind=self.kind,
                path=parsed.files[0] if parsed.files else rel,
                requirements=parsed.requirements,
                listed_when_empty=True,
                options=parsed.options,
                files=parsed.files,
                dropped_hashes=parsed.dropped_hashes,
                findings=parsed.findings,
            )
        return None
