"""The env scan from kept module facts: a warm check scans only what changed, and sees every cross-module change.

A module's scan is kept when it needs nothing beyond the module (and the names of the
project's settings classes); a scan that looks into another module (a settings class it
subclasses, a nested model, a config object it imports) is done again on every check.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest

from spacepack.check import check_project
from spacepack.check.envvars import EnvReport, scan_env
from spacepack.check.facts import FactStore
from spacepack.check.pyast import ProjectIndex, app_code
from spacepack.check.tree import load_tree
from spacepack.config import load_settings
from spacepack.plan import EnvVar, Plan
from tests.helpers import ROUTE_MODULE, age_tree, build_file_tree

ROUTE = ROUTE_MODULE
MAIN = """
from fastapi import FastAPI

from app.config import Settings
from app.routes import a, b

settings = Settings()
app = FastAPI()
app.include_router(a.router)
app.include_router(b.router)


@app.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
"""
CONFIG = """
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str
    debug: bool = False
"""


def _edit(root: Path, rel: str, text: str) -> None:
    """Rewrite one module (its size changes with the text) and date it back so its new state is kept.

    Only that file is touched: every other module keeps its state, so its facts are reused.
    """
    build_file_tree(root, {rel: text})
    past = time.time() - 30
    os.utime(root / rel, (past, past))


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = build_file_tree(tmp_path / "api", {"requirements.txt": "fastapi\nuvicorn\npydantic-settings\n", **files})
    age_tree(root)
    return root


def _plans(root: Path, store: FactStore) -> Plan:
    """A check with the store, which must plan exactly what a check without kept facts plans."""
    kept = check_project(load_settings(root), store)
    assert kept.to_json() == check_project(load_settings(root)).to_json()
    return kept


def _env(plan: Plan) -> dict[str, EnvVar]:
    return {var.name: var for var in plan.env}


def _env_scan(root: Path, store: FactStore) -> EnvReport:
    """The env scan alone over the project's modules, with the store's facts (kept for the next scan)."""
    tree = load_tree(root)
    facts = store.open(root.resolve(), tree.python_states)
    report = scan_env(tree, ".", app_code(ProjectIndex(tree, facts), "."))
    store.save(root.resolve(), facts)
    return report


def _warm(tmp_path: Path, files: dict[str, str]) -> tuple[Path, FactStore, Plan]:
    """A project checked once with a store (cold and first plans equal), then its warm plan (equal too)."""
    root = _project(tmp_path, files)
    store = FactStore(tmp_path / "cache")
    first = _plans(root, store)
    warm = _plans(root, store)
    assert first.to_json() == warm.to_json()
    return root, store, warm


BASE_FILES = {
    "app/__init__.py": "",
    "app/main.py": MAIN,
    "app/config.py": CONFIG,
    "app/routes/__init__.py": "",
    "app/routes/a.py": ROUTE,
    "app/routes/b.py": ROUTE.replace("/items", "/others"),
}


def test_a_warm_env_scan_parses_only_the_modules_whose_scan_looks_elsewhere(
    tmp_path: Path, parses: Counter[str]
) -> None:
    root = _project(tmp_path, BASE_FILES)
    store = FactStore(tmp_path / "cache")
    cold = _env_scan(root, store)
    parses.clear()
    warm = _env_scan(root, store)
    assert warm == cold
    # main.py calls `Settings()`, imported from a project module: no module imports a config library, so
    # it is no config object and main.py's scan is kept too.
    assert not parses
    assert {var.name for var in warm.env} == {"DATABASE_URL", "DEBUG"}


def test_a_settings_class_of_one_module_built_at_import_by_another(tmp_path: Path) -> None:
    root, store, warm = _warm(tmp_path, BASE_FILES)
    assert _env(warm)["DATABASE_URL"].required and _env(warm)["DATABASE_URL"].at_import
    assert any(f.code == "SP301" and "DATABASE_URL" in f.message for f in warm.findings)
    # The class gains a field: config.py changed, main.py did not.
    _edit(root, "app/config.py", CONFIG + "    api_token: str\n")
    env = _env(_plans(root, store))
    assert env["API_TOKEN"].required and env["API_TOKEN"].at_import
    # main.py stops building it at import: config.py is unchanged, its fields are no longer read at start-up.
    _edit(root, "app/main.py", MAIN.replace("settings = Settings()\n", ""))
    plan = _plans(root, store)
    assert not _env(plan)["API_TOKEN"].at_import and not _env(plan)["DATABASE_URL"].at_import
    assert not any(f.code == "SP301" for f in plan.findings)


SUBCLASS_BASE = """
from pydantic_settings import BaseSettings, SettingsConfigDict


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_")
"""
SUBCLASS = """
from app.base import AppSettings


