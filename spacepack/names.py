"""Strict grammars for every value that reaches a Dockerfile, YAML, a shell line or a command line.

Values come from hostile places: the project's folder name, `pyproject.toml`,
env var names read from code, config files. Each grammar is matched whole
(`fullmatch`, so a trailing newline never passes as `$` would let it) and in
ASCII only. Quoting happens where a value lands (`shell_word`, `yaml_string`);
validation happens first, so a value that cannot be quoted safely never gets
that far.
"""

from __future__ import annotations

import re
import shlex

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_IDENTIFIER}(?:\.{_IDENTIFIER})*"

# "module.sub:attr" or "module:attr.sub", as uvicorn takes it.
ENTRY = re.compile(rf"{_DOTTED}:{_DOTTED}", re.ASCII)
# POSIX env var names (what a shell, a Dockerfile ENV and a GitHub `env:` key all accept).
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}", re.ASCII)
# Debian package names (policy 5.6.1), optionally with an apt version pin ("pkg=1.2-3").
DEBIAN_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]{1,127}(?:=[A-Za-z0-9.+:~-]{1,127})?", re.ASCII)
# A Docker image reference: registry/name:tag@digest, nothing a Dockerfile line could read as syntax.
IMAGE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}", re.ASCII)
# One folder name of a relative path: never an option (`--help`), never `.` or `..`.
PATH_SEGMENT = re.compile(r"(?!\.{1,2}\Z)[A-Za-z0-9_.@+][A-Za-z0-9_.@+-]{0,254}", re.ASCII)
# A config target's name ([tool.spacepack.targets.NAME]): it lands in a file name and a YAML value.
TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", re.ASCII)
# A git branch as it may appear in a workflow's `branches:` list.
BRANCH = re.compile(r"(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,199}", re.ASCII)
# A folder path in a workflow's shell line: plain segments, spaces allowed (they are quoted there).
RELATIVE_PATH = re.compile(r"[A-Za-z0-9_.@+][A-Za-z0-9_.@+ -]{0,254}(?:/[A-Za-z0-9_.@+][A-Za-z0-9_.@+ -]{0,254})*")
# A value a Dockerfile `LABEL key="value"` holds as written: no quote, backslash, `$` (LABEL expands
# variables) or space. Other values reach the image through the build API instead.
LABEL_VALUE = re.compile(r"[A-Za-z0-9._~/:+-]{1,200}", re.ASCII)

# The image labels spacepack's images carry. They are the same on every commit, so the rendered
# Dockerfile sets them before the source and a code-only rebuild finds them cached.
HEALTH_PATH_LABEL = "dev.spacepack.health-path"
VERSION_LABEL = "dev.spacepack.version"


def matches(grammar: re.Pattern[str], value: object) -> bool:
    """Whether `value` is a string that matches `grammar` whole."""
    return isinstance(value, str) and grammar.fullmatch(value) is not None


def is_env_name(value: object) -> bool:
    """Whether `value` is a POSIX environment variable name."""
    return matches(ENV_NAME, value)


def is_relative_dir(value: str) -> bool:
    """A relative folder path made of plain segments: no `..`, no option-like `-x`, no spaces or quotes."""
    return all(matches(PATH_SEGMENT, segment) for segment in value.split("/")) if value else False


def display_name(raw: str, fallback: str = "app") -> str:
    """A project name safe on one line of a Dockerfile comment, a README title or a log.

    Newlines, quotes, `$`, backticks and every other character outside
    letters, digits, `.`, `_`, `-` and space become `-`; the result is at most 100 characters.
    """
    cleaned = "".join(c if c.isalnum() or c in "._ -" else "-" for c in raw)
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip(" -.")[:100].strip(" -.")
    return cleaned or fallback


def shell_word(value: str) -> str:
    """`value` as one word of a POSIX shell line (validate it first: quoting is not a grammar)."""
    return shlex.quote(value)


_YAML_BREAKS = frozenset("\u2028\u2029\x85\ufeff")


def yaml_string(value: str) -> str:
    """`value` as a double-quoted YAML scalar: quotes and backslashes escaped, anything unprintable as \\u."""
    out = ['"']
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable() and char not in _YAML_BREAKS:
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)
