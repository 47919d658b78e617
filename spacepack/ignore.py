"""The one set of rules for what never ships: used when checking, rendering and pushing.

`check` walks the project with these rules, `render` copies the build context
with them (and writes them as a `.dockerignore`), and `push` builds its upload
list from them, so the three can never disagree about what leaves the machine.

Patterns follow `.gitignore` syntax, matched by a small matcher of our own
rather than pathspec's regexes, for two reasons. Its time is bounded by the
length of the pattern times the length of the path (each `*` is matched
leftmost and never revisited, the way `fnmatch` does it since Python 3.9), so
a hostile `a/*a*a*a*a*a*a*ab` cannot stall a walk; and it matches
case-insensitively, like the Docker engine does with `.dockerignore`, so the
image and the upload always agree. The built-in exclusions (`ALWAYS_EXCLUDED`)
are matched on their own, so a user's `.gitignore` can add to them but never
re-include a `.env`, a credential file or a virtualenv.

What never runs on a Docker Space (tests, CI and docs folders, compose files,
an ejected `Dockerfile.template`: `DEFAULT_LEFT_OUT`) is a third, weakest tier:
it applies only where no project pattern decides, so an `include` pattern or
a folder the app uses (`keep`, from `check`) brings it back.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from spacepack.safe_read import read_project_text, special_kind

# Name parts that mark an env file as a template meant to be shared (no real values).
_ENV_TEMPLATE_PARTS = frozenset({"example", "sample", "template", "tmpl", "tpl", "dist", "defaults"})

# Dotenv files and their copies: editor backups (`.env~`, `#.env#`, `.env.swp`), copies
# (`.env copy`, `.env-local`, `.env_prod`) and case variants (matching is case-insensitive).
# Only the exact templates (`.env.example`, `example.env`...) ship.
DOTENV_PATTERNS: tuple[str, ...] = (
    ".env",
    ".env*",
    "[#].env*",
    ".#.env*",
    "*.env",
    "*.env[~#]",
    "*.env copy*",
    *(f"*.env.{suffix}" for suffix in ("bak", "backup", "old", "orig", "save", "swp", "tmp", "local")),
    *(f"!.env{sep}{part}" for part in sorted(_ENV_TEMPLATE_PARTS) for sep in (".", "-", "_")),
    *(f"!{part}.env" for part in sorted(_ENV_TEMPLATE_PARTS)),
)

# Other tools' credential files: they hold tokens and passwords and never belong in an image.
CREDENTIAL_PATTERNS: tuple[str, ...] = (
    ".npmrc",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".git-credentials",
    ".htpasswd",
    ".aws/",
    ".ssh/",
    ".gnupg/",
    ".docker/config.json",
    ".kube/config",
    ".streamlit/secrets.toml",
    "secrets.json",
    "secrets.toml",
    "secrets.yaml",
    "secrets.yml",
    "client_secret*.json",
    "credentials.json",
    "service-account*.json",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "*.p12",
    "*.pfx",
    "*.key",
    "*.keystore",
    "*.jks",
)

SECRET_FILE_PATTERNS: tuple[str, ...] = (*DOTENV_PATTERNS, *CREDENTIAL_PATTERNS)

ALWAYS_EXCLUDED: tuple[str, ...] = (
    # secrets: dotenv files (templates like .env.example do ship) and credential files
    *SECRET_FILE_PATTERNS,
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

# What never runs on a Docker Space and only adds risk and upload time: left out unless the app
# uses it or an `include` pattern brings it back. Names only, so they match at any depth and
# mean the same from the project root and from the working folder (the .dockerignore's root).
DEFAULT_LEFT_OUT: tuple[str, ...] = (
    # tests and their tooling
    "tests/",
    "test/",
    # documentation sources
    "docs/",
    # CI of every provider
    ".github/",
    ".gitlab/",
    ".gitlab-ci.yml",
    ".circleci/",
    ".travis.yml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    ".buildkite/",
    # local container orchestration: a Space runs the one image
    "docker-compose*.yml",
    "docker-compose*.yaml",
    "compose*.yml",
    "compose*.yaml",
    ".devcontainer/",
    # spacepack's own input: `render` reads it, the image never does
    "Dockerfile.template",
    # editor folders (.idea/ and .vscode/ are always left out)
    ".vs/",
    ".fleet/",
    ".zed/",
    ".history/",
)

# A folder holding this file is a virtualenv, whatever its name.
_VENV_MARKER = "pyvenv.cfg"
# The ignore files a project's own rules come from (nested ones are found by `_discover`).
_IGNORE_FILE_NAMES = frozenset({".gitignore"})


def is_env_file(name: str) -> bool:
    """Whether a file name is a dotenv file holding real values, or a copy of one (never shipped).

    Args:
        name: a file name (not a path), e.g. ".env.local".

    Returns:
        True for ".env", ".env.local", ".ENV", ".env~", "#.env#", ".env copy",
        "prod.env", ".env.example.local"; False for templates such as
        ".env.example", ".env.sample", ".env.template" or "example.env".
    """
    # Exactly the rule of the ALWAYS_EXCLUDED patterns, so the push guard and the ignore rules agree.
    return "/" not in name and _DOTENV_MATCH(name)


def is_secret_file(rel_posix: str) -> bool:
    """Whether a path (relative, posix) is a dotenv file or another tool's credential file.

    The same patterns are part of `ALWAYS_EXCLUDED`, so what this says never
    ships is exactly what the walk, the `.dockerignore` and the upload leave out.
    """
    parts = [part for part in rel_posix.split("/") if part]
    if not parts:
        return False
    for depth in range(1, len(parts)):
        if _SECRET_MATCH("/".join(parts[:depth]) + "/"):
            return True
    return _SECRET_MATCH("/".join(parts))


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


# -- gitignore patterns, matched in bounded time -------------------------------------------------

_FLAGS = re.IGNORECASE | re.DOTALL
_GROUP_IDS = itertools.count()
_ANY_SEGMENT = "**"


@dataclass(frozen=True)
class _Pattern:
    """One gitignore line, parsed."""

    negate: bool
    dir_only: bool
    segments: tuple[str, ...]  # glob segments; "**" matches any number of whole segments
    name_only: bool  # no slash in the pattern: it matches the last segment at any depth


def _strip_trailing_spaces(line: str) -> str:
    stripped = line.rstrip(" ")
    if len(stripped) < len(line) and _ends_with_escape(stripped):
        stripped += " "  # "foo\ " keeps its escaped space
    return stripped


def _ends_with_escape(text: str) -> bool:
    backslashes = len(text) - len(text.rstrip("\\"))
    return backslashes % 2 == 1


def parse_pattern(line: str) -> _Pattern | None:
    """A gitignore line as a pattern; None for blank lines, comments and lines that match nothing.

    A line ending in an unescaped backslash matches nothing, as in git.
    """
    line = _strip_trailing_spaces(line.rstrip("\r\n"))
    if not line or line.startswith("#"):
        return None
    negate = line.startswith("!")
    body = line[1:] if negate else line
    if _ends_with_escape(body):
        return None
    dir_only = body.endswith("/")
    body = body.rstrip("/")
    if not body:
        return None
    if "/" not in body:
        return _Pattern(negate, dir_only, (body,), name_only=True)
    segments = tuple(segment for segment in body.split("/") if segment)
    if not segments:
        return None
    if segments[-1] == _ANY_SEGMENT:
        # "abc/**" matches everything inside abc, not abc itself.
        segments = (*segments[:-1], "*", _ANY_SEGMENT)
    collapsed: list[str] = []
    for segment in segments:
        if not (segment == _ANY_SEGMENT and collapsed and collapsed[-1] == _ANY_SEGMENT):
            collapsed.append(segment)
    if collapsed == [_ANY_SEGMENT, collapsed[-1]] and collapsed[-1] != _ANY_SEGMENT:
        return _Pattern(negate, dir_only, (collapsed[-1],), name_only=True)
    return _Pattern(negate, dir_only, tuple(collapsed), name_only=False)


def _class_regex(glob: str, start: int) -> tuple[str, int] | None:
    """The regex of a `[...]` class starting at `start`, and the index after it; None if unclosed."""
    index = start + 1
    negate = index < len(glob) and glob[index] in "!^"
    if negate:
        index += 1
    items: list[str] = []
    first = True
    while index < len(glob):
        char = glob[index]
        if char == "]" and not first:
            body = "".join(items)
            return (f"[^{body}]" if negate else f"[{body}]"), index + 1
        if char == "\\" and index + 1 < len(glob):
            items.append(re.escape(glob[index + 1]))
            index += 2
        else:
            items.append("-" if char == "-" and not first else re.escape(char))
            index += 1
        first = False
    return None


def glob_regex(glob: str) -> str:
    """A regex for one gitignore glob segment (no slash), matched in time |glob| x |name|.

    `*` is matched leftmost and never revisited: each middle chunk sits in a
    lookahead (which Python never backtracks into), the trick `fnmatch` uses,
    so the regex cannot backtrack catastrophically.
    """
    chunks: list[list[str]] = [[]]
    index = 0
    while index < len(glob):
        char = glob[index]
        if char == "*":
            if chunks[-1] or len(chunks) == 1:
                chunks.append([])
            index += 1
        elif char == "?":
            chunks[-1].append(".")
            index += 1
        elif char == "[":
            parsed = _class_regex(glob, index)
            if parsed is None:
                chunks[-1].append(re.escape(char))
                index += 1
            else:
                chunks[-1].append(parsed[0])
                index = parsed[1]
        elif char == "\\" and index + 1 < len(glob):
            chunks[-1].append(re.escape(glob[index + 1]))
            index += 2
        else:
            chunks[-1].append(re.escape(char))
            index += 1
    parts = ["".join(chunk) for chunk in chunks]
    if len(parts) == 1:
        return parts[0]
    regex = parts[0]
    for middle in parts[1:-1]:
        if not middle:
            continue
        group = f"g{next(_GROUP_IDS)}"
        regex += f"(?=(?P<{group}>.*?{middle}))(?P={group})"
    return regex + ".*" + parts[-1]


def _compile_segment(glob: str) -> re.Pattern[str] | None:
    if glob == _ANY_SEGMENT:
        return None
    try:
        return re.compile(glob_regex(glob) + r"\Z", _FLAGS)
    except re.error:
        return re.compile(r"(?!)")  # an invalid class (e.g. "[z-a]") matches nothing, as in git


class _PathPattern:
    """A pattern with a slash, matched segment by segment; `**` placed leftmost, never revisited."""

    def __init__(self, pattern: _Pattern) -> None:
        self.dir_only = pattern.dir_only
        compiled = [_compile_segment(segment) for segment in pattern.segments]
        blocks: list[list[re.Pattern[str]]] = [[]]
        for segment in compiled:
            if segment is None:
                blocks.append([])
            else:
                blocks[-1].append(segment)
        self._blocks = blocks
        self._fixed = sum(len(block) for block in blocks)
        # Without `**` a pattern matches paths of exactly its number of segments only.
        self.depth: int | None = self._fixed if len(blocks) == 1 else None

    def __call__(self, parts: Sequence[str], is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        blocks = self._blocks
        if len(parts) < self._fixed:
            return False
        if len(blocks) == 1:
            return len(parts) == len(blocks[0]) and _block_at(blocks[0], parts, 0)
        first, last = blocks[0], blocks[-1]
        if not _block_at(first, parts, 0):
            return False
        end = len(parts) - len(last)
        if not _block_at(last, parts, end):
            return False
        position = len(first)
        for block in blocks[1:-1]:
            found = _find_block(block, parts, position, end)
            if found < 0:
                return False
            position = found + len(block)
        return position <= end


def _block_at(block: Sequence[re.Pattern[str]], parts: Sequence[str], start: int) -> bool:
    return all(segment.match(parts[start + offset]) for offset, segment in enumerate(block))


def _find_block(block: Sequence[re.Pattern[str]], parts: Sequence[str], start: int, end: int) -> int:
    for position in range(start, end - len(block) + 1):
        if _block_at(block, parts, position):
            return position
    return -1


# (exclude?, name-only regex, folder-only name regex, path patterns, the depths the path patterns
# can match, None when one has `**`).
_Run = tuple[bool, re.Pattern[str] | None, re.Pattern[str] | None, tuple[_PathPattern, ...], frozenset[int] | None]


class _Matcher:
    """Gitignore matching: the last pattern that matches decides.

    Consecutive patterns with the same sign (exclude or `!` re-include) are
    tested together: name-only patterns as one regex on the last segment
    (split by whether they match folders only), the others segment by segment.
    A walk of 10,000 entries then costs a few regex searches per entry.
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        runs: list[tuple[bool, list[_Pattern]]] = []
        for raw in patterns:
            parsed = parse_pattern(raw)
            if parsed is None:
                continue
            include = not parsed.negate
            if runs and runs[-1][0] == include:
                runs[-1][1].append(parsed)
            else:
                runs.append((include, [parsed]))
        self._groups: list[_Run] = [_compile_run(include, parsed) for include, parsed in reversed(runs)]

    def __call__(self, candidate: str) -> bool:
        """Whether `candidate` ("a/b.py", or "a/b/" for a folder) is excluded."""
        return self.decide(candidate) is True

    def decide(self, candidate: str) -> bool | None:
        """True when the last matching pattern excludes `candidate`, False when it re-includes it, None: no match."""
        is_dir = candidate.endswith("/")
        path = candidate.rstrip("/")
        name = path.rpartition("/")[2]
        parts: list[str] | None = None
        depth = path.count("/") + 1
        for include, any_kind, dirs_only, others, depths in self._groups:
            if (any_kind is not None and any_kind.match(name)) or (
                is_dir and dirs_only is not None and dirs_only.match(name)
            ):
                return include
            if others and (depths is None or depth in depths):
                if parts is None:
                    parts = path.split("/")
                if any(pattern(parts, is_dir) for pattern in others):
                    return include
        return None


