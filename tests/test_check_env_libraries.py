"""Env vars read through the config objects of python-decouple, starlette and environs."""

from __future__ import annotations

from pathlib import Path

from spacepack.check.envvars import scan_env
from spacepack.check.tree import load_tree
from spacepack.database import DatabaseChoice, choose_database, guess_database
from spacepack.plan import Dependencies
from tests.helpers import build_file_tree, plan_for


def scan(tmp_path: Path, spec: dict[str, str]):
    build_file_tree(tmp_path, spec)
    report = scan_env(load_tree(tmp_path), ".")
    return report, {e.name: e for e in report.env}


def test_decouple_config_through_every_spelling(tmp_path: Path) -> None:
    report, env = scan(
        tmp_path,
        {
            "main.py": """\
                import decouple
                from decouple import config, AutoConfig, Config, RepositoryEnv, Csv
                from decouple import config as cfg

                SECRET_KEY = config("SECRET_KEY")
                DEBUG = config("DEBUG", default=False, cast=bool)
                HOSTS = config("HOSTS", cast=Csv(), default=None)
                NAME = cfg("APP_NAME", "todo")
                PORT = decouple.config("DB_PORT", cast=int)
                auto = AutoConfig(search_path=".")
                REDIS = auto("REDIS_URL")
                repo = Config(RepositoryEnv(".env"))
                TOKEN = repo("API_TOKEN", default="")

                def later():
                    return config("LATER"), config(name_known_at_run_time)
                """
        },
    )
    assert list(env) == ["API_TOKEN", "APP_NAME", "DB_PORT", "DEBUG", "HOSTS", "LATER", "REDIS_URL", "SECRET_KEY"]
    assert {n for n, e in env.items() if e.required} == {"DB_PORT", "LATER", "REDIS_URL", "SECRET_KEY"}
    assert env["SECRET_KEY"].at_import and env["SECRET_KEY"].where == ("main.py:5",)
    assert not env["LATER"].at_import
    sp301 = [f for f in report.findings if f.code == "SP301"]
    assert len(sp301) == 1 and "DB_PORT, REDIS_URL, SECRET_KEY" in sp301[0].message
    assert {r.name: r.default for r in report.reads}["APP_NAME"] == "todo"


def test_starlette_config_default_is_the_third_positional_or_a_keyword(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "settings.py": """\
                import starlette.config
                from starlette.config import Config
                from starlette.datastructures import Secret

                try:
                    config = Config(".env")
                except FileNotFoundError:
                    config = Config()
                other = starlette.config.Config(env_file=".env.local")

                DATABASE_URL = config("DATABASE_URL", cast=Secret)
                DEBUG = config("DEBUG", bool, False)
                LOG_LEVEL = config("LOG_LEVEL", default=None)
                REDIS_URL = other("REDIS_URL", str)

                class Limits:
                    RATE = config("RATE_LIMIT", cast=int)

                async def handler():
                    return config("HANDLER_ONLY")
                """
        },
    )
    assert list(env) == ["DATABASE_URL", "DEBUG", "HANDLER_ONLY", "LOG_LEVEL", "RATE_LIMIT", "REDIS_URL"]
    assert {n for n, e in env.items() if e.required} == {"DATABASE_URL", "HANDLER_ONLY", "RATE_LIMIT", "REDIS_URL"}
    at_import = {n for n, e in env.items() if e.at_import}
    assert at_import == {"DATABASE_URL", "DEBUG", "LOG_LEVEL", "RATE_LIMIT", "REDIS_URL"}


def test_environs_typed_parsers_and_read_env(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "main.py": """\
                import environs
                from environs import Env

                env = Env()
                env.read_env()
                other = environs.Env(expand_vars=True)

                SECRET = env("SECRET")
                NAME = env.str("APP_NAME", "todo")
                WORKERS = env.int("WORKERS", default=2)
                DEBUG = env.bool("DEBUG", False)
                RATE = env.float("RATE")
                HOSTS = env.list("HOSTS", subcast=str)
                EXTRA = env.dict("EXTRA", default={})
                BLOB = env.json("BLOB", None)
                SITE = env.url("SITE_URL")
                DATA = other.path("DATA_DIR")
                DB = env.dj_db_url("DATABASE_URL")
                env.dump()

                def later():
                    return env.str("LATER")
                """
        },
    )
    assert list(env) == [
        "APP_NAME",
        "BLOB",
        "DATABASE_URL",
        "DATA_DIR",
        "DEBUG",
        "EXTRA",
        "HOSTS",
        "LATER",
        "RATE",
        "SECRET",
        "SITE_URL",
        "WORKERS",
    ]
    required = {n for n, e in env.items() if e.required}
    assert required == {"DATABASE_URL", "DATA_DIR", "HOSTS", "LATER", "RATE", "SECRET", "SITE_URL"}
    assert not env["LATER"].at_import and env["SECRET"].at_import


