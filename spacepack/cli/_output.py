"""How commands talk: human lines on stderr, one JSON document on stdout with --json.

`--json` is one flag of the whole program: the command group takes it out of a
command's arguments (see `_app._Group`) and sets `Output.json`; commands return
a result value and `spacepack.cli.main` prints its document, on success,
failure and usage errors alike.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON_FLAG = "--json"
JSON_HELP = "Print one JSON document on stdout (also on failure)."


class Output:
    """This run's output mode (main() may run several times in one process, as in tests)."""

    json = False

    @classmethod
    def reset(cls) -> None:
        cls.json = False


def json_mode() -> bool:
    """Whether this run prints a JSON document (then the human report lines that repeat it are left out)."""
    return Output.json


def plain_mode() -> bool:
    """No colours, spinners or redraws: under CI=true or when stderr is not a terminal."""
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    return ci or not sys.stderr.isatty()


def say(line: str = "") -> None:
    """A human line, on stderr, so stdout stays clean for --json."""
    print(line, file=sys.stderr, flush=True)


def emit_json(document: Any) -> None:
    """The one JSON document of this run, on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class Document:
    """A result that is just a few named values (for commands without a library result type)."""

    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dict(self.fields)
