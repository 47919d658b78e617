"""The benchmark harness's pure helpers: summaries, ratios, formatting, the report's target verdicts."""

from __future__ import annotations

import pytest

from benchmarks.report import render
from benchmarks.stats import format_bytes, format_ratio, format_seconds, ratio, summarize, table_row
from benchmarks.variants import alternative_files


def test_summarize_gives_median_min_max_and_keeps_values() -> None:
    summary = summarize([3.0, 1.0, 2.0, 10.0, 4.0])
    assert (summary["median"], summary["min"], summary["max"], summary["n"]) == (3.0, 1.0, 10.0, 5)
    assert summary["values"] == [3.0, 1.0, 2.0, 10.0, 4.0]
    with pytest.raises(ValueError):
        summarize([])


def test_ratio_is_alternative_over_spacepack_and_none_when_undefined() -> None:
    assert ratio(20.0, 0.5) == 40.0
    assert ratio(1.0, 0) is None and ratio(None, 1.0) is None


def test_formatting_picks_readable_units() -> None:
    assert format_seconds(0.1234) == "123 ms"
    assert format_seconds(7.456) == "7.46 s"
    assert format_bytes(312_400_000) == "312.4 MB" and format_bytes(512) == "512 B"
    assert format_ratio(None) == "—" and format_ratio(1.234) == "1.23×" and format_ratio(250.0) == "250×"


def test_table_row_shows_the_ratio_to_spacepack() -> None:
    row = table_row("1. cold build", "naive", summarize([10.0, 12.0, 11.0]), "s", 5.5)
    assert row == "| 1. cold build | naive | 11.0 s | 10.0 s | 12.0 s | 2.00× | 3 |"


def test_alternatives_write_their_dockerfile_and_only_some_an_ignore_file() -> None:
    assert set(alternative_files("hf-guide", "app.main:app", "x")) == {"Dockerfile"}
    with_ignore = alternative_files("hf-guide+ignore", "app.main:app", "**/.venv\n")
    assert with_ignore[".dockerignore"] == "**/.venv\n" and "--mount" not in with_ignore["Dockerfile"]
    docker_init = alternative_files("docker-init", "app.main:app", "x")["Dockerfile"]
    assert not [line for line in docker_init.splitlines() if line.startswith("RUN --mount")]


def _doc(sp_rebuild: float, best_rebuild: float) -> dict:  # type: ignore[type-arg]
    def m(value: float) -> dict:  # type: ignore[type-arg]
        return summarize([value])

    return {
        "meta": {
            "base_image": "python:3.11-slim",
            "date": "d",
            "runs": 1,
            "spacepack": "0",
            "engine": "e",
            "cpus": 2,
            "python": "3.11",
            "completed_runs": 1,
        },
        "inputs": {
            "large-backend": {
                "info": {"description": "large", "tree_bytes": 1},
                "measurements": {
                    "rebuild_code_s": {
                        "spacepack": m(sp_rebuild),
                        "hf-guide+ignore": m(best_rebuild),
                        "naive": m(sp_rebuild * 30),
                    },
                    "rebuild_code_s:check+render": {"spacepack": m(0.1)},
                },
            }
        },
    }


def test_report_judges_the_rebuild_target_from_the_numbers() -> None:
    assert "— **met**" in render(_doc(0.21, 0.2))
    missed = render(_doc(0.5, 0.2))
    assert "— **missed**" in missed and "Why:" in missed
