"""`spacepack logs`, `status` and `open` against the Hub double, through the real huggingface_hub client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from spacepack.errors import ExitCode
from tests.helpers import build_file_tree, default_sigint, wait_until
from tests.helpers import run_cli as run
from tests.hub_double import HubDouble

pytestmark = pytest.mark.hub

SPACE = "alice/todo-api"
APP = {
    "main.py": """
        import os

        from fastapi import FastAPI

        DB_PASSWORD = os.environ["DB_PASSWORD"]
        app = FastAPI()


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok", "mode": os.getenv("MODE", "dev")}
        """,
    "requirements.txt": "fastapi\nuvicorn\n",
}


@pytest.fixture(autouse=True)
def logged_in(double: HubDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared Hub double, a write token, and no desktop or CI token exchange of this machine."""
    for name in ("HF_OIDC_RESOURCE", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_TOKEN", double.WRITE_TOKEN)


# -- logs --------------------------------------------------------------------------------------


def test_logs_prints_the_run_log_masked_and_the_build_log_tail(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = build_file_tree(tmp_path / "proj", {**APP, ".env": "LOCAL_KEY=dotenv-value-5678\n"})
    double.create_space(SPACE)
    double.set_logs(
        SPACE,
        run=["INFO: started", "connecting with pw-secret-123456", "key dotenv-value-5678 loaded"],
        build=[f"step {i}/9" for i in range(1, 10)],
    )
    monkeypatch.setenv("DB_PASSWORD", "pw-secret-123456")
    code, out, err = run(["logs", str(project), "--space", SPACE, "--secret", "DB_PASSWORD"], capsys)
    assert code == 0, err
    assert out.splitlines() == ["INFO: started", "connecting with ****", "key **** loaded"]
    assert double.WRITE_TOKEN not in out + err

    code, out, err = run(["logs", str(project), "--space", SPACE, "--build", "--tail", "2"], capsys)
    assert code == 0, err
    assert out.splitlines() == ["step 8/9", "step 9/9"]
    assert [r.path for r in double.requests_for("logs")][-1] == f"/api/spaces/{SPACE}/logs/build"


def test_logs_json_holds_the_last_lines_and_follow_with_json_is_a_usage_error(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    project = build_file_tree(tmp_path / "proj", APP)
    double.create_space(SPACE)
    double.set_logs(SPACE, run=[f"line {i}" for i in range(50)])
    code, out, err = run(["logs", str(project), "--space", SPACE, "--tail", "3", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out) == {"space_id": SPACE, "log": "run", "count": 3, "lines": ["line 47", "line 48", "line 49"]}

    requests = len(double.requests)
    code, out, err = run(["logs", str(project), "--space", SPACE, "--follow", "--json"], capsys)
    assert code == ExitCode.USAGE and "cannot be combined with --json" in err
    assert json.loads(out)["exit_code"] == 2
    assert len(double.requests) == requests  # refused before any request

    code, out, err = run(["logs", str(project), "--space", "alice/missing"], capsys)
    assert code == ExitCode.HUB and "not found" in err


def test_logs_follow_streams_until_ctrl_c(tmp_path: Path, double: HubDouble) -> None:
    project = build_file_tree(tmp_path / "proj", APP)
    double.create_space(SPACE)
    double.set_logs(SPACE, run=["first line"], live=True)
    env = {**os.environ, "HF_ENDPOINT": double.url, "HF_TOKEN": double.WRITE_TOKEN, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "spacepack", "logs", str(project), "--space", SPACE, "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=default_sigint,  # CI's parent may ignore SIGINT
    )
    seen: list[str] = []
    assert child.stdout is not None
    reader = threading.Thread(target=lambda: seen.extend(iter(child.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        wait_until(lambda: "first line\n" in seen, timeout=30)
        double.append_logs(SPACE, run=["second line, printed later"])
        wait_until(lambda: "second line, printed later\n" in seen, timeout=30)
        assert child.poll() is None  # still following
        child.send_signal(signal.SIGINT)
        code = child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    reader.join(timeout=10)
    assert code == ExitCode.INTERRUPTED
    assert child.stderr is not None and "interrupted" in child.stderr.read()
    wait_until(lambda: double.log_streams_open() == 0, timeout=10)


# -- status ------------------------------------------------------------------------------------


def test_status_of_a_running_space_with_every_secret_exits_0(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    project = build_file_tree(tmp_path / "proj", APP)
    double.create_space(SPACE, {"README.md": b"---\nsdk: docker\n---\n"}, hardware="cpu-upgrade")
    double.set_sleep_time(SPACE, 3600)
    double.secrets(SPACE)  # (starts empty)
    from spacepack.hub import get_hf_api

    get_hf_api(double.WRITE_TOKEN, endpoint=double.url).add_space_secret(SPACE, "DB_PASSWORD", "pw-on-hub-1234")
    code, out, err = run(["status", str(project), "--space", SPACE, "--json"], capsys)
    assert code == 0, err
    document = json.loads(out)
    assert document["stage"] == "RUNNING" and document["exit_code"] == 0
    assert document["hardware"] == {"current": "cpu-upgrade", "requested": "cpu-upgrade"}
    assert document["sleep_time"] == 3600
    assert document["app_url"] == "https://alice-todo-api.hf.space"
    assert document["url"] == f"{double.url}/spaces/{SPACE}"
    assert document["last_commit"]["oid"] == double.commits(SPACE)[-1].oid
    assert document["audit"] == {
        "secrets": ["DB_PASSWORD"],
        "variables": [],
        "missing": [],
        "missing_at_start": [],
        "secret_like_variables": [],
    }
    assert "pw-on-hub" not in out + err

    code, out, err = run(["status", str(project), "--space", SPACE], capsys)
    assert code == 0 and out == ""
    assert f"{SPACE}: RUNNING" in err and "hardware   cpu-upgrade; sleep time 3600 s" in err


def test_status_reports_missing_secrets_and_secret_looking_variables(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    project = build_file_tree(tmp_path / "proj", APP)
    double.create_space(SPACE)
    from spacepack.hub import get_hf_api

    get_hf_api(double.WRITE_TOKEN, endpoint=double.url).add_space_variable(SPACE, "OPENAI_API_KEY", "sk-public-oops")
    code, out, err = run(["status", str(project), "--space", SPACE, "--json"], capsys)
    assert code == ExitCode.MISSING_SECRETS == 15
    audit = json.loads(out)["audit"]
    assert audit["missing"] == ["DB_PASSWORD"] and audit["missing_at_start"] == ["DB_PASSWORD"]
    assert audit["secret_like_variables"] == ["OPENAI_API_KEY"]
    assert "lacks DB_PASSWORD" in err and "spacepack push --secret DB_PASSWORD" in err
    assert len(out.strip().splitlines()) > 1 and out.count('"exit_code"') == 1  # one document

    code, out, err = run(["status", str(project), "--space", SPACE], capsys)
    assert code == 15
    assert "missing    DB_PASSWORD: read by the app (at start-up: the app crashes without it)" in err
    assert "warning    variable OPENAI_API_KEY looks like a secret" in err and "sk-public" not in err


@pytest.mark.parametrize(
    ("stage", "code", "words"),
    [
        ("BUILDING", ExitCode.SPACE_NOT_RUNNING, "the Space is BUILDING, not RUNNING"),
        ("APP_STARTING", ExitCode.SPACE_NOT_RUNNING, "APP_STARTING"),
        ("PAUSED", ExitCode.SPACE_NOT_RUNNING, "PAUSED"),
        (("BUILD_ERROR", "Job failed"), ExitCode.SPACE_BUILD_ERROR, "in BUILD_ERROR: Job failed"),
        (("RUNTIME_ERROR", "launch timed out"), ExitCode.SPACE_RUNTIME_ERROR, "RUNTIME_ERROR: launch timed out"),
        ("CONFIG_ERROR", ExitCode.SPACE_CONFIG_ERROR, "CONFIG_ERROR"),
    ],
)
def test_status_exit_codes_follow_the_stage(
    tmp_path: Path,
    double: HubDouble,
    capsys: pytest.CaptureFixture[str],
    stage: str | tuple[str, str],
    code: ExitCode,
    words: str,
) -> None:
    project = build_file_tree(tmp_path / "proj", {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"})
    double.create_space(SPACE)
    double.script_stages(SPACE, stage)
    got, out, err = run(["status", str(project), "--space", SPACE, "--json"], capsys)
    assert got == code, err
    document = json.loads(out)
    assert document["exit_code"] == int(code) and document["stage"] == (stage if isinstance(stage, str) else stage[0])
    assert words in err
    if stage == "BUILDING":
        assert document["hardware"]["current"] is None and document["hardware"]["requested"] == "cpu-basic"


def test_status_of_a_missing_space_and_without_a_token(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = build_file_tree(tmp_path / "proj", APP)
    code, _, err = run(["status", str(project), "--space", SPACE], capsys)
    assert code == ExitCode.HUB and f"Space {SPACE} not found" in err
    monkeypatch.delenv("HF_TOKEN")
    code, _, err = run(["status", str(project), "--space", SPACE], capsys)
    assert code == ExitCode.AUTH and "no Hugging Face token" in err


# -- open --------------------------------------------------------------------------------------


def test_open_prints_the_app_url_without_a_display(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["open", str(tmp_path), "--space", "spaces/Alice/My_App"], capsys)
    assert code == 0, err
    assert out == "https://alice-my-app.hf.space\n" and "browser" not in err
    code, out, _ = run(["open", str(tmp_path), "--space", "alice/x", "--json"], capsys)
    assert json.loads(out) == {
        "space_id": "alice/x",
        "app_url": "https://alice-x.hf.space",
        "url": f"{double.url}/spaces/alice/x",
        "opened": False,
    }
    assert double.requests == []  # offline


def test_open_uses_the_browser_when_there_is_a_display(tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    browser = build_file_tree(tmp_path, {"browser.sh": f'#!/bin/sh\necho "$1" > {opened}\n'}) / "browser.sh"
    browser.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":99", BROWSER=str(browser), HF_HOME=str(tmp_path / "hf"))
    result = subprocess.run(
        [sys.executable, "-m", "spacepack", "open", str(tmp_path), "--space", "alice/x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "https://alice-x.hf.space\n" and "opened in the browser" in result.stderr
    wait_until(lambda: opened.is_file() and opened.read_text().strip() == "https://alice-x.hf.space", timeout=10)


# -- the double speaks the endpoints as huggingface_hub reads them ------------------------------


def test_the_double_answers_huggingface_hubs_own_space_calls(double: HubDouble) -> None:
    from spacepack.hub import get_hf_api

    api = get_hf_api(double.WRITE_TOKEN, endpoint=double.url)
    double.create_space(SPACE, hardware="t4-small")
    double.set_sleep_time(SPACE, 600)
    double.script_stages(SPACE, ("RUNTIME_ERROR", "exit code 1"))
    api.add_space_secret(SPACE, "API_KEY", "sk-value-123456")
    api.add_space_variable(SPACE, "MODE", "prod", description="run mode")
    double.set_logs(SPACE, run=["a", "b"], build=["step 1"])

    runtime = api.get_space_runtime(SPACE)
    assert (runtime.stage, runtime.hardware, runtime.requested_hardware) == ("RUNTIME_ERROR", None, "t4-small")
    assert runtime.sleep_time == 600 and runtime.raw["errorMessage"] == "exit code 1"
    secrets = api.get_space_secrets(SPACE)
    assert list(secrets) == ["API_KEY"] and secrets["API_KEY"].updated_at is not None
    assert "sk-value" not in repr(secrets)
    variables = api.get_space_variables(SPACE)
    assert variables["MODE"].value == "prod" and variables["MODE"].description == "run mode"
    assert list(api.fetch_space_logs(SPACE)) == ["a\n", "b\n"]
    assert list(api.fetch_space_logs(SPACE, build=True)) == ["step 1\n"]
    # follow ends when the stream ends (a Space whose logs are not live)
    assert list(api.fetch_space_logs(SPACE, follow=True)) == ["a\n", "b\n"]
