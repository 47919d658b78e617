"""The push use case: read the Space, plan the change (pure), then apply it.

`plan_push` decides everything from values, with no network: the upload diff
(git blob ids against the Space's tree), which stale files to delete (only
those spacepack uploaded before, recorded in the Space's manifest, unless
`prune`), the guard that keeps secret files off the Hub, the guard that stops
a push whose app would crash for a missing secret, and the notes. `push_context`
reads the Space (`read_remote`), plans, and applies the plan (`apply_push`)
through `spacepack.hub`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, Protocol

from spacepack.check.secrets_scan import is_secret_name
from spacepack.envfile import parse_pairs, read_env_file
from spacepack.errors import AuthError, MissingSecrets, UsageError
from spacepack.git import git
from spacepack.ignore import is_secret_file
from spacepack.masking import preview
from spacepack.render.context import PUSH_MANIFEST_FILE

if TYPE_CHECKING:
    from spacepack.hub import HfApi, RemoteFile, SpaceId
    from spacepack.plan import Plan
    from spacepack.space import SpaceReport

DEFAULT_MESSAGE = "Update Space with spacepack"
# Files the Hub owns in every Space: never deleted because they are not in the context.
HUB_OWNED_FILES = frozenset({".gitattributes"})
# Where push records the files it uploaded, in the Space repo: only those are ever deleted as stale.
MANIFEST_PATH = PUSH_MANIFEST_FILE
MANIFEST_MAX_BYTES = 1 << 20
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# How people name env vars (API_KEY, DB_PASSWORD); anything else in a secret's name slot may be a value.
_CONVENTIONAL_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
_CHUNK = 1 << 20
_BINARY_PROBE = 8000
# A changed file at most this big, text, and a regular (not LFS) file in the Space already, is sent as a
# regular file again without asking the Hub first (the preupload request): far below the Hub's 10 MB limit.
KNOWN_REGULAR_MAX_BYTES = 1 << 20
# Files whose change can change how the Hub treats every other file (LFS rules, ignore rules).
_REPO_RULE_FILES = frozenset({".gitattributes", ".gitignore"})


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
    text: bool = False  # no NUL byte in its first 8000 bytes (git's own binary test)


@dataclass(frozen=True)
class FileEntry:
    """One line of the upload plan."""

    path: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size}


@dataclass(frozen=True)
class UploadDiff:
    """What one push sends: added and changed files, deletions, files left alone, and files kept.

    `kept` are files in the Space that spacepack did not upload (added by hand):
    they stay unless the push prunes.
    """

    added: tuple[FileEntry, ...] = ()
    changed: tuple[FileEntry, ...] = ()
    deleted: tuple[FileEntry, ...] = ()
    unchanged: tuple[FileEntry, ...] = ()
    kept: tuple[FileEntry, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.deleted)

    @property
    def upload_bytes(self) -> int:
        return sum(f.size for f in self.added + self.changed)


Status = Literal["added", "changed", "unchanged", "set"]


@dataclass(frozen=True)
class PushOptions:
    """How to push: the `push` and `release` flags, values of secrets included (never shown)."""

    private: bool | None = None  # visibility when the Space is created (an existing one keeps its own)
    hardware: str | None = None  # flavor to create with, or to request when it differs
    message: str | None = None  # else the project's last git commit, else a default
    dry_run: bool = False
    secrets: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)
    prune: bool = False  # also delete files spacepack did not upload
    allow_missing_secrets: bool = False
    access_checked: bool = False  # the token was verified already (release does it before building)


@dataclass(frozen=True)
class RemoteView:
    """What push needs to know about the Space, read once before planning."""

    exists: bool
    sha: str | None = None
    private: bool | None = None
    host: str | None = None
    files: Mapping[str, RemoteFile] = field(default_factory=dict)
    managed: frozenset[str] | None = None  # from the manifest; None: no (readable) manifest
    secret_names: frozenset[str] = frozenset()
    variables: Mapping[str, str] = field(default_factory=dict)
    requested_hardware: str | None = None
    known: bool = True  # False for an offline dry run: nothing was read

    @classmethod
    def missing(cls, *, known: bool = True) -> RemoteView:
        return cls(exists=False, known=known)


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
    visibility: str | None = None  # "public" / "private" (None: unknown)
    hardware: str | None = None  # the flavor created with or requested (None: the Space keeps its own)

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
            "visibility": self.visibility,
            "hardware": self.hardware,
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
                "kept": [f.to_json() for f in self.diff.kept],
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
    blob_id, sha256, _ = _read_ids(path)
    return blob_id, sha256


def _read_ids(path: Path) -> tuple[str, str, bool]:
    size = path.stat().st_size
    blob = hashlib.sha1(b"blob %d\0" % size)
    content = hashlib.sha256()
    text: bool | None = None
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if text is None:
                text = b"\0" not in chunk[:_BINARY_PROBE]
            blob.update(chunk)
            content.update(chunk)
    return blob.hexdigest(), content.hexdigest(), text is not False


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
        blob_id, sha256, text = _read_ids(path)
        result.append(LocalFile(path.relative_to(root).as_posix(), path.stat().st_size, blob_id, sha256, text))
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


def diff_files(
    local: Iterable[LocalFile],
    remote: Mapping[str, RemoteFile] | None,
    *,
    managed: frozenset[str] | None = None,
    prune: bool = False,
) -> UploadDiff:
    """Compare the context with the Space's tree (None: the Space does not exist yet).

    A file is unchanged when its git blob id matches (or, for an LFS file, its
    SHA-256). A remote file no longer in the context is deleted when spacepack
    uploaded it (it is in `managed`, the Space's manifest) or with `prune`;
    otherwise it was added by hand and is kept. The Hub's `.gitattributes` and
    the manifest itself are never deleted.
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
    deleted: list[FileEntry] = []
    kept: list[FileEntry] = []
    for path, there in sorted(remote.items()):
        if path in seen or path in HUB_OWNED_FILES or path == MANIFEST_PATH:
            continue
        owned = prune or (managed is not None and path in managed)
        (deleted if owned else kept).append(FileEntry(path, there.size))
    return UploadDiff(tuple(added), tuple(changed), tuple(deleted), tuple(unchanged), tuple(kept))


def manifest_bytes(paths: Iterable[str]) -> bytes:
    """The manifest push writes to the Space: the files it uploaded, sorted, one JSON document."""
    document = {"generator": "spacepack", "version": 1, "files": sorted(set(paths))}
    return (json.dumps(document, indent=1) + "\n").encode()


def parse_manifest(data: bytes | None) -> frozenset[str] | None:
    """The file list of a manifest read from the Space; None when absent or not spacepack's format.

    The Space repo is writable by other people, so the manifest is untrusted:
    only a JSON object with a list of relative path strings is accepted.
    """
    if data is None:
        return None
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list) or not all(isinstance(p, str) for p in files):
        return None
    return frozenset(p for p in files if p and not p.startswith("/") and ".." not in p.split("/"))