def _compile_run(include: bool, patterns: list[_Pattern]) -> _Run:
    any_kind: list[str] = []
    dirs_only: list[str] = []
    others: list[_PathPattern] = []
    for pattern in patterns:
        if not pattern.name_only:
            others.append(_PathPattern(pattern))
        elif pattern.dir_only:
            dirs_only.append(_checked(glob_regex(pattern.segments[0])))
        else:
            any_kind.append(_checked(glob_regex(pattern.segments[0])))
    depths = [pattern.depth for pattern in others]
    return (
        include,
        re.compile("(?:" + "|".join(any_kind) + r")\Z", _FLAGS) if any_kind else None,
        re.compile("(?:" + "|".join(dirs_only) + r")\Z", _FLAGS) if dirs_only else None,
        tuple(others),
        None if None in depths else frozenset(depth for depth in depths if depth is not None),
    )


def _checked(regex: str) -> str:
    try:
        re.compile(regex)
    except re.error:
        return "(?!)"
    return "(?:" + regex + ")"


_DOTENV_MATCH = _Matcher(DOTENV_PATTERNS)
_SECRET_MATCH = _Matcher(SECRET_FILE_PATTERNS)


@functools.lru_cache(maxsize=32)
def _compiled(patterns: tuple[str, ...]) -> _Matcher:
    """One matcher per pattern list: rules derived from each other (`replace`, `keeping`) share
    the built-ins and the default tier, which would otherwise be compiled again each time."""
    return _Matcher(patterns)


