"""The one set of ignore rules: what never ships, and a walk that prunes early and never loops."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from spacepack.ignore import ALWAYS_EXCLUDED, IgnoreRules, is_env_file, is_secret_file, walk, walk_with_skipped
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
    assert "**/__pycache__/**" in lines  # folder-only: never a file of that name
    assert "!**/.env.example" in lines
    assert "data/**" in lines
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


# --- hostile input (RELIABILITY.md, classes 1, 4, 8) --------------------------------------------


@pytest.mark.parametrize(
    "name",
    [".env~", "#.env#", ".env copy", ".env-local", ".env_prod", ".ENV", ".Env.Local", "prod.ENV", ".env.example~"],
)
def test_dotenv_copies_and_case_variants_never_ship(name: str) -> None:
    assert is_env_file(name)
    assert IgnoreRules().is_ignored(name) and IgnoreRules().is_ignored(f"backend/{name}")


@pytest.mark.parametrize(
    "path",
    [
        ".npmrc",
        ".pypirc",
        ".netrc",
        "_netrc",
        ".git-credentials",
        ".aws/credentials",
        "home/.aws/config",
        ".ssh/id_ed25519",
        ".streamlit/secrets.toml",
        "secrets.json",
        "config/secrets.yaml",
        "client_secret_123.json",
        "id_rsa",
        "tls/server.key",
        "certs/client.p12",
        ".docker/config.json",
        ".kube/config",
    ],
)
def test_other_tools_credential_files_never_ship(path: str) -> None:
    assert is_secret_file(path)
    assert IgnoreRules().is_ignored(path)
    assert IgnoreRules().is_ignored(path.upper())


@pytest.mark.parametrize(
    "path", ["id_rsa.pub", "keys.py", "secrets.py", "monkey.txt", "environment.py", "docs/envoy.yaml"]
)
def test_look_alike_names_still_ship(path: str) -> None:
    assert not IgnoreRules().is_ignored(path)


def test_a_hard_link_to_dotenv_does_not_ship(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".env": "KEY=value-that-stays-home\n", "main.py": ""})
    os.link(tmp_path / ".env", tmp_path / "settings.cfg")
    notes: list[str] = []
    kept, skipped = walk_with_skipped(tmp_path, IgnoreRules.for_project(tmp_path), notes)
    assert [rel for rel, _ in kept] == ["main.py"]
    assert "settings.cfg" in skipped
    assert any("hard link" in note for note in notes)


def test_a_gitignore_that_is_a_link_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    project = tmp_path / "project"
    build_file_tree(outside, {"token": "hf_secretlinefromoutside\n"})
    build_file_tree(project, {"main.py": "", ".env": "A=1\n", "sub/x.py": ""})
    (project / ".gitignore").symlink_to(outside / "token")
    (project / "sub" / ".gitignore").symlink_to("../.env")
    rules = IgnoreRules.for_project(project)
    assert not any("hf_secret" in p or "A=1" in p for p in rules.patterns())
    assert not any("hf_secret" in line or "A=1" in line for line in rules.dockerignore_lines())
    assert any(".gitignore was not read" in note for note in rules.notes)


def test_a_fifo_named_gitignore_and_a_link_to_dev_zero_do_not_hang(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"main.py": "", "lib/x.py": ""})
    os.mkfifo(tmp_path / ".gitignore")
    os.mkfifo(tmp_path / "lib" / ".gitignore")
    (tmp_path / "zero").symlink_to("/dev/zero")
    started = time.monotonic()
    rules = IgnoreRules.for_project(tmp_path)
    notes: list[str] = []
    kept, _ = walk_with_skipped(tmp_path, rules, notes)
    assert time.monotonic() - started < 5
    assert [rel for rel, _ in kept] == ["lib/x.py", "main.py"]
    assert any("FIFO" in note for note in rules.notes)
    assert any(note.startswith("zero:") for note in notes)


@pytest.mark.parametrize("line", ["foo\\", "\\", "bar\\\\\\", "[z-a]", "[unclosed", "!", "/", "**", "a/**/"])
def test_odd_gitignore_lines_never_crash(line: str, tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".gitignore": f"{line}\nkeep.log\n", "main.py": "", "keep.log": ""})
    rules = IgnoreRules.for_project(tmp_path)
    assert rules.is_ignored("keep.log")
    rules.is_ignored("main.py")
    rules.dockerignore_lines()


def test_a_line_ending_in_a_backslash_matches_nothing_and_skips_the_dockerignore() -> None:
    rules = IgnoreRules(project=("foo\\",))
    assert not rules.is_ignored("foo") and not rules.is_ignored("foo\\")
    assert not any(line.startswith("foo") for line in rules.dockerignore_lines())


def test_matching_is_case_insensitive_like_the_engine() -> None:
    rules = IgnoreRules(project=("*.LOG", "/Data/"))
    assert rules.is_ignored("debug.log") and rules.is_ignored("data/x.csv", is_dir=False)
