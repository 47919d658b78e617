"""Pipfile.lock: the reader added as one module to the reader list."""

from __future__ import annotations

import json
from pathlib import Path

from spacepack.check import check_project
from spacepack.check.deps import read_dependencies
from spacepack.check.formats.pipfile_lock import parse_pipfile_lock
from spacepack.check.tree import load_tree
from spacepack.config import Settings
from tests.helpers import build_file_tree

APP = "from fastapi import FastAPI\nimport httpx\napp = FastAPI()\n"
PIPFILE = """\
    [packages]
    fastapi = "*"
    uvicorn = {extras = ["standard"], version = "*"}
    httpx = "*"

    [dev-packages]
    pytest = "*"

    [requires]
    python_version = "3.12"
    """


def _lock(default: dict[str, object], python: str = "3.12") -> str:
    return json.dumps(
        {
            "_meta": {"hash": {"sha256": "0" * 64}, "pipfile-spec": 6, "requires": {"python_version": python}},
            "default": default,
            "develop": {"pytest": {"version": "==8.2.0"}},
        }
    )


LOCKED = {
    "fastapi": {"hashes": ["sha256:" + "a" * 64], "index": "pypi", "version": "==0.111.0"},
    "uvicorn": {"extras": ["standard"], "version": "==0.30.1", "markers": "python_version >= '3.8'"},
    "uvloop": {"version": "==0.19.0", "markers": "sys_platform != 'win32'"},
    "starlette": {"version": "==0.37.2"},
    "httpx": {"version": "==0.27.0"},
    "anyio": {"version": "==4.4.0"},
    "mylib": {"git": "https://github.com/example/mylib.git", "ref": "0123456789abcdef0123456789abcdef01234567"},
}


def test_pipfile_lock_installs_the_default_packages_pinned(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"Pipfile": PIPFILE, "Pipfile.lock": _lock(LOCKED), "main.py": APP})
    report = read_dependencies(load_tree(tmp_path), ".", ".")
    deps = report.dependencies
    assert deps.sources[0].kind == "pipfile.lock"
    assert deps.sources[0].path == "Pipfile.lock"
    assert "fastapi==0.111.0" in deps.requirements
    assert "starlette==0.37.2" in deps.requirements  # a transitive package of the lock is pinned too
    assert 'uvloop==0.19.0; sys_platform != "win32"' in deps.requirements
    assert (
        "mylib @ git+https://github.com/example/mylib.git@0123456789abcdef0123456789abcdef01234567" in deps.requirements
    )
    assert not any(line.startswith("pytest") for line in deps.requirements)  # develop is left out
    assert "anyio" in deps.packages
    codes = [f.code for f in report.findings]
    assert "SP203" not in codes and "SP212" not in codes
    assert "SP206" in codes  # the git URL needs git in the image


def test_a_package_the_lock_lacks_is_installed_and_reported(tmp_path: Path) -> None:
    locked = {k: v for k, v in LOCKED.items() if k != "httpx"}
    build_file_tree(tmp_path, {"Pipfile": PIPFILE, "Pipfile.lock": _lock(locked), "main.py": APP})
    report = read_dependencies(load_tree(tmp_path), ".", ".")
    stale = [f for f in report.findings if f.code == "SP212"]
    assert len(stale) == 1 and "httpx" in stale[0].message and "pipenv lock" in stale[0].hint
    assert "httpx" in report.dependencies.requirements


def test_an_unreadable_pipfile_lock_falls_back_to_the_pipfile(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"Pipfile": PIPFILE, "Pipfile.lock": "{not json", "main.py": APP})
    report = read_dependencies(load_tree(tmp_path), ".", ".")
    unreadable = [f for f in report.findings if f.code == "SP213"]
    assert unreadable and unreadable[0].severity == "warning" and unreadable[0].path == "Pipfile.lock"
    assert report.dependencies.sources[0].kind == "pipfile"
    assert "fastapi" in report.dependencies.requirements


def test_the_python_version_of_the_lock_is_a_constraint(tmp_path: Path) -> None:
    pipfile = PIPFILE.replace('python_version = "3.12"', "")
    build_file_tree(tmp_path, {"Pipfile": pipfile, "Pipfile.lock": _lock(LOCKED, "3.12"), "main.py": APP})
    plan = check_project(Settings(project_dir=tmp_path))
    assert plan.python == "3.12"
    assert plan.python_source == "python_version in Pipfile.lock"


def test_parse_never_raises_on_odd_json() -> None:
    for text in ("[]", "null", '{"default": []}', '{"default": {"x": 3}}', "[" * 5000):
        lock, roots = parse_pipfile_lock(text, "Pipfile.lock")
        assert lock is None or all(isinstance(edge.name, str) for edge in roots)