# -- the use case: read, plan (pure), apply ----------------------------------------------------


@dataclass(frozen=True)
class PushPlan:
    """Everything one push will do, decided before any write."""

    space: SpaceId
    page_url: str
    app_url: str
    create: bool
    visibility: str | None
    hardware: str | None  # to create with, or to request
    request_hardware: bool
    diff: UploadDiff
    manifest: bytes | None  # the new manifest to upload with the commit (None: unchanged)
    known_regular: frozenset[str]  # changed files the Hub keeps as regular files: no preupload needed
    secrets: Mapping[str, Status]
    variables: Mapping[str, Status]
    commit_message: str
    parent: str | None
    notes: tuple[str, ...]


def read_remote(api: HfApi, space: SpaceId, options: PushOptions) -> RemoteView:
    """Read what planning needs: head, tree, manifest, secret names, variables (and runtime for hardware)."""
    from spacepack import hub

    state = hub.repo_state(api, space)
    if not state.exists:
        return RemoteView.missing()
    files = hub.repo_files(api, space)
    managed = None
    if MANIFEST_PATH in files:
        managed = parse_manifest(hub.read_small_file(api, space, MANIFEST_PATH, max_bytes=MANIFEST_MAX_BYTES))
    requested = None
    if options.hardware or options.dry_run:
        requested = hub.runtime(api, space).requested_hardware
    return RemoteView(
        exists=True,
        sha=state.sha,
        private=state.private,
        host=state.host,
        files=files,
        managed=managed,
        secret_names=hub.secret_names(api, space),
        variables=hub.variables(api, space),
        requested_hardware=requested,
    )


