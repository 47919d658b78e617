"""The one set of rules for what never ships: used when checking, rendering and pushing.

`check` walks the project with these rules, `render` copies the build context
with them (and writes them as a `.dockerignore`), and `push` builds its upload
list from them, so the three can never disagree about what leaves the machine.

Patterns follow `.gitignore` semantics (pathspec's `GitIgnoreSpec`, with a fast path
for name-only patterns). The
built-in exclusions (`ALWAYS_EXCLUDED`) are matched on their own, so a user's
`.gitignore` can add to them but never re-include a `.env` or a virtualenv.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

# Name parts that mark an env file as a template meant to be shared (no real values).
_ENV_TEMPLATE_PARTS = frozenset({"example", "sample", "template", "tmpl", "tpl", "dist", "defaults"})

ALWAYS_EXCLUDED: tuple[str, ...] = (
    # secrets: dotenv files (templates like .env.example do ship)
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    *(f"!.env.{part}" for part in sorted(_ENV_TEMPLATE_PARTS)),
    *(f"!{part}.env" for part in sorted(_ENV_TEMPLATE_PARTS)),
    # version control
    ".git/",
    ".hg/",
    ".svn/",
    # virtualenvs and installed packages (folders holding a pyvenv.cfg are also pruned by `walk`)
    ".venv/",
    "venv/",
    ".virtualenv/",
    "site-packages/",
    "__pypackages__/",
    # bytecode and tool caches
    "__pycache__/",
    "*.py[cod]",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".hypothesis/",
    ".tox/",
    ".nox/",
    ".ipynb_checkpoints/",
    # JavaScript dependencies
    "node_modules/",
    # build outputs
    "build/",
    "dist/",
    "*.egg-info/",
    ".eggs/",
    # coverage output
    ".coverage",
    ".coverage.*",
    "htmlcov/",
    "coverage.xml",
    # spacepack's own output
    ".spacepack/",
    # editor and OS litter
    ".DS_Store",
    "Thumbs.db",
    ".idea/",
    ".vscode/",
)

# A folder holding this file is a virtualenv, whatever its name.
_VENV_MARKER = "pyvenv.cfg"


def is_env_file(name: str) -> bool:
    """Whether a file name is a dotenv file holding real values (never shipped).

    Args:
        name: a file name (not a path), e.g. ".env.local".

    Returns:
        True for ".env", ".env.local", "prod.env", ".env.example.local"; False for
        templates such as ".env.example", ".env.sample", ".env.template" or "example.env".
    """
    # Exactly the rule of the ALWAYS_EXCLUDED patterns, so the push guard and the ignore rules agree:
    # only `.env.<template>` / `<template>.env` are templates; `.env.example.local` holds values.
    if name in {".env", ".envrc"}:
        return True
    if name.startswith(".env."):
        return name[len(".env.") :] not in _ENV_TEMPLATE_PARTS
    if name.endswith(".env") and len(name) > len(".env"):
        return name[: -len(".env")] not in _ENV_TEMPLATE_PARTS
    return False


def _rebase(pattern: str, directory: str) -> str | None:
    """Turn a pattern of `directory/.gitignore` into an equivalent pattern for the root.

    Returns None for blank lines and comments.
    """
    line = pattern.rstrip("\n").rstrip("\r")
    if not line.strip() or line.startswith("#"):
        return None
    if not directory:
        return line
    negate = line.startswith("!")
    body = line[1:] if negate else line
    trimmed = body.rstrip("/")
    # gitignore: a pattern with a slash at the start or middle is relative to its .gitignore;
    # without one it matches at any depth below it.
    if "/" in trimmed:
        rebased = f"{directory}/{body.lstrip('/')}"
    else:
        rebased = f"{directory}/**/{body}"
    return ("!" if negate else "") + rebased


class _Matcher:
    """Gitignore matching, fast: name-only patterns become one regex per run.

    Gitignore decides by the last pattern that matches. Consecutive patterns
    with the same sign (exclude or `!` re-include) can be tested together, so
    each run is one combined regex on the file name (for patterns without a
    slash, which match at any depth) plus a pathspec for the others. A walk
    of 10,000 entries then costs a few regex searches per entry instead of
    one per pattern.
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        runs: list[tuple[bool, list[str]]] = []
        for raw in patterns:
            line = raw.rstrip()
            if not line or line.startswith("#"):
                continue
            include = not line.startswith("!")
            body = line if include else line[1:]
            if runs and runs[-1][0] == include:
                runs[-1][1].append(body)
            else:
                runs.append((include, [body]))
        self._groups: list[tuple[bool, re.Pattern[str] | None, re.Pattern[str] | None, pathspec.GitIgnoreSpec | None]]
        self._groups = [_compile_run(include, bodies) for include, bodies in reversed(runs)]

    def __call__(self, candidate: str) -> bool:
        """Whether `candidate` ("a/b.py", or "a/b/" for a folder) is excluded."""
        is_dir = candidate.endswith("/")
        name = candidate.rstrip("/").rpartition("/")[2]
        for include, any_kind, dirs_only, spec in self._groups:
            if (
                (any_kind is not None and any_kind.match(name))
                or (is_dir and dirs_only is not None and dirs_only.match(name))
                or (spec is not None and spec.match_file(candidate))
            ):
                return include
        return False


