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
    parser = _Parser(read)
    parser.visit(posixpath.normpath(path), False, None, None)
    return parser.result()


@dataclass(frozen=True)
class _Line:
    """One logical line of a requirements file, and the file it is in."""

    text: str
    file: str
    number: int
    as_constraints: bool


class _Parser:
    """Walks a requirements file and its includes once, collecting what they declare."""

    def __init__(self, read: ReadText) -> None:
        self.read = read
        self.requirements: dict[str, DeclaredRequirement] = {}
        self.unnamed: list[DeclaredRequirement] = []
        self.constraints: dict[str, SpecifierSet] = {}
        self.options: list[str] = []
        self.files: list[str] = []
        self.findings: list[Finding] = []
        self.dropped_hashes = False

    def result(self) -> RequirementsFile:
        merged = [_constrain(req, self.constraints.get(req.name or "")) for req in self.requirements.values()]
        return RequirementsFile(
            requirements=tuple(merged + self.unnamed),
            options=tuple(self.options),
            files=tuple(self.files),
            findings=tuple(self.findings),
            dropped_hashes=self.dropped_hashes,
        )

    def visit(self, current: str, as_constraints: bool, via: str | None, via_line: int | None) -> None:
        if current in self.files:
            return
        text = self.read(current)
        if text is None:
            self.findings.append(
                finding(
                    "SP209",
                    f"{via} includes {current}, which does not exist" if via else f"{current} is missing",
                    hint="fix the path of the -r/-c line (it is relative to the including file)",
                    path=via or current,
                    line=via_line,
                )
            )
            return
        self.files.append(current)
        for number, raw in _logical_lines(text):
            if _HASH_OPTION.search(" " + raw):
                self.dropped_hashes = True
                raw = _HASH_OPTION.sub("", " " + raw).strip()
                if not raw:
                    continue
            line = _Line(_PER_REQUIREMENT_OPTION.sub("", raw), current, number, as_constraints)
            if line.text.startswith("-"):
                target = self._option(line)
                if target is None:
                    continue
                line = _Line(target, current, number, as_constraints)
            self._requirement(line)

    def _option(self, line: _Line) -> str | None:
        """Handle a pip option line; returns the requirement it carries (`-e git+...`), else None."""
        name, value = _split_option(line.text)
        if name in {"-r", "--requirement", "-c", "--constraint"}:
            include = posixpath.normpath(posixpath.join(posixpath.dirname(line.file), value))
            self.visit(include, line.as_constraints or name in {"-c", "--constraint"}, line.file, line.number)
            return None
        if name in {"-e", "--editable"}:
            if not _looks_local(value) and _URL_SCHEME.match(value):
                return value  # a VCS URL installs fine without -e
            self._skip(
                "SP207",
                line,
                f"installs a local path in editable mode ({value}); it is skipped",
                "declare the project's own dependencies (pyproject [project].dependencies or requirements.txt) "
                "instead of `-e .`",
            )
        elif name in _GLOBAL_OPTIONS:
            if not line.as_constraints and line.text not in self.options:
                self.options.append(line.text)
        else:
            self._skip(
                "SP210",
                line,
                f"uses the pip option {name}, which spacepack ignores",
                "remove it, or put the requirement it needs in pyproject.toml",
            )
        return None

    def _requirement(self, line: _Line) -> None:
        if _looks_local(line.text):
            self._skip(
                "SP207",
                line,
                f"installs a local path ({line.text}); it is skipped",
                "declare that package's dependencies directly, or publish it to an index",
            )
            return
        if _URL_SCHEME.match(line.text):
            if not line.as_constraints:
                self.unnamed.append(_bare_url(line.text, line.file, line.number))
            return
        try:
            declared = requirement(line.text, line.file, line.number)
        except InvalidRequirement as error:
            self._skip(
                "SP208",
                line,
                f"is not a valid requirement: {first_line(error)}",
                "fix the line (PEP 508: `name[extras] >= version ; marker`)",
            )
            return
        assert declared.name is not None
        if line.as_constraints:
            spec = Requirement(line.text).specifier
            self.constraints[declared.name] = self.constraints.get(declared.name, SpecifierSet()) & spec
        elif declared.name not in self.requirements:
            self.requirements[declared.name] = declared

    def _skip(self, code: str, line: _Line, what: str, hint: str) -> None:
        self.findings.append(
            finding(code, f"{line.file}:{line.number} {what}", hint=hint, path=line.file, line=line.number)
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
