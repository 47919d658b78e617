"""`spacepack push` end to end: the CLI, a small FastAPI project, the Hub double."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import SAMPLE_APP, build_file_tree
from tests.helpers import run_cli as run
from tests.hub_double import HubDouble

pytestmark = pytest.mark.hub

SPACE = "alice/todo-api"
PROJECT = {
    "main.py": SAMPLE_APP,
    "requirements.txt": "fastapi\nuvicorn\n",
    ".env": "DB_PASSWORD=pw-local-987654\n",
}


def test_push_cli_publishes_sets_secrets_and_never_ships_dotenv(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = build_file_tree(tmp_path / "proj", PROJECT)
    monkeypatch.setenv("HF_TOKEN", double.WRITE_TOKEN)
    monkeypatch.setenv("DB_PASSWORD", "pw-from-env-123")
    code, out, err = run(
        ["push", str(project), "--space", SPACE, "--secret", "DB_PASSWORD", "--var", "LOG_LEVEL=info", "--json"],
        capsys,
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["commit"]["oid"] and document["secrets"] == {"DB_PASSWORD": "added"}
    files = double.files(SPACE)
    assert {"Dockerfile", "README.md", "main.py", ".gitattributes"} <= set(files)
    assert ".env" not in files and double.secrets(SPACE) == {"DB_PASSWORD": "pw-from-env-123"}
    assert "pw-from-env" not in out + err and double.WRITE_TOKEN not in out + err

    code, out, err = run(["push", str(project), "--space", SPACE], capsys)
    assert code == 0 and "no change" in err and out == ""


def test_push_cli_dry_run_offline_and_errors(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = build_file_tree(tmp_path / "proj", PROJECT)
    code, _, err = run(["push", str(project), "--space", SPACE, "--dry-run"], capsys)
    assert code == 0 and "would push" in err and "+ Dockerfile" in err
    assert double.requests == []

    code, _, err = run(["push", str(project), "--space", SPACE], capsys)
    assert code == 7 and "no Hugging Face token" in err

    code, _, err = run(["push", str(project), "--space", "not-a-space-id", "--token", "hf_x"], capsys)
    assert code == 2 and "OWNER/NAME" in err

    monkeypatch.setenv("HF_TOKEN", "hf_bad_token_value_42")
    code, _, err = run(["push", str(project), "--space", SPACE], capsys)
    assert code == 7 and "invalid or expired" in err and "hf_bad_token_value_42" not in err


def test_push_cli_wait_build_error_prints_log_tail(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = build_file_tree(tmp_path / "proj", PROJECT)
    monkeypatch.setenv("HF_TOKEN", double.WRITE_TOKEN)
    double.create_space(SPACE)
    double.script_stages(SPACE, "BUILDING", ("BUILD_ERROR", "Job failed"))
    double.set_logs(SPACE, build=["Step 3/9 : RUN pip install", "ERROR: resolution failed"])
    code, _, err = run(["push", str(project), "--space", SPACE, "--wait", "--timeout", "30"], capsys)
    assert code == 10
    assert "| ERROR: resolution failed" in err and "failed to build" in err


NEEDS_SECRET = {
    **PROJECT,
    "main.py": """
        import os

        from fastapi import FastAPI

        API_KEY = os.environ["API_KEY"]
        app = FastAPI()


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}
        """,
}


def test_push_cli_refuses_a_space_that_would_crash_for_a_missing_secret(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = build_file_tree(tmp_path / "proj", NEEDS_SECRET)
    monkeypatch.setenv("HF_TOKEN", double.WRITE_TOKEN)
    code, out, err = run(["push", str(project), "--space", SPACE, "--json"], capsys)
    assert code == 15, err
    assert "the app reads API_KEY at start-up" in err and "fix: pass --secret API_KEY" in err
    assert json.loads(out)["exit_code"] == 15
    assert not double.exists(SPACE)

    code, _, err = run(["push", str(project), "--space", SPACE, "--allow-missing-secrets"], capsys)
    assert code == 0, err
    assert "pushed without API_KEY (--allow-missing-secrets)" in err
    assert "main.py" in double.files(SPACE)

    monkeypatch.setenv("API_KEY", "sk-from-env-24680")
    code, _, err = run(["push", str(project), "--space", SPACE, "--secret", "API_KEY"], capsys)
    assert code == 0, err
    assert double.secrets(SPACE) == {"API_KEY": "sk-from-env-24680"} and "sk-from-env" not in err
    code, _, err = run(["push", str(project), "--space", SPACE], capsys)  # now on the Space: the guard passes
    assert code == 0 and "no change" in err


def test_push_cli_keeps_hand_added_files_unless_prune(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = build_file_tree(tmp_path / "proj", PROJECT)
    monkeypatch.setenv("HF_TOKEN", double.WRITE_TOKEN)
    double.create_space(SPACE, {"notes/by-hand.md": b"written on the Hub\n"})
    code, out, err = run(["push", str(project), "--space", SPACE, "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["files"]["kept"] == [{"path": "notes/by-hand.md", "size": 19}]
    assert "notes/by-hand.md" in double.files(SPACE)
    code, _, err = run(["push", str(project), "--space", SPACE, "--prune"], capsys)
    assert code == 0, err
    assert "- notes/by-hand.md" in err and "notes/by-hand.md" not in double.files(SPACE)


def test_push_cli_checks_hardware_offline_and_dry_run_shows_it(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    project = build_file_tree(tmp_path / "proj", PROJECT)
    code, _, err = run(["push", str(project), "--space", SPACE, "--hardware", "a10g-smal", "--dry-run"], capsys)
    assert code == 2 and "unknown Space hardware 'a10g-smal'" in err and "did you mean a10g-small?" in err
    code, out, err = run(
        [
            "push",
            str(project),
            "--space",
            "spaces/alice/todo-api",
            "--hardware",
            "t4-small",
            "--private",
            "--dry-run",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["url"] == "https://huggingface.co/spaces/alice/todo-api"  # not spaces/spaces/...
    assert document["visibility"] == "private" and document["hardware"] == "t4-small"
    assert double.requests == []