def test_environs_prefixed_blocks_prefix_the_names_they_read(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "main.py": """\
                from environs import Env

                env = Env()
                with env.prefixed("APP_"):
                    NAME = env.str("NAME", "todo")
                    with env.prefixed("DB_"):
                        URL = env("URL")
                PLAIN = env.str("PLAIN")
                """
        },
    )
    assert list(env) == ["APP_DB_URL", "APP_NAME", "PLAIN"]
    assert {n for n, e in env.items() if e.required} == {"APP_DB_URL", "PLAIN"}


def test_unrelated_functions_and_names_called_config_or_env_do_not_count(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "main.py": """\
                from starlette.config import Config
                from decouple import config as decouple_config

                def config(name, default=None):
                    return {"A": 1}.get(name, default)

                env = {"x": 1}.get
                settings = Config(".env")
                maybe = Config(".env")
                maybe = dict(x=1)

                A = config("NOT_AN_ENV_VAR")
                B = env("NOT_EITHER")
                C = maybe("REBOUND")
                D = unknown("UNKNOWN")
                E = settings.get("NOT_A_CALL_OF_THE_OBJECT")

                def handler(settings, decouple_config):
                    return settings("A_PARAMETER"), decouple_config("ALSO_A_PARAMETER")

                def shadowed():
                    settings = make()
                    return settings("A_LOCAL")

                class Thing:
                    def config(self, name):
                        return name

                    def use(self):
                        return self.config("A_METHOD")
                """
        },
    )
    assert env == {}


def test_an_instance_exported_by_a_project_module(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/core/settings.py": """\
                from starlette.config import Config
                from environs import Env

                config = Config(".env")
                env = Env()

                def helper(name):
                    return name
                """,
            "app/db.py": """\
                from app.core.settings import config, helper
                from app.core import settings
                from .core.settings import env as project_env

                DATABASE_URL = config("DATABASE_URL")
                ECHO = settings.config("DB_ECHO", cast=bool, default=False)
                POOL = project_env.int("POOL_SIZE")
                NOT_ONE = helper("NOT_AN_ENV_VAR")

                def connect():
                    return settings.env.str("CONNECT_TIMEOUT", "5")
                """,
            "main.py": """\
                from app import db
                """,
        },
    )
    assert list(env) == ["CONNECT_TIMEOUT", "DATABASE_URL", "DB_ECHO", "POOL_SIZE"]
    assert {n for n, e in env.items() if e.required} == {"DATABASE_URL", "POOL_SIZE"}
    assert env["DATABASE_URL"].where == ("app/db.py:5",) and env["DATABASE_URL"].at_import
    assert not env["CONNECT_TIMEOUT"].at_import


def test_a_required_database_url_read_through_starlette_starts_the_throwaway_postgres(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "setting.py": """\
                from starlette.config import Config
                from starlette.datastructures import Secret

                config = Config(".env")
                DATABASE_URL = config("DATABASE_URL", cast=Secret)
                """,
        },
    )
    plan = plan_for(
        tmp_path,
        dependencies=Dependencies(packages=("fastapi", "sqlmodel", "psycopg", "psycopg-binary")),
        env=tuple(env.values()),
    )
    need = guess_database(plan)
    assert need.url_vars == ("DATABASE_URL",) and need.required and need.wants_sidecar
    assert need.scheme == "postgresql+psycopg"
    database = choose_database(need, DatabaseChoice(), {})
    assert database is not None and database.sidecar
    # A URL that points at localhost can't be reached from the smoke container: the sidecar replaces it.
    database = choose_database(need, DatabaseChoice(), {"DATABASE_URL": "postgresql://u:p@localhost:5432/todo"})
    assert database is not None and database.sidecar