@dataclass(frozen=True)
class IgnoreRules:
    """What never ships: built-in exclusions plus the project's `.gitignore` patterns."""

    always: tuple[str, ...] = ALWAYS_EXCLUDED
    project: tuple[str, ...] = ()
    # Notes on ignore files that were not read, with why ("backend/.gitignore: a FIFO").
    notes: tuple[str, ...] = field(default=(), compare=False)
    # Left out only where no `project` pattern decides (`DEFAULT_LEFT_OUT` for what ships; () to see it all).
    defaults: tuple[str, ...] = ()
    _always_match: _Matcher = field(init=False, repr=False, compare=False)
    _project_match: _Matcher = field(init=False, repr=False, compare=False)
    _defaults_match: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled once; frozen dataclasses need object.__setattr__ for derived fields.
        object.__setattr__(self, "_always_match", _compiled(self.always))
        object.__setattr__(self, "_project_match", _compiled(self.project))
        object.__setattr__(self, "_defaults_match", _compiled(self.defaults))

    @classmethod
    def for_shipping(
        cls,
        root: Path,
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        keep: Sequence[str] = (),
        extra: Sequence[str] = (),
    ) -> IgnoreRules:
        """What ships from a project, to the image and the upload alike: the one rule set `check`,
        `render` and (through the rendered context) `push` use.

        Precedence, lowest first: `DEFAULT_LEFT_OUT`; `keep`; the `.gitignore`
        files; `exclude`; `include`; `extra`. The built-in exclusions
        (`ALWAYS_EXCLUDED`) beat them all: `include` never brings back a `.env`.

        Args:
            root: the project folder.
            include: gitignore-style patterns that ship even when left out by default or by `.gitignore`.
            exclude: gitignore-style patterns that never ship.
            keep: paths relative to `root` left out by default that the app uses ("docs/" for a folder).
            extra: more patterns that never ship, whatever `include` says (the files holding secrets).
        """
        rules = cls.for_project(root, extra=[*exclude, *(f"!{pattern}" for pattern in include), *extra])
        return replace(rules, defaults=DEFAULT_LEFT_OUT).keeping(keep)

    def keeping(self, paths: Iterable[str]) -> IgnoreRules:
        """These rules with `paths` (relative, folders ending with "/") out of the default tier's reach.

        Each becomes a `!` pattern placed before every project pattern, so a
        `.gitignore`, `exclude` or `extra` pattern still leaves it out.
        """
        negations = [f"!/{path.strip('/')}{'/' if path.endswith('/') else ''}" for path in paths if path.strip("/")]
        if not negations:
            return self
        return replace(self, project=(*negations, *self.project))

    def without_defaults(self) -> IgnoreRules:
        """The same rules without the default tier: every file a project may ship (what `check` reads)."""
        return replace(self, defaults=())

    def left_out_by_default(self, rel_posix: str, is_dir: bool = False) -> bool:
        """Whether the default tier alone leaves this path (not its folders) out."""
        candidate = rel_posix.strip("/") + ("/" if is_dir else "")
        return (
            bool(self.defaults)
            and self._defaults_match(candidate)
            and not self._always_match(candidate)
            and self._project_match.decide(candidate) is None
        )

    @classmethod
    def for_project(cls, root: Path, extra: Sequence[str] = ()) -> IgnoreRules:
        """The rules for a project: built-ins, every `.gitignore` in it, then `extra`.

        Nested `.gitignore` files are rewritten relative to `root`; folders that
        hold a `pyvenv.cfg` (virtualenvs with any name) are excluded too. The
        user's `.dockerignore` is not read: spacepack writes its own. A
        `.gitignore` that is a link, a FIFO or over 2 MB is not read (its lines
        would otherwise be copied into the `.dockerignore`, which ships); it is
        listed in `notes` instead.

        Args:
            root: the project folder.
            extra: more gitignore-style patterns, relative to `root`.
        """
        root = root.resolve()
        patterns: list[str] = []
        notes: list[str] = []
        # The root .gitignore first, so the search for nested ones skips what it excludes.
        root_gitignore = _read_ignore_file(root, ".gitignore", notes)
        if root_gitignore is not None:
            patterns.extend(p for p in (_rebase(line, "") for line in root_gitignore.splitlines()) if p)
        gitignores, venvs = _discover(root, cls(project=tuple(patterns)), notes)
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
        return cls(project=tuple(patterns), notes=tuple(dict.fromkeys(notes)))

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
        return self._tiers(candidate)[1]

    def _tiers(self, candidate: str) -> tuple[bool, bool]:
        """Whether `candidate` is excluded without the default tier, and whether it is with it (`_match`)."""
        if self._always_match(candidate):
            return True, True
        decided = self._project_match.decide(candidate)
        if decided is not None:
            return decided, decided
        return False, bool(self.defaults) and self._defaults_match(candidate)

    def _path_tiers(self, rel_posix: str) -> tuple[bool, bool]:
        """`is_ignored` for a file, without and with the default tier, in one pass over its folders."""
        parts = rel_posix.strip("/").split("/")
        soft = False
        for depth in range(1, len(parts) + 1):
            candidate = "/".join(parts[:depth]) + ("/" if depth < len(parts) else "")
            excluded, by_default = self._tiers(candidate)
            if excluded:
                return True, True
            soft = soft or by_default
        return False, soft

    def patterns(self) -> tuple[str, ...]:
        """Every pattern, gitignore-style, built-ins first, then the default tier (for a `.dockerignore`)."""
        return self.always + self.defaults + self.project

    def reincluding(self, paths: Iterable[str]) -> IgnoreRules:
        """These rules plus a `!` pattern for the outermost excluded folder (or file) of each path given.

        The `.dockerignore` is written from the working folder, where the
        project's `include` and `keep` (written from the root) do not apply:
        re-including what the context holds keeps the image and the upload
        the same set of files.
        """
        negations: dict[str, None] = {}
        folders: dict[str, bool] = {}  # a context's files share few folders: each is matched once
        for rel in paths:
            parts = rel.strip("/").split("/")
            for depth in range(1, len(parts) + 1):
                is_dir = depth < len(parts)
                candidate = "/".join(parts[:depth]) + ("/" if is_dir else "")
                if is_dir:
                    excluded = folders.get(candidate)
                    if excluded is None:
                        excluded = folders[candidate] = self._match(candidate)
                else:
                    excluded = self._match(candidate)
                if excluded:
                    negations[f"!/{candidate}"] = None
                    break
        if not negations:
            return self
        return replace(self, project=(*self.project, *negations))

    def dockerignore_lines(self) -> tuple[str, ...]:
        """The patterns rewritten for Docker's `.dockerignore` matcher.

        Docker matches patterns from the context root only, so a gitignore
        pattern without a slash (matching at any depth) becomes `**/pattern`.
        Docker has no folder-only patterns (it drops a trailing slash), so
        `logs/` becomes `**/logs/**`: the files below such folders, never a
        file of that name, which the upload holds (the image and the upload
        must hold the same files).
        """
        lines: list[str] = []
        for pattern in self.patterns():
            if parse_pattern(pattern) is None:
                continue  # a line that matches nothing (e.g. ending in a backslash) would break docker's parser
            pattern = pattern.replace("[!", "[^")  # docker's (Go's) class negation
            negate = pattern.startswith("!")
            body = pattern[1:] if negate else pattern
            trimmed = body.rstrip("/")
            if trimmed.startswith("/"):
                converted = trimmed.lstrip("/")
            elif "/" in trimmed or trimmed.startswith("**"):
                converted = trimmed
            else:
                converted = f"**/{trimmed}"
            if body.endswith("/") and not converted.endswith("/**"):
                converted += "/**"
            lines.append(("!" if negate else "") + converted)
        return tuple(lines)