def missing_at_start(plan: Plan, options: PushOptions, remote: RemoteView) -> tuple[str, ...]:
    """Env vars the app reads while starting that neither this push nor the Space provides (names only)."""
    provided = {*options.secrets, *options.variables, *remote.secret_names, *remote.variables}
    return tuple(sorted(var.name for var in plan.env if var.required and var.at_import and not var.set_in(provided)))


def _guard_missing_secrets(plan: Plan, options: PushOptions, remote: RemoteView, notes: list[str]) -> None:
    missing = missing_at_start(plan, options, remote)
    if not missing:
        return
    names = ", ".join(missing)
    if not remote.known:
        notes.append(f"offline: the Space's secrets were not read; the app reads {names} at start-up")
        return
    if options.allow_missing_secrets:
        notes.append(f"pushed without {names} (--allow-missing-secrets): the app reads them at start-up")
        return
    first = missing[0]
    raise MissingSecrets(
        f"the app reads {names} at start-up, but the Space has neither as a secret nor a variable: "
        "it would crash; nothing was pushed",
        hint=f"pass --secret {first} (value from the environment variable) or --secrets-from FILE; "
        f"--var {first}=VALUE for a public value; or --allow-missing-secrets to push anyway",
    )


def _secret_statuses(wanted: Mapping[str, str], remote: RemoteView) -> dict[str, Status]:
    # Secret values cannot be read back, so an existing one is "set" (maybe to the same value).
    return {name: "added" if remote.known and name not in remote.secret_names else "set" for name in sorted(wanted)}


def _variable_statuses(wanted: Mapping[str, str], remote: RemoteView) -> dict[str, Status]:
    existing = remote.variables
    statuses: dict[str, Status] = {}
    for name, value in sorted(wanted.items()):
        if not remote.known:
            statuses[name] = "set"
        elif name not in existing:
            statuses[name] = "added"
        else:
            statuses[name] = "changed" if existing[name] != value else "unchanged"
    return statuses


def _target_notes(space: SpaceId, options: PushOptions, remote: RemoteView) -> tuple[list[str], bool]:
    """Notes on visibility and hardware, and whether hardware must be requested."""
    notes: list[str] = []
    request = False
    if not remote.exists:
        visibility = "private" if options.private else "public"
        if options.dry_run:
            notes.append(
                f"the Space {space} does not exist yet; push would create it ({visibility}, "
                f"hardware {options.hardware or 'cpu-basic'})"
            )
        return notes, request
    if options.dry_run:
        notes.append(
            f"the Space is {_shown(remote.private) or 'of unknown visibility'}, "
            f"hardware {remote.requested_hardware or 'unknown'}"
        )
    if options.private is not None and remote.private is not None and options.private != remote.private:
        notes.append("the Space exists: its visibility was left as it is (change it in the Space settings)")
    if options.hardware and remote.requested_hardware != options.hardware:
        request = True
        verb = "would request" if options.dry_run else "requested"
        notes.append(f"{verb} hardware {options.hardware} (was {remote.requested_hardware or 'unknown'})")
    return notes, request


