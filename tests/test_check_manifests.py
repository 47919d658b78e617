"""Manifest formats as one unit each: one reader list, one parse per file, locks honoured with extras."""

from __future__ import annotations

from pathlib import Path

import pytest

import spacepack.check.manifests as manifests_module
from spacepack.check import check_project
from spacepack.check.deps import read_dependencies
from spacepack.check.formats import READERS, lock_names, manifest_names
from spacepack.check.layout import MANIFESTS
from spacepack.check.tree import load_tree
from spacepack.config import Settings
from tests.helpers import build_file_tree

APP = "from fastapi import FastAPI\napp = FastAPI()\n"

POETRY_PYPROJECT = """\
    [tool.poetry]
    name = "svc"
    version = "0.1.0"

    [tool.poetry.dependencies]
    python = "^3.11"
    fastapi = "^0.110"
    uvicorn = {extras = ["standard"], version = "^0.29"}
    """

UVLOOP_MARKER = (
    '(sys_platform != \\"win32\\" and sys_platform != \\"cygwin\\") and '
    'platform_python_implementation != \\"PyPy\\" and extra == \\"standard\\"'
)
POETRY_LOCK = """\
    [[package]]
    name = "fastapi"
    version = "0.110.3"
    optional = false
    python-versions = ">=3.8"

    [[package]]
    name = "uvicorn"
    version = "0.29.0"
    optional = false
    python-versions = ">=3.8"

    [package.dependencies]
    click = ">=7.0"
    httptools = {version = ">=0.5.0", optional = true, markers = "extra == \\"standard\\""}
    uvloop = {version = ">=0.14.0,!=0.15.0", optional = true, markers = "UVLOOP_MARKER"}

    [package.extras]
    standard = ["httptools (>=0.5.0)", "uvloop (>=0.14.0,!=0.15.0)"]

    [[package]]
    name = "click"
    version = "8.1.7"
    optional = false
    python-versions = ">=3.7"

    [[package]]
    name = "httptools"
    version = "0.6.1"
    optional = true
    python-versions = ">=3.8"

    [[package]]
    name = "uvloop"
    version = "0.19.0"
    optional = true
    python-versions = ">=3.8"

    [metadata]
    lock-version = "2.0"
    python-versions = "^3.11"
    """.replace("UVLOOP_MARKER", UVLOOP_MARKER)


def test_poetry_extras_are_installed_without_the_extra_marker(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"pyproject.toml": POETRY_PYPROJECT, "poetry.lock": POETRY_LOCK, "main.py": APP})
    report = read_dependencies(load_tree(tmp_path), ".", ".")
    lines = report.dependencies.requirements
    assert "httptools==0.6.1" in lines
    uvloop = next(line for line in lines if line.startswith("uvloop=="))
    assert "extra" not in uvloop  # pip evaluates `extra` as empty on a top-level line: it would never install
    assert 'sys_platform != "win32"' in uvloop and 'platform_python_implementation != "PyPy"' in uvloop
    assert not any("extra ==" in line for line in lines)
    assert report.dependencies.sources[0].kind == "poetry.lock"


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ('extra == "standard"', None),
        ('python_version < "3.11" and extra == "x"', 'python_version < "3.11"'),
        ('python_version < "3.11" or extra == "x"', None),
        ('python_version >= "3.8"', 'python_version >= "3.8"'),
        ('(os_name == "nt" or extra == "a") and python_version < "4"', 'python_version < "4"'),
    ],
)
def test_extra_clauses_are_taken_as_true(marker: str, expected: str | None) -> None:
    assert manifests_module.without_extra_clauses(marker) == expected


def test_pyproject_is_parsed_once_per_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_file_tree(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\nrequires-python = ">=3.11"\n'
            'dependencies = ["fastapi"]\n',
            "uv.lock": 'version = 1\nrequires-python = ">=3.11"\n[[package]]\nname = "svc"\nversion = "1"\n'
            'source = { editable = "." }\ndependencies = [{ name = "fastapi" }]\n'
            '[[package]]\nname = "fastapi"\nversion = "0.110.0"\n',
            "main.py": APP,
        },
    )
    parsed: list[str] = []
    real = manifests_module.tomllib.loads

    def counting(text: str, **kwargs: object) -> dict[str, object]:
        parsed.append(text.splitlines()[0])
        return real(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(manifests_module.tomllib, "loads", counting)
    plan = check_project(Settings(project_dir=tmp_path))
    assert plan.project_name == "svc"
    assert plan.python == "3.11"
    assert plan.dependencies.requirements[0] == "fastapi==0.110.0"
    assert parsed.count("[project]") == 1
    assert parsed.count("version = 1") == 1  # the lock too: deps and the Python check share one parse


def test_one_reader_list_feeds_layout_and_hygiene() -> None:
    kinds = [reader.kind for reader in READERS]
    assert len(kinds) == len(set(kinds))
    assert set(manifest_names()) <= set(MANIFESTS)
    assert {"uv.lock", "poetry.lock"} <= lock_names()
    for reader in READERS:
        assert reader.names
        if reader.locks:
            assert reader.locks in kinds and reader.relock
