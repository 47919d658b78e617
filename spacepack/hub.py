"""The one module that talks to the Hugging Face Hub (through huggingface_hub).

Everything takes an injected `HfApi` made by `get_hf_api`, so tests hand in a
real client pointed at the Hub double. Hub failures become spacepack errors
here, in `_hub_errors`, and no message ever holds a token.
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import HfHubHTTPError, HFValidationError, RepositoryNotFoundError
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils import validate_repo_id  # type: ignore[attr-defined]

from spacepack.check.secrets_scan import is_secret_name
from spacepack.errors import (
    AuthError,
    ExitCode,
    HubError,
    MetadataError,
    PlanOrQuotaError,
    SpaceFailed,
    SpacepackError,
    UsageError,
    WaitTimeout,
)
from spacepack.plan import Plan
from spacepack.push import (
    ContextLike,
    ProbeResult,
    PushReport,
    RemoteFile,
    SpaceReport,
    Status,
    commit_message,
    diff_files,
    guard_uploads,
    local_files,
)

DEFAULT_ENDPOINT = "https://huggingface.co"
TOKEN_FIX = "create a write token at https://huggingface.co/settings/tokens, then run `hf auth login` or set HF_TOKEN"
INTERMEDIATE_STAGES = frozenset({"BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING"})
LOG_TAIL_LINES = 30


class SpaceStageError(SpaceFailed):
    """The Space ended in an error stage; carries the stage and the tail of its logs."""

    def __init__(self, message: str, hint: str, *, exit_code: ExitCode, stage: str, log_tail: tuple[str, ...]) -> None:
        super().__init__(message, hint, exit_code=exit_code)
        self.stage = stage
        self.log_tail = log_tail
        if log_tail:
            kind = "build" if stage == "BUILD_ERROR" else "run"
            self.details = (f"last {len(log_tail)} lines of the {kind} log:", *(f"  | {line}" for line in log_tail))


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


# -- validation --------------------------------------------------------------------------------


def validate_space_id(space_id: str) -> str:
    """Check a Space id with the Hub's repo-id rules, plus "must be OWNER/NAME".

    Accepts the `spaces/owner/name` spelling and returns `owner/name`.

    Raises:
        UsageError: naming the rule broken.
    """
    value = space_id.strip()
    if value.startswith("spaces/"):
        value = value[len("spaces/") :]
    hint = "write the Space as OWNER/NAME, e.g. --space alice/todo-api"
    if value.count("/") != 1 or not all(value.split("/")):
        raise UsageError(f"Space id {space_id!r} must be OWNER/NAME", hint=hint)
    try:
        validate_repo_id(value)
    except HFValidationError as error:
        raise UsageError(f"Space id {space_id!r} is invalid: {error}", hint=hint) from None
    if value.endswith(".git"):
        raise UsageError(f"Space id {space_id!r} is invalid: a name cannot end with .git", hint=hint)
    return value


def space_subdomain(space_id: str) -> str:
    """The Space's app host name part: `owner-name`, lowercase, with `_` and `.` turned into `-`."""
    return re.sub(r"[._]", "-", space_id.replace("/", "-").lower())


def space_app_url(space_id: str) -> str:
    """The URL the Space's app answers on (https://<owner>-<name>.hf.space)."""
    return f"https://{space_subdomain(space_id)}.hf.space"


# -- error translation -------------------------------------------------------------------------


def _server_words(error: HfHubHTTPError) -> str:
    words = (error.server_message or "").strip().splitlines()
    return f": {words[0]}" if words else ""


