"""The plan cache: an explicit key, reuse when nothing `check` reads changed, never a stale plan."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from spacepack.check import check_project
from spacepack.config import Settings, load_settings
from spacepack.errors import CheckFailed
from spacepack.plan import Plan
from spacepack.render import Context, render_context
from spacepack.render.plan_cache import (
    PlanCache,
    cached_check_and_render,
    cached_plan,
    context_from_json,
    plan_from_json,
    plan_key,
    tree_files,
)
from tests.conftest import EXAMPLE_BACKEND
from tests.helpers import age_tree, build_file_tree
from tests.package_index import make_index, use_index

MAIN = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
"""


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_index(tmp_path_factory.mktemp("index"))


@pytest.fixture(autouse=True)
def _isolated(index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_index(monkeypatch, index_dir, tmp_path / "cache")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = build_file_tree(
        tmp_path / "api",
        {
            "main.py": MAIN,
            "requirements.txt": "fastapi\nuvicorn\n",
            ".env": "API_TOKEN=x\n",
            ".venv/pyvenv.cfg": "home = /usr\n",
        },
    )
    age_tree(root)
    return root


class CountingCheck:
    """The real `check_project`, counting how often it runs."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, settings: Settings) -> Plan:
        self.calls += 1
        return check_project(settings)


def _key(root: Path, settings: Settings | None = None) -> str:
    settings = settings or load_settings(root)
    return plan_key(settings, root / ".spacepack" / "context", tree_files(root))


def _edit(path: Path, text: str, *, age: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if age:
        past = time.time() - 30
        os.utime(path, (past, past))


# --- the key -----------------------------------------------------------------------------------


def test_the_key_is_stable_for_an_unchanged_tree(project: Path) -> None:
    assert _key(project) == _key(project)


@pytest.mark.parametrize(
    ("change", "invalidates"),
    [
        (lambda root: _edit(root / "main.py", MAIN.replace("/healthz", "/health")), True),  # a module
        (lambda root: _edit(root / "requirements.txt", "fastapi\nuvicorn\nhttpx\n"), True),  # a manifest
        (lambda root: _edit(root / ".env", "API_TOKEN=y\nOTHER=1\n"), True),  # a file check reads, never ships
        (lambda root: _edit(root / "extra.py", "X = 1\n"), True),  # a new module
        (lambda root: (root / "requirements.txt").unlink(), True),  # a file gone
        (lambda root: _edit(root.parent / "uv.lock", "version = 1\n"), True),  # a workspace lock one level up
        (lambda root: os.utime(root / "main.py", (1e9, 1e9)), True),  # same bytes, another time stamp
        (lambda root: _edit(root / ".gitignore", "data/\n"), True),  # what ships changes
        (lambda root: _edit(root / ".venv" / "lib.py", "X = 1\n"), False),  # inside an ignored folder
        (lambda root: _edit(root / ".spacepack" / "notes.txt", "x\n"), False),  # spacepack's own folder
    ],
)
def test_the_key_follows_every_file_check_reads(
    project: Path, change: Callable[[Path], object], invalidates: bool
) -> None:
    before = _key(project)
    change(project)
    assert (_key(project) != before) is invalidates


def test_the_key_follows_the_settings_and_the_output(project: Path) -> None:
    settings = load_settings(project)
    files = tree_files(project)
    out = project / ".spacepack" / "context"
    key = plan_key(settings, out, files)
    assert plan_key(load_settings(project, {"python": "3.12"}), out, files) != key
    assert plan_key(load_settings(project, {"entry": "main:app"}), out, files) != key
    assert plan_key(settings, project.parent / "elsewhere", files) != key


# --- reuse, and never a stale plan -------------------------------------------------------------


def test_an_unchanged_project_reuses_the_plan(project: Path) -> None:
    check = CountingCheck()
    settings = load_settings(project)
    out = project / ".spacepack" / "context"
    first, cached = cached_plan(settings, out, check)
    assert not cached and check.calls == 1
    again, cached = cached_plan(settings, out, check)
    assert cached and check.calls == 1
    assert again == first and again.health_path == "/healthz"


def test_a_changed_module_is_checked_again(project: Path) -> None:
    check = CountingCheck()
    settings = load_settings(project)
    out = project / ".spacepack" / "context"
    assert cached_plan(settings, out, check)[0].health_path == "/healthz"
    _edit(project / "main.py", MAIN.replace("/healthz", "/ping"))
    plan, cached = cached_plan(settings, out, check)
    assert not cached and check.calls == 2 and plan.health_path == "/ping"


def test_a_file_written_just_now_is_not_trusted(project: Path) -> None:
    check = CountingCheck()
    settings = load_settings(project)
    out = project / ".spacepack" / "context"
    _edit(project / "main.py", MAIN, age=False)  # its time stamp could hide the next edit
    cached_plan(settings, out, check)
    _, cached = cached_plan(settings, out, check)
    assert not cached and check.calls == 2


def test_the_cache_lives_outside_the_project(project: Path, tmp_path: Path) -> None:
    cached_plan(load_settings(project), project / ".spacepack" / "context", CountingCheck())
    assert list((tmp_path / "cache" / "plans").glob("*.json"))
    assert not list(project.rglob("*.json"))


# --- the rendered context ----------------------------------------------------------------------


def _build_path(project: Path, check: CountingCheck, renders: list[Plan]) -> tuple[Plan, Context, bool]:
    settings = load_settings(project)
    out = project / ".spacepack" / "context"

    def render(plan: Plan) -> Context:
        renders.append(plan)
        return render_context(plan, settings, out)

    return cached_check_and_render(settings, out, check, render, before_render=lambda plan: None)


def test_an_unchanged_project_reuses_the_context(project: Path) -> None:
    check, renders = CountingCheck(), []
    plan, context, cached = _build_path(project, check, renders)
    assert not cached and len(renders) == 1
    again_plan, again_context, cached = _build_path(project, check, renders)
    assert cached and check.calls == 1 and len(renders) == 1
    assert again_plan == plan and again_context == context


def test_a_touched_context_is_rendered_again_from_the_cached_plan(project: Path) -> None:
    check, renders = CountingCheck(), []
    _plan, context, _ = _build_path(project, check, renders)
    (context.path / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    _plan, again, cached = _build_path(project, check, renders)
    assert not cached and check.calls == 1 and len(renders) == 2
    assert (again.path / "Dockerfile").read_text(encoding="utf-8") == context.dockerfile


def test_errors_stop_a_cached_plan_too(project: Path) -> None:
    _edit(project / "main.py", MAIN + '\nAPI_KEY = "sk-live-0123456789abcdef0123456789abcdef"\n')
    settings = load_settings(project)
    out = project / ".spacepack" / "context"
    check = CountingCheck()

    def stop(plan: Plan) -> None:
        if plan.errors:
            raise CheckFailed("errors")

    for _ in range(2):
        with pytest.raises(CheckFailed):
            cached_check_and_render(settings, out, check, lambda plan: render_context(plan, settings, out), stop)
    assert check.calls == 1  # the second time from the cache, and stopped all the same
    assert not out.exists()


# --- the JSON form -----------------------------------------------------------------------------


def test_a_real_plan_and_context_survive_the_json_form(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLE_BACKEND)
    plan = check_project(settings)
    assert plan_from_json(plan.to_json()) == plan
    assert plan.candidates and plan.env and plan.findings  # the nested values are exercised
    context = render_context(plan, settings, tmp_path / "context")
    assert context_from_json(context.to_json()) == context


def test_an_entry_that_does_not_read_back_is_a_miss(project: Path, tmp_path: Path) -> None:
    settings = load_settings(project)
    out = project / ".spacepack" / "context"
    cached_plan(settings, out, CountingCheck())
    for entry in (tmp_path / "cache" / "plans").glob("*.json"):
        entry.write_text('{"key": "x", "plan": {}}', encoding="utf-8")
    assert PlanCache().lookup(settings, out).plan is None