def _compile_run(
    include: bool, bodies: list[str]
) -> tuple[bool, re.Pattern[str] | None, re.Pattern[str] | None, pathspec.GitIgnoreSpec | None]:
    any_kind: list[str] = []
    dirs_only: list[str] = []
    others: list[str] = []
    for body in bodies:
        trimmed = body[:-1] if body.endswith("/") else body
        if "/" in trimmed or "\\" in trimmed or "**" in trimmed or not trimmed:
            others.append(body)
        elif body.endswith("/"):
            dirs_only.append(fnmatch.translate(trimmed))
        else:
            any_kind.append(fnmatch.translate(trimmed))
    return (
        include,
        re.compile("|".join(any_kind)) if any_kind else None,
        re.compile("|".join(dirs_only)) if dirs_only else None,
        pathspec.GitIgnoreSpec.from_lines(others) if others else None,
    )


@dataclass(frozen=True)
class IgnoreRules:
    """What never ships: built-in exclusions plus the project's `.gitignore` patterns."""

    always: tuple[str, ...] = ALWAYS_EXCLUDED
    project: tuple[str, ...] = ()
    _always_match: _Matcher = field(init=False, repr=False, compare=False)
    _project_match: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled once; frozen dataclasses need object.__setattr__ for derived fields.
        object.__setattr__(self, "_always_match", _Matcher(self.always))
        object.__setattr__(self, "_project_match", _Matcher(self.project))

    @classmethod
    def for_project(cls, root: Path, extra: Sequence[str] = ()) -> IgnoreRules:
        """The rules for a project: built-ins, every `.gitignore` in it, then `extra`.

        Nested `.gitignore` files are rewritten relative to `root`; folders that
        hold a `pyvenv.cfg` (virtualenvs with any name) are excluded too. The
        user's `.dockerignore` is not read: spacepack writes its own.

        Args:
            root: the project folder.
            extra: more gitignore-style patterns, relative to `root`.
        """
        patterns: list[str] = []
        # The root .gitignore first, so the search for nested ones skips what it excludes.
        root_gitignore = _read_text(root / ".gitignore")
        if root_gitignore is not None:
            patterns.extend(p for p in (_rebase(line, "") for line in root_gitignore.splitlines()) if p)
        gitignores, venvs = _discover(root, cls(project=tuple(patterns)))
        for rel_dir, text in gitignores:
            if not rel_dir:
                continue
            for line in text.splitlines():
                rebased = _rebase(line, rel_dir)
                if rebased is not None:
                    patterns.append(rebased)
        for venv in venvs:
            patterns.append(f"/{venv}/")
        patterns.extend(p for p in extra if p.strip())
        return cls(project=tuple(patterns))

    def is_ignored(self, rel_posix: str, is_dir: bool = False) -> bool:
        """Whether a path (relative to the project root, posix) never ships.

        A file below an ignored folder is ignored too, as in git: a folder that
        is excluded cannot have files re-included below it.
        """
        rel = rel_posix.strip("/")
        if not rel or rel == ".":
            return False
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            if self._match("/".join(parts[:depth]) + "/"):
                return True
        return self._match(rel + "/" if is_dir else rel)

    def _match(self, candidate: str) -> bool:
        return self._always_match(candidate) or self._project_match(candidate)

    def patterns(self) -> tuple[str, ...]:
        """Every pattern, gitignore-style, built-ins first (for a `.dockerignore` or a report)."""
        return self.always + self.project

    def dockerignore_lines(self) -> tuple[str, ...]:
        """The patterns rewritten for Docker's `.dockerignore` matcher.

        Docker matches patterns from the context root only, so a gitignore
        pattern without a slash (matching at any depth) becomes `**/pattern`.
        """
        lines: list[str] = []
        for pattern in self.patterns():
            negate = pattern.startswith("!")
            body = pattern[1:] if negate else pattern
            trimmed = body.rstrip("/")
            if trimmed.startswith("/"):
                converted = trimmed.lstrip("/")
            elif "/" in trimmed or trimmed.startswith("**"):
                converted = trimmed
            else:
                converted = f"**/{trimmed}"
            lines.append(("!" if negate else "") + converted)
        return tuple(lines)


