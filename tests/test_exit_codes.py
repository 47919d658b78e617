"""The exit-code table holds where it is cheapest to trigger each code in-process.

Hub and Space outcomes (7-13) are covered against the Hub double in
test_hub_push.py, test_push_cli.py and test_release.py; smoke and build
failures (5, 6) with the real engine in test_build_docker.py and test_smoke_docker.py.
"""

from __future__ import annotations

import json

import pytest

import spacepack.doctor
from spacepack.cli import main
from spacepack.errors import ExitCode
from tests.helpers import SAMPLE_APP, build_file_tree
from tests.helpers import run_cli as run

APP = SAMPLE_APP


def test_a_bug_is_exit_1_with_one_line_and_no_traceback(capsys, monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something spacepack did not expect")

    monkeypatch.setattr(spacepack.doctor, "run_doctor", broken)
    code, _, err = run(["doctor"], capsys)
    assert code == ExitCode.INTERNAL == 1
    assert "internal error: RuntimeError: something spacepack did not expect" in err
    assert "--debug" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback_of_a_bug(monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(spacepack.doctor, "run_doctor", broken)
    with pytest.raises(RuntimeError, match="boom"):
        main(["--debug", "doctor"])


def test_a_bad_flag_is_exit_2(capsys) -> None:
    code, _, err = run(["check", "--no-such-flag"], capsys)
    assert code == ExitCode.USAGE == 2
    assert "No such option" in err


def test_a_bad_config_key_is_exit_2_with_did_you_mean(tmp_path, capsys) -> None:
    build_file_tree(tmp_path, {"main.py": APP, "spacepack.toml": 'entyr = "main:app"\n'})
    code, _, err = run(["check", str(tmp_path)], capsys)
    assert code == ExitCode.USAGE
    assert "unknown key 'entyr'" in err and "Did you mean 'entry'?" in err


def test_check_errors_are_exit_3(tmp_path, capsys) -> None:
    build_file_tree(tmp_path, {"main.py": APP + "\nimport humanize\n", "requirements.txt": "fastapi\nuvicorn\n"})
    code, out, _ = run(["check", str(tmp_path), "--json"], capsys)
    assert code == ExitCode.CHECK_FAILED == 3
    errors = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert [f["code"] for f in errors] == ["SP203"]
    assert "humanize" in errors[0]["message"]


def test_no_engine_is_exit_4_before_anything_is_built(tmp_path, capsys, monkeypatch) -> None:
    build_file_tree(tmp_path, {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"})
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    code, _, err = run(["build", str(tmp_path)], capsys)
    assert code == ExitCode.ENGINE_UNAVAILABLE == 4
    assert "no Docker engine answers at DOCKER_HOST=" in err
    assert "fix:" in err


def test_push_without_a_token_is_exit_7(tmp_path, capsys, monkeypatch) -> None:
    build_file_tree(tmp_path, {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"})
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    code, _, err = run(["push", str(tmp_path), "--space", "alice/x"], capsys)
    assert code == ExitCode.AUTH == 7
    assert "no Hugging Face token found" in err


def test_ctrl_c_is_exit_130(capsys, monkeypatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(spacepack.doctor, "run_doctor", interrupted)
    code, _, err = run(["doctor"], capsys)
    assert code == ExitCode.INTERRUPTED == 130
    assert "interrupted" in err


def test_json_promises_one_document_even_when_a_command_fails(tmp_path, capsys, monkeypatch) -> None:
    build_file_tree(tmp_path, {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"})
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    code, out, _ = run(["push", str(tmp_path), "--space", "alice/x", "--json"], capsys)
    assert code == ExitCode.AUTH
    document = json.loads(out)
    assert document["status"] == "failed" and document["exit_code"] == 7
    assert "no Hugging Face token" in document["error"]
    code, out, _ = run(["render", str(tmp_path / "missing"), "--json"], capsys)
    assert code == ExitCode.USAGE
    assert json.loads(out)["exit_code"] == 2
