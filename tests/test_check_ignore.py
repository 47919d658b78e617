"""The one set of ignore rules: what never ships, and a walk that prunes early and never loops."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spacepack.ignore import ALWAYS_EXCLUDED, IgnoreRules, is_env_file, walk, walk_with_skipped
from tests.helpers import build_file_tree


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (".env", True),
        (".env.local", True),
        (".env.production", True),
        ("prod.env", True),
        (".env.example", False),
        (".env.sample", False),
        (".env.template", False),
        ("example.env", False),
        ("environment.py", False),
        ("env", False),
        (".envrc", True),
        (".env.example.local", True),
        (".env.local.example", True),  # only exact templates ship, as in ALWAYS_EXCLUDED
    ],
)
def test_is_env_file(name: str, expected: bool) -> None:
    assert is_env_file(name) is expected


@pytest.mark.parametrize(
    "name", [".env", ".env.local", "prod.env", ".env.example", ".env.sample", ".env.template", "example.env"]
)
def test_env_patterns_agree_with_is_env_file(name: str) -> None:
    rules = IgnoreRules()
    assert rules.is_ignored(name) is is_env_file(name)
    assert rules.is_ignored(f"backend/{name}") is is_env_file(name)


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/lib/site.py",
        "venv/bin/python",
        "backend/__pycache__/main.cpython-311.pyc",
        "main.pyc",
        ".pytest_cache/v/x",
        ".mypy_cache/3.11/x.json",
        ".ruff_cache/x",
        ".hypothesis/examples/x",
        ".tox/py/x",
        ".nox/x",
        "frontend/node_modules/react/index.js",
        "build/lib/x.py",
        "dist/pkg.whl",
        "pkg.egg-info/PKG-INFO",
        ".coverage",
        "htmlcov/index.html",
        "coverage.xml",
        "lib/python3.11/site-packages/x.py",
        ".spacepack/context/Dockerfile",
        ".DS_Store",
        ".idea/workspace.xml",
        ".vscode/settings.json",
    ],
)
def test_built_in_exclusions(path: str) -> None:
    assert IgnoreRules().is_ignored(path)


@pytest.mark.parametrize("path", ["main.py", "src/app/main.py", "requirements.txt", ".env.example", "static/app.js"])
def test_ordinary_files_ship(path: str) -> None:
    assert not IgnoreRules().is_ignored(path)


def test_gitignore_cannot_re_include_secrets_or_venvs(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".gitignore": "!.env\n!.venv/\ndata/\n*.sqlite\n", "main.py": ""})
    rules = IgnoreRules.for_project(tmp_path)
    assert rules.is_ignored(".env")
    assert rules.is_ignored(".venv/x.py")
    assert rules.is_ignored("data/todo.db")
    assert rules.is_ignored("backend/db.sqlite")
    assert not rules.is_ignored("main.py")


def test_nested_gitignore_is_relative_to_its_folder(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "backend/.gitignore": "uploads/\n/local.txt\nsecret_*.json\n",
            "backend/main.py": "",
            "backend/local.txt": "x",
            "backend/sub/local.txt": "x",
            "backend/uploads/a.png": "x",
            "backend/sub/secret_a.json": "{}",
            "uploads/keep.txt": "x",
        },
    )
    files = [rel for rel, _ in walk(tmp_path, IgnoreRules.for_project(tmp_path))]
    assert "backend/local.txt" not in files
    assert "backend/sub/local.txt" in files
    assert "backend/uploads/a.png" not in files
    assert "backend/sub/secret_a.json" not in files
    assert "uploads/keep.txt" in files


def test_virtualenv_with_any_name_is_pruned(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"myenv/pyvenv.cfg": "home = /usr\n", "myenv/lib/x.py": "", "app.py": ""})
    rules = IgnoreRules.for_project(tmp_path)
    assert [rel for rel, _ in walk(tmp_path, rules)] == ["app.py"]
    assert rules.is_ignored("myenv/lib/x.py")
    assert "/myenv/" in rules.patterns()


def test_walk_is_sorted_with_sizes(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"b.txt": "12345", "a/b.py": "x", "a.txt": "", "a/a/z.py": "yy"})
    assert list(walk(tmp_path, IgnoreRules())) == [("a.txt", 0), ("a/a/z.py", 2), ("a/b.py", 1), ("b.txt", 5)]


def test_walk_prunes_ignored_folders_without_entering_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_file_tree(tmp_path, {"main.py": "", "node_modules/x/index.js": "", ".venv/lib/y.py": "", "src/a.py": ""})
    scanned: list[str] = []
    real_scandir = os.scandir

    def recording_scandir(path: str) -> object:
        scanned.append(Path(path).relative_to(tmp_path).as_posix())
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", recording_scandir)
    assert [rel for rel, _ in walk(tmp_path, IgnoreRules())] == ["main.py", "src/a.py"]
    assert sorted(scanned) == [".", "src"]


def test_walk_survives_symlink_loops_and_never_leaves_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    project = tmp_path / "project"
    build_file_tree(outside, {"id_rsa": "PRIVATE"})
    build_file_tree(project, {"main.py": "", "src/real.py": ""})
    (project / "src" / "loop").symlink_to(project, target_is_directory=True)
    (project / "key").symlink_to(outside / "id_rsa")
    (project / "alias.py").symlink_to(project / "main.py")
    (project / "broken").symlink_to(project / "missing")
    files = [rel for rel, _ in walk(project, IgnoreRules.for_project(project))]
    assert files == ["alias.py", "main.py", "src/real.py"]


def test_walk_skips_unreadable_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_file_tree(tmp_path, {"main.py": "", "private/x.py": ""})
    real_scandir = os.scandir

    def denying_scandir(path: str) -> object:
        if Path(path).name == "private":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", denying_scandir)
    assert [rel for rel, _ in walk(tmp_path, IgnoreRules())] == ["main.py"]


def test_walk_with_skipped_lists_ignored_files_of_visited_folders(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".env": "A=1", "backend/.env.local": "B=2", ".venv/.env": "C=3", "main.py": ""})
    kept, skipped = walk_with_skipped(tmp_path, IgnoreRules())
    assert [rel for rel, _ in kept] == ["main.py"]
    assert skipped == [".env", "backend/.env.local"]


def test_extra_patterns(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"main.py": "", "secrets/key.pem": "x"})
    rules = IgnoreRules.for_project(tmp_path, extra=["secrets/"])
    assert [rel for rel, _ in walk(tmp_path, rules)] == ["main.py"]


def test_dockerignore_lines_match_at_any_depth() -> None:
    lines = IgnoreRules(project=("/data/", "logs/*.log")).dockerignore_lines()
    assert "**/.env" in lines and "**/.env*" in lines
    assert "**/__pycache__" in lines
    assert "!**/.env.example" in lines
    assert "data" in lines
    assert "logs/*.log" in lines
    assert len(lines) == len(ALWAYS_EXCLUDED) + 2


GITIGNORE_SAMPLE = (
    "# comment",
    "*.log",
    "data/",
    "/local.txt",
    "docs/_build/",
    "!keep.log",
    "secret_*.json",
    "**/tmp",
    "*.py[cod]",
    "cache?/",
    "!important/",
    "important/",
    "[Bb]in/",
)
SAMPLE_PATHS = (
    "a.log",
    "sub/a.log",
    "keep.log",
    "sub/keep.log",
    "data/",
    "sub/data/",
    "data",
    "local.txt",
    "sub/local.txt",
    "docs/_build/",
    "x/docs/_build/",
    "secret_a.json",
    "deep/secret_b.json",
    "tmp",
    "x/y/tmp",
    "m.pyc",
    "m.py",
    "cache1/",
    "cache12/",
    "important/",
    "bin/",
    "Bin/",
    "bins/",
)


@pytest.mark.parametrize("path", SAMPLE_PATHS)
def test_fast_matcher_agrees_with_pathspec(path: str) -> None:
    import pathspec

    from spacepack.ignore import _Matcher

    reference = pathspec.GitIgnoreSpec.from_lines(GITIGNORE_SAMPLE)
    assert _Matcher(GITIGNORE_SAMPLE)(path) is reference.match_file(path)


def test_a_symlink_to_an_ignored_file_does_not_ship_its_contents(tmp_path: Path) -> None:
    secret_value = "value-that-must-stay-home"
    (tmp_path / ".env").write_text(f"SECRET_KEY={secret_value}\n")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "key.pem").write_text("key")
    (tmp_path / ".gitignore").write_text("private/\n")
    (tmp_path / "conf").mkdir()
    (tmp_path / "settings.cfg").symlink_to(".env")
    (tmp_path / "conf" / "app.ini").symlink_to("../.env")
    (tmp_path / "key.pem").symlink_to("private/key.pem")
    (tmp_path / "main.py").write_text("app = None\n")
    (tmp_path / "alias.py").symlink_to("main.py")
    shipped = [rel for rel, _ in walk(tmp_path, IgnoreRules.for_project(tmp_path))]
    assert shipped == [".gitignore", "alias.py", "main.py"]


def test_every_name_the_patterns_exclude_is_an_env_file_for_the_guard(tmp_path: Path) -> None:
    names = [".env", ".env.local", ".env.example.local", "prod.env", ".envrc", ".env.example", "example.env"]
    rules = IgnoreRules.for_project(tmp_path)
    for name in names:
        assert rules.is_ignored(name) is is_env_file(name), name
