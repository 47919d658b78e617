"""The app finder and the layout's resource literals work from module facts kept across runs.

A warm check must give the plan a cold one gives, must see an edit that changes what these steps
find, and must not read or parse the unchanged modules for them.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from spacepack.check import check_project
from spacepack.check import tree as tree_module
from spacepack.check.apps import AppFinder
from spacepack.check.facts import FactStore
from spacepack.check.layout import entry_layout, find_resources, outside_needs
from spacepack.check.pyast import ProjectIndex
from spacepack.check.tree import load_tree
from spacepack.config import load_settings
from tests.helpers import age_tree, build_file_tree

ROUTES = 12


def _route(number: int) -> str:
    return (
        f'"""Routes of resource {number}."""\n\n'
        "from fastapi import APIRouter\n\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/items')\n"
        "def items() -> list[int]:\n"
        f"    return [{number}]\n"
    )


def _build(root: Path) -> Path:
    spec: dict[str, str] = {
        "requirements.txt": "fastapi\nuvicorn\npydantic-settings\n",
        "src/server.py": """
            import importlib

            from fastapi import FastAPI
            from fastapi.staticfiles import StaticFiles

            app = FastAPI()
            app.mount("/static", StaticFiles(directory="static"), name="static")
            for number in range(12):
                app.include_router(importlib.import_module(f"routes.r{number:02d}").router)


            @app.get("/health")
            def health() -> dict[str, str]:
                return {"status": "ok"}
            """,
        "src/asgi.py": "from server import app\n",
        "src/entry.py": "from api import application\n",
        "src/api.py": "import os\n\nNAME = os.environ.get('API_NAME', 'api')\n",
        "src/config.py": """
            from pydantic_settings import BaseSettings


            class Settings(BaseSettings):
                title: str = "demo"

                class Config:
                    env_file = ".env"
            """,
        "src/static/index.html": "<p>hi</p>\n",
        "src/routes/__init__.py": "",
    }
    spec.update({f"src/routes/r{n:02d}.py": _route(n) for n in range(ROUTES)})
    return build_file_tree(root, spec)


def _project(root: Path) -> Path:
    _build(root)
    age_tree(root)
    return root


def _plan(root: Path, store: FactStore | None = None) -> dict[str, Any]:
    plan: dict[str, Any] = check_project(load_settings(root), store).to_json()
    return plan


def _edit(path: Path, text: str) -> None:
    """Rewrite a module with a different size, dated back like an edit made a while ago."""
    before = path.stat().st_size
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size != before
    old = time.time() - 10
    os.utime(path, (old, old))


def _codes(plan: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return sorted((f["code"], f.get("path"), f["message"]) for f in plan["findings"])


def _candidates(plan: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["path"], c["entry"]) for c in plan["candidates"]}


def test_cold_first_and_warm_plans_are_identical(tmp_path: Path) -> None:
    root = _project(tmp_path / "project").resolve()
    store = FactStore(tmp_path / "cache")
    cold = _plan(root)
    first = _plan(root, store)
    warm = _plan(root, store)
    assert json.dumps(cold, sort_keys=True) == json.dumps(first, sort_keys=True) == json.dumps(warm, sort_keys=True)
    assert ("src/asgi.py", "asgi:app") in _candidates(cold)  # the shim is found
    assert any(f["code"] == "SP121" and f.get("path") == "src/server.py" for f in cold["findings"])
    kept = json.loads(next((tmp_path / "cache" / "facts").iterdir()).read_text(encoding="utf-8"))["files"]
    route_facts = kept["src/routes/r03.py"][1]
    assert route_facts["apps.markers"] == [False, True]
    assert route_facts["layout.resources"] == []
    assert kept["src/config.py"][1]["layout.resources"] == [["env_file", ".env", 8]]


def test_warm_check_sees_a_new_resource_literal(tmp_path: Path) -> None:
    root = _project(tmp_path / "project").resolve()
    store = FactStore(tmp_path / "cache")
    _plan(root, store)
    warm = _plan(root, store)
    assert not any("assets" in f["message"] for f in warm["findings"])
    _edit(
        root / "src/routes/r03.py",
        _route(3) + "\nfrom fastapi.staticfiles import StaticFiles\n\nFILES = StaticFiles(directory='assets')\n",
    )
    edited = _plan(root, store)
    assert _codes(edited) == _codes(_plan(root))
    missing = [f for f in edited["findings"] if f["code"] == "SP122" and "assets" in f["message"]]
    assert [(f["path"], f["line"]) for f in missing] == [("src/routes/r03.py", 14)]


def test_warm_check_sees_a_new_app_and_the_shims_it_makes(tmp_path: Path) -> None:
    root = _project(tmp_path / "project").resolve()
    store = FactStore(tmp_path / "cache")
    _plan(root, store)
    before = _candidates(_plan(root, store))
    assert ("src/entry.py", "entry:application") not in before
    # api.py now builds an app: entry.py, unchanged, names both its attribute and its module, so it is a shim.
    # Its stored shim words were searched for with the old words and must not be used.
    _edit(root / "src/api.py", "from starlette.applications import Starlette\n\napplication = Starlette()\n")
    edited = _plan(root, store)
    assert _candidates(edited) - before == {("src/api.py", "api:application"), ("src/entry.py", "entry:application")}
    assert edited == _plan(root)
    # A module that stops saying `import` stops being a shim.
    _edit(root / "src/entry.py", "application = None  # no longer re-exported\n")
    assert ("src/entry.py", "entry:application") not in _candidates(_plan(root, store))


def test_a_warm_check_does_not_read_unchanged_modules_for_these_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: Counter[str]
) -> None:
    root = _project(tmp_path / "project").resolve()
    store = FactStore(tmp_path / "cache")
    _plan(root, store)

    reads: Counter[str] = Counter()
    real_read = tree_module.read_project_bytes

    def counted_read(folder: Path, rel: str, **options: Any) -> Any:
        reads[rel] += 1
        return real_read(folder, rel, **options)

    tree = load_tree(root)
    index = ProjectIndex(tree, store.open(root, tree.python_states))
    monkeypatch.setattr(tree_module, "read_project_bytes", counted_read)
    parses.clear()
    found = AppFinder(index).find()
    layout = entry_layout(index, "src/server.py")
    resources = find_resources(index, sorted(tree.python))

    assert {(c.path, c.attr) for c in found} >= {("src/server.py", "app"), ("src/asgi.py", "app")}
    assert layout.working_dir == "src"
    assert {(r.kind, r.value, r.file) for r in resources} == {
        ("StaticFiles", "static", "src/server.py"),
        ("env_file", ".env", "src/config.py"),
    }
    # Only the modules that build or re-export an app are read and parsed; the routes are not even read.
    assert set(reads) <= {"src/server.py", "src/asgi.py"}
    assert set(parses) <= {"src/server.py", "src/asgi.py"}
    assert "src/server.py" in parses
    assert index.facts.computed == 0


# The app in server/todo loads helpers.py and its routes; server/shared is a package one folder up.
OUTER = {
    "server/requirements.txt": "fastapi\nuvicorn\n",
    "server/shared/__init__.py": "NAME = 'shared'\n",
    "server/todo/main.py": """
        from fastapi import FastAPI

        import helpers
        from routes import r0, r1, r2, r3

        app = FastAPI(title=helpers.TITLE)
        for module in (r0, r1, r2, r3):
            app.include_router(module.router)


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}
        """,
    "server/todo/helpers.py": "import os\n\nTITLE = os.environ.get('TITLE', 'todo')\n",
    "server/todo/routes/__init__.py": "",
    **{f"server/todo/routes/r{n}.py": _route(n) for n in range(4)},
}
# The same name imported inside a function first and at module level later: the outer statement is reported.
HELPERS_IMPORTING_SHARED = """\
import os