def plan_push(
    space: SpaceId,
    local: Sequence[LocalFile],
    remote: RemoteView,
    plan: Plan,
    options: PushOptions,
    *,
    endpoint: str | None = None,
) -> PushPlan:
    """Decide the push from values only: the diff, stale files, secret guard, statuses and notes.

    Raises:
        MissingSecrets: the app reads a secret at start-up that neither the push nor the Space provides.
    """
    notes: list[str] = [
        f"variable {name} looks like a secret, but Space variables are public: pass it with --secret {name}"
        for name in sorted(options.variables)
        if is_secret_name(name)
    ]
    _guard_missing_secrets(plan, options, remote, notes)
    target_notes, request = _target_notes(space, options, remote)
    notes += target_notes
    if not remote.known:
        notes.append("offline dry run (no token): the Space is assumed to be empty")
    diff = diff_files(local, remote.files if remote.exists else None, managed=remote.managed, prune=options.prune)
    if diff.kept:
        why = "no manifest of earlier pushes: " if remote.managed is None and not options.prune else ""
        notes.append(
            f"{why}kept {len(diff.kept)} file(s) spacepack did not upload: "
            + ", ".join(f.path for f in diff.kept)
            + " (--prune deletes them)"
        )
    manifest = manifest_bytes(f.path for f in local)
    remote_manifest = remote.files.get(MANIFEST_PATH)
    if (
        remote_manifest is not None
        and remote_manifest.blob_id == hashlib.sha1(b"blob %d\0" % len(manifest) + manifest).hexdigest()
    ):
        manifest_change: bytes | None = None
    else:
        manifest_change = manifest
    visibility = ("private" if options.private else "public") if not remote.exists else _shown(remote.private)
    return PushPlan(
        space=space,
        page_url=space.page_url(endpoint) if endpoint else space.page_url(),
        app_url=remote.host or space.app_url,
        create=not remote.exists,
        visibility=visibility,
        hardware=options.hardware,
        request_hardware=request,
        diff=diff,
        manifest=manifest_change,
        known_regular=known_regular_files(local, diff, remote),
        secrets=_secret_statuses(options.secrets, remote),
        variables=_variable_statuses(options.variables, remote),
        commit_message=commit_message(plan.root, options.message),
        parent=remote.sha,
        notes=tuple(notes),
    )


def known_regular_files(local: Sequence[LocalFile], diff: UploadDiff, remote: RemoteView) -> frozenset[str]:
    """Changed files whose upload mode the Hub's answer is known for: regular, as the last time.

    The preupload request exists to ask the Hub, for each file, whether it wants
    it as a regular file or through LFS (and whether .gitignore drops it). For a
    changed file that the Space already holds as a regular file, that is small
    and text, the answer is "regular" again, so spacepack skips the question
    (and the base64 sample of the file it carries). Never when `.gitattributes`
    or `.gitignore` change in the same push.
    """
    by_path = {f.path: f for f in local}
    changed = [by_path[entry.path] for entry in diff.changed]
    if any(PurePosixPath(entry.path).name in _REPO_RULE_FILES for entry in diff.added + diff.changed):
        return frozenset()
    return frozenset(
        item.path
        for item in changed
        if item.text
        and item.size <= KNOWN_REGULAR_MAX_BYTES
        and (there := remote.files.get(item.path)) is not None
        and there.lfs_sha256 is None
    )


def _shown(private: bool | None) -> str | None:
    return None if private is None else ("private" if private else "public")


def _report(change: PushPlan, context: ContextLike, *, dry_run: bool, **done: Any) -> PushReport:
    values: dict[str, Any] = {
        "space_id": change.space.repo_id,
        "url": change.page_url,
        "app_url": change.app_url,
        "dry_run": dry_run,
        "created": False,
        "commit_url": None,
        "commit_oid": None,
        "commit_message": change.commit_message,
        "diff": change.diff,
        "metadata": dict(context.metadata),
        "secrets": dict(change.secrets),
        "variables": dict(change.variables),
        "notes": change.notes,
        "visibility": change.visibility,
        "hardware": change.hardware,
    }
    values.update(done)
    return PushReport(**values)


