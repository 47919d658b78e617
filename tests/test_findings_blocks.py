"""Which steps an error finding stops: the registry decides, the plan asks, the pipeline obeys."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from spacepack.config import load_settings
from spacepack.errors import CheckFailed, ExitCode
from spacepack.findings import CODES, REGISTRY, finding
from spacepack.pipeline import local_only_files, stop_on_errors
from spacepack.plan import Finding, Plan
from spacepack.render.plan_cache import plan_from_json
from tests.helpers import build_file_tree, plan_for

# Committed credentials leak when published, not when built and run on the user's machine.
UPLOAD_ONLY = {"SP310", "SP311", "SP314"}


class Lines:
    """A Progress that keeps what it is told."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, line: str) -> None:
        self.lines.append(line)


def plan_with(*findings: Finding) -> Plan:
    return plan_for(Path("/project"), findings=findings)


SIGNING_KEY = finding(
    "SP311", "SECRET_KEY is set to a hardcoded secret in auth.py:1 (abcd****)", path="auth.py", line=1
)
NO_PACKAGE = finding("SP203", "main.py:1 imports humanize, but no dependency provides it", path="main.py", line=1)
WARNING = finding("SP301", "the app reads X while it is imported")


def test_only_the_committed_credential_codes_block_only_the_upload() -> None:
    assert {row.code for row in CODES if row.blocks == "upload"} == UPLOAD_ONLY
    assert all(REGISTRY[code].severity == "error" for code in UPLOAD_ONLY)
    # A finding carries what its code blocks; a warning blocks nothing.
    assert SIGNING_KEY.blocks == "upload" and NO_PACKAGE.blocks == "everything" and WARNING.blocks is None
    assert [step for step in ("render", "build", "smoke", "push", "release") if SIGNING_KEY.blocks_step(step)] == [
        "push",
        "release",
    ]
    assert all(NO_PACKAGE.blocks_step(step) for step in ("render", "build", "smoke", "push", "release"))
    assert not any(WARNING.blocks_step(step) for step in ("render", "build", "push"))


def test_the_plan_answers_which_errors_block_a_step() -> None:
    plan = plan_with(SIGNING_KEY, NO_PACKAGE, WARNING)
    assert plan.errors == (SIGNING_KEY, NO_PACKAGE)
    assert plan.blocking("build") == (NO_PACKAGE,)
    assert plan.blocking("render") == (NO_PACKAGE,)
    assert plan.blocking("push") == (SIGNING_KEY, NO_PACKAGE)
    assert plan.blocking("release") == (SIGNING_KEY, NO_PACKAGE)
    assert plan.upload_only() == (SIGNING_KEY,)


def test_a_hand_made_error_without_a_registry_row_blocks_everything() -> None:
    error = Finding("SP999", "error", "something")
    assert error.blocks is None and error.blocks_step("build") and error.blocks_step("push")


def test_json_carries_what_each_finding_blocks_and_the_plan_cache_keeps_it() -> None:
    plan = plan_with(SIGNING_KEY, NO_PACKAGE, WARNING)
    document = plan.to_json()
    assert [f["blocks"] for f in document["findings"]] == ["upload", "everything", None]
    # The other keys of a finding are unchanged (additive field).
    assert set(document["findings"][0]) == {"code", "severity", "path", "line", "message", "hint", "blocks"}
    again = plan_from_json(document)
    assert again.findings == plan.findings
    # A cached plan written before the field existed reads as "everything" for its errors.
    old = {**document, "findings": [{k: v for k, v in f.items() if k != "blocks"} for f in document["findings"]]}
    assert plan_from_json(old).blocking("build") == plan_from_json(old).errors


def test_build_goes_on_past_an_upload_only_error_and_prints_it_with_its_fix() -> None:
    progress = Lines()
    stop_on_errors(plan_with(replace(SIGNING_KEY, hint="read it from the environment")), False, progress, step="build")
    assert progress.lines == [
        "error (blocks push): [SP311] auth.py:1: SECRET_KEY is set to a hardcoded secret in auth.py:1 (abcd****)",
        "  fix: read it from the environment",
    ]


@pytest.mark.parametrize("step", ["push", "release"])
def test_push_and_release_stop_on_it_with_exit_3_and_the_findings_as_details(step: str) -> None:
    plan = plan_with(SIGNING_KEY, WARNING)
    with pytest.raises(CheckFailed) as raised:
        stop_on_errors(plan, False, Lines(), step=step, stopped="nothing was pushed")  # type: ignore[arg-type]
    error = raised.value
    assert error.exit_code == ExitCode.CHECK_FAILED
    assert error.message == "`check` found 1 error finding(s); nothing was pushed"
    assert error.details == SIGNING_KEY.describe()
    assert "`spacepack build` still builds" in error.hint
    assert error.result is plan  # --json carries the findings, each with what it blocks


def test_force_still_goes_on_past_every_error_for_push() -> None:
    progress = Lines()
    stop_on_errors(plan_with(SIGNING_KEY, NO_PACKAGE), True, progress, step="push")
    assert progress.lines == [f"error ignored (--force): {f.describe()[0]}" for f in (SIGNING_KEY, NO_PACKAGE)]


def test_an_error_that_blocks_everything_still_stops_build() -> None:
    progress = Lines()
    with pytest.raises(CheckFailed) as raised:
        stop_on_errors(plan_with(SIGNING_KEY, NO_PACKAGE), False, progress, step="build")
    assert raised.value.details == NO_PACKAGE.describe()
    assert "still builds" not in raised.value.hint
    assert progress.lines[0].startswith("error (blocks push): [SP311]")  # said before stopping


def test_the_local_image_gets_only_the_files_with_a_committed_credential(tmp_path: Path) -> None:
    from spacepack.check import check_project

    key = "Zq8" + "x7Rb2LkP0vN4mW9sT1cY6hJ3gF5dA"
    root = build_file_tree(
        tmp_path / "proj",
        {
            "main.py": "from fastapi import FastAPI\n\nfrom auth import SECRET_KEY\n\napp = FastAPI()\n",
            "auth.py": f'SECRET_KEY = "{key}"\n',
            "requirements.txt": "fastapi\n",
            ".env": f"API_TOKEN={key}x\n",
            "tests/test_auth.py": f'AWS_KEY = "AKIA{"A" * 16}"\n',
        },
    )
    settings = load_settings(root, environ={})
    plan = check_project(settings)
    assert {"auth.py", ".env"} <= set(plan.secret_files)
    assert local_only_files(plan, settings) == {"auth.py": f'SECRET_KEY = "{key}"\n'.encode()}
