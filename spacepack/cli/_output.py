"""How commands talk: human lines on stderr, one JSON document on stdout with --json."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from spacepack.errors import SpacepackError


def plain_mode() -> bool:
    """No colours, spinners or redraws: under CI=true or when stderr is not a terminal."""
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    return ci or not sys.stderr.isatty()


def say(line: str = "") -> None:
    """A human line, on stderr, so stdout stays clean for --json."""
    print(line, file=sys.stderr, flush=True)


class _Emitted:
    """Whether this run already printed its JSON document (there is exactly one)."""

    document = False


def emit_json(document: Any) -> None:
    """Exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()
    _Emitted.document = True


def start_run() -> None:
    """Forget an earlier run's document (main() may run several times in one process, as in tests)."""
    _Emitted.document = False


def json_emitted() -> bool:
    """Whether `emit_json` ran in this process."""
    return _Emitted.document


def failure_fields(error: SpacepackError) -> dict[str, Any]:
    """What a --json document says about the error that stopped the command (never a secret)."""
    return {"status": "failed", "error": error.message, "hint": error.hint, "exit_code": int(error.exit_code)}