class Settings(AppSettings):
    token: str
"""


def test_a_subclass_in_another_module_follows_its_base_class(tmp_path: Path) -> None:
    files = {
        **BASE_FILES,
        "app/base.py": SUBCLASS_BASE,
        "app/config.py": SUBCLASS,
    }
    root, store, warm = _warm(tmp_path, files)
    assert _env(warm)["APP_TOKEN"].required and _env(warm)["APP_TOKEN"].at_import
    # The base's prefix changes: config.py is unchanged, its field is now read under the new prefix.
    _edit(root, "app/base.py", SUBCLASS_BASE.replace('"APP_"', '"SVC_"'))
    env = _env(_plans(root, store))
    assert "SVC_TOKEN" in env and "APP_TOKEN" not in env
    # The base is no longer a settings class: neither is its subclass, so nothing reads TOKEN.
    _edit(root, "app/base.py", "from pydantic import BaseModel\n\n\nclass AppSettings(BaseModel):\n    pass\n")
    env = _env(_plans(root, store))
    assert not any(name.endswith("TOKEN") for name in env)


def test_a_class_becomes_a_settings_class_when_its_base_in_another_module_does(tmp_path: Path) -> None:
    # config.py alone says nothing about env vars; whether `Settings` is a settings class is base.py's to say.
    files = {
        **BASE_FILES,
        "app/base.py": "class AppSettings:\n    pass\n",
        "app/config.py": SUBCLASS,
    }
    root, store, warm = _warm(tmp_path, files)
    assert "TOKEN" not in _env(warm) and "APP_TOKEN" not in _env(warm)
    _edit(root, "app/base.py", SUBCLASS_BASE)
    env = _env(_plans(root, store))
    assert env["APP_TOKEN"].required and env["APP_TOKEN"].at_import


CONFIG_OBJECT = """
from starlette.config import Config

config = Config(".env")
"""
READS_CONFIG = """
from fastapi import FastAPI

from app.settings import config

SECRET_KEY = config("SECRET_KEY")
LOG_LEVEL = config("LOG_LEVEL", default="info")
app = FastAPI()
"""


def test_a_config_object_imported_from_a_project_module(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/settings.py": CONFIG_OBJECT, "app/main.py": READS_CONFIG}
    root, store, warm = _warm(tmp_path, files)
    assert _env(warm)["SECRET_KEY"].required and _env(warm)["SECRET_KEY"].at_import
    assert not _env(warm)["LOG_LEVEL"].required
    # `config` is no longer starlette's object: main.py is unchanged, its calls read nothing any more.
    _edit(root, "app/settings.py", "def config(name: str, default: str = '') -> str:\n    return default\n")
    env = _env(_plans(root, store))
    assert "SECRET_KEY" not in env and "LOG_LEVEL" not in env


HELPERS = """
def config(name: str, default: str = "") -> str:
    return default
