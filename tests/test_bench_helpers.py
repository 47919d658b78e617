"""The benchmark harness's pure helpers: summaries, ratios, formatting, the report's target verdicts."""

from __future__ import annotations

import pytest

from benchmarks.report import render
from benchmarks.stats import format_bytes, format_ratio, format_seconds, ratio, summarize, table_row
from benchmarks.variants import alternative_files, uv_own_layer


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
    doc = _doc(0.21, 0.2)
    line = next(line for line in render(doc, realworld={}).splitlines() if line.startswith("- **Rebuild after a one"))
    assert "— **not met**" in line  # one input only: the target is for both
    doc["inputs"]["todo-backend"] = {
        "info": {},
        "measurements": _doc(0.1, 0.2)["inputs"]["large-backend"]["measurements"],
    }
    line = next(line for line in render(doc, realworld={}).splitlines() if line.startswith("- **Rebuild after a one"))
    assert "— **met**" in line and "= 1.05×" in line and "= 0.50×" in line
    missed = render(_doc(0.5, 0.2), realworld={})
    assert "— **not met**" in missed and "engine build" in missed


def _ratio_doc(scope_values: dict[str, tuple[float, float, float]]) -> dict:  # type: ignore[type-arg]
    """(spacepack, hf-guide, spacepack-pip) medians of a cold build per input."""
    doc = _doc(0.2, 0.2)
    for scope, (sp, guide, pip) in scope_values.items():
        measurements = doc["inputs"].setdefault(scope, {"info": {}, "measurements": {}})["measurements"]
        measurements["cold_build_s"] = {
            "spacepack": summarize([sp]),
            "hf-guide": summarize([guide]),
            "naive": summarize([guide * 2]),
            "spacepack-pip": summarize([pip]),  # spacepack's own variant: never "the best alternative"
        }
    return doc


def test_ratio_targets_divide_by_the_best_hand_written_alternative_on_both_inputs() -> None:
    met = render(_ratio_doc({"todo-backend": (6.0, 10.0, 1.0), "large-backend": (7.0, 10.0, 1.0)}), realworld={})
    line = next(line for line in met.splitlines() if line.startswith("- **Cold build"))
    assert "≤ 0.75×" in line and "— **met**" in line and "= 0.60×" in line and "= 0.70×" in line
    missed = render(_ratio_doc({"todo-backend": (6.0, 10.0, 1.0), "large-backend": (8.0, 10.0, 1.0)}), realworld={})
    line = next(line for line in missed.splitlines() if line.startswith("- **Cold build"))
    assert "— **not met**" in line and "= 0.80×" in line
    one_input = render(_ratio_doc({"todo-backend": (6.0, 10.0, 1.0)}), realworld={})
    assert "— **not met**" in next(x for x in one_input.splitlines() if x.startswith("- **Cold build"))


def test_the_real_world_section_is_rendered_from_its_json() -> None:
    corpus = {
        "spacepack_commit": "a" * 40,
        "run_date": "2026-11-30",
        "how": "check then build",
        "summary": {
            "total": 2,
            "healthy": 1,
            "healthy_with_push_blocked": 1,
            "failed_by_fault": {"repository": 1},
            "target": "t",
            "target_met": False,
        },
        "repos": [
            {
                "repo": "o/one",
                "commit": "b" * 40,
                "shape": ["root app/"],
                "python": "3.11",
                "outcome": "healthy",
                "push_blocked_by": ["SP310", "SP311"],
            },
            {
                "repo": "o/two",
                "commit": "c" * 40,
                "shape": ["a|b"],
                "python": "3.12",
                "outcome": "failed",
                "fault": "repository",
                "cause": "check error SP311: a key. More detail that is cut.",
            },
        ],
    }
    text = render(_doc(0.2, 0.2), realworld=corpus)
    assert "## Real-world corpus" in text and "`aaaaaaaaaaaa`" in text
    assert "| healthy | 1 (50%) |" in text and "| failed, the repository's fault | 1 |" in text
    assert "| o/one | `bbbbbbb` | root app/ | 3.11 | healthy |  | SP310, SP311 |  |" in text
    assert "| o/two | `ccccccc` | a\\|b | 3.12 | failed | repository |  | check error SP311: a key |" in text
    assert "1 of the healthy ones commit a credential in shipped code" in text
    assert "Target (t) — **not met**." in text


def test_the_uv_layer_variant_fetches_uv_before_the_requirements(tmp_path: object) -> None:
    from tests.conftest import REPO_ROOT

    rendered = (REPO_ROOT / "tests" / "golden" / "requirements_txt" / "Dockerfile").read_text()
    lines = uv_own_layer(rendered).splitlines()
    fetch = next(
        i for i, line in enumerate(lines) if line.startswith("RUN pip install --no-cache-dir --target /tmp/uv")
    )
    assert lines[fetch].endswith("uv==" + lines[fetch].rsplit("uv==", 1)[1]) and "&&" not in lines[fetch]
    assert fetch < lines.index("COPY --chown=user spacepack-requirements.txt ./")
    assert any(line.startswith("RUN /tmp/uv/bin/uv pip install") for line in lines)
    with pytest.raises(ValueError):
        uv_own_layer("FROM x\n")
