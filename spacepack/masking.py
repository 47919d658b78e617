"""One helper that masks secret values, used by every output path."""

from __future__ import annotations

from collections.abc import Iterable

MASK = "****"


def preview(value: str) -> str:
    """Show at most the first 4 characters of a secret-looking value, for findings."""
    if len(value) <= 8:
        return MASK
    return value[:4] + MASK


class Masker:
    """Replaces every known secret value in text with a mask.

    Values shorter than 4 characters are not masked as substrings (they would
    mask half the log); they are never printed by spacepack either.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            if value and len(value) >= 4:
                self._values.add(value)

    def __call__(self, text: str) -> str:
        # Longest first, so a value that contains another is masked whole.
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        return text
