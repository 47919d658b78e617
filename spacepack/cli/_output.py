"""How commands talk: human lines on stderr, one JSON document on stdout with --json."""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def plain_mode() -> bool:
    """No colours, spinners or redraws: under CI=true or when stderr is not a terminal."""
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    return ci or not sys.stderr.isatty()


def say(line: str = "") -> None:
    """A human line, on stderr, so stdout stays clean for --json."""
    print(line, file=sys.stderr, flush=True)


def emit_json(document: Any) -> None:
    """Exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()
