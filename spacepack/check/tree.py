"""The project as `check` sees it: the files that ship, read once, Python parsed once.

Every check works on one `ProjectTree` instead of touching the disk itself, so
the ignore rules are applied in one place and each file is read at most once.
Python modules are parsed lazily (on first access to `tree.python[path]`), so
a repository with thousands of modules outside the backend costs nothing.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from spacepack.errors import UsageError
from spacepack.findings import finding
from spacepack.ignore import IgnoreRules, is_env_file, is_secret_file, walk_states
from spacepack.plan import Finding
from spacepack.safe_read import MAX_PYTHON_BYTES, MAX_TEXT_BYTES, read_project_bytes, read_project_text

# Manifests and templates are small; anything bigger is not a text file we need to read.
_MAX_TEXT_BYTES = MAX_TEXT_BYTES


@dataclass(frozen=True)
class PythonModule:
    """One Python file of the project, parsed (or the reason it could not be)."""

    path: str  # posix, relative to the project root
    tree: ast.Module | None  # None when it could not be parsed
    source: str | None  # decoded text (BOM stripped, PEP 263 coding honoured)
    error: Finding | None  # a warning finding when it could not be decoded or parsed


def parse_module(path: str, data: bytes) -> PythonModule:
    """Decode and parse one Python file; a bad file becomes a warning finding, never an exception.

    Args:
        path: the file's posix path relative to the project root (for findings).
        data: its bytes.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        source = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        finding = Finding(
            code="SP102",
            severity="warning",
            message=f"cannot decode {path}: {_one_line(error)}",
            hint="save the file as UTF-8 (or declare its encoding with a PEP 263 coding line)",
            path=path,
        )
        return PythonModule(path=path, tree=None, source=None, error=finding)
    # detect_encoding reports "utf-8-sig" for a BOM, and decoding with it strips the BOM.
    try:
        tree = ast.parse(source, filename=path, type_comments=False)
    except SyntaxError as error:
        finding = Finding(
            code="SP101",
            severity="warning",
            message=f"{path} has a syntax error: {error.msg}",
            hint="fix the syntax error, or add the file to .gitignore if it does not belong to the app",
            path=path,
            line=error.lineno,
        )
        return PythonModule(path=path, tree=None, source=source, error=finding)
    except (ValueError, RecursionError, MemoryError) as error:  # NUL bytes, absurd nesting
        finding = Finding(
            code="SP101",
            severity="warning",
            message=f"{path} cannot be parsed: {_one_line(error)}",
            hint="fix the file, or add it to .gitignore if it does not belong to the app",
            path=path,
        )
        return PythonModule(path=path, tree=None, source=source, error=finding)
    return PythonModule(path=path, tree=tree, source=source, error=None)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class _LazyModules(Mapping[str, PythonModule]):
    """Python files by path, each read and parsed the first time it is looked up."""

    def __init__(self, root: Path, paths: tuple[str, ...]) -> None:
        self._root = root
        self._paths = paths
        self._known = frozenset(paths)
        self._parsed: dict[str, PythonModule] = {}
        self._raw: dict[str, bytes | None] = {}
        self._refused: dict[str, str] = {}

    def raw(self, key: str) -> bytes | None:
        """The file's bytes, read once (bounded, link-safe) and shared by the parse and byte-level scans."""
        if key not in self._known:
            raise KeyError(key)
        if key not in self._raw:
            # The walk vetted the path; the read is still bounded (a big generated module is not code to check).
            result = read_project_bytes(
                self._root, key, max_bytes=MAX_PYTHON_BYTES, may_follow=self._known.__contains__
            )
            self._raw[key] = result.data
            self._refused[key] = result.refused
        return self._raw[key]

    def __getitem__(self, key: str) -> PythonModule:
        module = self._parsed.get(key)
        if module is None:
            data = self.raw(key)
            if data is None:
                finding = Finding(
                    code="SP102",
                    severity="warning",
                    message=f"cannot read {key}: {self._refused[key]}",
                    hint="check the file (spacepack reads regular files up to 10 MB)",
                    path=key,
                )
                module = PythonModule(path=key, tree=None, source=None, error=finding)
            else:
                module = parse_module(key, data)
            self._parsed[key] = module
        return module

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __contains__(self, key: object) -> bool:
        return key in self._known