def apply_push(
    api: HfApi, change: PushPlan, context: ContextLike, options: PushOptions, local: Sequence[LocalFile]
) -> PushReport:
    """Carry out a plan: create the Space, request hardware, set secrets and variables, then one commit.

    Secrets and variables go before the commit, so the build it starts sees them.
    """
    # huggingface_hub is imported only when a push talks to the Hub, not by every command that imports this.
    from spacepack import hub

    space = change.space
    parent, app_url, diff = change.parent, change.app_url, change.diff
    if change.create:
        hub.create_space(api, space, private=bool(options.private), hardware=change.hardware)
        state = hub.repo_state(api, space)
        parent, app_url = state.sha, state.host or app_url
        diff = diff_files(local, hub.repo_files(api, space), managed=frozenset(), prune=False)
    elif change.request_hardware and change.hardware:
        hub.request_hardware(api, space, change.hardware)
    for name, value in sorted(options.secrets.items()):
        hub.add_secret(api, space, name, value)
    for name, status in change.variables.items():
        if status != "unchanged":
            hub.add_variable(api, space, name, options.variables[name])
    done: dict[str, Any] = {"created": change.create, "app_url": app_url, "diff": diff}
    if diff.empty:
        notes = (*change.notes, "nothing changed since the last push: no commit made")
        return _report(change, context, dry_run=False, notes=notes, **done)
    uploads: list[tuple[str, Path | bytes]] = [(f.path, context.path / f.path) for f in diff.added + diff.changed]
    if change.manifest is not None:
        uploads.append((MANIFEST_PATH, change.manifest))
    made = hub.commit(
        api,
        space,
        uploads=uploads,
        deletions=[f.path for f in diff.deleted],
        message=change.commit_message,
        parent=parent,
        regular=change.known_regular,
    )
    return _report(change, context, dry_run=False, commit_url=made.url, commit_oid=made.oid, **done)


def push_context(
    api: HfApi | None,
    space: SpaceId | str,
    context: ContextLike,
    plan: Plan,
    options: PushOptions | None = None,
) -> PushReport:
    """Publish a rendered build context to a Docker Space in one commit.

    Order: offline checks (id, hardware, secret files, README) → token check
    (whoami, unless `options.access_checked`) → read the Space → plan →
    [dry run stops here] → apply.

    Args:
        api: a client from `hub.get_hf_api`; None only for an offline dry run
            (the Space is then assumed empty).
        space: the Space (a string is parsed as OWNER/NAME).
        context: the rendered build context; its folder on disk is what is published.
        plan: the project's plan (its `secret_files` are never uploaded; its
            `env` drives the missing-secret guard).
        options: flags (see `PushOptions`).

    Raises:
        UsageError: invalid Space id or hardware, a secret file in the upload list, no README.
        MissingSecrets: the app would crash for a missing secret (unless allowed).
        AuthError, PlanOrQuotaError, HubError, MetadataError: from the Hub.
    """
    from spacepack import hub

    options = options or PushOptions()
    space = space if isinstance(space, hub.SpaceId) else hub.SpaceId.parse(space)
    if options.hardware:
        hub.validate_hardware(options.hardware)
    local = local_files(context)
    guard_uploads([f.path for f in local], plan.secret_files)
    if not any(f.path == "README.md" for f in local):
        raise UsageError("the build context has no README.md", hint="run `spacepack render` to write it")
    if api is None:
        if not options.dry_run:
            raise AuthError("no Hugging Face token found (--token, HF_TOKEN or a saved login)", hint=hub.TOKEN_FIX)
        change = plan_push(space, local, RemoteView.missing(known=False), plan, options)
        return _report(change, context, dry_run=True)
    if not options.access_checked:
        hub.check_write_access(api, space)
    remote = read_remote(api, space, options)
    change = plan_push(space, local, remote, plan, options, endpoint=api.endpoint)
    if options.dry_run:
        return _report(change, context, dry_run=True)
    return apply_push(api, change, context, options, local)


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
    "MANIFEST_PATH",
    "ContextFileLike",
    "ContextLike",
    "FileEntry",
    "LocalFile",
    "PushOptions",
    "PushPlan",
    "PushReport",
    "RemoteView",
    "UploadDiff",
    "apply_push",
    "collect_secrets",
    "commit_message",
    "diff_files",
    "file_ids",
    "guard_uploads",
    "local_files",
    "manifest_bytes",
    "missing_at_start",
    "parse_manifest",
    "parse_variables",
    "plan_push",
    "push_context",
    "read_remote",
]
