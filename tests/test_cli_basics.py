"""The CLI shell: version, help, doctor."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from spacepack import __version__


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spacepack", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_version_prints_the_package_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"spacepack {__version__}"


def test_help_lists_doctor_and_the_exit_codes() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "doctor" in result.stdout
    assert "Exit codes" in result.stdout
    assert "130" in result.stdout


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_doctor_without_an_engine_says_the_fix_and_exits_4(tmp_path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HF_HOME": str(tmp_path / "hf"),
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
    }
    result = run_cli("doctor", "--json", env=env)
    assert result.returncode == 4
    document = json.loads(result.stdout)
    assert document["ready_for_build"] is False
    assert document["engine"]["reachable"] is False
    assert document["token_source"] is None
    assert "fix:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.docker
def test_doctor_with_the_engine_reports_versions_and_hides_the_token(tmp_path) -> None:
    import os

    token = "hf_" + "doctorcanary" * 3
    env = {**os.environ, "HF_TOKEN": token, "HF_HOME": str(tmp_path / "hf")}
    result = run_cli("doctor", "--json", env=env)
    document = json.loads(result.stdout)
    assert document["engine"]["reachable"] is True
    assert document["engine"]["api_version"]
    assert document["token_source"] == "HF_TOKEN"
    assert token not in result.stdout + result.stderr
    # The stand-in (or the real) default base image is there after scripts/docker-up.
    assert document["ready_for_build"] is True
    assert result.returncode == 0


@pytest.mark.docker
def test_doctor_checks_the_base_image_the_project_builds_from(tmp_path) -> None:
    import os

    (tmp_path / "spacepack.toml").write_text('base_image = "spacepack-test/absent-base:1"\n')
    result = run_cli("doctor", str(tmp_path), "--json", env={**os.environ, "HF_HOME": str(tmp_path / "hf")})
    document = json.loads(result.stdout)
    assert document["base_image"] == "spacepack-test/absent-base:1"
    assert document["ready_for_build"] is False
    assert result.returncode == 4
    assert "docker pull spacepack-test/absent-base:1" in result.stderr


def test_every_command_takes_json() -> None:
    import typer.main

    from spacepack.cli import app

    group = typer.main.get_command(app)
    assert len(group.commands) >= 9  # type: ignore[attr-defined]
    missing = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        for leaf_name, leaf in (subcommands or {name: command}).items():
            if not any("--json" in getattr(param, "opts", ()) for param in leaf.params):
                missing.append(leaf_name)
    assert missing == []
