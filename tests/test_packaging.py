"""A plain (non-editable) install of the wheel works: templates inside, console script runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(REPO_ROOT)],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("spacepack-*.whl")
    return built


def test_wheel_carries_one_copy_of_each_template(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "spacepack/_templates/Dockerfile.template" in names
    top_level_templates = sorted(p.name for p in (REPO_ROOT / "templates").iterdir() if p.is_file())
    for name in top_level_templates:
        assert f"spacepack/_templates/{name}" in names
    assert "spacepack/py.typed" in names
    # The vendored import -> distribution map and its license, read as package data.
    assert "spacepack/check/data/import_map.txt" in names
    assert "spacepack/check/data/LICENSE.pipreqs" in names


def test_fresh_venv_install_gives_a_working_doctor(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, timeout=600)
    env = {
        "PATH": f"{env_dir / 'bin'}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "HF_HOME": str(tmp_path / "hf"),
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
    }
    result = subprocess.run(
        [str(env_dir / "bin" / "spacepack"), "doctor", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    document = json.loads(result.stdout)
    assert document["engine"]["reachable"] is False
    assert result.returncode == 4
    # The installed package finds its templates without the source tree.
    probe = subprocess.run(
        [str(python), "-c", "from spacepack.render.templates import template_dir; print(template_dir())"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    found = Path(probe.stdout.strip())
    assert (found / "Dockerfile.template").is_file()
    assert REPO_ROOT not in found.parents
    # ...and its import -> distribution map.
    mapped = subprocess.run(
        [str(python), "-c", "from spacepack.check.import_names import distribution_to_install as d; print(d('bs4'))"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert mapped.returncode == 0, mapped.stderr
    assert mapped.stdout.strip() == "beautifulsoup4"
