"""Env vars the code reads, and the folders it writes."""

from __future__ import annotations

from pathlib import Path

from spacepack.check.envvars import scan_env
from spacepack.check.tree import load_tree
from tests.helpers import build_file_tree


def scan(tmp_path: Path, spec: dict[str, str], backend: str = "."):
    build_file_tree(tmp_path, spec)
    report = scan_env(load_tree(tmp_path), backend)
    return report, {e.name: e for e in report.env}


def test_os_reads_through_every_spelling(tmp_path: Path) -> None:
    report, env = scan(
        tmp_path,
        {
            "main.py": """\
                import os
                import os as o
                from os import environ, getenv
                from os import environ as ENV
                A = os.getenv("A")
                B = os.environ.get("B", "x")
                C = os.environ["C"]
                D = environ.get("D")
                E = getenv("E", default="1")
                F = ENV["F"]
                G = o.environ.setdefault("G", "v")
                H = os.getenv("H", None)

                def later():
                    return os.environ["LATER"], os.getenv(name_from_elsewhere)
                """
        },
    )
    assert list(env) == ["A", "B", "C", "D", "E", "F", "G", "H", "LATER"]
    assert {n for n, e in env.items() if e.required} == {"A", "C", "D", "F", "H", "LATER"}
    assert env["C"].where == ("main.py:7",) and env["C"].at_import
    assert not env["LATER"].at_import
    assert {n for n, e in env.items() if e.secret} == set()


def test_settings_class_with_prefix_alias_and_module_level_instance(tmp_path: Path) -> None:
    report, env = scan(
        tmp_path,
        {
            "app/config.py": """\
                from typing import ClassVar
                from pydantic import Field, AliasChoices
                from pydantic_settings import BaseSettings, SettingsConfigDict

                class Settings(BaseSettings):
                    model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env")
                    secret_key: str
                    debug: bool = False
                    database_url: str = "sqlite:///./data/app.db"
                    hf_token: str = Field(validation_alias="HF_TOKEN")
                    openai_api_key: str = Field(..., alias="OPENAI_API_KEY")
                    other: str = Field(validation_alias=AliasChoices("OTHER_NAME", "OTHER"))
                    items: list[str] = Field(default_factory=list)
                    version: ClassVar[str] = "1"
                    _private: int = 0

                class Old(BaseSettings):
                    token: str = "x"
                    class Config:
                        env_prefix = "OLD_"

                def get_settings():
                    return Settings()

                settings = get_settings()
                """,
        },
    )
    assert list(env) == [
        "APP_DATABASE_URL", "APP_DEBUG", "APP_ITEMS", "APP_SECRET_KEY", "HF_TOKEN", "OLD_TOKEN",
        "OPENAI_API_KEY", "OTHER_NAME",
    ]  # fmt: skip
    assert env["APP_SECRET_KEY"].required and env["APP_SECRET_KEY"].secret and env["APP_SECRET_KEY"].at_import
    assert env["HF_TOKEN"].required and env["OPENAI_API_KEY"].required
    assert not env["APP_ITEMS"].required and not env["APP_DEBUG"].required
    assert not env["OLD_TOKEN"].at_import  # Old() is never instantiated at import
    assert report.writable_dirs == ("data",)
    finding = report.findings[0]
    assert finding.code == "SP301"
    assert "APP_SECRET_KEY" in finding.message and "OTHER_NAME" in finding.message
    assert "APP_DEBUG" not in finding.message


def test_settings_instantiated_in_another_module_counts(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "config.py": "from pydantic_settings import BaseSettings\nclass Cfg(BaseSettings):\n    api_key: str\n",
            "main.py": "from config import Cfg\ncfg = Cfg()\n",
        },
    )
    assert env["API_KEY"].at_import


def test_case_sensitive_settings_keep_the_case(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "s.py": "from pydantic_settings import BaseSettings\nclass S(BaseSettings):\n"
            "    model_config = {'case_sensitive': True, 'env_prefix': 'my_'}\n    Name: str = 'a'\n"
        },
    )
    assert list(env) == ["my_Name"]


