"""The one module that talks to the Hugging Face Hub (through huggingface_hub): a thin adapter.

It holds the `HfApi` calls, token resolution, the Space id value and error
translation, and nothing else: what to push lives in `spacepack.push`, the
running Space (wait, probe, logs, status) in `spacepack.space`. Every call
takes an injected `HfApi` made by `get_hf_api`, so tests hand in a real client
pointed at the Hub double. Hub failures become spacepack errors here, in
`_hub_errors`, and no message ever holds a token.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, SpaceHardware, SpaceStage
from huggingface_hub._space_api import INTERMEDIATE_SPACE_STAGES
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    HFValidationError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
)
from huggingface_hub.file_download import hf_hub_url
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils import (  # type: ignore[attr-defined]
    build_hf_headers,
    get_session,
    hf_raise_for_status,
    validate_repo_id,
)

from spacepack.errors import (
    AuthError,
    HubError,
    MetadataError,
    PlanOrQuotaError,
    SpacepackError,
    UsageError,
)

DEFAULT_ENDPOINT = "https://huggingface.co"
TOKEN_FIX = "create a write token at https://huggingface.co/settings/tokens, then run `hf auth login` or set HF_TOKEN"
# The library's own lists, not copies: a flavor or stage the Hub adds arrives with a huggingface_hub upgrade.
HARDWARE: tuple[str, ...] = tuple(flavor.value for flavor in SpaceHardware)
STAGES: tuple[str, ...] = tuple(stage.value for stage in SpaceStage)
INTERMEDIATE_STAGES: frozenset[str] = frozenset(stage.value for stage in INTERMEDIATE_SPACE_STAGES)
# -- client, endpoint, token -------------------------------------------------------------------


def hub_endpoint(environ: Mapping[str, str]) -> str:
    """The Hub URL in use: `HF_ENDPOINT`, else https://huggingface.co."""
    return (environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def get_hf_api(token: str | None, endpoint: str | None = None, environ: Mapping[str, str] | None = None) -> HfApi:
    """The one factory of Hub clients.

    Args:
        token: the token to send (None: huggingface_hub finds none, because
            spacepack always resolves the token itself first).
        endpoint: the Hub URL; defaults to `HF_ENDPOINT` read now (not at import).
        environ: where to read `HF_ENDPOINT` (defaults to `os.environ`).
    """
    from spacepack import __version__

    url = endpoint or hub_endpoint(os.environ if environ is None else environ)
    return HfApi(endpoint=url, token=token, library_name="spacepack", library_version=__version__)


def saved_token_path(environ: Mapping[str, str]) -> Path:
    """Where `hf auth login` stores the token (HF_TOKEN_PATH, else HF_HOME/token), read at call time."""
    explicit = environ.get("HF_TOKEN_PATH")
    if explicit:
        return Path(os.path.expandvars(explicit)).expanduser()
    home = environ.get("HF_HOME")
    if home:
        return Path(os.path.expandvars(home)).expanduser() / "token"
    cache = environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(cache) / "huggingface" / "token"


def _saved_token(environ: Mapping[str, str]) -> str | None:
    try:
        text = saved_token_path(environ).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


OIDC_SOURCE = "trusted publishing (HF_OIDC_RESOURCE)"


def resolve_token(flag_token: str | None, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The token to use and where it came from.

    Order: --token > trusted publishing (HF_OIDC_RESOURCE, exchanged for a short-lived
    token in CI) > HF_TOKEN > HUGGING_FACE_HUB_TOKEN > saved login.

    Returns:
        (token, source), both None when there is no token anywhere.

    Raises:
        AuthError: HF_OIDC_RESOURCE is set but the exchange failed, or the token
            holds characters no token has (an HTTP header carries ASCII only).
    """
    token, source = _find_token(flag_token, environ)
    if token is not None and not (token.isascii() and token.isprintable()):
        raise AuthError(f"the token from {source} holds characters no token has (non-ASCII or control)", hint=TOKEN_FIX)
    return token, source


def _find_token(flag_token: str | None, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    if flag_token and flag_token.strip():
        return flag_token.strip(), "--token"
    if environ.get("HF_OIDC_RESOURCE", "").strip():
        return _oidc_token(environ), OIDC_SOURCE
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        value = environ.get(name, "").strip()
        if value:
            return value, name
    saved = _saved_token(environ)
    if saved:
        return saved, f"saved login ({saved_token_path(environ)})"
    return None, None


def _oidc_token(environ: Mapping[str, str]) -> str:
    # huggingface_hub.get_token() does this exchange too, but against the endpoint it read at
    # import time; oidc_login takes the endpoint explicitly, so HF_ENDPOINT is honoured at call time.
    from huggingface_hub._oidc import oidc_login
    from huggingface_hub.errors import OIDCError

    resource = environ["HF_OIDC_RESOURCE"].strip()
    try:
        result = oidc_login(
            resource=resource,
            subject_token=environ.get("HF_OIDC_ID_TOKEN") or None,
            endpoint=hub_endpoint(environ),
        )
    except (OIDCError, HfHubHTTPError, httpx2.TransportError) as error:
        raise AuthError(
            f"trusted publishing failed for {resource}: {type(error).__name__}",
            hint="run in GitHub Actions with `permissions: id-token: write` and register the repository as a "
            "trusted publisher of the Space, or unset HF_OIDC_RESOURCE and use HF_TOKEN",
        ) from None
    token = str(result.get("access_token") or "")
    if not token:
        raise AuthError(f"trusted publishing for {resource} returned no token", hint="check the publisher settings")
    return token


def token_source(environ: Mapping[str, str], flag_token: str | None = None) -> str | None:
    """Where a token would come from ("--token", "HF_TOKEN", "saved login (<path>)"), never the value.

    Reports trusted publishing without performing the exchange.
    """
    if not (flag_token and flag_token.strip()) and environ.get("HF_OIDC_RESOURCE", "").strip():
        return OIDC_SOURCE
    return resolve_token(flag_token, environ)[1]


def require_token(flag_token: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """Like `resolve_token`, but a missing token is an `AuthError` with the fix."""
    token, source = resolve_token(flag_token, environ)
    if token is None or source is None:
        raise AuthError("no Hugging Face token found (--token, HF_TOKEN or a saved login)", hint=TOKEN_FIX)
    return token, source


# -- the Space id ------------------------------------------------------------------------------

_ID_HINT = "write the Space as OWNER/NAME, e.g. --space alice/todo-api"


@dataclass(frozen=True)
class SpaceId:
    """A Space id checked once, at the edge, with the Hub's repo-id rules: OWNER/NAME."""

    owner: str
    name: str

    @classmethod
    def parse(cls, text: str) -> SpaceId:
        """Accept `owner/name` or `spaces/owner/name`.

        Raises:
            UsageError: naming the rule broken.
        """
        value = text.strip()
        if value.startswith("spaces/"):
            value = value[len("spaces/") :]
        if value.count("/") != 1 or not all(value.split("/")):
            raise UsageError(f"Space id {text!r} must be OWNER/NAME", hint=_ID_HINT)
        try:
            validate_repo_id(value)
        except HFValidationError as error:
            raise UsageError(f"Space id {text!r} is invalid: {error}", hint=_ID_HINT) from None
        if value.endswith(".git"):
            raise UsageError(f"Space id {text!r} is invalid: a name cannot end with .git", hint=_ID_HINT)
        owner, name = value.split("/")
        return cls(owner, name)

    @property
    def repo_id(self) -> str:
        """`owner/name`, as the Hub API takes it."""
        return f"{self.owner}/{self.name}"

    @property
    def subdomain(self) -> str:
        """The app host's name part: `owner-name`, lowercase, with `_` and `.` turned into `-`."""
        return re.sub(r"[._]", "-", f"{self.owner}-{self.name}".lower())

    @property
    def app_url(self) -> str:
        """The URL the Space's app answers on (https://<owner>-<name>.hf.space)."""
        return f"https://{self.subdomain}.hf.space"

    def page_url(self, endpoint: str = DEFAULT_ENDPOINT) -> str:
        """The Space's page on the Hub."""
        return f"{endpoint.rstrip('/')}/spaces/{self.repo_id}"

    def __str__(self) -> str:
        return self.repo_id


def validate_space_id(space_id: str) -> str:
    """`SpaceId.parse(space_id).repo_id`: for callers that only need the checked string."""
    return SpaceId.parse(space_id).repo_id


def space_subdomain(space_id: str) -> str:
    """The app host name part of an `owner/name` id (see `SpaceId.subdomain`)."""
    return SpaceId.parse(space_id).subdomain


def space_app_url(space_id: str) -> str:
    """The URL the app of an `owner/name` Space answers on (see `SpaceId.app_url`)."""
    return SpaceId.parse(space_id).app_url


def validate_hardware(flavor: str) -> str:
    """Check a hardware flavor against huggingface_hub's `SpaceHardware` list, offline.

    Raises:
        UsageError: an unknown flavor, with the closest known one.
    """
    value = flavor.strip()
    if value in HARDWARE:
        return value
    close = difflib.get_close_matches(value, HARDWARE, n=1)
    guess = f"did you mean {close[0]}? " if close else ""
    raise UsageError(
        f"unknown Space hardware {flavor!r}",
        hint=f"{guess}known flavors: {', '.join(HARDWARE)}",
    )


# -- error translation -------------------------------------------------------------------------


def _server_words(error: HfHubHTTPError) -> str:
    words = (error.server_message or "").strip().splitlines()
    return f": {words[0]}" if words else ""


def _http_error(error: HfHubHTTPError, space: SpaceId, action: str) -> HubError:
    status = error.response.status_code
    words = _server_words(error)
    if status == 401:
        return AuthError("the Hugging Face token is invalid or expired", hint=TOKEN_FIX)
    if isinstance(error, RepositoryNotFoundError):
        return HubError(
            f"Space {space} not found while trying to {action}",
            hint="check the Space id, and that the token can see it",
        )
    if status == 403:
        return AuthError(
            f"the token may not {action} {space}{words}",
            hint=f"use a token with write access to {space.owner}; {TOKEN_FIX}",
        )
    if status == 402:
        return PlanOrQuotaError(
            f"the Hub refused to {action} {space}: payment required (402){words}",
            hint="Docker Spaces need a paid plan (PRO, Team or Enterprise); upgrade at "
            "https://huggingface.co/pricing or push to an organisation that has one",
        )
    if status == 429:
        return PlanOrQuotaError(
            f"the Hub rate-limited the request to {action} {space} (429)",
            hint="wait a few minutes and run the command again",
        )
    if status >= 500:
        return HubError(
            f"the Hub failed to {action} {space} ({status}){words}",
            hint="the Hub may be having trouble (https://status.huggingface.co); run the command again",
        )
    return HubError(f"the Hub refused to {action} {space} ({status}){words}", hint="see the message above")


@contextmanager
def _hub_errors(space: SpaceId, action: str) -> Iterator[None]:
    """Turn what huggingface_hub raises into one clear spacepack error (never with a token)."""
    try:
        yield
    except SpacepackError:
        raise  # already ours: pass through unchanged
    except HfHubHTTPError as error:
        raise _http_error(error, space, action) from None
    except httpx2.TransportError as error:
        raise HubError(
            f"lost the connection to the Hub while trying to {action} {space} ({type(error).__name__})",
            hint="check your network and run the command again; a push that did not finish changed nothing",
        ) from None
    except ValueError as error:
        text = str(error)
        if "Invalid metadata in README.md" in text:
            detail = " ".join(line.lstrip("- ").strip() for line in text.splitlines()[1:] if line.strip())
            raise MetadataError(
                f"the Hub rejected the Space README metadata: {detail or text}",
                hint="fix the metadata in the config ([tool.spacepack.metadata]) and re-render",
            ) from None
        raise


# -- values the adapter returns ----------------------------------------------------------------


@dataclass(frozen=True)
class RemoteFile:
    """A file already in the Space: git blob id, size and (for LFS files) content SHA-256."""

    path: str
    size: int
    blob_id: str
    lfs_sha256: str | None = None


@dataclass(frozen=True)
class RepoState:
    """Whether the Space exists, its head commit, visibility and app host."""

    exists: bool
    sha: str | None = None
    private: bool | None = None
    host: str | None = None
    last_modified: str | None = None  # ISO 8601 time of the head commit


@dataclass(frozen=True)
class Runtime:
    """The Space's runtime as the Hub reports it (`GET /api/spaces/{id}/runtime`)."""

    stage: str
    hardware: str | None
    requested_hardware: str | None
    sleep_time: int | None
    error_message: str
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Commit:
    """A commit made on the Space."""

    oid: str
    url: str


# -- calls -------------------------------------------------------------------------------------


def check_write_access(api: HfApi, space: SpaceId) -> str:
    """Verify the client's token with whoami; return the user name.

    Raises:
        AuthError: invalid/expired (401) or read-only token (classic "read" role,
            or fine-grained without any repo write permission).
    """
    with _hub_errors(space, "verify the token for"):
        info = api.whoami()
    access = (info.get("auth") or {}).get("accessToken") or {}
    role = access.get("role")
    if role == "read":
        raise AuthError("the Hugging Face token is read-only", hint=f"use a token with the write role; {TOKEN_FIX}")
    if role == "fineGrained":
        fine = access.get("fineGrained") or {}
        granted = set(fine.get("global") or [])
        for scope in fine.get("scoped") or []:
            granted.update(scope.get("permissions") or [])
        if "repo.write" not in granted:
            raise AuthError(
                "the fine-grained Hugging Face token has no repository write permission",
                hint=f"grant 'Write access to contents/settings of all repos' (repo.write); {TOKEN_FIX}",
            )
    return str(info.get("name", ""))


def repo_state(api: HfApi, space: SpaceId) -> RepoState:
    """The Space's head commit, visibility and host; `exists=False` when there is no such Space."""
    with _hub_errors(space, "read"):
        try:
            info = api.space_info(space.repo_id)
        except RepositoryNotFoundError as error:
            if error.response.status_code == 401:
                raise  # a bad token, not a missing Space: _hub_errors says so
            return RepoState(False)
    host = info.host if isinstance(info.host, str) and info.host else None
    modified = info.last_modified.isoformat() if info.last_modified is not None else None
    return RepoState(True, info.sha, info.private, host, modified)


def repo_files(api: HfApi, space: SpaceId) -> dict[str, RemoteFile]:
    """Every file at the head of the Space, by path."""
    result: dict[str, RemoteFile] = {}
    with _hub_errors(space, "list the files of"):
        for item in api.list_repo_tree(space.repo_id, repo_type="space", recursive=True):
            if isinstance(item, RepoFile):
                lfs = item.lfs.sha256 if item.lfs is not None else None
                result[item.path] = RemoteFile(item.path, item.size, item.blob_id, lfs)
    return result


def read_small_file(api: HfApi, space: SpaceId, path: str, *, max_bytes: int) -> bytes | None:
    """A file of the Space's head, at most `max_bytes` long; None when it is missing or larger.

    One GET of the file's `resolve` URL (the library's `hf_hub_url`) read with a
    size bound, instead of `hf_hub_download`, which writes a cache on disk for a
    file spacepack only parses.
    """
    url = hf_hub_url(space.repo_id, path, repo_type="space", endpoint=api.endpoint)
    headers = build_hf_headers(token=api.token, library_name=api.library_name, library_version=api.library_version)
    with _hub_errors(space, f"read {path} of"):
        try:
            with get_session().stream("GET", url, headers=headers, timeout=30) as response:
                hf_raise_for_status(response)
                data = b""
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        return None
                return data
        except (EntryNotFoundError, RemoteEntryNotFoundError):
            return None


def create_space(api: HfApi, space: SpaceId, *, private: bool, hardware: str | None) -> None:
    """Create the Docker Space (an existing one is left as it is)."""
    with _hub_errors(space, "create"):
        api.create_repo(
            space.repo_id,
            repo_type="space",
            space_sdk="docker",
            private=private,
            space_hardware=SpaceHardware(hardware) if hardware else None,
            exist_ok=True,
        )


def runtime(api: HfApi, space: SpaceId) -> Runtime:
    """The Space's stage, hardware and sleep time."""
    with _hub_errors(space, "read the runtime of"):
        found = api.get_space_runtime(space.repo_id)
    raw = dict(found.raw or {})
    return Runtime(
        stage=str(found.stage),
        hardware=str(found.hardware) if found.hardware else None,
        requested_hardware=str(found.requested_hardware) if found.requested_hardware else None,
        sleep_time=found.sleep_time,
        error_message=str(raw.get("errorMessage") or ""),
        raw=raw,
    )


def request_hardware(api: HfApi, space: SpaceId, hardware: str) -> None:
    """Ask the Hub to move the Space to another hardware flavor."""
    with _hub_errors(space, "request hardware for"):
        api.request_space_hardware(space.repo_id, SpaceHardware(hardware))


def secret_names(api: HfApi, space: SpaceId) -> frozenset[str]:
    """The names of the Space's secrets (the Hub never returns their values)."""
    with _hub_errors(space, "read the secrets of"):
        return frozenset(api.get_space_secrets(space.repo_id))


def add_secret(api: HfApi, space: SpaceId, name: str, value: str) -> None:
    """Add or overwrite one Space secret."""
    with _hub_errors(space, "set secrets on"):
        api.add_space_secret(space.repo_id, name, value)


def variables(api: HfApi, space: SpaceId) -> dict[str, str]:
    """The Space's variables: name -> value (variables are public)."""
    with _hub_errors(space, "read the variables of"):
        return {key: str(var.value) for key, var in api.get_space_variables(space.repo_id).items()}


def add_variable(api: HfApi, space: SpaceId, name: str, value: str) -> None:
    """Add or overwrite one Space variable."""
    with _hub_errors(space, "set variables on"):
        api.add_space_variable(space.repo_id, name, value)


def commit(
    api: HfApi,
    space: SpaceId,
    *,
    uploads: Sequence[tuple[str, Path | bytes]],
    deletions: Sequence[str],
    message: str,
    parent: str | None,
    regular: Collection[str] = (),
) -> Commit:
    """One commit: `uploads` (path in the Space, local file or bytes) and `deletions`, on top of `parent`.

    `regular` names uploads whose upload mode is known to be "regular" (see
    `push.known_regular_files`). They are marked so before `create_commit`,
    which then asks the Hub (`preupload`) only about the others: the library
    skips that request for operations whose `_upload_mode` is already set (it
    does so itself after `preupload_lfs_files`). The field is private, so a
    library without it simply gets the request.
    """
    operations: list[CommitOperationAdd | CommitOperationDelete] = []
    for path, source in uploads:
        addition = CommitOperationAdd(
            path_in_repo=path, path_or_fileobj=str(source) if isinstance(source, Path) else source
        )
        if path in regular and hasattr(addition, "_upload_mode"):
            addition._upload_mode = "regular"
        operations.append(addition)
    operations += [CommitOperationDelete(path_in_repo=path) for path in deletions]
    with _hub_errors(space, "commit to"):
        info = api.create_commit(
            space.repo_id, operations, commit_message=message, repo_type="space", parent_commit=parent
        )
    return Commit(str(info.oid), str(info.commit_url))


def log_lines(api: HfApi, space: SpaceId, *, build: bool, follow: bool) -> Iterator[str]:
    """The Space's run (or build) log lines, without their newline; `follow` streams until the Hub closes.

    Uses `HfApi.fetch_space_logs`, which reads the Hub's server-sent events and
    retries a dropped stream while following.
    """
    kind = "build" if build else "run"
    with _hub_errors(space, f"read the {kind} logs of"):
        for line in api.fetch_space_logs(space.repo_id, build=build, follow=follow):
            yield line.rstrip("\n")


__all__ = [
    "HARDWARE",
    "INTERMEDIATE_STAGES",
    "STAGES",
    "Commit",
    "HfApi",
    "RemoteFile",
    "RepoState",
    "Runtime",
    "SpaceHardware",
    "SpaceId",
    "SpaceStage",
    "add_secret",
    "add_variable",
    "check_write_access",
    "commit",
    "create_space",
    "get_hf_api",
    "hub_endpoint",
    "log_lines",
    "read_small_file",
    "repo_files",
    "repo_state",
    "request_hardware",
    "require_token",
    "resolve_token",
    "runtime",
    "saved_token_path",
    "secret_names",
    "space_app_url",
    "space_subdomain",
    "token_source",
    "validate_hardware",
    "validate_space_id",
    "variables",
]