@dataclass(frozen=True)
class LeftOut:
    """A folder or file left out of the image and the upload by default (see `DEFAULT_LEFT_OUT`)."""

    path: str  # relative to the project root; a folder ends with "/"
    files: int  # the files in it that would otherwise ship

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "files": self.files}


def left_out_by_default(
    root: Path,
    rules: IgnoreRules,
    under: str = "",
    everything: Iterable[str] | None = None,
    default_only: Iterable[str] | None = None,
) -> tuple[LeftOut, ...]:
    """What the default tier of `rules` leaves out below `under`: each outermost folder or file, sorted by path.

    Args:
        root: the project folder.
        rules: the rules that decide what ships (`IgnoreRules.for_shipping`).
        under: a folder relative to `root` ("" for all of it), e.g. the working folder.
        everything: the files `rules.without_defaults()` keeps, when the caller has walked them already.
        default_only: the files only the default tier leaves out, when the caller has them already
            (`walk_shipping(...).left_out`); then nothing is walked.
    """
    prefix = under.strip("/") + "/" if under.strip("/") not in {"", "."} else ""
    if default_only is None:
        if everything is None:
            everything = [rel for rel, _size in walk(root, rules.without_defaults())]
        shipped = {rel for rel, _size in walk(root, rules)}
        default_only = [rel for rel in everything if rel not in shipped]
    counts: dict[str, int] = {}
    for rel in default_only:
        if rel.startswith(prefix):
            key = _left_out_key(rules, rel)
            counts[key] = counts.get(key, 0) + 1
    return tuple(LeftOut(path, files) for path, files in sorted(counts.items()))


