"""The one exception tree of spacepack, each class carrying its exit code.

Library code raises these; only `spacepack.cli.main` turns them into a line
on stderr and a process exit code. Messages are one line saying what is
wrong; `hint` says how to fix it. Neither ever holds a secret's value.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Protocol, runtime_checkable


class ExitCode(IntEnum):
    """Process exit codes, one per stage and cause (documented in the README)."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    CHECK_FAILED = 3
    ENGINE_UNAVAILABLE = 4
    BUILD_FAILED = 5
    SMOKE_FAILED = 6
    AUTH = 7
    PLAN_OR_QUOTA = 8
    HUB = 9
    SPACE_BUILD_ERROR = 10
    SPACE_RUNTIME_ERROR = 11
    SPACE_CONFIG_ERROR = 12
    TIMEOUT = 13
    SPACE_NOT_RUNNING = 14
    MISSING_SECRETS = 15
    INTERRUPTED = 130


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.INTERNAL: "a bug in spacepack (re-run with --debug and report the traceback)",
    ExitCode.USAGE: "bad input: a flag, a path, the config file or Space metadata is invalid",
    ExitCode.CHECK_FAILED: "`check` found error findings (hardcoded secret, undeclared import, no app...), "
    "or the dependencies do not resolve",
    ExitCode.ENGINE_UNAVAILABLE: "no Docker engine answers, or the base image is missing",
    ExitCode.BUILD_FAILED: "the image build failed",
    ExitCode.SMOKE_FAILED: "the container did not start, answer on $PORT, or pass its checks",
    ExitCode.AUTH: "no Hugging Face token, or it is invalid, expired or read-only",
    ExitCode.PLAN_OR_QUOTA: "the Hub refused for plan or quota reasons (402 payment required, 429 rate limit)",
    ExitCode.HUB: "the Hub could not be reached or answered with an error",
    ExitCode.SPACE_BUILD_ERROR: "the Space was pushed but its image failed to build on the Hub (BUILD_ERROR)",
    ExitCode.SPACE_RUNTIME_ERROR: "the Space built but failed at run time (RUNTIME_ERROR)",
    ExitCode.SPACE_CONFIG_ERROR: "the Space's configuration was rejected (CONFIG_ERROR, NO_APP_FILE)",
    ExitCode.TIMEOUT: "waiting for the Space to reach RUNNING timed out",
    ExitCode.SPACE_NOT_RUNNING: "`status`: the Space is not running (building, starting, sleeping, paused or stopped)",
    ExitCode.MISSING_SECRETS: "the app reads env vars the Space has neither as secret nor variable",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); everything started was cleaned up",
}


@runtime_checkable
class Result(Protocol):
    """A command's result value: what `--json` prints (never a secret)."""

    def to_json(self) -> dict[str, Any]: ...


class SpacepackError(Exception):
    """Base class of every error spacepack reports to a user."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str = "", *, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Lines shown before the message (e.g. each error finding and its fix); never secret values.
        self.details = details
        # What the stopped command had done when this was raised (its --json document says it).
        self.result: Result | None = None

    def with_result(self, result: Result) -> SpacepackError:
        """Attach the partial result of the command this error stops; returns self, to re-raise."""
        self.result = result
        return self

    def to_json(self) -> dict[str, Any]:
        """The failure fields of a --json document (never a secret)."""
        return {"status": "failed", "error": self.message, "hint": self.hint, "exit_code": int(self.exit_code)}

    def __str__(self) -> str:
        return self.message


class UsageError(SpacepackError):
    """Bad input: a flag, a path or a value the user gave."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """The config file (`[tool.spacepack]` or spacepack.toml) or an env setting is invalid."""


class MetadataError(UsageError):
    """Space README metadata breaks the Spaces configuration reference."""


class RenderError(SpacepackError):
    """The build context could not be rendered (template error, unwritable output)."""

    exit_code = ExitCode.USAGE


class CheckFailed(SpacepackError):
    """`check` produced error findings; the pipeline stops before building."""

    exit_code = ExitCode.CHECK_FAILED


class ResolveFailed(SpacepackError):
    """The dependencies do not resolve for the target Python and platform (a conflict in the project)."""

    exit_code = ExitCode.CHECK_FAILED


class EngineUnavailable(SpacepackError):
    """No Docker engine answers, or something it needs (the base image) is missing."""

    exit_code = ExitCode.ENGINE_UNAVAILABLE


class BuildFailed(SpacepackError):
    """The image build failed."""

    exit_code = ExitCode.BUILD_FAILED


class SmokeFailed(SpacepackError):
    """The container did not pass the smoke test."""

    exit_code = ExitCode.SMOKE_FAILED


class HubError(SpacepackError):
    """The Hub could not be reached or answered with an error."""

    exit_code = ExitCode.HUB


class AuthError(HubError):
    """No usable Hugging Face token."""

    exit_code = ExitCode.AUTH


class PlanOrQuotaError(HubError):
    """The Hub refused for plan (402) or rate-limit (429) reasons."""

    exit_code = ExitCode.PLAN_OR_QUOTA


class SpaceFailed(HubError):
    """The pushed Space ended in an error stage."""

    def __init__(self, message: str, hint: str = "", *, exit_code: ExitCode = ExitCode.SPACE_RUNTIME_ERROR) -> None:
        super().__init__(message, hint)
        self.exit_code = exit_code


class MissingSecrets(UsageError):
    """The app reads env vars at start-up that the Space would not have: push stops before uploading."""

    exit_code = ExitCode.MISSING_SECRETS


class WaitTimeout(HubError):
    """Waiting for the Space to reach RUNNING timed out."""

    exit_code = ExitCode.TIMEOUT