@dataclass(frozen=True)
class ProjectTree:
    """The files of a project that ship, with Python modules parsed on demand."""

    root: Path  # absolute
    files: tuple[str, ...]  # every kept file (posix, relative, sorted)
    sizes: Mapping[str, int]
    python: Mapping[str, PythonModule]  # every kept *.py file, parsed once on first access
    env_files: tuple[str, ...] = ()  # dotenv files with real values: seen, never shipped (sorted)
    notes: tuple[str, ...] = ()  # files left out or not read for safety, one line each
    # Each Python file's state as the walk saw it, before any read (what `check.facts` keys on).
    python_states: Mapping[str, os.stat_result] = field(default_factory=dict, repr=False, compare=False)
    _text_cache: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)
    _refused: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def read_text(self, rel: str) -> str | None:
        """The text of a small file below the root (shipped or not, e.g. `.env`).

        Returns None when it is missing, outside the root, a link whose target
        does not ship, a FIFO or device, unreadable, over 2 MB or binary. A
        UTF-8 BOM is stripped; UTF-16 with a BOM (what PowerShell writes for
        `pip freeze > requirements.txt`) is decoded. Why an existing file was
        not read is kept for `read_findings`.
        """
        if rel in self._text_cache:
            return self._text_cache[rel]
        text = self._read_text(rel)
        self._text_cache[rel] = text
        return text

    def _read_text(self, rel: str) -> str | None:
        try:
            path = self.root / rel
            if not os.path.lexists(path):
                return None
        except (ValueError, OSError):
            return None
        text, refused = read_project_text(self.root, rel, may_follow=self._may_follow)
        if text is None:
            self._refused[rel] = refused
        return text

    def _may_follow(self, target_rel: str) -> bool:
        # A link is read only when its target ships: never `.env` or a credential file through a link.
        return target_rel in self.sizes and not is_secret_file(target_rel)

    def python_bytes(self, rel: str) -> bytes:
        """A kept Python file's bytes (b"" when it cannot be read), read once for the parse and every scan."""
        if isinstance(self.python, _LazyModules):
            return self.python.raw(rel) or b""
        result = read_project_bytes(self.root, rel, max_bytes=MAX_PYTHON_BYTES, may_follow=self.python.__contains__)
        return result.data or b""

    def read_findings(self) -> tuple[Finding, ...]:
        """SP108 for every existing file a check asked for and could not read; SP109 for files left out."""
        findings = [
            finding(
                "SP108",
                f"{rel} was not read: {reason}; spacepack ignores it",
                hint=f"save {rel} as a regular UTF-8 file inside the project (under 2 MB)",
                path=rel,
            )
            for rel, reason in sorted(self._refused.items())
        ]
        findings.extend(
            finding(
                "SP109",
                note,
                hint="nothing to do unless the app needs it: then make it a regular file inside the project",
            )
            for note in self.notes
        )
        return tuple(findings)

    def under(self, directory: str) -> tuple[str, ...]:
        """Kept files below a relative folder ("." or "" = all of them)."""
        prefix = _dir_prefix(directory)
        if not prefix:
            return self.files
        return tuple(f for f in self.files if f.startswith(prefix))

    def python_under(self, directory: str) -> tuple[str, ...]:
        """Paths of kept Python files below a relative folder ("." = all)."""
        prefix = _dir_prefix(directory)
        return tuple(p for p in self.python if p.startswith(prefix))

    def exists(self, rel: str) -> bool:
        """Whether a kept file exists at `rel`."""
        return rel in self.sizes

    def has_dir(self, directory: str) -> bool:
        """Whether some kept file lives below `directory`."""
        prefix = _dir_prefix(directory)
        return any(f.startswith(prefix) for f in self.files) if prefix else bool(self.files)


def _dir_prefix(directory: str) -> str:
    cleaned = directory.strip().strip("/")
    if cleaned in {"", "."}:
        return ""
    if cleaned.startswith("./"):
        cleaned = cleaned[2:]
    return cleaned + "/"


def load_tree(root: Path, rules: IgnoreRules | None = None) -> ProjectTree:
    """Walk a project once and return what `check` needs to know about its files.

    Args:
        root: the project folder (a repository root or a backend folder).
        rules: what never ships; defaults to `IgnoreRules.for_project(root)`.

    Raises:
        UsageError: when `root` is not a folder.
    """
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"{root.name or root} is not a folder", hint="pass the path of your project or backend folder")
    if rules is None:
        rules = IgnoreRules.for_project(root)
    notes: list[str] = list(rules.notes)
    kept, skipped = walk_states(root, rules, notes)
    files = tuple(rel for rel, _ in kept)
    sizes = {rel: info.st_size for rel, info in kept}
    python_paths = tuple(rel for rel in files if rel.endswith(".py"))
    python_states = {rel: info for rel, info in kept if rel.endswith(".py")}
    env_files = tuple(rel for rel in skipped if is_env_file(rel.rpartition("/")[2]))
    return ProjectTree(
        root=root,
        files=files,
        sizes=sizes,
        python=_LazyModules(root, python_paths),
        env_files=env_files,
        notes=tuple(notes),
        python_states=python_states,
    )