@contextmanager
def _hub_errors(space_id: str, action: str) -> Iterator[None]:
    """Turn what huggingface_hub raises into one clear spacepack error (never with a token)."""
    try:
        yield
    except SpacepackError:
        raise  # already ours: pass through unchanged
    except RepositoryNotFoundError as error:
        if error.response.status_code == 401:
            raise AuthError("the Hugging Face token is invalid or expired", hint=TOKEN_FIX) from None
        raise HubError(
            f"Space {space_id} not found while trying to {action}",
            hint="check the Space id, and that the token can see it",
        ) from None
    except HfHubHTTPError as error:
        status = error.response.status_code
        words = _server_words(error)
        if status == 401:
            raise AuthError("the Hugging Face token is invalid or expired", hint=TOKEN_FIX) from None
        if status == 403:
            raise AuthError(
                f"the token may not {action} {space_id}{words}",
                hint=f"use a token with write access to {space_id.split('/')[0]}; {TOKEN_FIX}",
            ) from None
        if status == 402:
            raise PlanOrQuotaError(
                f"the Hub refused to {action} {space_id}: payment required (402){words}",
                hint="Docker Spaces need a paid plan (PRO, Team or Enterprise); upgrade at "
                "https://huggingface.co/pricing or push to an organisation that has one",
            ) from None
        if status == 429:
            raise PlanOrQuotaError(
                f"the Hub rate-limited the request to {action} {space_id} (429)",
                hint="wait a few minutes and run the command again",
            ) from None
        if status >= 500:
            raise HubError(
                f"the Hub failed to {action} {space_id} ({status}){words}",
                hint="the Hub may be having trouble (https://status.huggingface.co); run the command again",
            ) from None
        raise HubError(
            f"the Hub refused to {action} {space_id} ({status}){words}", hint="see the message above"
        ) from None
    except httpx2.TransportError as error:
        raise HubError(
            f"lost the connection to the Hub while trying to {action} {space_id} ({type(error).__name__})",
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


# -- push --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RemoteState:
    exists: bool
    sha: str | None
    private: bool | None
    app_url: str


def check_write_access(api: HfApi, space_id: str) -> str:
    """Verify the client's token with whoami; return the user name.

    Raises:
        AuthError: invalid/expired (401) or read-only token (classic "read" role,
            or fine-grained without any repo write permission).
    """
    with _hub_errors(space_id, "verify the token for"):
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


def _remote_state(api: HfApi, space_id: str) -> _RemoteState:
    with _hub_errors(space_id, "read"):
        try:
            info = api.space_info(space_id)
        except RepositoryNotFoundError as error:
            if error.response.status_code == 401:
                raise  # a bad token, not a missing Space: _hub_errors says so
            return _RemoteState(False, None, None, space_app_url(space_id))
    host = info.host if isinstance(info.host, str) and info.host else space_app_url(space_id)
    return _RemoteState(True, info.sha, info.private, host)


def _remote_tree(api: HfApi, space_id: str) -> dict[str, RemoteFile]:
    result: dict[str, RemoteFile] = {}
    with _hub_errors(space_id, "list the files of"):
        for item in api.list_repo_tree(space_id, repo_type="space", recursive=True):
            if isinstance(item, RepoFile):
                lfs = item.lfs.sha256 if item.lfs is not None else None
                result[item.path] = RemoteFile(item.path, item.size, item.blob_id, lfs)
    return result


def _set_secrets(api: HfApi, space_id: str, secrets: Mapping[str, str]) -> dict[str, Status]:
    if not secrets:
        return {}
    with _hub_errors(space_id, "set secrets on"):
        existing = set(api.get_space_secrets(space_id))
        statuses: dict[str, Status] = {}
        for name, value in sorted(secrets.items()):
            api.add_space_secret(space_id, name, value)
            # Secret values cannot be read back, so an existing one is "set" (maybe to the same value).
            statuses[name] = "set" if name in existing else "added"
    return statuses


def _set_variables(api: HfApi, space_id: str, variables: Mapping[str, str]) -> dict[str, Status]:
    if not variables:
        return {}
    with _hub_errors(space_id, "set variables on"):
        existing = {key: var.value for key, var in api.get_space_variables(space_id).items()}
        statuses: dict[str, Status] = {}
        for name, value in sorted(variables.items()):
            if name not in existing:
                statuses[name] = "added"
            elif existing[name] != value:
                statuses[name] = "changed"
            else:
                statuses[name] = "unchanged"
                continue
            api.add_space_variable(space_id, name, value)
    return statuses


def push_context(
    api: HfApi | None,
    space_id: str,
    context: ContextLike,
    plan: Plan,
    *,
    private: bool | None = None,
    hardware: str | None = None,
    message: str | None = None,
    dry_run: bool = False,
    secrets: Mapping[str, str] | None = None,
    variables: Mapping[str, str] | None = None,
) -> PushReport:
    """Publish a rendered build context to a Docker Space in one commit.

    Order: id and guard checks (offline) → token check (whoami) → Space state
    and tree → diff → [dry run stops here] → create the Space when missing →
    secrets and variables (before the commit, so the build sees them) → one
    commit with only added/changed files and deletions (none when nothing changed).

    Args:
        api: a client from `get_hf_api`; None only for an offline dry run (the
            Space is then assumed empty).
        space_id: OWNER/NAME.
        context: the rendered build context; its folder on disk is what is published.
        plan: the project's plan (its `secret_files` are never uploaded).
        private: visibility when the Space is created (ignored when it exists).
        hardware: hardware flavor to create with, or to request when it differs.
        message: the commit message (else the project's last git commit, else a default).
        dry_run: compute and report, write nothing remote.
        secrets: name → value, set through the Space secrets API.
        variables: name → value, set through the Space variables API.

    Raises:
        UsageError: invalid Space id, or a secret file in the upload list.
        AuthError, PlanOrQuotaError, HubError, MetadataError: from the Hub.
    """
    space_id = validate_space_id(space_id)
    files = local_files(context)
    guard_uploads([f.path for f in files], plan.secret_files)
    if not any(f.path == "README.md" for f in files):
        raise UsageError("the build context has no README.md", hint="run `spacepack render` to write it")
    secrets = dict(secrets or {})
    variables = dict(variables or {})
    summary = commit_message(plan.root, message)
    url_base = api.endpoint if api is not None else DEFAULT_ENDPOINT
    notes: list[str] = [
        f"variable {name} looks like a secret, but Space variables are public: pass it with --secret {name}"
        for name in sorted(variables)
        if is_secret_name(name)
    ]

    if api is None:
        if not dry_run:
            raise AuthError("no Hugging Face token found (--token, HF_TOKEN or a saved login)", hint=TOKEN_FIX)
        state = _RemoteState(False, None, None, space_app_url(space_id))
        remote: dict[str, RemoteFile] | None = None
        notes.append("offline dry run (no token): the Space is assumed to be empty")
    else:
        check_write_access(api, space_id)
        state = _remote_state(api, space_id)
        remote = _remote_tree(api, space_id) if state.exists else None
    diff = diff_files(files, remote)
    page_url = f"{url_base}/spaces/{space_id}"

    def report(**changes: Any) -> PushReport:
        values: dict[str, Any] = {
            "space_id": space_id,
            "url": page_url,
            "app_url": state.app_url,
            "dry_run": dry_run,
            "created": False,
            "commit_url": None,
            "commit_oid": None,
            "commit_message": summary,
            "diff": diff,
            "metadata": dict(context.metadata),
            "secrets": dict.fromkeys(sorted(secrets), "set"),
            "variables": dict.fromkeys(sorted(variables), "set"),
            "notes": tuple(notes),
        }
        values.update(changes)
        return PushReport(**values)

    if dry_run or api is None:
        if not state.exists:
            notes.append(f"the Space {space_id} does not exist yet; push would create it")
        return report()

    created = False
    sha = state.sha
    if not state.exists:
        with _hub_errors(space_id, "create"):
            api.create_repo(
                space_id,
                repo_type="space",
                space_sdk="docker",
                private=bool(private),
                space_hardware=hardware,  # type: ignore[arg-type]
                exist_ok=True,
            )
        created = True
        state = _remote_state(api, space_id)
        sha = state.sha
        diff = diff_files(files, _remote_tree(api, space_id))
    else:
        if private is not None and state.private is not None and private != state.private:
            notes.append("the Space exists: its visibility was left as it is (change it in the Space settings)")
        if hardware:
            with _hub_errors(space_id, "read the runtime of"):
                runtime = api.get_space_runtime(space_id)
            if runtime.requested_hardware != hardware:
                with _hub_errors(space_id, "request hardware for"):
                    api.request_space_hardware(space_id, hardware)  # type: ignore[arg-type]
                notes.append(f"requested hardware {hardware}")

    secret_status = _set_secrets(api, space_id, secrets)
    variable_status = _set_variables(api, space_id, variables)

    if diff.empty:
        notes.append("nothing changed since the last push: no commit made")
        return report(created=created, secrets=secret_status, variables=variable_status)

    operations: list[CommitOperationAdd | CommitOperationDelete] = [
        CommitOperationAdd(path_in_repo=entry.path, path_or_fileobj=str(context.path / entry.path))
        for entry in diff.added + diff.changed
    ]
    operations += [CommitOperationDelete(path_in_repo=entry.path) for entry in diff.deleted]
    with _hub_errors(space_id, "commit to"):
        info = api.create_commit(space_id, operations, commit_message=summary, repo_type="space", parent_commit=sha)
    return report(
        created=created,
        commit_url=info.commit_url,
        commit_oid=info.oid,
        secrets=secret_status,
        variables=variable_status,
    )


# -- wait and probe ----------------------------------------------------------------------------


def _log_tail(api: HfApi, space_id: str, *, build: bool, mask: Callable[[str], str]) -> tuple[str, ...]:
    try:
        lines = [line.rstrip("\n") for line in api.fetch_space_logs(space_id, build=build)]
    except (HfHubHTTPError, httpx2.TransportError):
        return ("(the logs could not be fetched)",)
    return tuple(mask(line) for line in lines[-LOG_TAIL_LINES:])


def probe_space(base_url: str, health_path: str, *, attempts: int = 3, interval: float = 2.0) -> ProbeResult:
    """GET the health path on the Space's app URL; a few tries, since the proxy may lag RUNNING."""
    url = base_url.rstrip("/") + "/" + health_path.lstrip("/")
    started = time.monotonic()
    status: int | None = None
    error = ""
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=10) as response:
                status = int(response.status)
        except urllib.error.HTTPError as failure:
            status, error = failure.code, f"HTTP {failure.code}"
        except (urllib.error.URLError, OSError) as failure:
            status, error = None, type(failure).__name__
        if status is not None and 200 <= status < 300:
            return ProbeResult(url, status, True, "", round(time.monotonic() - started, 3))
        if attempt + 1 < attempts:
            time.sleep(interval)
    return ProbeResult(url, status, False, error, round(time.monotonic() - started, 3))


