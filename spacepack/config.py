"""Settings: one frozen object, loaded in one place, with a written precedence.

Precedence, highest first:

1. command-line flags;
2. environment variables (`SPACEPACK_<KEY>`, e.g. `SPACEPACK_ENTRY`);
3. the config file: `spacepack.toml` (top-level keys) or `[tool.spacepack]`
   in `pyproject.toml`, in the project folder;
4. what `check` detects (entry, backend dir, python, health path...);
5. defaults.

Steps 4 and 5 happen later in the pipeline: a `Settings` holds only what the
user said explicitly (None means "not said"), and `sources` records where each
value came from, so spacepack can explain its decisions.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from spacepack.errors import ConfigError
from spacepack.ignore import is_secret_file, parse_pattern
from spacepack.paths import check_path_value, inside_project
from spacepack.safe_read import read_project_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_FILE = "spacepack.toml"
# What installs the dependencies in the image.
INSTALLERS = ("pip", "uv")
# The port a Docker Space routes to unless README metadata sets `app_port`.
DEFAULT_APP_PORT = 7860
# Seconds the smoke test waits for the health path unless --timeout says otherwise.
SMOKE_TIMEOUT = 60.0
# How many last lines of a log (a build step's output, a container's, a Space's) an error shows.
LOG_TAIL_LINES = 30

# Space README keys that may be set at the top level of the config (HF spellings).
TOP_LEVEL_METADATA_KEYS = (
    "title",
    "emoji",
    "colorFrom",
    "colorTo",
    "short_description",
    "license",
    "pinned",
    "tags",
)


def _key(accepts: type, env: str | None = "str", default: Any = None) -> Any:
    """A config key: the TOML type it accepts and how its `SPACEPACK_<KEY>` variable is parsed (None: no variable)."""
    metadata = {"accepts": accepts, "env": env}
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """What the user asked for explicitly; None means "decide for me".

    Every field made with `_key` is a config key (file, `SPACEPACK_<KEY>`, flag): this
    class is the one list of them.
    """

    project_dir: Path
    backend_dir: str | None = _key(str)
    entry: str | None = _key(str)
    factory: bool | None = _key(bool, "bool")
    python: str | None = _key(str)
    base_image: str | None = _key(str)
    system_packages: tuple[str, ...] = _key(list, "list", ())
    # gitignore-style patterns, relative to the project: what ships although spacepack leaves it
    # out by default (tests/, docs/, .github/...) or .gitignore does; and what never ships.
    include: tuple[str, ...] = _key(list, "list", ())
    exclude: tuple[str, ...] = _key(list, "list", ())
    health_path: str | None = _key(str)
    app_port: int | None = _key(int, "int")
    template: str | None = _key(str)
    installer: str | None = _key(str)  # "uv" (default) or "pip" (the fallback)
    # Add the distribution of an import the app loads that no dependency declares (SP215); default on.
    infer_dependencies: bool | None = _key(bool, "bool")
    postgres_image: str | None = _key(str)  # the smoke test's throwaway database (default: postgres:15-alpine)
    space: str | None = _key(str)
    hardware: str | None = _key(str)
    private: bool | None = _key(bool, "bool")
    metadata: Mapping[str, Any] = _key(dict, None, {})
    variables: Mapping[str, str] = _key(dict, None, {})
    targets: Mapping[str, Mapping[str, Any]] = _key(dict, None, {})
    sources: Mapping[str, str] = field(default_factory=dict)
    config_path: Path | None = None


# key -> (python type accepted from TOML, env var parser name or None), from the fields of Settings
_SCHEMA: dict[str, tuple[type, str | None]] = {
    f.name: (f.metadata["accepts"], f.metadata["env"]) for f in fields(Settings) if "accepts" in f.metadata
}
# Settings naming a path: each must resolve inside the project (spacepack.paths.inside_project).
_PATH_SETTINGS = ("template", "backend_dir")
# Settings holding gitignore-style patterns (spacepack.ignore): checked by `_check_patterns`.
_PATTERN_SETTINGS = ("include", "exclude")
MAX_PATTERNS = 200
MAX_PATTERN_LENGTH = 256
_TYPE_WORDS = {str: "a string", bool: "true or false", int: "an integer", list: "a list", dict: "a table"}


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def read_config_file(project_dir: Path) -> tuple[dict[str, Any], Path | None]:
    """Read the raw config table from spacepack.toml or pyproject.toml ([tool.spacepack])."""
    dedicated = project_dir / CONFIG_FILE
    pyproject = project_dir / "pyproject.toml"
    tables: list[tuple[dict[str, Any], Path]] = []
    if dedicated.is_file():
        tables.append((_load_toml(dedicated), dedicated))
    if pyproject.is_file():
        tool = _load_toml(pyproject).get("tool", {})
        if isinstance(tool, dict) and isinstance(tool.get("spacepack"), dict):
            tables.append((tool["spacepack"], pyproject))
    if len(tables) > 1:
        raise ConfigError(
            f"spacepack settings are in both {CONFIG_FILE} and pyproject.toml [tool.spacepack]",
            hint="keep them in one of the two files",
        )
    if not tables:
        return {}, None
    return tables[0]


def _load_toml(path: Path) -> dict[str, Any]:
    # A project file: a regular file inside the project, bounded (not a FIFO, not a link to /dev/zero).
    result = read_project_bytes(path.parent, path.name, may_follow=lambda target: not is_secret_file(target))
    if result.data is None:
        raise ConfigError(f"cannot read {path.name}: {result.refused}", hint=f"make {path.name} a regular file")
    try:
        return tomllib.loads(result.data.decode("utf-8-sig"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path.name} is not valid TOML: {error}", hint=f"fix the syntax of {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path.name}: {error}", hint=f"check the file {path}") from error


def _check_table(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Validate keys and types of a config table; return it with metadata shortcuts folded in."""
    known = [*_SCHEMA, *TOP_LEVEL_METADATA_KEYS]
    result: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for key, value in table.items():
        if key in TOP_LEVEL_METADATA_KEYS:
            metadata[key] = value
            continue
        if key not in _SCHEMA:
            raise ConfigError(
                f"unknown key '{key}' in {where}.{_did_you_mean(key, known)}",
                hint="see the README's Configuration section for the keys spacepack knows",
            )
        expected, _ = _SCHEMA[key]
        # bool is an int in Python; an app_port of `true` is still wrong.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            word = _TYPE_WORDS.get(expected, expected.__name__)
            raise ConfigError(
                f"'{key}' in {where} must be {word}, not {type(value).__name__} {value!r}",
                hint=f"fix '{key}' in {where}",
            )
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise ConfigError(f"'{key}' in {where} must be a list of strings", hint='e.g. ["libpq-dev"]')
        if (
            key == "variables"
            and isinstance(value, dict)
            and not all(isinstance(v, str | int | float | bool) for v in value.values())
        ):
            raise ConfigError(f"'variables' in {where} must map names to plain values", hint='e.g. LOG_LEVEL = "info"')
        result[key] = value
    if metadata:
        result["metadata"] = {**result.get("metadata", {}), **metadata}
    return result


