"""Pure helpers of the benchmark: summaries, ratios and how numbers are shown."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def summarize(values: Sequence[float]) -> dict[str, Any]:
    """Median, min and max of the runs, with the raw values kept for anyone re-checking.

    Raises:
        ValueError: when there is no value at all.
    """
    if not values:
        raise ValueError("no values to summarize")
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "values": list(values),
    }


def ratio(alternative: float | None, spacepack: float | None) -> float | None:
    """How many times spacepack's value the alternative's is (None when it cannot be said)."""
    if alternative is None or spacepack is None or spacepack == 0:
        return None
    return alternative / spacepack


def format_seconds(value: float) -> str:
    """Seconds with the precision a noisy 2-core machine deserves."""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 10:
        return f"{value:.2f} s"
    return f"{value:.1f} s"


def format_bytes(value: float) -> str:
    """Bytes in decimal units (as `docker images` shows sizes)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} B"


def format_value(value: float, unit: str) -> str:
    """A value in its unit: "s" for seconds, "B" for bytes."""
    return format_seconds(value) if unit == "s" else format_bytes(value)


def format_ratio(value: float | None) -> str:
    """`12.3×` (or an em dash when there is no ratio)."""
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:.0f}×"
    return f"{value:.2f}×" if value < 10 else f"{value:.1f}×"


def table_row(measurement: str, variant: str, summary: dict[str, Any], unit: str, reference: float | None) -> str:
    """One Markdown row: measurement, variant, median, min, max and the ratio to spacepack's median."""
    cells = [
        measurement,
        variant,
        format_value(summary["median"], unit),
        format_value(summary["min"], unit),
        format_value(summary["max"], unit),
        format_ratio(ratio(summary["median"], reference)),
        str(summary["n"]),
    ]
    return "| " + " | ".join(cells) + " |"