def wait_for_space(
    api: HfApi,
    space_id: str,
    *,
    timeout: float,
    on_stage: Callable[[str, float], None] | None = None,
    poll_interval: float = 2.0,
    settle: float = 20.0,
    probe: bool = True,
    health_path: str = "/health",
    probe_base_url: str | None = None,
    probe_attempts: int = 3,
    probe_interval: float = 2.0,
    mask: Callable[[str], str] = lambda text: text,
) -> SpaceReport:
    """Follow the Space's runtime stage until RUNNING, then probe its health path.

    Right after a commit the Hub may still report the previous build as
    RUNNING; a RUNNING seen before any build stage within `settle` seconds is
    therefore not trusted yet.

    Args:
        api: a client from `get_hf_api`.
        space_id: OWNER/NAME.
        timeout: seconds to wait for RUNNING.
        on_stage: called with (stage, elapsed seconds) whenever the stage changes.
        poll_interval: seconds between runtime requests.
        settle: see above (0 trusts the first RUNNING).
        probe: whether to GET the health path once RUNNING.
        health_path: the path to probe.
        probe_base_url: where the app answers (default https://<owner>-<name>.hf.space).
        probe_attempts: how many times to try the probe.
        probe_interval: seconds between probe attempts.
        mask: applied to every log line shown (hides secret values an app printed).

    Raises:
        SpaceStageError: BUILD_ERROR, RUNTIME_ERROR, CONFIG_ERROR or NO_APP_FILE (with a log tail).
        WaitTimeout: not RUNNING within `timeout`.
        HubError: the Space is paused/stopped, or the Hub failed.
    """
    space_id = validate_space_id(space_id)
    started = time.monotonic()
    seen: list[tuple[str, float]] = []
    building_seen = False
    while True:
        with _hub_errors(space_id, "read the runtime of"):
            runtime = api.get_space_runtime(space_id)
        elapsed = time.monotonic() - started
        stage = str(runtime.stage)
        if not seen or seen[-1][0] != stage:
            seen.append((stage, round(elapsed, 2)))
            if on_stage is not None:
                on_stage(stage, elapsed)
        error_message = mask(str((runtime.raw or {}).get("errorMessage") or "")).strip()
        detail = f": {error_message}" if error_message else ""
        if stage in INTERMEDIATE_STAGES:
            building_seen = True
        elif stage == "RUNNING" and (building_seen or elapsed >= settle):
            break
        elif stage == "BUILD_ERROR":
            raise SpaceStageError(
                f"the Space failed to build on the Hub{detail}",
                "read the build log tail above; reproduce locally with `spacepack build`",
                exit_code=ExitCode.SPACE_BUILD_ERROR,
                stage=stage,
                log_tail=_log_tail(api, space_id, build=True, mask=mask),
            )
        elif stage == "RUNTIME_ERROR":
            raise SpaceStageError(
                f"the Space built but failed at run time{detail}",
                "read the run log tail above; reproduce locally with `spacepack smoke`",
                exit_code=ExitCode.SPACE_RUNTIME_ERROR,
                stage=stage,
                log_tail=_log_tail(api, space_id, build=False, mask=mask),
            )
        elif stage in ("CONFIG_ERROR", "NO_APP_FILE"):
            raise SpaceStageError(
                f"the Hub rejected the Space configuration ({stage}){detail}",
                "check the README metadata (sdk: docker, app_port) and that a Dockerfile was pushed",
                exit_code=ExitCode.SPACE_CONFIG_ERROR,
                stage=stage,
                log_tail=(),
            )
        elif stage in ("PAUSED", "STOPPED", "DELETING"):
            raise HubError(f"the Space is {stage}", hint=f"restart it from https://huggingface.co/spaces/{space_id}")
        if elapsed >= timeout:
            raise WaitTimeout(
                f"the Space was still {stage} after {timeout:g} s",
                hint="raise --timeout, or follow it on the Space page; the push itself succeeded",
            )
        time.sleep(max(0.0, min(poll_interval, timeout - elapsed)))
    app_url = probe_base_url or space_app_url(space_id)
    result = probe_space(app_url, health_path, attempts=probe_attempts, interval=probe_interval) if probe else None
    return SpaceReport(space_id, "RUNNING", tuple(seen), round(time.monotonic() - started, 2), app_url, result)


__all__ = [
    "SpaceStageError",
    "check_write_access",
    "get_hf_api",
    "hub_endpoint",
    "probe_space",
    "push_context",
    "require_token",
    "resolve_token",
    "saved_token_path",
    "space_app_url",
    "space_subdomain",
    "token_source",
    "validate_space_id",
    "wait_for_space",
]