def _scan(
    root: Path,
    rules: IgnoreRules,
    venvs: list[str] | None = None,
    skipped_files: list[str] | None = None,
) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry not ignored, depth first; ignored folders are never entered.

    Yields (relative posix path, entry). Symlinked folders are not followed
    (no loops, nothing outside the project); unreadable folders are skipped.
    Folders holding a pyvenv.cfg are skipped and, when `venvs` is given, listed in it;
    ignored files of the folders visited are listed in `skipped_files` when given.
    """
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        directory, rel_dir = stack.pop()
        try:
            with os.scandir(directory) as scanner:
                entries = list(scanner)
        except OSError:
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if rules._match(rel + "/"):
                    continue
                if (Path(entry.path) / _VENV_MARKER).exists():
                    if venvs is not None:
                        venvs.append(rel)
                    continue
                subdirs.append((entry.path, rel))
                yield rel, entry
            elif not rules._match(rel):
                yield rel, entry
            elif skipped_files is not None:
                skipped_files.append(rel)
        stack.extend(sorted(subdirs, reverse=True))


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _discover(root: Path, rules: IgnoreRules) -> tuple[list[tuple[str, str]], list[str]]:
    """One pruned pass: every .gitignore (relative dir, text), root first, and every virtualenv folder."""
    gitignores: list[tuple[str, str]] = []
    venvs: list[str] = []
    for rel, entry in _scan(root, rules, venvs):
        if entry.name != ".gitignore":
            continue
        text = _read_text(Path(entry.path))
        if text is None:
            continue
        gitignores.append((rel.rpartition("/")[0], text))
    gitignores.sort(key=lambda item: (item[0].count("/") if item[0] else -1, item[0]))
    return gitignores, sorted(venvs)


def walk(root: Path, rules: IgnoreRules) -> Iterator[tuple[str, int]]:
    """Every regular file that ships: (relative posix path, size in bytes), sorted by path.

    Ignored folders are pruned without being entered, so a 30,000-file `.venv`
    costs one directory entry. Symlinked folders are not followed; a symlinked
    file is kept only when it points to a regular file inside `root` (a link to
    a file elsewhere on the machine must never leak into an image or a Space).

    Args:
        root: the project folder.
        rules: what to leave out (see `IgnoreRules.for_project`).
    """
    kept, _ = walk_with_skipped(root, rules)
    yield from kept


def walk_with_skipped(root: Path, rules: IgnoreRules) -> tuple[list[tuple[str, int]], list[str]]:
    """Like `walk`, plus the ignored files seen in the folders it entered (sorted).

    The second list lets `check` notice files that never ship but matter,
    such as `.env` files whose variable names become Space secrets.
    """
    root = root.resolve()
    kept: list[tuple[str, int]] = []
    skipped: list[str] = []
    for rel, entry in _scan(root, rules, skipped_files=skipped):
        try:
            if entry.is_dir(follow_symlinks=False):
                continue
            if entry.is_symlink():
                target = Path(entry.path).resolve()
                if not target.is_relative_to(root) or not target.is_file():
                    continue
                # A link must not smuggle out what the rules keep in: `settings.cfg -> .env`
                # would otherwise copy the secret's contents into the image and the upload.
                if is_env_file(target.name) or rules.is_ignored(target.relative_to(root).as_posix()):
                    skipped.append(rel)
                    continue
                size = target.stat().st_size
            else:
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    continue
                size = info.st_size
        except (OSError, RuntimeError):
            continue
        kept.append((rel, size))
    kept.sort()
    skipped.sort()
    return kept, skipped
