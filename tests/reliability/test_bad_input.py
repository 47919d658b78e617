"""Bad input: every case ends with one clear line and a fix, its documented exit code, no traceback,
and nothing half-written (no partial context, no temp folder).

Each case runs the real CLI in a subprocess (so a hang or a crash is caught too).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from spacepack.errors import ExitCode
from tests.helpers import build_file_tree
from tests.reliability.conftest import Run, run_cli, spacepack_temp_dirs

APP = (
    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    "@app.get('/health')\ndef health() -> dict[str, int]:\n    return {'ok': 1}\n"
)
BASE: dict[str, str | bytes] = {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"}
SPACE = "alice/bad-input"


def assert_one_clear_answer(run: Run, code: int, words: str) -> None:
    assert run.code == code, run.err
    assert words in run.err, run.err
    assert "Traceback" not in run.both
    if code != ExitCode.OK:
        errors = [line for line in run.err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, run.err  # one line saying what is wrong...
        assert "  fix: " in run.err  # ...and one saying how to fix it


def assert_nothing_half_written(project: Path, code: int) -> None:
    assert spacepack_temp_dirs(project, project.parent) == []
    context = project / ".spacepack" / "context"
    if code != ExitCode.OK:
        assert not context.exists() or (context / "Dockerfile").is_file()


# --- project content: (id, files, render exit code, words on stderr of `check`) -------------------

Tree = dict[str, "str | bytes"]
PROJECT_CASES: list[tuple[str, Tree, int, str]] = [
    ("syntax-error-in-entry", {**BASE, "main.py": APP + "\ndef broken(:\n"}, 3, "syntax error"),
    ("syntax-error-elsewhere", {**BASE, "util.py": "def x(:\n"}, 0, "[SP101]"),
    ("latin-1-source", {**BASE, "main.py": APP.encode() + "# caf\xe9\n".encode("latin-1")}, 3, "[SP102]"),
    ("bom-prefixed-source", {**BASE, "main.py": b"\xef\xbb\xbf" + APP.encode()}, 0, "main:app"),
    ("binary-py-file", {**BASE, "blob.py": b"\x00\x01\x02\xff" * 100}, 0, "[SP102]"),
    ("file-over-10-mb", {**BASE, "data.bin": b"0" * (11 * 1024 * 1024)}, 0, "[SP330]"),
    ("malformed-requirement", {**BASE, "requirements.txt": "fastapi\nuvicorn\nnot ~~ valid\n"}, 3, "[SP208]"),
    ("malformed-pyproject-toml", {**BASE, "pyproject.toml": "[project\nname = 'x'\n"}, 2, "not valid TOML"),
    (
        "malformed-uv-lock",
        {
            **BASE,
            "pyproject.toml": "[project]\nname='x'\nversion='1'\ndependencies=['fastapi']\n",
            "uv.lock": "v = [\n",
        },
        0,
        "uv.lock cannot be read",
    ),
    (
        "malformed-poetry-lock",
        {**BASE, "pyproject.toml": "[tool.poetry]\nname='x'\n", "poetry.lock": "[[package]\n"},
        0,
        "poetry.lock cannot be read",
    ),
    ("malformed-spacepack-toml", {**BASE, "spacepack.toml": "space = [\n"}, 2, "spacepack.toml is not valid TOML"),
    ("invalid-color-metadata", {**BASE, "spacepack.toml": "[metadata]\ncolorFrom = 'mauve'\n"}, 2, "colorFrom"),
    ("invalid-app-port-metadata", {**BASE, "spacepack.toml": "[metadata]\napp_port = 99999\n"}, 2, "app_port"),
    ("broken-readme-front-matter", {**BASE, "README.md": "---\ntitle: [unclosed\n---\nbody\n"}, 2, "front matter"),
    ("no-app-at-all", {"main.py": "print(1)\n", "requirements.txt": "fastapi\n"}, 3, "[SP100]"),
    ("empty-folder", {}, 3, "[SP100]"),
]


def _symlink_loops(root: Path) -> None:
    (root / "a").symlink_to(root / "b")
    (root / "b").symlink_to(root / "a")
    (root / "pkg").mkdir()
    (root / "pkg" / "up").symlink_to(root)  # a folder loop
    (root / "gone.py").symlink_to(root / "missing.py")  # dangling


def _fifo(root: Path) -> None:
    # Tests run as root, where chmod 000 does not stop a read; a FIFO cannot be read without blocking.
    os.mkfifo(root / "pipe.txt")


def _unreadable_dir(root: Path) -> None:
    # Stands for an unreadable file: a path that is a folder where a file is expected.
    (root / "requirements.txt").unlink()
    (root / "requirements.txt").mkdir()


EXTRA: dict[str, tuple[Callable[[Path], None], int, str]] = {
    "symlink-loops-and-dangling-links": (_symlink_loops, 0, "main:app"),
    "fifo-instead-of-a-file": (_fifo, 0, "main:app"),
    "folder-where-a-file-is-expected": (_unreadable_dir, 0, "main:app"),
}


@pytest.mark.parametrize(
    ("files", "render_code", "words"), [c[1:] for c in PROJECT_CASES], ids=[c[0] for c in PROJECT_CASES]
)
def test_bad_project_content(tmp_path: Path, files: Tree, render_code: int, words: str) -> None:
    (tmp_path / "proj").mkdir()
    project = build_file_tree(tmp_path / "proj", files)
    checked = run_cli(["check", str(project)])
    assert "Traceback" not in checked.err, checked.err
    rendered = run_cli(["render", str(project)])
    assert_one_clear_answer(rendered, render_code, "" if render_code == 0 else "error: ")
    assert words in checked.err + rendered.err  # check names it, or render (metadata) does
    assert_nothing_half_written(project, render_code)


@pytest.mark.parametrize("case", sorted(EXTRA))
def test_hostile_file_system(tmp_path: Path, case: str) -> None:
    make, code, words = EXTRA[case]
    project = build_file_tree(tmp_path / "proj", BASE)
    make(project)
    rendered = run_cli(["render", str(project)], timeout=60)
    assert_one_clear_answer(rendered, code, "")
    assert words in run_cli(["check", str(project)], timeout=60).err
    assert_nothing_half_written(project, code)


def test_spaces_and_unicode_in_paths(tmp_path: Path) -> None:
    project = build_file_tree(tmp_path / "my projects" / "ünïcødé app", {**BASE, "sub dir/hélló.py": "X = 1\n"})
    rendered = run_cli(["render", str(project)])
    assert_one_clear_answer(rendered, 0, "rendered")
    assert (project / ".spacepack" / "context" / "sub dir" / "hélló.py").is_file()


# --- flags and paths -----------------------------------------------------------------------------

FLAG_CASES: list[tuple[str, list[str], int, str]] = [
    ("missing-project-folder", ["render", "{tmp}/nope"], 2, "error: "),
    ("missing-env-file", ["smoke", "img:tag", "--env-file", "{tmp}/nope.env"], 2, "--env-file"),
    ("env-flag-without-equals", ["smoke", "img:tag", "--env", "JUSTANAME"], 2, "not KEY=VALUE"),
    ("space-id-without-owner", ["push", "{proj}", "--space", "not-a-space-id", "--token", "hf_x"], 2, "OWNER/NAME"),
    ("space-id-with-two-slashes", ["push", "{proj}", "--space", "a/b/c", "--token", "hf_x"], 2, "OWNER/NAME"),
    ("space-name-with-double-dash", ["push", "{proj}", "--space", "alice/bad--name", "--token", "hf_x"], 2, "error: "),
    (
        "missing-secrets-file",
        ["push", "{proj}", "--space", SPACE, "--secrets-from", "{tmp}/no", "--token", "x"],
        2,
        "no such file",
    ),
]


@pytest.mark.parametrize(("argv", "code", "words"), [c[1:] for c in FLAG_CASES], ids=[c[0] for c in FLAG_CASES])
def test_bad_flags(tmp_path: Path, argv: list[str], code: int, words: str) -> None:
    project = build_file_tree(tmp_path / "proj", BASE)
    args = [a.replace("{tmp}", str(tmp_path)).replace("{proj}", str(project)) for a in argv]
    run = run_cli(args, cwd=tmp_path)
    assert_one_clear_answer(run, code, words)
    assert_nothing_half_written(project, code)


@pytest.mark.parametrize(
    "docker_host", ["unix:///nonexistent/dead.sock", "tcp://127.0.0.1:9"], ids=["dead-socket", "closed-tcp-port"]
)
def test_missing_or_unreachable_engine(tmp_path: Path, docker_host: str) -> None:
    project = build_file_tree(tmp_path / "proj", BASE)
    for argv in (["build", str(project)], ["smoke", "img:tag"], ["doctor"]):
        run = run_cli(argv, env={"DOCKER_HOST": docker_host}, cwd=tmp_path, timeout=120)
        if argv[0] == "doctor":
            assert run.code != 0 and "Traceback" not in run.both
            continue
        assert_one_clear_answer(run, ExitCode.ENGINE_UNAVAILABLE, "no Docker engine answers")
    assert_nothing_half_written(project, 4)


# --- the Hub: status codes, a dropped commit, bad tokens -----------------------------------------

HUB_CASES: list[tuple[str, str, int, int, str]] = [
    # (id, route, status, exit code, words)
    ("401-on-whoami", "whoami", 401, ExitCode.AUTH, "error: "),
    ("402-on-create", "create", 402, ExitCode.PLAN_OR_QUOTA, "error: "),
    ("403-on-commit", "commit", 403, ExitCode.AUTH, "error: "),
    ("404-on-preupload", "preupload", 404, ExitCode.HUB, "error: "),
    ("429-on-commit", "commit", 429, ExitCode.PLAN_OR_QUOTA, "error: "),
    ("500-on-commit", "commit", 500, ExitCode.HUB, "error: "),
    ("502-on-preupload-once-is-retried", "preupload", 502, ExitCode.OK, "pushed to"),
    ("503-on-create", "create", 503, ExitCode.HUB, "error: "),
]


@pytest.mark.hub
@pytest.mark.parametrize(
    ("route", "status", "code", "words"), [c[1:] for c in HUB_CASES], ids=[c[0] for c in HUB_CASES]
)
def test_hub_errors(
    tmp_path: Path, hub_env: tuple[object, dict[str, str]], route: str, status: int, code: int, words: str
) -> None:
    from tests.hub_double import HubDouble

    double, env = hub_env
    assert isinstance(double, HubDouble)
    project = build_file_tree(tmp_path / "proj", BASE)
    env = {**env, "HF_TOKEN": double.WRITE_TOKEN}
    double.fail_next(route, status, times=1 if code == ExitCode.OK else 5)
    run = run_cli(["push", str(project), "--space", SPACE], env=env)
    assert_one_clear_answer(run, code, words)
    assert_nothing_half_written(project, code)
    if code != ExitCode.OK:
        assert not double.exists(SPACE) or set(double.files(SPACE)) == {".gitattributes"}


@pytest.mark.hub
@pytest.mark.parametrize(
    ("token", "words"),
    [("hf_expired_token_value_0123456789", "invalid or expired"), ("read", "error: ")],
    ids=["expired-token", "read-only-token"],
)
def test_bad_tokens(tmp_path: Path, hub_env: tuple[object, dict[str, str]], token: str, words: str) -> None:
    from tests.hub_double import HubDouble

    double, env = hub_env
    assert isinstance(double, HubDouble)
    project = build_file_tree(tmp_path / "proj", BASE)
    value = double.READ_TOKEN if token == "read" else token
    run = run_cli(["push", str(project), "--space", SPACE], env={**env, "HF_TOKEN": value})
    assert_one_clear_answer(run, ExitCode.AUTH, words)
    assert value not in run.both and value[:8] not in run.both
    assert not double.exists(SPACE)


@pytest.mark.hub
def test_dropped_commit_keeps_the_previous_revision_and_a_rerun_succeeds(
    tmp_path: Path, hub_env: tuple[object, dict[str, str]]
) -> None:
    from tests.hub_double import HubDouble

    double, env = hub_env
    assert isinstance(double, HubDouble)
    project = build_file_tree(tmp_path / "proj", BASE)
    env = {**env, "HF_TOKEN": double.WRITE_TOKEN}
    assert run_cli(["push", str(project), "--space", SPACE], env=env).code == 0
    before = double.commits(SPACE)[-1]
    (project / "main.py").write_text(APP + "\n# v2\n")
    double.drop_next_commit()
    dropped = run_cli(["push", str(project), "--space", SPACE], env=env)
    assert_one_clear_answer(dropped, ExitCode.HUB, "error: ")
    assert double.commits(SPACE)[-1] == before  # the Space kept its revision
    assert_nothing_half_written(project, ExitCode.HUB)
    rerun = run_cli(["push", str(project), "--space", SPACE], env=env)
    assert rerun.code == 0, rerun.err
    assert double.files(SPACE)["main.py"].endswith(b"# v2\n")
