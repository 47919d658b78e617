"""The text tests that let `check` skip work on modules that cannot matter, against the full work.

A route module of a large backend reads no env var, declares no class, guards no import and
names no secret. `check` sees that from its text and skips the walk that would find nothing:
the env scan of a *silent* module, the class search of a module without `class`, the guarded
import walk of a module without `try`, the case-blind secret-word pattern on ASCII text.
Each test here checks a plan with the shortcuts against the plan without them, on a project
built to catch a shortcut taken when it must not be.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import spacepack.check.deps as deps
import spacepack.check.envvars as envvars
import spacepack.check.hygiene as hygiene
from spacepack.check import check_project
from spacepack.check.facts import FactStore
from spacepack.check.pyast import iter_statements, statement_children
from spacepack.config import load_settings
from spacepack.plan import Plan
from tests.helpers import ROUTE_MODULE, age_tree, build_file_tree

ROUTE = ROUTE_MODULE
CONFIG = """
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str
"""
MAIN = """
from fastapi import FastAPI

from app import routes

app = FastAPI()
app.include_router(routes.router)


@app.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
"""


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    base = {
        "requirements.txt": "fastapi\nuvicorn\npydantic-settings\n",
        "app/__init__.py": "",
        "app/main.py": MAIN,
        "app/routes.py": ROUTE,
    }
    root = build_file_tree(tmp_path / "api", {**base, **files})
    age_tree(root)
    return root


def _without_shortcuts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envvars, "_reads_nothing", lambda shared, path: False)
    monkeypatch.setattr(envvars, "_names_no_class", lambda source: False)
    monkeypatch.setattr(deps, "_no_guarded_imports", lambda source: False)
    monkeypatch.setattr(hygiene, "_secretish", lambda text: hygiene._SECRETISH_TEXT.search(text) is not None)


def _plan(root: Path) -> Plan:
    """The plan with the shortcuts, which must equal the plan without them."""
    fast = check_project(load_settings(root))
    with pytest.MonkeyPatch.context() as patch:
        _without_shortcuts(patch)
        full = check_project(load_settings(root))
    assert fast.to_json() == full.to_json()
    return fast


def _env_names(plan: Plan) -> dict[str, bool]:
    """Env var name -> read while the app is imported."""
    return {var.name: var.at_import for var in plan.env}


def test_a_settings_factory_in_a_module_with_no_env_word_still_builds_the_settings(tmp_path: Path) -> None:
    # Neither module names an env function: the factory is found by the settings class name it shows,
    # and the call at import by the factory name.
    root = _project(
        tmp_path,
        {
            "app/config.py": CONFIG,
            "app/deps.py": "from app.config import Settings\n\n\ndef get_settings():\n    return Settings()\n",
            "app/routes.py": ROUTE + "\nfrom app.deps import get_settings\n\nsettings = get_settings()\n",
        },
    )
    plan = _plan(root)
    assert _env_names(plan) == {"DATABASE_URL": True}
    assert "SP301" in {f.code for f in plan.findings}


def test_a_settings_factory_called_through_a_normalised_name_is_seen(tmp_path: Path) -> None:
    # Python reads `ｇｅｔ_settings` as `get_settings` (identifiers are NFKC-normalised): text that is not
    # ASCII never counts as silent.
    root = _project(
        tmp_path,
        {
            "app/config.py": CONFIG + "\n\ndef get_settings():\n    return Settings()\n",
            "app/routes.py": ROUTE + "\nfrom app import config\n\nsettings = config.ｇｅｔ_settings()\n",
        },
    )
    assert _env_names(_plan(root)) == {"DATABASE_URL": True}


def test_a_settings_class_that_is_never_built_at_import_stays_read_later(tmp_path: Path) -> None:
    root = _project(tmp_path, {"app/config.py": CONFIG})
    assert _env_names(_plan(root)) == {"DATABASE_URL": False}


@pytest.mark.parametrize(
    ("literal", "folder"),
    [
        ("'sqlite:///./plain/app.db'", "plain"),
        ("'sq' 'lite:///./joined/app.db'", "joined"),
        ("('sql'  # split\n    'ite:///./split/app.db')", "split"),
        ("'\\x73qlite:///./escaped/app.db'", "escaped"),
        ("'s\\\nqlite:///./continued/app.db'", "continued"),
    ],
)
def test_a_sqlite_url_is_found_however_it_is_spelled(tmp_path: Path, literal: str, folder: str) -> None:
    root = build_file_tree(
        tmp_path / "api",
        {"requirements.txt": "fastapi\n", "main.py": ROUTE + f"\nDATABASE = {literal}\n"},
        dedent=False,
    )
    age_tree(root)
    assert folder in _plan(root).writable_dirs


def test_a_config_object_imported_from_another_module_is_read_through(tmp_path: Path) -> None:
    # The route module names no env word; the config object it calls is bound in another module.
    root = _project(
        tmp_path,
        {
            "app/conf.py": "from starlette.config import Config\n\nconfig = Config('.env')\n",
            "app/routes.py": ROUTE + "\nfrom app.conf import config\n\nLIMIT = config('ROUTE_LIMIT')\n",
        },
    )
    assert _env_names(_plan(root)) == {"ROUTE_LIMIT": True}


def test_a_subclass_of_another_modules_settings_class_is_scanned(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "app/config.py": CONFIG,
            "app/routes.py": ROUTE + "\nfrom app.config import Settings\n\n\nclass More(Settings):\n"
            "    api_token: str\n\n\nmore = More()\n",
        },
    )
    env = _env_names(_plan(root))
    assert env["API_TOKEN"] is True
    assert "DATABASE_URL" in env


@pytest.mark.parametrize(
    ("guarded", "left_out"),
    [
        ("try:\n    import ujson\nexcept ImportError:\n    ujson = None\n", "ujson"),  # the module copes without it
        ("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import boto3\n", "boto3"),  # type checker only
    ],
)
def test_guarded_and_type_checking_imports_keep_their_meaning(tmp_path: Path, guarded: str, left_out: str) -> None:
    root = _project(tmp_path, {"app/routes.py": ROUTE + guarded + "import orjson\n"})  # a module the app loads
    plan = _plan(root)
    messages = " ".join(f.message for f in plan.findings)
    assert "orjson" in messages  # a plain import nothing declares: the shortcut still reports it
    assert left_out not in messages
    assert plan.dependencies.added == ("orjson",)


def test_silent_modules_are_not_walked_by_the_env_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    routes = {f"app/r{n}.py": ROUTE for n in range(20)}
    root = _project(
        tmp_path,
        {
            **routes,
            "app/config.py": CONFIG,
            "app/reader.py": "import os\n\nLEVEL = os.getenv('LOG_LEVEL', 'info')\n",
        },
    )
    walked: Counter[str] = Counter()
    run = envvars._Scanner.run

    def counting(self: envvars._Scanner, source: str | None = None) -> envvars._ModuleScan:
        walked[self.path] += 1
        return run(self, source)

    monkeypatch.setattr(envvars._Scanner, "run", counting)
    plan = check_project(load_settings(root))
    assert {var.name for var in plan.env} == {"DATABASE_URL", "LOG_LEVEL"}
    # app/main.py and app/routes.py show "routes"... but no env word and no settings class name.
    assert set(walked) == {"app/config.py", "app/reader.py"}


def test_a_route_module_that_starts_reading_env_shows_on_the_warm_check(tmp_path: Path) -> None:
    routes = {f"app/r{n}.py": ROUTE for n in range(5)}
    root = _project(tmp_path, {**routes, "app/config.py": CONFIG})
    store = FactStore(tmp_path / "cache")
    for _ in range(2):  # the first check keeps the facts, the second uses them
        assert check_project(load_settings(root), store).to_json() == _plan(root).to_json()
    edits = {  # app/routes.py is loaded by the app, the r*.py modules are not
        "app/routes.py": ROUTE + "\nimport os\nfrom app.config import Settings\n\nTIMEOUT = os.environ['TIMEOUT']\n"
        "settings = Settings()\n",
        "app/r3.py": ROUTE + "\nDB = 'sq' 'lite:///./warm/app.db'\n",
    }
    build_file_tree(root, edits)
    age_tree(root)
    warm = check_project(load_settings(root), store)
    assert warm.to_json() == _plan(root).to_json()
    assert _env_names(warm) == {"DATABASE_URL": True, "TIMEOUT": True}
    assert "warm" in warm.writable_dirs


@pytest.mark.parametrize(
    "text",
    ["API_KEY = 1", "x = 'no such word'", "ſecret = 1", "\u212aey = 2", "Ünicode but plain", "TOKEN", "dsn", "URI"],
)
def test_the_secret_word_test_matches_the_case_blind_pattern(text: str) -> None:
    assert hygiene._secretish(text) == (hygiene._SECRETISH_TEXT.search(text) is not None)


MANY_STATEMENTS = """
import a
async def f():
    async with x as y:
        import b
    async for i in y:
        pass
    else:
        import c
class K:
    def m(self):
        while True:
            try:
                import d
            except* E:
                import e
            else:
                pass
            finally:
                import f
        try:
            import i
        except ImportError:
            import j
match v:
    case 1:
        import g
    case _:
        with z:
            import h
"""


def _every_statement(module: ast.Module) -> Iterator[ast.stmt]:
    """The walk before leaf statements were skipped: each statement's children looked up."""
    stack: list[ast.stmt] = list(reversed(module.body))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(statement_children(node))))


def test_iter_statements_visits_every_statement_in_order() -> None:
    module = ast.parse(MANY_STATEMENTS)
    assert [id(n) for n in iter_statements(module)] == [id(n) for n in _every_statement(module)]
    imported = [n.names[0].name for n in iter_statements(module) if isinstance(n, ast.Import)]
    assert sorted(imported) == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
