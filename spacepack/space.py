"""The running Space: wait for it, probe it, read its logs and its status.

Everything here reads; nothing changes the Space (that is `spacepack.push`).
The Hub is reached only through `spacepack.hub`.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spacepack import hub
from spacepack.check.secrets_scan import is_secret_name
from spacepack.config import LOG_TAIL_LINES
from spacepack.envfile import read_env_file
from spacepack.errors import ExitCode, HubError, SpaceFailed, UsageError, WaitTimeout
from spacepack.hub import SpaceId
from spacepack.masking import Masker

if TYPE_CHECKING:
    from spacepack.hub import HfApi
    from spacepack.plan import EnvVar

# How many log lines a failure shows (push --wait, release, and `logs` without --tail).
ERROR_STAGES = frozenset({"BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR", "NO_APP_FILE"})
STOPPED_STAGES = frozenset({"PAUSED", "STOPPED", "DELETING"})


def _same(text: str) -> str:
    return text


class SpaceStageError(SpaceFailed):
    """The Space ended in an error stage; carries the stage and the tail of its logs."""

    def __init__(self, message: str, hint: str, *, exit_code: ExitCode, stage: str, log_tail: tuple[str, ...]) -> None:
        super().__init__(message, hint, exit_code=exit_code)
        self.stage = stage
        self.log_tail = log_tail
        if log_tail:
            kind = "build" if stage == "BUILD_ERROR" else "run"
            self.details = (f"last {len(log_tail)} lines of the {kind} log:", *(f"  | {line}" for line in log_tail))


@dataclass(frozen=True)
class ProbeResult:
    """The health request sent to the running Space."""

    url: str
    status: int | None
    ok: bool
    error: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "status": self.status, "ok": self.ok, "error": self.error, "seconds": self.seconds}


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
class WaitPolicy:
    """How long and how often to ask for the Space's stage.

    Right after a commit the Hub may still report the previous build as
    RUNNING; a RUNNING seen before any build stage within `settle` seconds is
    therefore not trusted yet (0 trusts the first RUNNING).
    """

    timeout: float = 1800.0
    poll_interval: float = 2.0
    settle: float = 20.0


@dataclass(frozen=True)
class ProbeSettings:
    """The health request sent once the Space is RUNNING."""

    health_path: str = "/health"
    base_url: str | None = None  # default: the Space's own https://<owner>-<name>.hf.space
    attempts: int = 3  # the Hub's proxy may lag RUNNING by a few seconds
    interval: float = 2.0


# -- logs --------------------------------------------------------------------------------------


def log_masker(project_dir: Path, secrets: Mapping[str, str], token: str | None = None) -> Masker:
    """A masker for the Space's logs: every secret value spacepack knows.

    The Hub never returns secret values, so these are the ones known here: the
    secrets passed (`--secret`, `--secrets-from`), the project's `.env` (the
    local stand-in for the Space secrets) and the token.
    """
    masker = Masker(secrets.values())
    dotenv = project_dir / ".env"
    if dotenv.is_file() and not dotenv.is_symlink():
        try:
            masker.add(read_env_file(dotenv, ".env").values())
        except UsageError:
            pass  # an unreadable .env holds nothing to mask
    if token:
        masker.add([token])
    return masker


def logs(
    api: HfApi,
    space: SpaceId,
    *,
    build: bool = False,
    follow: bool = False,
    tail: int | None = None,
    mask: Callable[[str], str] = _same,
) -> Iterator[str]:
    """The Space's run (or build) log, every line passed through `mask` (hides known secret values).

    Without `follow`, the lines the Hub holds now (the last `tail` of them when
    given). With `follow`, lines as they come until the Hub closes the stream
    or the caller stops (Ctrl-C); `tail` is then not allowed, as with `hf spaces logs`.
    """
    lines: Iterable[str] = hub.log_lines(api, space, build=build, follow=follow)
    if tail is not None and not follow:
        lines = deque(lines, maxlen=tail)
    for line in lines:
        yield mask(line)


def log_tail(api: HfApi, space: SpaceId, *, build: bool, mask: Callable[[str], str]) -> tuple[str, ...]:
    """The last `LOG_TAIL_LINES` lines, masked; a placeholder line when the logs cannot be read."""
    try:
        return tuple(logs(api, space, build=build, tail=LOG_TAIL_LINES, mask=mask))
    except HubError:
        return ("(the logs could not be fetched)",)


# -- wait and probe ----------------------------------------------------------------------------


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


def _stage_failure(api: HfApi, space: SpaceId, found: hub.Runtime, mask: Callable[[str], str]) -> HubError | None:
    """The error an error (or stopped) stage means, with the log tail; None for any other stage."""
    stage = found.stage
    words = mask(found.error_message).strip()
    detail = f": {words}" if words else ""
    if stage == "BUILD_ERROR":
        return SpaceStageError(
            f"the Space failed to build on the Hub{detail}",
            "read the build log tail above; reproduce locally with `spacepack build`",
            exit_code=ExitCode.SPACE_BUILD_ERROR,
            stage=stage,
            log_tail=log_tail(api, space, build=True, mask=mask),
        )
    if stage == "RUNTIME_ERROR":
        return SpaceStageError(
            f"the Space built but failed at run time{detail}",
            "read the run log tail above; reproduce locally with `spacepack smoke`",
            exit_code=ExitCode.SPACE_RUNTIME_ERROR,
            stage=stage,
            log_tail=log_tail(api, space, build=False, mask=mask),
        )
    if stage in ("CONFIG_ERROR", "NO_APP_FILE"):
        return SpaceStageError(
            f"the Hub rejected the Space configuration ({stage}){detail}",
            "check the README metadata (sdk: docker, app_port) and that a Dockerfile was pushed",
            exit_code=ExitCode.SPACE_CONFIG_ERROR,
            stage=stage,
            log_tail=(),
        )
    if stage in STOPPED_STAGES:
        return HubError(f"the Space is {stage}", hint=f"restart it from {space.page_url()}")
    return None


def wait_for_space(
    api: HfApi,
    space: SpaceId,
    policy: WaitPolicy | None = None,
    probe: ProbeSettings | None = None,
    *,
    on_stage: Callable[[str, float], None] | None = None,
    mask: Callable[[str], str] = _same,
) -> SpaceReport:
    """Follow the Space's runtime stage until RUNNING, then (when `probe` is given) probe its health path.

    `HfApi.wait_for_space` is not used: it returns at the first stage that is
    not intermediate, so it would accept the previous build's RUNNING that the
    Hub still reports right after a commit (see `WaitPolicy.settle`), and it
    reports no stage changes to show progress. Its stage lists are used
    (`hub.INTERMEDIATE_STAGES`).

    Raises:
        SpaceStageError: BUILD_ERROR, RUNTIME_ERROR, CONFIG_ERROR or NO_APP_FILE (with a masked log tail).
        WaitTimeout: not RUNNING within `policy.timeout`.
        HubError: the Space is paused/stopped, or the Hub failed.
    """
    policy = policy or WaitPolicy()
    started = time.monotonic()
    seen: list[tuple[str, float]] = []
    building_seen = False
    while True:
        found = hub.runtime(api, space)
        elapsed = time.monotonic() - started
        if not seen or seen[-1][0] != found.stage:
            seen.append((found.stage, round(elapsed, 2)))
            if on_stage is not None:
                on_stage(found.stage, elapsed)
        if found.stage in hub.INTERMEDIATE_STAGES:
            building_seen = True
        elif found.stage == "RUNNING" and (building_seen or elapsed >= policy.settle):
            break
        failure = _stage_failure(api, space, found, mask)
        if failure is not None:
            raise failure
        if elapsed >= policy.timeout:
            raise WaitTimeout(
                f"the Space was still {found.stage} after {policy.timeout:g} s",
                hint="raise --timeout, or follow it on the Space page; the push itself succeeded",
            )
        time.sleep(max(0.0, min(policy.poll_interval, policy.timeout - elapsed)))
    app_url = (probe.base_url if probe else None) or space.app_url
    result = (
        probe_space(app_url, probe.health_path, attempts=probe.attempts, interval=probe.interval) if probe else None
    )
    return SpaceReport(space.repo_id, "RUNNING", tuple(seen), round(time.monotonic() - started, 2), app_url, result)


# -- status ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvAudit:
    """The Space's secrets and variables against what the app reads (names only, never values)."""

    secrets: tuple[str, ...]  # secret names set on the Space
    variables: tuple[str, ...]  # variable names set on the Space
    missing: tuple[str, ...]  # required by the app (per `check`), neither a secret nor a variable
    missing_at_start: tuple[str, ...]  # of `missing`, those read while the app starts: it crashes without them
    secret_like_variables: tuple[str, ...]  # public variables whose name says they hold a secret

    def to_json(self) -> dict[str, Any]:
        return {
            "secrets": list(self.secrets),
            "variables": list(self.variables),
            "missing": list(self.missing),
            "missing_at_start": list(self.missing_at_start),
            "secret_like_variables": list(self.secret_like_variables),
        }


