"""Options shared by several commands, each declared once, and the flag groups built from them.

A flag group is a function whose parameters are typer options and whose
return value is the library's options value (`BuildOptions`, `SmokeOptions`,
`ImageOptions`...). `with_flags(name=group)` adds the group's options to a
command's signature and hands the command the built value as `name`: a flag
is declared in its group only, and reaches every command that uses the group.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from spacepack.cli._output import JSON_FLAG, JSON_HELP
from spacepack.config import SMOKE_TIMEOUT
from spacepack.errors import UsageError

if TYPE_CHECKING:
    # The library is imported when a command runs, not for --help (it pulls in the docker SDK).
    from spacepack.build import BuildOptions
    from spacepack.pipeline import ImageOptions, PushChoices
    from spacepack.smoke import SmokeOptions

F = TypeVar("F", bound=Callable[..., Any])

PathArg = Annotated[Path, typer.Argument(help="The project folder (a repository root or the backend folder).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Go on even when `check` reports errors.")]
# Declared for the help text only: the command group takes --json out before a command parses its arguments.
JsonOpt = Annotated[bool, typer.Option(JSON_FLAG, help=JSON_HELP, expose_value=False)]

# check (every command that runs it)
BackendDirOpt = Annotated[
    str | None, typer.Option("--backend-dir", help="The backend folder, relative to PATH (default: detected).")
]
EntryOpt = Annotated[
    str | None, typer.Option("--entry", help="The app as uvicorn takes it, e.g. src.main:app (default: detected).")
]
FactoryOpt = Annotated[
    bool | None, typer.Option("--factory/--no-factory", help="ENTRY is a function that returns the app.")
]
InferDependenciesOpt = Annotated[
    bool | None,
    typer.Option(
        "--infer-dependencies/--no-infer-dependencies",
        help="Add the distribution of an import the app loads that no dependency declares (default: on).",
        show_default=False,
    ),
]

# build
TagOpt = Annotated[str | None, typer.Option("--tag", help="Image name:tag (default: spacepack/<project>:<sha>).")]
NoSmokeOpt = Annotated[bool, typer.Option("--no-smoke", help="Skip the smoke test.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not reuse cached layers.")]
PullOpt = Annotated[bool, typer.Option("--pull", help="Pull a newer base image first.")]
BuildArgOpt = Annotated[list[str] | None, typer.Option("--build-arg", help="KEY=VALUE build argument (repeatable).")]

# smoke
PortOpt = Annotated[
    int | None,
    typer.Option("--port", min=1, max=65535, help="PORT to inject (default: a random one != app_port)."),
]
HealthOpt = Annotated[str | None, typer.Option("--health", help="Path that must answer 2xx (default: detected).")]
EnvOpt = Annotated[list[str] | None, typer.Option("--env", "-e", help="KEY=VALUE for the container (repeatable).")]
EnvFileOpt = Annotated[Path | None, typer.Option("--env-file", help="A .env file (default: the project's .env).")]
HealthTimeoutOpt = Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the health path.")]
# `release` has two waits: --timeout is the Space's, this one the smoke test's.
SmokeTimeoutOpt = Annotated[
    float, typer.Option("--smoke-timeout", min=0.1, help="Seconds the smoke test waits for the health path.")
]
ExpectStatusOpt = Annotated[
    int | None, typer.Option("--expect-status", min=100, max=599, help="Exact status the health path must answer.")
]
ExpectJsonOpt = Annotated[
    list[str] | None, typer.Option("--expect-json", help="KEY=VALUE the health JSON must hold (repeatable).")
]
DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="postgres: a throwaway Postgres for the smoke test; none; or a URL to inject (default: guessed).",
    ),
]
CheckPathOpt = Annotated[
    list[str] | None, typer.Option("--check", help="Another path that must answer 2xx (repeatable).")
]

# push
SpaceOpt = Annotated[str | None, typer.Option("--space", help="The Space, OWNER/NAME (or `space` in the config).")]
TokenOpt = Annotated[
    str | None, typer.Option("--token", help="A Hugging Face write token (default: HF_TOKEN, then the saved login).")
]
PrivateOpt = Annotated[
    bool | None, typer.Option("--private/--public", help="Visibility when the Space is created.", show_default=False)
]
HardwareOpt = Annotated[str | None, typer.Option("--hardware", help="Hardware flavor, e.g. cpu-basic, t4-small.")]
SecretOpt = Annotated[
    list[str] | None, typer.Option("--secret", help="A Space secret whose value is the env var NAME (repeatable).")
]
SecretsFromOpt = Annotated[Path | None, typer.Option("--secrets-from", help="A NAME=VALUE file of Space secrets.")]
VarOpt = Annotated[list[str] | None, typer.Option("--var", help="A Space variable K=V (repeatable).")]
MessageOpt = Annotated[str | None, typer.Option("--message", "-m", help="Commit message (default: last git commit).")]
WaitTimeoutOpt = Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait for the Space to be RUNNING.")]
NoProbeOpt = Annotated[bool, typer.Option("--no-probe", help="Do not request the health path once RUNNING.")]
PruneOpt = Annotated[
    bool, typer.Option("--prune", help="Also delete files in the Space that spacepack did not upload.")
]
AllowMissingSecretsOpt = Annotated[
    bool,
    typer.Option("--allow-missing-secrets", help="Push even when the app reads a secret at start-up the Space lacks."),
]

# Where the Space's app is probed instead of https://<owner>-<name>.hf.space (proxies, tests).
PROBE_URL_ENV = "SPACEPACK_SPACE_URL"


# --- composing flag groups ------------------------------------------------------------------------


def _parameters(function: Callable[..., Any], leave_out: Mapping[str, Any] | None = None) -> list[inspect.Parameter]:
    """The parameters of `function` with their annotations evaluated, except those in `leave_out`.

    Only the options' annotations are evaluated: the values' types (and the return type) may
    be imported under TYPE_CHECKING only.
    """
    parameters = []
    for parameter in inspect.signature(function).parameters.values():
        if leave_out is not None and parameter.name in leave_out:
            continue
        annotation = parameter.annotation
        if isinstance(annotation, str):
            annotation = eval(annotation, function.__globals__)  # our own annotations, as typing does
        parameters.append(parameter.replace(annotation=annotation))
    return parameters


def _compose(function: F, groups: Mapping[str, Callable[..., Any]], extra: list[inspect.Parameter]) -> F:
    own = _parameters(function, leave_out=groups)
    members = {name: [p.name for p in _parameters(group)] for name, group in groups.items()}
    added = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for g in groups.values() for p in _parameters(g)]
    names = [p.name for p in own + added + extra]
    if len(names) != len(set(names)):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise TypeError(f"{function.__name__}: these flags are declared twice: {twice}")

    @functools.wraps(function)
    def run(**given: Any) -> Any:
        for name, group in groups.items():
            given[name] = group(**{member: given.pop(member) for member in members[name] if member in given})
        for parameter in extra:
            given.pop(parameter.name, None)
        return function(**given)

    positional = [p for p in own if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]
    parameters = positional + keyword + added + extra
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run  # type: ignore[return-value]


def flag_group(**groups: Callable[..., Any]) -> Callable[[F], F]:
    """Build a flag group from other groups: the function gets each group's value under its keyword."""
    return lambda function: _compose(function, groups, [])


