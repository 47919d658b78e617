"""`spacepack push` end to end: the CLI, a small FastAPI project, the Hub double."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacepack.cli import main
from tests.helpers import build_file_tree
from tests.hub_double import HubDouble

pytestmark = pytest.mark.hub

try:  # `check` is the first step of push; these tests need the whole pipeline importable.
    from spacepack.check import check_project  # noqa: F401
except ImportError as error:  # pragma: no cover - only while check is incomplete
    pytest.skip(f"spacepack.check is not importable yet: {error}", allow_module_level=True)

SPACE = "alice/todo-api"
PROJECT = {
    "main.py": """
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}
        """,
    "requirements.txt": "fastapi\nuvicorn\n",
    ".env": "DB_PASSWORD=pw-local-987654\n",
}


@pytest.fixture
def double(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubDouble]:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "SPACEPACK_SPACE_URL"):
        monkeypatch.delenv(name, raising=False)
    with HubDouble() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        yield hub


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


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
