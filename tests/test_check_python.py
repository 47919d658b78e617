"""Python version selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacepack.check.python_version import detect_python
from spacepack.check.tree import load_tree
from tests.helpers import build_file_tree


def choose(tmp_path: Path, spec: dict[str, str], backend: str = "."):
    build_file_tree(tmp_path, {"main.py": "x = 1\n", **spec})
    return detect_python(load_tree(tmp_path), backend)


def test_default_is_311(tmp_path: Path) -> None:
    choice = choose(tmp_path, {})
    assert (choice.version, choice.source, choice.findings) == ("3.11", "default", ())


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (">=3.10", "3.11"),
        (">=3.12", "3.13"),
        (">=3.10,<3.11", "3.10"),
        ("==3.12.*", "3.12"),
        (">=3.11.4", "3.11"),
    ],
)
def test_requires_python_picks_311_when_allowed_else_newest(tmp_path: Path, spec: str, expected: str) -> None:
    choice = choose(tmp_path, {"pyproject.toml": f'[project]\nname = "x"\nrequires-python = "{spec}"\n'})
    assert choice.version == expected
    assert choice.source == "requires-python in pyproject.toml"


def test_python_version_file_and_runtime_txt(tmp_path: Path) -> None:
    assert choose(tmp_path / "a", {".python-version": "3.12.3\n"}).version == "3.12"
    choice = choose(tmp_path / "b", {"runtime.txt": "python-3.10.14\n"})
    assert (choice.version, choice.source) == ("3.10", "runtime.txt")


def test_poetry_python_and_uv_lock(tmp_path: Path) -> None:
    poetry = choose(tmp_path / "a", {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.12"\n'})
    assert (poetry.version, poetry.source) == ("3.13", "Poetry's python in pyproject.toml")
    uv = choose(tmp_path / "b", {"uv.lock": 'version = 1\nrequires-python = ">=3.12, <3.13"\n'})
    assert (uv.version, uv.source) == ("3.12", "requires-python in uv.lock")


def test_pin_in_repository_root_applies_to_backend(tmp_path: Path) -> None:
    choice = choose(tmp_path, {".python-version": "3.12\n", "backend/app.py": "x = 1\n"}, backend="backend")
    assert choice.version == "3.12"


def test_conflicting_declarations_warn(tmp_path: Path) -> None:
    choice = choose(
        tmp_path,
        {".python-version": "3.12\n", "pyproject.toml": '[project]\nname = "x"\nrequires-python = "<3.12"\n'},
    )
    assert choice.version == "3.12"
    assert [f.code for f in choice.findings] == ["SP250"]


def test_unsupported_only_versions_warn_with_nearest(tmp_path: Path) -> None:
    choice = choose(tmp_path, {"pyproject.toml": '[project]\nname = "x"\nrequires-python = "<3.10"\n'})
    assert choice.version == "3.10"
    assert choice.findings[0].code == "SP251"
    old = choose(tmp_path / "b", {".python-version": "3.8\n"})
    assert old.version == "3.11" and old.findings[0].code == "SP251"


def test_unreadable_declarations_are_ignored_with_a_warning(tmp_path: Path) -> None:
    choice = choose(tmp_path, {"runtime.txt": "pypy\n", "pyproject.toml": '[project]\nrequires-python = "banana"\n'})
    assert choice.version == "3.11"
    assert {f.code for f in choice.findings} == {"SP252"}
