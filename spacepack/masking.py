"""One helper that masks secret values, used by every output path.

A secret can reach an output in another shape than the one it was given in:
a PEM key printed line by line, its `repr()` (`\\n` escapes), a JSON dump
(`\\u00e9`, `\\/`), or URL-encoded in a logged request. The masker knows each
value in all those shapes, and each line of a multi-line value on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "****"
# Shorter values (or lines of a multi-line value) would mask half a log; spacepack never prints them either.
MIN_MASKED = 4


def preview(value: str) -> str:
    """Show at most the first 4 characters of a secret-looking value, for findings."""
    if len(value) <= 8:
        return MASK
    return value[:4] + MASK


def encodings(value: str) -> set[str]:
    """The shapes `value` can take in an output: as is, `repr()`, JSON, URL-encoded."""
    shapes = {value, repr(value)[1:-1]}
    for ascii_only in (True, False):
        dumped = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        shapes.update({dumped, dumped.replace("/", "\\/")})
    shapes.update({quote(value, safe=""), quote(value), quote_plus(value), quote_plus(value, safe="")})
    return shapes


def forms(value: str) -> set[str]:
    """Every string a masker replaces for one secret value: its encodings, and those of each line."""
    found = encodings(value)
    lines = value.splitlines()
    if len(lines) > 1:
        for line in lines:
            stripped = line.strip()
            if len(stripped) >= MIN_MASKED:
                found |= encodings(stripped)
    return {form for form in found if len(form) >= MIN_MASKED}


class Masker:
    """Replaces every known secret value, in each of its shapes, with a mask.

    Values shorter than 4 characters are not masked as substrings (they would
    mask half the log); they are never printed by spacepack either.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            if isinstance(value, str) and len(value) >= MIN_MASKED:
                self._forms |= forms(value)
        self._pattern = None

    def __call__(self, text: str) -> str:
        if not self._forms:
            return text
        if self._pattern is None:
            # Longest first, so a form that contains another is masked whole (alternation takes the first match).
            ordered = sorted(self._forms, key=lambda form: (-len(form), form))
            self._pattern = re.compile("|".join(re.escape(form) for form in ordered))
        return self._pattern.sub(MASK, text)
