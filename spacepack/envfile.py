"""KEY=VALUE input, from flags and from dotenv files, read in one place.

Values read here are secrets more often than not: no error message ever shows
more than the first 4 characters of what the user typed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from spacepack.errors import UsageError
from spacepack.paths import printable, shown
from spacepack.safe_read import read_regular_file


def _start(text: str) -> str:
    # What an error may show of something that could be a secret: its first 4 characters.
    return text[:4] + ("..." if len(text) > 4 else "")


def parse_pairs(pairs: Iterable[str], flag: str, example: str) -> dict[str, str]:
    """`KEY=VALUE` strings from a repeatable flag into a mapping (later ones win).

    Args:
        pairs: what the user typed after each `flag`.
        flag: the flag's name, for the error ("--env").
        example: a well-formed example, for the hint ("--env API_KEY=...").

    Raises:
        UsageError: when one has no `=` or no key; the message shows at most 4 characters of it.
    """
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} '{_start(pair)}' is not KEY=VALUE", hint=f"e.g. {example}")
        result[key.strip()] = value
    return result


def read_env_file(path: Path, flag: str, *, strict: bool = False) -> dict[str, str]:
    """The NAME=VALUE pairs of a dotenv file (python-dotenv's syntax).

    Args:
        path: the file.
        flag: the flag that named it, for errors ("--env-file").
        strict: a line with a name and no `=` is an error (else it is left out).

    Raises:
        UsageError: the file is missing or not UTF-8 text, or (strict) a line has no `=`.
    """
    from dotenv import dotenv_values

    if not path.is_file():
        raise UsageError(f"{flag} {shown(path)}: no such file", hint="give the path of a NAME=VALUE file")
    # Bounded, and never a FIFO or a device: a project's `.env` is hostile input too.
    result = read_regular_file(path)
    try:
        if result.data is None:
            raise OSError(result.refused)
        text = result.data.decode("utf-8-sig")
        # No ${VAR} interpolation: the file's values are passed on as written, like `docker run --env-file`.
        values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(
            f"{flag} {printable(path.name)}: cannot read it ({type(error).__name__})",
            hint="save it as a UTF-8 file of NAME=VALUE lines (under 2 MB)",
        ) from None
    if strict:
        for name, value in values.items():
            if value is None:
                raise UsageError(
                    f"a line of {path.name} has no '=' (it starts {_start(name)})", hint="write NAME=value on one line"
                )
    return {name: value for name, value in values.items() if value is not None}


def container_env(
    pairs: Iterable[str],
    env_file: Path | None,
    default_dotenv: Path | None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment a smoke-test container gets, lowest to highest precedence.

    `base` (e.g. the Space secrets a release sets), then the project's `.env`
    (only when no `--env-file` is given), then `--env-file`, then `--env`.
    """
    env: dict[str, str] = dict(base or {})
    if env_file is None and default_dotenv is not None and default_dotenv.is_file():
        env.update(read_env_file(default_dotenv, ".env"))
    if env_file is not None:
        env.update(read_env_file(env_file, "--env-file"))
    env.update(parse_pairs(pairs, "--env", "--env API_KEY=..."))
    return env