def test_env_example_entries_merge_with_code(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            ".env.example": "# comment\nSECRET_KEY=\nexport FEATURE_FLAG=on\n",
            "backend/main.py": 'import os\nKEY = os.environ["SECRET_KEY"]\n',
        },
        backend="backend",
    )
    assert env["SECRET_KEY"].where == (".env.example", "backend/main.py:2")
    assert env["SECRET_KEY"].required and env["SECRET_KEY"].secret
    assert not env["FEATURE_FLAG"].required and env["FEATURE_FLAG"].where == (".env.example",)


def test_main_guard_and_tests_are_not_at_import(tmp_path: Path) -> None:
    report, env = scan(
        tmp_path,
        {
            "main.py": 'import os\nif __name__ == "__main__":\n    PORT = int(os.environ["PORT"])\n'
            '    X = os.environ["ONLY_MAIN"]\n',
            "tests/test_main.py": 'import os\nos.environ["TEST_ONLY"]\n',
        },
    )
    assert "TEST_ONLY" not in env
    assert not env["ONLY_MAIN"].at_import
    assert report.findings == ()


def test_writable_dirs(tmp_path: Path) -> None:
    report, _ = scan(
        tmp_path,
        {
            "main.py": """\
                import os
                from pathlib import Path
                DB = os.getenv("DATABASE_URL", "sqlite+aiosqlite:///./db/app.sqlite")
                MEM = "sqlite:///:memory:"
                os.makedirs("uploads/tmp", exist_ok=True)
                Path("static/generated").mkdir(parents=True, exist_ok=True)
                os.environ["HF_HOME"] = "./cache/hf"
                CACHE = os.getenv("TRANSFORMERS_CACHE", "/data/cache")
                ABS = "sqlite:////data/abs.db"
                """
        },
    )
    assert report.writable_dirs == ("cache/hf", "db", "static/generated", "uploads/tmp", "/data", "/data/cache")


def test_reads_the_code_falls_back_from_are_optional(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "app/main.py": """\
                import os
                from os import environ

                DATABASE_URL = os.getenv("DATABASE_URL") or "sqlite:///./data/app.db"
                API_KEY = environ.get("API_KEY") or None
                BASE = os.getenv("BASE")
                if not BASE:
                    BASE = "http://localhost"
                MODEL = os.environ.get("MODEL")
                if MODEL is None:
                    MODEL = pick_default()
                REGION = os.getenv("REGION")
                REGION = REGION or "eu"
                DEBUG = os.getenv("DEBUG") == "1"
                if os.environ.get("RESET_DB"):
                    reset()
                QUIET = not os.getenv("QUIET")
                TOKEN = os.getenv("TOKEN")
                if not TOKEN:
                    raise RuntimeError("TOKEN is not set")
                NAME = os.getenv("NAME").lower()
                """
        },
    )
    optional = {"DATABASE_URL", "API_KEY", "BASE", "MODEL", "REGION", "DEBUG", "RESET_DB", "QUIET"}
    assert {n for n in optional if env[n].required} == set()
    assert all(env[n].at_import for n in optional)
    # The app refuses to start without these: they stay required.
    assert env["TOKEN"].required and env["NAME"].required


def test_a_fallback_literal_becomes_the_default_hygiene_sees(tmp_path: Path) -> None:
    from spacepack.check.hygiene import scan_hygiene

    build_file_tree(
        tmp_path,
        {
            "main.py": """\
                import os
                SECRET_KEY = os.getenv("SECRET_KEY") or "changethis"
                """
        },
    )
    report = scan_env(load_tree(tmp_path), ".")
    assert not report.env[0].required
    assert [r.default for r in report.reads] == ["changethis"]
    assert [f.code for f in scan_hygiene(load_tree(tmp_path), ".").findings] == ["SP312"]


def test_settings_fields_with_defaults_are_optional_and_without_required(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "app/config.py": """\
                from typing import Optional
                from pydantic import Field
                from pydantic_settings import BaseSettings

                class Settings(BaseSettings):
                    API_V1_STR: str = "/api/v1"
                    SENTRY_DSN: Optional[str] = None
                    REDIS_URL: str | None = Field(None)
                    ORIGINS: list[str] = Field(default_factory=list)
                    SECRET_KEY: str

                settings = Settings()
                """
        },
    )
    assert {n for n, e in env.items() if e.required} == {"SECRET_KEY"}
    assert all(e.at_import for e in env.values())
