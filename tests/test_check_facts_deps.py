"""The dependency checks' module facts: a warm check gives the cold plan without reading unchanged modules.

Three steps of the dependency check look at every app module: its imports (`iter_imports`),
the imports libraries make for it (a database URL's driver, pydantic's EmailStr, fastapi's Form)
and its pydantic v1-only names. Each keeps what it learns of one module as a module fact; the
tests check that the facts give the plan a cold check gives, follow an edit, and spare the reads.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacepack.check import check_project, tree
from spacepack.check.deps import _implied_in, _import_sites
from spacepack.check.facts import FactStore, ModuleFacts
from spacepack.check.import_names import iter_imports
from spacepack.check.pyast import ProjectIndex
from spacepack.check.pydantic_v1 import _module_uses, _uses_in
from spacepack.config import Settings
from spacepack.plan import Plan
from tests.conftest import EXAMPLE_BACKEND
from tests.helpers import build_file_tree

# A backend that exercises every step: declared, undeclared, guarded, lazy and type-only imports,
# a database URL's driver, pydantic v1 settings and a form route, plus modules the app loads by string.
PROJECT: dict[str, str] = {
    "requirements.txt": "fastapi\nuvicorn\nsqlalchemy\nrequests\n",
    "main.py": """\
        import importlib

        from fastapi import FastAPI, Form

        import config
        import db

        app = FastAPI()
        for name in ("a", "b"):
            importlib.import_module(f"plugins.{name}")


        @app.post("/login")
        def login(name: str = Form(...)) -> dict[str, str]:
            return {"name": name}
        """,
    "config.py": "from pydantic import BaseSettings\n\n\nclass Settings(BaseSettings):\n    debug: bool = False\n",
    "db.py": """\
        from typing import TYPE_CHECKING

        import requests

        try:
            import ujson as json
        except ImportError:
            import json

        if TYPE_CHECKING:
            import boto3

        URL = "sqlite+aiosqlite:///./app.db"


        def fetch():
            import httpx

            return httpx, requests, json
        """,
    "plugins/__init__.py": "",
    "plugins/a.py": "import yaml\nfrom pydantic import EmailStr\n",
    "plugins/b.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """PROJECT, its files dated back: a state younger than 2 s is never stored."""
    root = build_file_tree(tmp_path / "api", PROJECT)
    past = time.time() - 60
    for path in root.rglob("*"):
        os.utime(path, (past, past), follow_symlinks=False)
    return root


def plan(root: Path, store: FactStore | None = None) -> Plan:
    return check_project(Settings(project_dir=root), store)


def edit(root: Path, rel: str, text: str) -> None:
    """Rewrite a module with other contents of another size, dated back as an editor restoring times might."""
    path = root / rel
    old = path.stat()
    assert len(text.encode()) != old.st_size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns - 10_000_000_000))


def codes(result: Plan, *wanted: str) -> list[tuple[str, str | None, int | None]]:
    return [(f.code, f.path, f.line) for f in result.findings if f.code in wanted]


def test_the_fixture_exercises_every_step(project: Path) -> None:
    result = plan(project)
    added = {f.message.split(",")[0] for f in result.findings if f.code == "SP215"}
    assert added == {
        "db.py:13 has a database URL with the aiosqlite driver (SQLAlchemy imports it)",
        "db.py:17 imports httpx",
        "main.py:3 uses fastapi's Form (FastAPI imports python_multipart for form data)",
    }
    assert codes(result, "SP216") == [("SP216", "config.py", 1)]
    # Loaded by string only: a warning, never inferred; the type-only and guarded imports are no finding.
    assert codes(result, "SP214", "SP203") == [("SP214", "plugins/a.py", 1)]
    assert "boto3" not in json.dumps(result.to_json()) and "ujson" not in json.dumps(result.to_json())


@pytest.mark.parametrize("which", ["fixture", "example"])
def test_cold_first_and_warm_plans_are_identical(project: Path, tmp_path: Path, which: str) -> None:
    root = project if which == "fixture" else EXAMPLE_BACKEND
    store = FactStore(tmp_path / "cache")
    cold = plan(root).to_json()
    assert plan(root, store).to_json() == cold
    warm_facts: list[ModuleFacts] = []
    original = ProjectIndex.__init__

    def keep(self: ProjectIndex, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        warm_facts.append(self.facts)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ProjectIndex, "__init__", keep)
        assert plan(root, store).to_json() == cold
    assert warm_facts[0].reused > 0 and warm_facts[0].computed == 0  # really warm: every fact came from the store


def test_a_changed_database_url_changes_the_added_driver(project: Path, tmp_path: Path) -> None:
    root, store = project, FactStore(tmp_path / "cache")
    assert plan(root, store).dependencies.added == ("aiosqlite", "httpx", "python-multipart", "pydantic<2")
    text = (root / "db.py").read_text().replace("sqlite+aiosqlite:///./app.db", "postgresql+asyncpg://db/app")
    edit(root, "db.py", text)
    warm = plan(root, store)
    assert warm.dependencies.added == ("asyncpg", "httpx", "python-multipart", "pydantic<2")
    assert warm.to_json() == plan(root).to_json()


def test_settings_moved_to_pydantic_settings_drop_the_v1_bound(project: Path, tmp_path: Path) -> None:
    root, store = project, FactStore(tmp_path / "cache")
    assert "pydantic<2" in plan(root, store).dependencies.requirements
    edit(root, "config.py", (root / "config.py").read_text().replace("pydantic import", "pydantic_settings import"))
    warm = plan(root, store)
    assert codes(warm, "SP216") == [] and "pydantic<2" not in warm.dependencies.requirements
    assert warm.to_json() == plan(root).to_json()


def test_imports_changed_in_one_module_show_in_the_warm_plan(project: Path, tmp_path: Path) -> None:
    root, store = project, FactStore(tmp_path / "cache")
    assert "ujson" not in plan(root, store).dependencies.requirements
    # The guard goes, a lazy import moves, a type-only import becomes real: three sites change at once.
    text = (root / "db.py").read_text()
    text = text.replace("except ImportError:", "except KeyError:").replace("if TYPE_CHECKING:", "if True:")
    edit(root, "db.py", text.replace("    import httpx\n", "    import orjson\n"))
    warm = plan(root, store)
    assert {"ujson", "boto3", "orjson"} <= set(warm.dependencies.added) and "httpx" not in warm.dependencies.added
    # The EmailStr of a module the app loads by string is never inferred; once main imports it, it is.
    edit(root, "main.py", (root / "main.py").read_text().replace("import db\n", "import db\nimport plugins.a\n"))
    again = plan(root, store)
    assert {"email-validator", "PyYAML"} <= set(again.dependencies.added)
    assert again.to_json() == plan(root).to_json()


def test_a_module_that_stops_parsing_leaves_the_steps(project: Path, tmp_path: Path) -> None:
    root, store = project, FactStore(tmp_path / "cache")
    assert codes(plan(root, store), "SP216")
    edit(root, "config.py", "from pydantic import BaseSettings\nclass Settings(BaseSettings)\n")
    warm = plan(root, store)
    assert codes(warm, "SP216") == [] and warm.to_json() == plan(root).to_json()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """(module, step file) for every read or parse of a module from the dependency steps' files."""
    seen: list[tuple[str, str]] = []
    ours = ("check/deps.py", "check/pydantic_v1.py", "check/import_names.py")

    def record(key: str) -> None:
        for frame in traceback.extract_stack()[:-2]:
            if frame.filename.replace(os.sep, "/").endswith(ours):
                seen.append((key, frame.filename.replace(os.sep, "/").rsplit("/", 1)[-1]))

    lookup, raw = tree._LazyModules.__getitem__, tree._LazyModules.raw

    def counted_lookup(self: tree._LazyModules, key: str) -> tree.PythonModule:
        record(key)
        return lookup(self, key)

    def counted_raw(self: tree._LazyModules, key: str) -> bytes | None:
        record(key)
        return raw(self, key)

    monkeypatch.setattr(tree._LazyModules, "__getitem__", counted_lookup)
    monkeypatch.setattr(tree._LazyModules, "raw", counted_raw)
    yield seen