TITLE = os.environ.get('TITLE', 'todo')


def name() -> str:
    from shared import NAME

    return NAME


import shared  # noqa: E402
"""


def _outer_project(root: Path) -> Path:
    build_file_tree(root, OUTER)
    age_tree(root)
    return root


def test_warm_check_sees_a_new_import_from_above_the_working_folder(tmp_path: Path) -> None:
    root = _outer_project(tmp_path / "project").resolve()
    store = FactStore(tmp_path / "cache")
    cold = _plan(root)
    assert cold == _plan(root, store) == _plan(root, store)
    assert cold["working_dir"] == "server/todo"
    assert not any(f["code"] == "SP125" for f in cold["findings"])
    _edit(root / "server/todo/helpers.py", HELPERS_IMPORTING_SHARED)
    warm = _plan(root, store)
    assert warm == _plan(root)
    outer = [f["message"] for f in warm["findings"] if f["code"] == "SP125"]
    assert len(outer) == 1
    assert outer[0].startswith("server/todo/helpers.py:12 imports shared, which is server/shared/ in server")


def test_a_warm_check_does_not_parse_loaded_modules_for_what_they_need_from_outside(
    tmp_path: Path, parses: Counter[str]
) -> None:
    root = _outer_project(tmp_path / "project").resolve()
    _edit(root / "server/todo/helpers.py", HELPERS_IMPORTING_SHARED)
    store = FactStore(tmp_path / "cache")
    _plan(root, store)

    tree = load_tree(root)
    index = ProjectIndex(tree, store.open(root, tree.python_states))
    parses.clear()
    loaded = sorted(p for p in tree.python if p.startswith("server/todo/"))
    outside = outside_needs(index, loaded, "server/todo", lambda top: top in {"os", "fastapi"})
    assert outside.paths == ("server/shared/",)
    assert outside.python_path == ("server",)
    assert not parses
    assert index.facts.computed == 0