_JSON_PARAMETER = inspect.Parameter("json_output", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=JsonOpt)


def with_flags(**groups: Callable[..., Any]) -> Callable[[F], F]:
    """A command with these flag groups (and `--json` in its help); it gets each group's value by keyword."""
    return lambda function: _compose(function, groups, [_JSON_PARAMETER])


def renamed(group: F, **names: tuple[str, Any]) -> F:
    """`group` with options renamed: `renamed(g, timeout=("smoke_timeout", SmokeTimeoutOpt))`."""
    back = {new: old for old, (new, _) in names.items()}
    parameters = [
        p.replace(name=names[p.name][0], annotation=names[p.name][1]) if p.name in names else p
        for p in _parameters(group)
    ]

    @functools.wraps(group)
    def run(**given: Any) -> Any:
        return group(**{back.get(key, key): value for key, value in given.items()})

    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run  # type: ignore[return-value]


# --- the flag groups ------------------------------------------------------------------------------


def project_flags(
    backend_dir: BackendDirOpt = None,
    entry: EntryOpt = None,
    factory: FactoryOpt = None,
    infer_dependencies: InferDependenciesOpt = None,
) -> dict[str, Any]:
    """Where the app is and what `check` may add: the settings flags of every command that runs `check`."""
    return {
        "backend_dir": backend_dir,
        "entry": entry,
        "factory": factory,
        "infer_dependencies": infer_dependencies,
    }