def audit_env(needed: Iterable[EnvVar], secrets: Iterable[str], variables: Iterable[str]) -> EnvAudit:
    """Which required env vars the Space lacks, and which of its variables look like secrets."""
    secret_set, variable_set = frozenset(secrets), frozenset(variables)
    have = secret_set | variable_set
    required = [var for var in needed if var.required and not var.set_in(have)]
    return EnvAudit(
        secrets=tuple(sorted(secret_set)),
        variables=tuple(sorted(variable_set)),
        missing=tuple(sorted(var.name for var in required)),
        missing_at_start=tuple(sorted(var.name for var in required if var.at_import)),
        secret_like_variables=tuple(sorted(name for name in variable_set if is_secret_name(name))),
    )


@dataclass(frozen=True)
class SpaceStatus:
    """What `spacepack status` reports about one Space."""

    space_id: str
    stage: str
    hardware: str | None
    requested_hardware: str | None
    sleep_time: int | None
    error_message: str
    app_url: str
    page_url: str
    last_commit: str | None
    last_modified: str | None
    private: bool | None
    audit: EnvAudit

    @property
    def exit_code(self) -> ExitCode:
        """0 when RUNNING with nothing required missing; else the stage's code, 14 (not running) or 15 (missing)."""
        codes = {
            "BUILD_ERROR": ExitCode.SPACE_BUILD_ERROR,
            "RUNTIME_ERROR": ExitCode.SPACE_RUNTIME_ERROR,
            "CONFIG_ERROR": ExitCode.SPACE_CONFIG_ERROR,
            "NO_APP_FILE": ExitCode.SPACE_CONFIG_ERROR,
        }
        if self.stage in codes:
            return codes[self.stage]
        if self.stage != "RUNNING":
            return ExitCode.SPACE_NOT_RUNNING
        if self.audit.missing:
            return ExitCode.MISSING_SECRETS
        return ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "space_id": self.space_id,
            "stage": self.stage,
            "hardware": {"current": self.hardware, "requested": self.requested_hardware},
            "sleep_time": self.sleep_time,
            "error_message": self.error_message or None,
            "app_url": self.app_url,
            "url": self.page_url,
            "private": self.private,
            "last_commit": {"oid": self.last_commit, "date": self.last_modified} if self.last_commit else None,
            "audit": self.audit.to_json(),
            "exit_code": int(self.exit_code),
        }


