"""What `push` decides before and after talking to the Hub: pure, no network.

The upload diff (git blob ids against the Space's tree), the hard guard that
keeps secret files off the Hub, the commit message, the parsing of `--secret`,
`--secrets-from` and `--var`, and the report values. `spacepack.hub` does the
talking and uses these.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol

from spacepack.envfile import parse_pairs, read_env_file
from spacepack.errors import UsageError
from spacepack.git import git
from spacepack.ignore import is_secret_file
from spacepack.masking import preview

DEFAULT_MESSAGE = "Update Space with spacepack"
# Files the Hub owns in every Space: never deleted because they are not in the context.
HUB_OWNED_FILES = frozenset({".gitattributes"})
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# How people name env vars (API_KEY, DB_PASSWORD); anything else in a secret's name slot may be a value.
_CONVENTIONAL_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
_CHUNK = 1 << 20


class ContextFileLike(Protocol):
    """A file of the rendered build context (see `spacepack.render`)."""

    @property
    def path(self) -> str | PurePosixPath: ...

    @property
    def size(self) -> int: ...

    @property
    def sha256(self) -> str: ...


class ContextLike(Protocol):
    """The rendered build context: a folder and the files in it."""

    @property
    def path(self) -> Path: ...

    @property
    def files(self) -> Sequence[ContextFileLike]: ...

    @property
    def metadata(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class LocalFile:
    """A file to publish: its path in the Space, size, git blob id and content SHA-256."""

    path: str
    size: int
    blob_id: str
    sha256: str


@dataclass(frozen=True)
class RemoteFile:
    """A file already in the Space: git blob id, size and (for LFS files) content SHA-256."""

    path: str
    size: int
    blob_id: str
    lfs_sha256: str | None = None


@dataclass(frozen=True)
class FileEntry:
    """One line of the upload plan."""

    path: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size}


@dataclass(frozen=True)
class UploadDiff:
    """What one push sends: added and changed files, deletions, and files left alone."""

    added: tuple[FileEntry, ...] = ()
    changed: tuple[FileEntry, ...] = ()
    deleted: tuple[FileEntry, ...] = ()
    unchanged: tuple[FileEntry, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.deleted)

    @property
    def upload_bytes(self) -> int:
        return sum(f.size for f in self.added + self.changed)


Status = Literal["added", "changed", "unchanged", "set"]


@dataclass(frozen=True)
class ProbeResult:
    """The health request sent to the running Space."""

    url: str
    status: int | None
    ok: bool
    error: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "ok": self.ok,
            "error": self.error,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class SpaceReport:
    """How waiting for the Space went: stages seen (with elapsed seconds) and the probe."""

    space_id: str
    stage: str
    stages: tuple[tuple[str, float], ...] = ()
    seconds: float = 0.0
    app_url: str = ""
    probe: ProbeResult | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "space_id": self.space_id,
            "stage": self.stage,
            "stages": [{"stage": s, "elapsed": round(t, 2)} for s, t in self.stages],
            "seconds": round(self.seconds, 2),
            "app_url": self.app_url,
            "probe": self.probe.to_json() if self.probe else None,
        }


@dataclass(frozen=True)
class PushReport:
    """What a push did (or, with dry_run, would do). Holds names, never secret values."""

    space_id: str
    url: str
    app_url: str
    dry_run: bool
    created: bool
    commit_url: str | None
    commit_oid: str | None
    commit_message: str
    diff: UploadDiff
    metadata: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, Status] = field(default_factory=dict)
    variables: Mapping[str, Status] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    space: SpaceReport | None = None

    @property
    def changed(self) -> bool:
        return not self.diff.empty

    def to_json(self) -> dict[str, Any]:
        return {
            "space_id": self.space_id,
            "url": self.url,
            "app_url": self.app_url,
            "dry_run": self.dry_run,
            "created": self.created,
            "commit": (
                {"url": self.commit_url, "oid": self.commit_oid, "message": self.commit_message}
                if self.commit_oid
                else None
            ),
            "no_change": self.diff.empty,
            "files": {
                "added": [f.to_json() for f in self.diff.added],
                "changed": [f.to_json() for f in self.diff.changed],
                "deleted": [f.to_json() for f in self.diff.deleted],
                "unchanged": [f.to_json() for f in self.diff.unchanged],
                "upload_bytes": self.diff.upload_bytes,
            },
            "metadata": dict(self.metadata),
            "secrets": dict(self.secrets),
            "variables": dict(self.variables),
            "notes": list(self.notes),
            "stage": self.space.stage if self.space else None,
            "probe": self.space.probe.to_json() if self.space and self.space.probe else None,
            "space": self.space.to_json() if self.space else None,
        }


def file_ids(path: Path) -> tuple[str, str]:
    """A file's git blob id (as the Hub's tree listing reports it) and its content SHA-256, in one read."""
    size = path.stat().st_size
    blob = hashlib.sha1(b"blob %d\0" % size)
    content = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            blob.update(chunk)
            content.update(chunk)
    return blob.hexdigest(), content.hexdigest()


def local_files(context: ContextLike) -> tuple[LocalFile, ...]:
    """Every regular file in the context folder as it is on disk now, sorted by path.

    The folder, not the render's file list, is the truth: a file copied in by
    hand after rendering is seen (and meets the guard). Symlinks are skipped.

    Raises:
        UsageError: when the context folder is missing.
    """
    root = context.path
    if not root.is_dir():
        raise UsageError(f"the build context {root} does not exist", hint="run `spacepack render` first")
    result = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file() or ".git" in path.relative_to(root).parts:
            continue
        blob_id, sha256 = file_ids(path)
        result.append(LocalFile(path.relative_to(root).as_posix(), path.stat().st_size, blob_id, sha256))
    return tuple(result)


def guard_uploads(paths: Iterable[str], secret_files: Iterable[str] = ()) -> None:
    """Refuse to publish dotenv files or files `check` flagged as holding secrets.

    Independent of every ignore file: even a `.env` copied into the context by
    hand stops the push here, before any network call.

    Raises:
        UsageError: naming the first offending file.
    """
    # Secret files are relative to the project; context paths to the working folder: match either way.
    flagged = [PurePosixPath(p).as_posix() for p in secret_files]
    for path in paths:
        if is_secret_file(path):
            raise UsageError(
                f"refusing to upload {path}: dotenv and credential files hold secrets and never go to a Space",
                hint=f"remove {path} from the build context and pass values with --secret or --secrets-from",
            )
        if any(path == s or s.endswith("/" + path) or path.endswith("/" + s) for s in flagged):
            raise UsageError(
                f"refusing to upload {path}: check flagged it as holding a secret",
                hint=f"remove {path} from the build context (or add it to .gitignore) and re-render",
            )


def diff_files(local: Iterable[LocalFile], remote: Mapping[str, RemoteFile] | None) -> UploadDiff:
    """Compare the context with the Space's tree (None: the Space does not exist yet).

    A file is unchanged when its git blob id matches (or, for an LFS file, its
    SHA-256). Remote files not in the context are deleted, except those the Hub
    owns (`.gitattributes`).
    """
    remote = remote or {}
    added: list[FileEntry] = []
    changed: list[FileEntry] = []
    unchanged: list[FileEntry] = []
    seen: set[str] = set()
    for item in local:
        seen.add(item.path)
        entry = FileEntry(item.path, item.size)
        there = remote.get(item.path)
        if there is None:
            added.append(entry)
        elif there.blob_id == item.blob_id or (there.lfs_sha256 is not None and there.lfs_sha256 == item.sha256):
            unchanged.append(entry)
        else:
            changed.append(entry)
    deleted = [
        FileEntry(path, f.size)
        for path, f in sorted(remote.items())
        if path not in seen and path not in HUB_OWNED_FILES
    ]
    return UploadDiff(tuple(added), tuple(changed), tuple(deleted), tuple(unchanged))


def commit_message(project_dir: Path, message: str | None = None) -> str:
    """`--message`, else the project's last git commit ("<short sha> <subject>"), else a default."""
    if message and message.strip():
        return message.strip()
    last = git(project_dir, "log", "-1", "--format=%h %s")
    return last.splitlines()[0] if last else DEFAULT_MESSAGE