def _left_out_key(rules: IgnoreRules, rel: str) -> str:
    parts = rel.split("/")
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth]) + "/"
        if rules.left_out_by_default(folder, is_dir=True):
            return folder
    return rel  # the file itself, or a link to a file left out


def describe_left_out(left_out: Sequence[LeftOut], limit: int = 6) -> str:
    """One short line: "tests/ (14 files), .github/ (2 files)": the `limit` largest, then how many more."""
    largest = sorted(left_out, key=lambda item: (-item.files, item.path))[:limit]
    parts = [f"{item.path} ({item.files} file{'' if item.files == 1 else 's'})" for item in largest]
    if len(left_out) > limit:
        parts.append(f"{len(left_out) - limit} more")
    return ", ".join(parts)


def _scan(
    root: Path,
    rules: IgnoreRules,
    venvs: list[str] | None = None,
    skipped_files: list[str] | None = None,
    *,
    only_names: frozenset[str] | None = None,
    tiered: bool = False,
) -> Iterator[tuple[str, os.DirEntry[str], bool]]:
    """Every entry not ignored, depth first; ignored folders are never entered.

    Yields (relative posix path, entry, left out by default). Symlinked folders are not followed
    (no loops, nothing outside the project); unreadable folders are skipped.
    Folders holding a pyvenv.cfg are skipped and, when `venvs` is given, listed in it;
    ignored files of the folders visited are listed in `skipped_files` when given.
    Files whose name is not in `only_names` (when given) are neither matched nor yielded.
    When `tiered`, what only the default tier of `rules` leaves out is yielded too, flagged
    (a folder's flag holds for everything below it); otherwise the flag is always False.
    """
    stack: list[tuple[str, str, bool]] = [(str(root), "", False)]
    while stack:
        directory, rel_dir, folder_by_default = stack.pop()
        try:
            with os.scandir(directory) as scanner:
                entries = list(scanner)
        except OSError:
            continue
        subdirs: list[tuple[str, str, bool]] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if not is_dir and only_names is not None and entry.name not in only_names:
                continue
            candidate = rel + "/" if is_dir else rel
            if tiered:
                excluded, by_default = rules._tiers(candidate)
                by_default = by_default or folder_by_default
            else:
                excluded, by_default = rules._match(candidate), False
            if is_dir:
                if excluded:
                    continue
                if os.path.exists(os.path.join(entry.path, _VENV_MARKER)):  # noqa: PTH110, PTH118 - no Path per folder
                    if venvs is not None:
                        venvs.append(rel)
                    continue
                subdirs.append((entry.path, rel, by_default))
                yield rel, entry, by_default
            elif not excluded:
                yield rel, entry, by_default
            elif skipped_files is not None:
                skipped_files.append(rel)
        stack.extend(sorted(subdirs, reverse=True))