def _parse_env(key: str, raw: str, kind: str) -> Any:
    name = env_name(key)
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{name}={raw!r} is not a boolean", hint=f"set {name} to true or false")
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not an integer", hint=f"set {name} to a number") from None
    if kind == "list":
        return [item.strip() for item in raw.replace(",", " ").split() if item.strip()]
    return raw


def _check_patterns(key: str, patterns: tuple[str, ...], source: str) -> None:
    """Refuse `include`/`exclude` patterns that could not mean a path inside the project, in one line."""
    if len(patterns) > MAX_PATTERNS:
        raise ConfigError(
            f"'{key}' (from {source}) has {len(patterns)} patterns; at most {MAX_PATTERNS} are allowed",
            hint="match folders (`data/`) or globs (`*.csv`) instead of listing files",
        )
    for pattern in patterns:
        problem = _pattern_problem(pattern)
        if problem is not None:
            shown = pattern if len(pattern) <= 60 else pattern[:57] + "..."
            raise ConfigError(
                f"'{key}' pattern {shown!r} (from {source}) {problem}",
                hint='use gitignore-style patterns relative to the project, e.g. "docs/" or "/data/*.csv"',
            )


def _pattern_problem(pattern: str) -> str | None:
    if not pattern.strip():
        return "is empty"
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"is longer than {MAX_PATTERN_LENGTH} characters"
    if any(ord(char) < 32 or ord(char) == 127 for char in pattern):
        return "holds a control character"
    if pattern.startswith("!"):
        return "starts with '!': list what ships in `include`, what does not in `exclude`"
    segments = pattern.replace("\\", "/").split("/")
    if ".." in segments or pattern.startswith("~") or re.match(r"^[A-Za-z]:", pattern):
        return "points outside the project"
    if parse_pattern(pattern) is None:
        return "matches nothing"
    return None


def env_name(key: str) -> str:
    """The environment variable that sets a config key."""
    return "SPACEPACK_" + key.upper()