def _shown_secret_name(name: str) -> str:
    """A secret's name as errors may show it: whole when it reads like a NAME, else a 4-char preview.

    People paste the value where the name goes (`--secret hf_...`, a value alone
    on a line of the secrets file); such a "name" is a secret and is never echoed.
    """
    return name if _CONVENTIONAL_NAME.match(name) else preview(name)


def _check_name(name: str, what: str, shown: str | None = None) -> None:
    if not _ENV_NAME.match(name):
        raise UsageError(
            f"{what} name {shown or repr(name)} is not a valid environment variable name",
            hint="use letters, digits and underscores, not starting with a digit",
        )


def parse_variables(pairs: Iterable[str], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Merge config variables with `--var K=V` flags (flags win).

    Raises:
        UsageError: for a flag without `=` or an invalid name.
    """
    result = {**(base or {}), **parse_pairs(pairs, "--var", "--var NAME=value")}
    for name in result:
        _check_name(name, "variable")
    return result


def collect_secrets(names: Iterable[str], secrets_from: Path | None, environ: Mapping[str, str]) -> dict[str, str]:
    """Secret values from `--secrets-from FILE` (NAME=VALUE lines) and `--secret NAME` (from the environment).

    `--secret` wins over the file. Values are returned to be sent to the Space
    API and nowhere else.

    Raises:
        UsageError: for a missing file, an empty value, a name not in the environment, an invalid name.
    """
    result: dict[str, str] = {}
    if secrets_from is not None:
        for name, value in read_env_file(secrets_from, "--secrets-from", strict=True).items():
            shown = _shown_secret_name(name)
            _check_name(name, "secret", shown)
            if value == "":
                raise UsageError(
                    f"secret {shown} in {secrets_from.name} has no value", hint="write NAME=value on one line"
                )
            result[name] = value
    for name in names:
        shown = _shown_secret_name(name)
        _check_name(name, "secret", shown)
        from_env = environ.get(name)
        if not from_env:
            raise UsageError(
                f"--secret {shown}: the environment variable {shown} is not set",
                hint="--secret takes the NAME of an environment variable holding the value: "
                "export NAME=... before running, or put NAME=value in a --secrets-from file",
            )
        result[name] = from_env
    return result


__all__ = [
    "DEFAULT_MESSAGE",
    "HUB_OWNED_FILES",
    "ContextFileLike",
    "ContextLike",
    "FileEntry",
    "LocalFile",
    "ProbeResult",
    "PushReport",
    "RemoteFile",
    "SpaceReport",
    "UploadDiff",
    "collect_secrets",
    "commit_message",
    "diff_files",
    "file_ids",
    "guard_uploads",
    "local_files",
    "parse_variables",
]