"""


def test_a_config_library_imported_anywhere_makes_unchanged_callers_look_again(
    tmp_path: Path, parses: Counter[str]
) -> None:
    # `config` is a plain function and no module imports a config library: main.py's scan is kept...
    files = {"app/__init__.py": "", "app/settings.py": HELPERS, "app/main.py": READS_CONFIG}
    root, store, warm = _warm(tmp_path, files)
    assert "SECRET_KEY" not in _env(warm)
    parses.clear()
    _env_scan(root, store)
    assert not parses
    # ...until settings.py builds starlette's config object under that name: main.py is unchanged.
    _edit(root, "app/settings.py", CONFIG_OBJECT)
    parses.clear()
    report = _env_scan(root, store)
    assert parses["app/main.py"] == 1
    assert next(var for var in report.env if var.name == "SECRET_KEY").required
    env = _env(_plans(root, store))
    assert env["SECRET_KEY"].required and env["SECRET_KEY"].at_import


@pytest.mark.parametrize(
    ("module", "settings_file"), [("app.settings", "app/settings.py"), ("settings", "settings.py")]
)
def test_a_config_module_that_appears_later_is_seen_by_the_unchanged_importer(
    tmp_path: Path, module: str, settings_file: str
) -> None:
    # While the settings module does not exist, main.py imports no project module and its scan is kept.
    files = {"app/__init__.py": "", "app/main.py": READS_CONFIG.replace("app.settings", module)}
    root, store, warm = _warm(tmp_path, files)
    assert "SECRET_KEY" not in _env(warm)
    _edit(root, settings_file, CONFIG_OBJECT)
    env = _env(_plans(root, store))
    assert env["SECRET_KEY"].required and env["SECRET_KEY"].at_import


MODELS = """
from pydantic import BaseModel


class Database(BaseModel):
    url: str
    echo: bool = False
"""
NESTED_CONFIG = """
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.models import Database


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_nested_delimiter="__")
    db: Database
"""


def test_a_nested_model_in_another_module(tmp_path: Path) -> None:
    files = {**BASE_FILES, "app/models.py": MODELS, "app/config.py": NESTED_CONFIG}
    root, store, warm = _warm(tmp_path, files)
    assert {name for name in _env(warm) if name.startswith("DB__")} == {"DB__URL", "DB__ECHO"}
    assert _env(warm)["DB__URL"].group == "DB"
    # The model gains a required field: config.py is unchanged, the new leaf is read and required.
    _edit(root, "app/models.py", MODELS + "    pool: int\n")
    env = _env(_plans(root, store))
    assert env["DB__POOL"].required and env["DB__POOL"].at_import
    # The model is no longer a pydantic model: the field is one variable again.
    _edit(root, "app/models.py", "class Database:\n    url: str\n")
    env = _env(_plans(root, store))
    assert "DB" in env and not any(name.startswith("DB__") for name in env)


def test_an_edited_self_contained_module_is_scanned_again(tmp_path: Path, parses: Counter[str]) -> None:
    root, store, _ = _warm(tmp_path, BASE_FILES)
    route = ROUTE.replace("router = APIRouter()", 'router = APIRouter()\nTIMEOUT = os.getenv("ROUTE_TIMEOUT")')
    _edit(root, "app/routes/a.py", "import os\n" + route)
    parses.clear()
    report = _env_scan(root, store)
    assert parses["app/routes/a.py"] == 1 and "app/routes/b.py" not in parses
    timeout = next(var for var in report.env if var.name == "ROUTE_TIMEOUT")
    assert timeout.required and timeout.where[0].startswith("app/routes/a.py:")
    env = _env(_plans(root, store))
    assert env["ROUTE_TIMEOUT"].required and env["ROUTE_TIMEOUT"].at_import


def test_settings_classes_that_inherit_in_a_cycle_do_not_crash_the_check(tmp_path: Path) -> None:
    cycle = """
    from pydantic_settings import BaseSettings


    class First(BaseSettings, Second):
        api_key: str


    class Second(First):
        region: str = "eu"


    settings = Second()
    """
    root, _store, warm = _warm(tmp_path, {"app/__init__.py": "", "app/config.py": cycle, "app/main.py": MAIN})
    assert {"API_KEY", "REGION"} <= set(_env(warm))
    assert _env(warm)["API_KEY"].required
