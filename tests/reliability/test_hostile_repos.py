"""Attacks by hostile repositories, run through the real CLI: render, push (Hub double), check, ci, doctor.

Each test builds one hostile project (tests/reliability/hostile.py) and
asserts what RELIABILITY.md guarantees for its class: no canary in the
context, the upload, stdout, stderr or `--json`; nothing written outside
the project; no host command ran; one clear line and a documented exit code.
The Docker side (image layers, smoke logs) is in test_hostile_docker.py.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import Run, run_cli
from tests.reliability.hostile import (
    SECRET_FILE_NAMES,
    Hostile,
    alias_bomb_readme,
    code_running_template,
    escaping_paths,
    including_template,
    injecting_names,
    leaky_repository,
    linked_state_dir,
)

SPACE = "alice/hostile"
# Every attack must end well within this; the pathological inputs (FIFO, /dev/zero, backtracking) would not.
BOUND_SECONDS = 60


def one_clear_error(run: Run, code: int) -> str:
    """The run failed with `code`, one `error:` line, a fix, and no traceback; the error line."""
    assert run.code == code, run.both[-3000:]
    assert "Traceback" not in run.both and "internal error" not in run.both, run.both[-3000:]
    errors = [line for line in run.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.err[-3000:]
    assert "fix:" in run.err
    return errors[0]


def context_files(context: Path) -> dict[str, bytes]:
    return {
        path.relative_to(context).as_posix(): path.read_bytes()
        for path in sorted(context.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def timed(args: list[str], env: dict[str, str] | None = None) -> Run:
    started = time.monotonic()
    run = run_cli(args, env=env, timeout=BOUND_SECONDS * 2)
    assert time.monotonic() - started < BOUND_SECONDS, f"{args[0]} took too long"
    return run


# --- classes 1, 4, 5, 7, 8, 10 in one leaky repository ------------------------------------------


@pytest.fixture
def leaky(tmp_path: Path) -> Hostile:
    return leaky_repository(tmp_path)


def test_check_reports_the_leaks_and_prints_no_canary(leaky: Hostile) -> None:
    run = timed(["check", str(leaky.root), "--json"])
    assert run.code == 3, run.err[-2000:]
    assert leaky.leaks(run.both) == []
    findings = {f["code"] for f in json.loads(run.out)["findings"]}
    assert {"SP310", "SP314", "SP109"} <= findings
    plan = json.loads(run.out)
    assert all("pypi.example.com" not in line for line in plan["dependencies"]["requirements"])
    assert "\n" not in plan["project_name"]


def test_forced_render_ships_no_secret_and_copies_nothing_from_a_link(leaky: Hostile, tmp_path: Path) -> None:
    out = tmp_path / "context"
    run = timed(["render", str(leaky.root), "--force", "--out", str(out), "--json"])
    assert run.code == 0, run.err[-3000:]
    assert leaky.leaks(run.both) == []
    files = context_files(out)
    for name, data in files.items():
        assert leaky.leaks_in_bytes(data) == [], name
    lowered = {name.lower() for name in files}
    for secret_name in SECRET_FILE_NAMES:
        assert secret_name.lower() not in lowered, secret_name
    # Links out of the project, and links or hard links to .env, are left out.
    assert not {"config.ini", "static/app.txt", "docs/notes.md", "settings.cfg", "data/zero"} & set(files)
    # The Dockerfile got no instruction from the project name; nothing ran.
    dockerfile = files["Dockerfile"].decode()
    assert not any(line.startswith("RUN touch") for line in dockerfile.splitlines())
    assert not Path("/tmp/pwned-by-name").exists()
    # The generated requirements carry no credentials; the kept lines are the packages.
    assert b"pypi.example.com" not in files["spacepack-requirements.txt"]
    # The backtracking pattern and the dangling backslash did not stop the render; the deep file ships.
    assert any(name.startswith("sub/a/a/a/") for name in files)
    # A name that is not UTF-8 cannot be uploaded: left out, with a note.
    assert not any("bad-" in name for name in files)


def test_forced_push_uploads_no_secret_and_survives_a_bad_file_name(
    leaky: Hostile, hub_env: tuple[object, dict[str, str]]
) -> None:
    from tests.hub_double import HubDouble

    double, env = hub_env
    assert isinstance(double, HubDouble)
    env = {**env, "HF_TOKEN": double.WRITE_TOKEN}
    # The leaky app reads PEM_KEY at start-up: the missing-secret guard is passed on purpose, to reach the upload.
    argv = ["push", str(leaky.root), "--space", SPACE, "--force", "--allow-missing-secrets", "--json"]
    run = timed(argv, env=env)
    assert run.code == 0, run.err[-3000:]
    assert leaky.leaks(run.both) == []
    uploaded = double.files(SPACE)
    assert "main.py" in uploaded
    for commit in double.commits(SPACE):
        for name, data in commit.files.items():
            assert leaky.leaks_in_bytes(data) == [], name
            assert name.lower() not in {n.lower() for n in SECRET_FILE_NAMES}, name
    # Nothing spacepack wrote in the project holds a canary either.
    for path in (leaky.root / ".spacepack").rglob("*"):
        if path.is_file():
            assert leaky.leaks_in_bytes(path.read_bytes()) == [], path


# --- class 2: paths from configuration ---------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        'template = "/proc/self/environ"',
        'template = "../outside/token"',
        'template = "~/.cache/huggingface/token"',
        'backend_dir = "../outside"',
        'template = ".env"',
        'template = "a\\u0000b"',
    ],
)
def test_a_path_setting_cannot_leave_the_project(tmp_path: Path, setting: str) -> None:
    hostile = escaping_paths(tmp_path, setting)
    if "'.env'" in setting or '".env"' in setting:
        (hostile.root / ".env").write_text(f"KEY={hostile.canaries['host file']}\n")
    run = timed(["render", str(hostile.root), "--json"])
    one_clear_error(run, 2)
    assert hostile.leaks(run.both) == []
    assert not (hostile.root / ".spacepack" / "context").exists()


def test_a_committed_state_link_is_never_written_through(tmp_path: Path) -> None:
    hostile = linked_state_dir(tmp_path)
    assert hostile.outside is not None
    before = sorted(p.relative_to(hostile.outside) for p in hostile.outside.rglob("*"))
    run = timed(["render", str(hostile.root)])
    assert "is a link" in one_clear_error(run, 2)
    assert sorted(p.relative_to(hostile.outside) for p in hostile.outside.rglob("*")) == before
    assert (hostile.outside / "context" / "keep.txt").read_text() == "precious\n"


# --- class 3: templates -----------------------------------------------------------------------


@pytest.mark.parametrize("builder", [code_running_template, including_template])
def test_a_projects_template_cannot_run_code_or_read_host_files(tmp_path: Path, builder: object) -> None:
    hostile = builder(tmp_path)  # type: ignore[operator]
    run = timed(["render", str(hostile.root), "--json"])
    one_clear_error(run, 2)
    assert hostile.leaks(run.both) == []
    assert "uid=" not in run.both
    for marker in hostile.markers:
        assert not marker.exists(), "the template ran a host command"
    assert not (hostile.root / ".spacepack" / "context").exists()


# --- class 7: names ---------------------------------------------------------------------------


def test_an_env_var_name_from_code_never_reaches_the_workflow(tmp_path: Path) -> None:
    hostile = injecting_names(tmp_path)
    run = timed(["ci", "github", str(hostile.root), "--space", SPACE])
    assert "not a valid variable name" in one_clear_error(run, 2)
    assert not (hostile.root / ".github").exists()
    assert not any(marker.exists() for marker in hostile.markers)


def test_a_writable_dir_or_entry_with_syntax_is_refused(tmp_path: Path) -> None:
    hostile = injecting_names(tmp_path)
    (hostile.root / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    (hostile.root / "spacepack.toml").write_text('entry = "main:app\\nRUN touch /tmp/pwned-by-entry"\n')
    run = timed(["render", str(hostile.root)])
    one_clear_error(run, 2)
    assert not (hostile.root / ".spacepack" / "context").exists()


# --- class 8: pathological input ----------------------------------------------------------------


def test_an_alias_bomb_in_front_matter_is_refused_quickly(tmp_path: Path) -> None:
    hostile = alias_bomb_readme(tmp_path)
    started = time.monotonic()
    run = timed(["render", str(hostile.root)])
    assert "aliases" in one_clear_error(run, 2)
    assert time.monotonic() - started < 30


# --- class 10: the smaller ones ---------------------------------------------------------------


def test_render_out_never_deletes_a_folder_that_only_looks_like_a_context(tmp_path: Path) -> None:
    hostile = escaping_paths(tmp_path, "")
    victim = tmp_path / "mine"
    victim.mkdir()
    (victim / ".dockerignore").write_text("# Generated by spacepack, once upon a time\n")
    (victim / "thesis.tex").write_text("years of work\n")
    run = timed(["render", str(hostile.root), "--out", str(victim)])
    assert "refusing to replace" in one_clear_error(run, 2)
    assert (victim / "thesis.tex").read_text() == "years of work\n"
    # A context spacepack wrote is still recognised and replaced.
    context = tmp_path / "ctx"
    assert timed(["render", str(hostile.root), "--out", str(context)]).code == 0
    assert timed(["render", str(hostile.root), "--out", str(context)]).code == 0


def test_doctor_never_prints_credentials_of_the_hub_endpoint(tmp_path: Path) -> None:
    hostile = escaping_paths(tmp_path, "")
    password = hostile.canaries["host file"]
    run = timed(["doctor", str(hostile.root), "--json"], env={"HF_ENDPOINT": f"https://bob:{password}@127.0.0.1:9"})
    assert hostile.leaks(run.both) == []
    assert "https://****@127.0.0.1:9" in run.both


def test_a_non_utf8_requirements_file_is_a_finding_not_silence(tmp_path: Path) -> None:
    hostile = escaping_paths(tmp_path, "")
    (hostile.root / "requirements.txt").write_bytes("fastapi\nuvicorn\n# caf\xe9\n".encode("latin-1"))
    run = timed(["check", str(hostile.root), "--json"])
    findings = json.loads(run.out)["findings"]
    assert any(f["code"] == "SP108" and f["path"] == "requirements.txt" for f in findings), findings


@pytest.mark.parametrize(
    ("args", "env", "code"),
    [
        (["check", "a\x01b"], {}, 2),
        (["check", "x" * 5000], {}, 2),
        (["check", "x" * 300], {}, 2),
        (["render", "."], {"SPACEPACK_TEMPLATE": "a\x01b"}, 2),
        (["push", ".", "--space", "alice/x", "--dry-run"], {"HF_TOKEN": "hf_\u00e9t\u00e9"}, 7),
    ],
    ids=["control-char-path", "very-long-path", "long-file-name", "control-char-setting", "non-ascii-token"],
)
def test_odd_values_get_one_clear_line_not_an_internal_error(
    tmp_path: Path, args: list[str], env: dict[str, str], code: int
) -> None:
    hostile = escaping_paths(tmp_path, "")
    args = [str(hostile.root) if arg == "." else arg for arg in args]
    one_clear_error(run_cli(args, env=env, timeout=BOUND_SECONDS), code)


def test_nothing_is_written_outside_the_project(leaky: Hostile, tmp_path: Path) -> None:
    assert leaky.outside is not None
    before = {p: p.stat().st_mtime_ns for p in leaky.outside.rglob("*")}
    timed(["render", str(leaky.root), "--force"])
    assert {p: p.stat().st_mtime_ns for p in leaky.outside.rglob("*")} == before
    assert sorted(os.listdir(tmp_path)) == ["outside", "project"]