def load_settings(
    project_dir: Path,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    target: str | None = None,
) -> Settings:
    """Merge flags, environment and config file into one `Settings`.

    Args:
        project_dir: the folder the command works on.
        flags: values from the command line; None values mean "not given".
        environ: the environment (defaults to nothing, so tests stay hermetic;
            the CLI passes `os.environ`).
        target: a name under `[tool.spacepack.targets]` whose keys override the
            file's top-level ones.

    Raises:
        ConfigError: on unknown keys, wrong types or an unknown target.
    """
    check_path_value(str(project_dir), "the project path")
    try:
        is_folder = project_dir.is_dir()
    except OSError as error:  # a name over 255 bytes, and the like
        raise ConfigError(
            f"the project path cannot be used: {(error.strerror or 'error').lower()}",
            hint="pass the folder of your project (or of its backend)",
        ) from None
    if not is_folder:
        raise ConfigError(f"{project_dir} is not a folder", hint="pass the folder of your project (or of its backend)")
    project_dir = project_dir.resolve()
    raw, config_path = read_config_file(project_dir)
    where = (
        f"{config_path.name} [tool.spacepack]" if config_path and config_path.name == "pyproject.toml" else CONFIG_FILE
    )
    file_source = where + (f" (target {target})" if target else "")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    # Lowest precedence first: each layer overrides the one before.
    for key, value, source in (
        *((key, value, file_source) for key, value in _with_target(_check_table(raw, where), where, target).items()),
        *_env_values(environ),
        *_flag_values(flags),
    ):
        values[key] = value
        sources[key] = source
    return _settings(project_dir, config_path, values, sources)


def _with_target(file_values: dict[str, Any], where: str, target: str | None) -> dict[str, Any]:
    """The file's top-level values with `target`'s table over them (metadata and variables merged key by key)."""
    if target is None:
        return file_values
    targets = file_values.get("targets", {})
    if target not in targets:
        raise ConfigError(
            f"no target '{target}' in the config.{_did_you_mean(target, list(targets))}",
            hint=f"define [tool.spacepack.targets.{target}] or pick one of: {', '.join(targets) or 'none'}",
        )
    target_values = _check_table(targets[target], f"{where} targets.{target}")
    target_values.pop("targets", None)
    merged_meta = {**file_values.get("metadata", {}), **target_values.get("metadata", {})}
    merged_vars = {**file_values.get("variables", {}), **target_values.get("variables", {})}
    return {**file_values, **target_values, "metadata": merged_meta, "variables": merged_vars}


def _env_values(environ: Mapping[str, str] | None) -> list[tuple[str, Any, str]]:
    """(key, value, source) for each `SPACEPACK_<KEY>` set in `environ`."""
    found = []
    for key, (_, kind) in _SCHEMA.items():
        name = env_name(key)
        if kind is not None and environ is not None and name in environ:
            found.append((key, _parse_env(key, environ[name], kind), f"environment variable {name}"))
    return found


def _flag_values(flags: Mapping[str, Any] | None) -> list[tuple[str, Any, str]]:
    """(key, value, source) for each flag given (None and empty mean "not given")."""
    found = []
    for key, value in (flags or {}).items():
        if value is None or value == () or value == []:
            continue
        if key not in _SCHEMA:
            raise ConfigError(f"unknown setting '{key}'", hint="this is a bug in the command-line layer")
        found.append((key, value, "command-line flag"))
    return found


def _settings(
    project_dir: Path, config_path: Path | None, values: Mapping[str, Any], sources: Mapping[str, str]
) -> Settings:
    """The merged values as `Settings`, after the checks that span a value and its source."""
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in _SCHEMA:
            continue
        if key in {"system_packages", *_PATTERN_SETTINGS}:
            value = tuple(value)
        if key in _PATTERN_SETTINGS:
            _check_patterns(key, value, sources[key])
        if key == "variables":
            value = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}
        kwargs[key] = value
    if "installer" in kwargs and kwargs["installer"] not in INSTALLERS:
        raise ConfigError(
            f"installer {kwargs['installer']!r} (from {sources['installer']}) is not one of: {', '.join(INSTALLERS)}",
            hint='use installer = "uv" (the default) or "pip" (the fallback)',
        )
    if "app_port" in kwargs and not 1 <= kwargs["app_port"] <= 65535:
        raise ConfigError(
            f"app_port {kwargs['app_port']} is out of range (from {sources['app_port']})",
            hint="use a port between 1 and 65535; Spaces default to 7860",
        )
    for key in _PATH_SETTINGS:
        if isinstance(kwargs.get(key), str):
            inside_project(project_dir, kwargs[key], f"{key} (from {sources[key]})")
    return Settings(project_dir=project_dir, sources=sources, config_path=config_path, **kwargs)
