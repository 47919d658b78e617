"""The CLI shell: version, help, doctor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def test_doctor_checks_the_base_image_the_build_would_use_and_says_how_to_start_an_engine(tmp_path) -> None:
    # requires-python >=3.12: check (and so build) picks a newer Python than the default.
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nrequires-python = ">=3.12"\ndependencies = ["fastapi", "uvicorn"]\n'
    )
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HF_HOME": str(tmp_path / "hf"),
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
    }
    result = run_cli("doctor", str(tmp_path), "--json", env=env)
    assert result.returncode == 4
    document = json.loads(result.stdout)
    rendered = run_cli("render", str(tmp_path), "--json", env=env)
    assert rendered.returncode == 0, rendered.stderr
    assert f"FROM {document['base_image']}\n" in json.loads(rendered.stdout)["dockerfile"]
    assert document["base_image"] != "python:3.11-slim"
    engine_check = next(c for c in document["checks"] if c["name"] == "docker engine")
    # A pip user has no repository scripts: the fix says how to start an engine.
    assert "scripts/" not in result.stderr + engine_check["fix"]
    assert "DOCKER_HOST" in engine_check["fix"] and "start" in engine_check["fix"]


def test_the_engine_start_hint_fits_the_platform() -> None:
    from spacepack.doctor import start_engine_hint

    assert "systemctl start docker" in start_engine_hint("linux")
    assert "Docker Desktop" in start_engine_hint("darwin")
    assert "Docker Desktop" in start_engine_hint("win32")


def test_every_config_key_is_documented_and_settable_from_the_environment(tmp_path) -> None:
    from dataclasses import fields

    from spacepack.config import Settings, load_settings

    keys = [f.name for f in fields(Settings) if "accepts" in f.metadata]
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    for key in keys:
        assert f"`{key}`" in table or f"`{key}.<name>`" in table, key
    settings = load_settings(tmp_path, environ={"SPACEPACK_INSTALLER": "uv", "SPACEPACK_APP_PORT": "8080"})
    assert (settings.installer, settings.app_port) == ("uv", 8080)
    assert settings.sources["installer"] == "environment variable SPACEPACK_INSTALLER"


def test_hf_runs_spacepack_as_an_installed_extension(tmp_path) -> None:
    """`hf spacepack ...` runs the `hf-spacepack` console script the way `hf extensions install` sets it up."""
    import os
    import shutil
    from datetime import datetime, timezone

    script = Path(sys.executable).parent / "hf-spacepack"
    hf = shutil.which("hf", path=str(Path(sys.executable).parent))
    assert script.is_file(), "pyproject.toml declares the hf-spacepack console script"
    assert hf is not None
    # What `hf extensions install OWNER/hf-spacepack` leaves behind: a manifest naming the executable.
    extension_dir = tmp_path / ".local" / "share" / "hf" / "extensions" / "hf-spacepack"
    extension_dir.mkdir(parents=True)
    manifest = {
        "owner": "owner",
        "repo": "hf-spacepack",
        "repo_id": "owner/hf-spacepack",
        "short_name": "spacepack",
        "executable_path": str(script),
        "type": "python",
        "installed_at": datetime.now(timezone.utc).isoformat(),
    }
    (extension_dir / "manifest.json").write_text(json.dumps(manifest))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "HF_HUB_OFFLINE": "1",
    }
    version = subprocess.run([hf, "spacepack", "--version"], capture_output=True, text=True, env=env, timeout=120)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"spacepack {__version__}"
    helped = subprocess.run([hf, "spacepack", "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert "Usage: hf spacepack" in helped.stdout
    usage = subprocess.run(
        [hf, "spacepack", "push", "-m", "--json"], capture_output=True, text=True, env=env, timeout=120
    )
    assert usage.returncode == 2 and json.loads(usage.stdout)["exit_code"] == 2