def _read_ignore_file(root: Path, rel: str, notes: list[str]) -> str | None:
    """A `.gitignore`'s text: a regular file inside the project only (never a link), bounded in size."""
    if not os.path.lexists(root / rel):
        return None
    text, refused = read_project_text(root, rel)
    if text is None:
        notes.append(f"{rel} was not read: {refused}")
    return text


def _discover(
    root: Path, rules: IgnoreRules, notes: list[str] | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    """One pruned pass: every .gitignore (relative dir, text), root first, and every virtualenv folder."""
    gitignores: list[tuple[str, str]] = []
    venvs: list[str] = []
    for rel, entry, _by_default in _scan(root, rules, venvs, only_names=_IGNORE_FILE_NAMES):
        if entry.name != ".gitignore" or "/" not in rel:
            continue
        text = _read_ignore_file(root, rel, notes if notes is not None else [])
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


def walk_with_skipped(
    root: Path, rules: IgnoreRules, notes: list[str] | None = None
) -> tuple[list[tuple[str, int]], list[str]]:
    """Like `walk`, plus the ignored files seen in the folders it entered (sorted).

    The second list lets `check` notice files that never ship but matter,
    such as `.env` files whose variable names become Space secrets. Files
    that are left out for safety rather than by a pattern (a FIFO, a link out
    of the project, a hard link to a `.env`, a name that is not UTF-8) are
    described in `notes` when given.
    """
    kept, skipped = walk_states(root, rules, notes)
    return [(rel, info.st_size) for rel, info in kept], skipped


def walk_states(
    root: Path, rules: IgnoreRules, notes: list[str] | None = None
) -> tuple[list[tuple[str, os.stat_result]], list[str]]:
    """`walk_with_skipped` with each kept file's state as the walk saw it (a link's: its target's)."""
    kept, skipped = _walk(root.resolve(), rules, notes if notes is not None else [], tiered=False)
    return [(rel, info) for rel, info, _by_default in kept], skipped


@dataclass(frozen=True)
class ShippingWalk:
    """One walk of a project under shipping rules: what ships, and what only the default tier leaves out."""

    # Each file that ships, sorted, with its state when walked (a link's: its target's).
    shipped: tuple[tuple[str, os.stat_result], ...]
    # The files `rules.without_defaults()` keeps that do not ship (see `left_out_by_default`), sorted.
    left_out: tuple[str, ...]


def walk_shipping(root: Path, rules: IgnoreRules) -> ShippingWalk:
    """`walk(root, rules)` and the files its default tier alone leaves out, in one walk.

    The walk enters what only the default tier leaves out (as `rules.without_defaults()` does)
    and flags it instead of pruning it. A kept file that is a hard link to a secret file
    seen anywhere in the walk is left out of both lists.
    """
    kept, _skipped = _walk(root.resolve(), rules, [], tiered=True)
    return ShippingWalk(
        shipped=tuple((rel, info) for rel, info, by_default in kept if not by_default),
        left_out=tuple(rel for rel, _info, by_default in kept if by_default),
    )


def _walk(
    root: Path, rules: IgnoreRules, notes: list[str], *, tiered: bool
) -> tuple[list[tuple[str, os.stat_result, bool]], list[str]]:
    """The walk behind `walk_with_skipped` and `walk_shipping`: kept files (path, state, left out by default)."""
    kept: list[tuple[str, os.stat_result, bool]] = []
    skipped: list[str] = []
    linked: dict[str, tuple[int, int]] = {}  # kept files with several hard links -> (device, inode)
    for rel, entry, by_default in _scan(root, rules, skipped_files=skipped, tiered=tiered):
        try:
            if entry.is_dir(follow_symlinks=False):
                continue
            if not _utf8(rel):
                notes.append(f"{_printable(rel)}: its name is not UTF-8, so it cannot be uploaded; not shipped")
                continue
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                target = Path(entry.path).resolve()
                if not target.is_relative_to(root):
                    notes.append(f"{rel}: a link to a file outside the project; not shipped")
                    continue
                # A link must not smuggle out what the rules keep in: `settings.cfg -> .env`
                # would otherwise copy the secret's contents into the image and the upload.
                target_rel = target.relative_to(root).as_posix()
                if tiered:
                    excluded, target_by_default = rules._path_tiers(target_rel)
                    by_default = by_default or target_by_default
                else:
                    excluded = rules.is_ignored(target_rel)
                if is_secret_file(target_rel) or excluded:
                    skipped.append(rel)
                    continue
                info = target.stat()
            if not stat.S_ISREG(info.st_mode):
                notes.append(f"{rel}: {special_kind(info.st_mode)}; not shipped")
                continue
        except (OSError, RuntimeError):
            continue
        if info.st_nlink > 1:
            linked[rel] = (info.st_dev, info.st_ino)
        kept.append((rel, info, by_default))
    if linked:
        kept = _drop_links_to_secrets(root, kept, skipped, linked, notes)
    kept.sort()
    skipped.sort()
    return kept, skipped


def _drop_links_to_secrets(
    root: Path,
    kept: list[tuple[str, os.stat_result, bool]],
    skipped: list[str],
    linked: dict[str, tuple[int, int]],
    notes: list[str],
) -> list[tuple[str, os.stat_result, bool]]:
    """Leave out kept files that are hard links to a secret file (the same inode as a `.env`)."""
    secret_inodes: set[tuple[int, int]] = set()
    for rel in skipped:
        if is_secret_file(rel):
            try:
                info = (root / rel).stat(follow_symlinks=False)
            except OSError:
                continue
            secret_inodes.add((info.st_dev, info.st_ino))
    result: list[tuple[str, os.stat_result, bool]] = []
    for item in kept:
        if linked.get(item[0]) in secret_inodes:
            skipped.append(item[0])
            notes.append(f"{item[0]}: a hard link to a secret file; not shipped")
        else:
            result.append(item)
    return result


def _utf8(rel: str) -> bool:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(rel: str) -> str:
    return rel.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