def space_status(
    api: HfApi, space: SpaceId, needed: Iterable[EnvVar] = (), *, mask: Callable[[str], str] = _same
) -> SpaceStatus:
    """Read the Space's runtime, head commit, secret names and variables, and audit them against `needed`.

    Raises:
        HubError: the Space does not exist, or the Hub failed.
        AuthError: the token cannot read the Space.
    """
    state = hub.repo_state(api, space)
    if not state.exists:
        raise HubError(f"Space {space} not found", hint="check the Space id, and that the token can see it")
    found = hub.runtime(api, space)
    audit = audit_env(needed, hub.secret_names(api, space), hub.variables(api, space))
    return SpaceStatus(
        space_id=space.repo_id,
        stage=found.stage,
        hardware=found.hardware,
        requested_hardware=found.requested_hardware,
        sleep_time=found.sleep_time,
        error_message=mask(found.error_message),
        app_url=state.host or space.app_url,
        page_url=space.page_url(api.endpoint),
        last_commit=state.sha,
        last_modified=state.last_modified,
        private=state.private,
        audit=audit,
    )


__all__ = [
    "LOG_TAIL_LINES",
    "EnvAudit",
    "ProbeResult",
    "ProbeSettings",
    "SpaceReport",
    "SpaceStageError",
    "SpaceStatus",
    "WaitPolicy",
    "audit_env",
    "log_tail",
    "logs",
    "probe_space",
    "space_status",
    "wait_for_space",
]