def test_a_warm_check_reads_only_the_changed_module_for_these_steps(
    project: Path, tmp_path: Path, reads: list[tuple[str, str]]
) -> None:
    root, store = project, FactStore(tmp_path / "cache")
    cold = plan(root, store)
    assert {path for path, _ in reads} == {
        "main.py",
        "config.py",
        "db.py",
        "plugins/__init__.py",
        "plugins/a.py",
        "plugins/b.py",
    }
    reads.clear()
    edit(root, "plugins/b.py", (root / "plugins/b.py").read_text() + "import yaml\n")
    warm = plan(root, store)
    assert {path for path, _ in reads} == {"plugins/b.py"}
    assert codes(warm, "SP214") == [*codes(cold, "SP214"), ("SP214", "plugins/b.py", 4)]
    assert warm.to_json() == plan(root).to_json()


def test_the_facts_decode_to_what_the_syntax_tree_gives(tmp_path: Path) -> None:
    build_file_tree(tmp_path, PROJECT)
    cold = ProjectIndex(tree.load_tree(tmp_path))
    for path in ("main.py", "config.py", "db.py", "plugins/a.py"):
        module = cold.tree.python[path].tree
        assert module is not None
        facts = ModuleFacts()
        index = ProjectIndex(cold.tree, facts)
        assert _import_sites(index, path) == list(iter_imports(module))
        assert _module_uses(index, path) == list(_uses_in(path, module))
        stored = facts._facts[path]
        assert json.loads(json.dumps(stored)) == stored  # JSON's own types: the next run decodes the same
        again = ProjectIndex(cold.tree, ModuleFacts(known={path: stored}))
        assert _import_sites(again, path) == _import_sites(index, path)
        assert _implied_in(again, path) == _implied_in(index, path)
        assert _module_uses(again, path) == _module_uses(index, path)
    db_sites = {(site.module, site.optional) for site in _import_sites(ProjectIndex(cold.tree), "db.py")}
    assert ("ujson", True) in db_sites and ("httpx", False) in db_sites and "boto3" not in {m for m, _ in db_sites}