def space_flags(space: SpaceOpt = None, private: PrivateOpt = None, hardware: HardwareOpt = None) -> dict[str, Any]:
    """Which Space and how it is created: settings flags of `push` and `release`."""
    return {"space": space, "private": private, "hardware": hardware}


def push_flags(
    token: TokenOpt = None,
    secret: SecretOpt = None,
    secrets_from: SecretsFromOpt = None,
    var: VarOpt = None,
    message: MessageOpt = None,
    prune: PruneOpt = False,
    allow_missing_secrets: AllowMissingSecretsOpt = False,
) -> PushChoices:
    """The token, secrets, variables, commit message and push guards of `push` and `release`."""
    from spacepack.pipeline import PushChoices

    return PushChoices(
        token=token,
        secret_names=tuple(secret or ()),
        secrets_from=secrets_from,
        var_pairs=tuple(var or ()),
        message=message,
        prune=prune,
        allow_missing_secrets=allow_missing_secrets,
    )


def build_flags(
    tag: TagOpt = None, no_cache: NoCacheOpt = False, pull: PullOpt = False, build_arg: BuildArgOpt = None
) -> BuildOptions:
    """The build flags of `build` and `release`."""
    from spacepack.build import BuildOptions, parse_build_args

    return BuildOptions(tag=tag, no_cache=no_cache, pull=pull, build_args=parse_build_args(build_arg or ()))


def smoke_flags(
    port: PortOpt = None,
    health: HealthOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    timeout: HealthTimeoutOpt = SMOKE_TIMEOUT,
    expect_status: ExpectStatusOpt = None,
    expect_json: ExpectJsonOpt = None,
    check: CheckPathOpt = None,
) -> SmokeOptions:
    """The smoke flags of `build`, `smoke` and `release` (`release` names the timeout --smoke-timeout)."""
    from spacepack.smoke import SmokeOptions, parse_expectations

    if health is not None and not health.startswith("/"):
        raise UsageError(f"--health {health!r} must start with /", hint=f"e.g. --health /{health.lstrip('/')}")
    return SmokeOptions(
        health_path=health,
        port=port,
        env_pairs=tuple(env or ()),
        env_file=env_file,
        timeout=timeout,
        expect_status=expect_status,
        expect_json=parse_expectations(tuple(expect_json or ())),
        checks=tuple(check or ()),
    )


@flag_group(build=build_flags, smoke=smoke_flags)
def image_flags(
    no_smoke: NoSmokeOpt = False, database: DatabaseOpt = None, *, build: BuildOptions, smoke: SmokeOptions
) -> ImageOptions:
    """The build and smoke flags of `build` and `release`, as one value."""
    from spacepack.database import DatabaseChoice
    from spacepack.pipeline import ImageOptions

    smoke = replace(smoke, database=DatabaseChoice.parse(database))
    return ImageOptions(build=build, smoke=None if no_smoke else smoke)
