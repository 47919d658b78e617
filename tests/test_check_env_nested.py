"""pydantic-settings `env_nested_delimiter`: a field typed as a project model is read sub-field by sub-field."""

from __future__ import annotations

from pathlib import Path

from spacepack.check.envvars import scan_env
from spacepack.check.tree import load_tree
from tests.helpers import build_file_tree

MODELS = """\
    from pydantic import BaseModel, Field

    class Database(BaseModel):
        url: str
        echo: bool = False
        pool_size: int = Field(5)

    class Token(BaseModel):
        secret: str
        lifetime: int = 3600
    """


def scan(tmp_path: Path, spec: dict[str, str]):
    build_file_tree(tmp_path, spec)
    report = scan_env(load_tree(tmp_path), ".")
    return report, {e.name: e for e in report.env}


def required(env) -> set[str]:
    return {name for name, var in env.items() if var.required}


def test_v2_model_config_with_prefix_expands_models_imported_from_a_project_module(tmp_path: Path) -> None:
    report, env = scan(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": MODELS,
            "app/config.py": """\
                from pydantic_settings import BaseSettings, SettingsConfigDict
                from app.models import Database, Token

                class Settings(BaseSettings):
                    model_config = SettingsConfigDict(env_nested_delimiter="__", env_prefix="SVC__")
                    db: Database
                    token: Token
                    debug: bool = False

                settings = Settings()
                """,
        },
    )
    assert sorted(env) == [
        "SVC__DB__ECHO",
        "SVC__DB__POOL_SIZE",
        "SVC__DB__URL",
        "SVC__DEBUG",
        "SVC__TOKEN__LIFETIME",
        "SVC__TOKEN__SECRET",
    ]
    assert required(env) == {"SVC__DB__URL", "SVC__TOKEN__SECRET"}
    assert env["SVC__DB__URL"].at_import and env["SVC__DB__URL"].where == ("app/models.py:4",)
    assert env["SVC__TOKEN__SECRET"].secret
    [sp301] = [f for f in report.findings if f.code == "SP301"]
    assert "SVC__DB__URL, SVC__TOKEN__SECRET" in sp301.message
    assert "SVC__DB=" in (sp301.hint or "") and "JSON" in (sp301.hint or "") and "SVC__TOKEN" in (sp301.hint or "")


def test_v1_config_class_and_a_dict_model_config_expand_too(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "v1.py": """\
                from pydantic import BaseModel, BaseSettings

                class Mail(BaseModel):
                    host: str
                    port: int = 25

                class Settings(BaseSettings):
                    mail: Mail

                    class Config:
                        env_nested_delimiter = "__"
                        env_prefix = "OLD_"

                settings = Settings()
                """,
            "v2dict.py": """\
                from pydantic import BaseModel
                from pydantic_settings import BaseSettings

                class Cache(BaseModel):
                    ttl: int

                class Other(BaseSettings):
                    model_config = {"env_nested_delimiter": "--"}
                    cache: Cache
                """,
        },
    )
    assert sorted(env) == ["CACHE--TTL", "OLD_MAIL__HOST", "OLD_MAIL__PORT"]
    assert required(env) == {"CACHE--TTL", "OLD_MAIL__HOST"}
    assert env["OLD_MAIL__HOST"].at_import and not env["CACHE--TTL"].at_import


def test_two_levels_inherited_fields_aliases_and_case_sensitive_names(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "config.py": """\
                from typing import Annotated, Optional
                from pydantic import BaseModel, Field
                from pydantic_settings import BaseSettings, SettingsConfigDict

                class Prefixed(BaseModel):
                    prefix: str = "/api"

                class Auth(Prefixed):
                    prefix: str
                    issuer: str = Field(alias="iss")

                class Credentials(BaseModel):
                    user: str
                    password: str

                class Store(BaseModel):
                    creds: "Credentials"
                    replica: Optional[Credentials] = None
                    primary: Annotated[Credentials, "x"]

                class Settings(BaseSettings):
                    model_config = SettingsConfigDict(env_nested_delimiter="__", case_sensitive=True)
                    auth: Auth
                    store: Store

                settings = Settings()
                """,
        },
    )
    assert sorted(env) == [
        "auth__iss",
        "auth__prefix",
        "store__creds__password",
        "store__creds__user",
        "store__primary__password",
        "store__primary__user",
        "store__replica__password",
        "store__replica__user",
    ]
    # A redeclared field without a default replaces the inherited one with a default.
    assert required(env) == {
        "auth__iss",
        "auth__prefix",
        "store__creds__password",
        "store__creds__user",
        "store__primary__password",
        "store__primary__user",
    }


def test_a_sub_model_with_a_default_instance_factory_or_none_is_optional(tmp_path: Path) -> None:
    report, env = scan(
        tmp_path,
        {
            "config.py": """\
                from pydantic import BaseModel, Field
                from pydantic_settings import BaseSettings, SettingsConfigDict

                class Run(BaseModel):
                    host: str
                    port: int = 8000

                class Settings(BaseSettings):
                    model_config = SettingsConfigDict(env_nested_delimiter="__")
                    run: Run = Run(host="0.0.0.0")
                    later: Run = Field(default_factory=lambda: Run(host="x"))
                    maybe: Run | None = None

                settings = Settings()
                """,
        },
    )
    assert sorted(env) == [
        "LATER__HOST",
        "LATER__PORT",
        "MAYBE__HOST",
        "MAYBE__PORT",
        "RUN__HOST",
        "RUN__PORT",
    ]
    assert required(env) == set()
    assert not [f for f in report.findings if f.code == "SP301"]


def test_an_unresolvable_or_non_model_type_keeps_the_group_name(tmp_path: Path) -> None:
    report, env = scan(
        tmp_path,
        {
            "config.py": """\
                from pydantic import BaseModel
                from pydantic_settings import BaseSettings, SettingsConfigDict
                from somewhere_else import Remote

                class Plain:
                    url: str

                class Local(BaseModel):
                    url: str

                class Settings(BaseSettings):
                    model_config = SettingsConfigDict(env_nested_delimiter="__", env_prefix="APP_")
                    remote: Remote
                    plain: Plain
                    many: list[Local]
                    both: Local | Plain

                settings = Settings()
                """,
        },
    )
    assert sorted(env) == ["APP_BOTH", "APP_MANY", "APP_PLAIN", "APP_REMOTE"]
    assert required(env) == {"APP_BOTH", "APP_MANY", "APP_PLAIN", "APP_REMOTE"}
    [sp301] = [f for f in report.findings if f.code == "SP301"]
    assert "JSON" not in (sp301.hint or "")


def test_without_a_nested_delimiter_a_model_field_stays_one_variable(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "config.py": """\
                from pydantic import BaseModel
                from pydantic_settings import BaseSettings, SettingsConfigDict

                class Database(BaseModel):
                    url: str

                class Settings(BaseSettings):
                    model_config = SettingsConfigDict(env_prefix="APP_")
                    db: Database
                """,
        },
    )
    assert sorted(env) == ["APP_DB"]


def test_expansion_depth_is_bounded_and_a_self_reference_ends(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "config.py": """\
                from typing import Optional
                from pydantic import BaseModel
                from pydantic_settings import BaseSettings, SettingsConfigDict

                class Node(BaseModel):
                    name: str = "n"
                    child: Optional["Node"] = None

                class Settings(BaseSettings):
                    model_config = SettingsConfigDict(env_nested_delimiter="__")
                    tree: Node
                """,
        },
    )
    assert sorted(env) == [
        "TREE__CHILD__CHILD__CHILD__CHILD",
        "TREE__CHILD__CHILD__CHILD__NAME",
        "TREE__CHILD__CHILD__NAME",
        "TREE__CHILD__NAME",
        "TREE__NAME",
    ]
    assert required(env) == set()


def test_a_group_set_as_one_json_value_satisfies_smoke_push_and_status(tmp_path: Path) -> None:
    from spacepack.check import check_project
    from spacepack.config import Settings
    from spacepack.pipeline import ImageOptions
    from spacepack.push import PushOptions, RemoteView, missing_at_start
    from spacepack.render.plan_cache import plan_from_json
    from spacepack.smoke import SmokeOptions
    from spacepack.space import audit_env

    build_file_tree(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\npydantic-settings\n",
            "models.py": MODELS,
            "main.py": """\
                from fastapi import FastAPI
                from pydantic_settings import BaseSettings, SettingsConfigDict
                from models import Database, Token

                class Settings(BaseSettings):
                    model_config = SettingsConfigDict(env_nested_delimiter="__", env_prefix="APP_")
                    db: Database
                    token: Token

                settings = Settings()
                app = FastAPI()

                @app.get("/health")
                def health() -> dict[str, str]:
                    return {"status": "ok"}
                """,
        },
    )
    settings = Settings(project_dir=tmp_path)
    plan = check_project(settings)
    env = {var.name: var for var in plan.env}
    assert {n for n, v in env.items() if v.required and v.at_import} == {"APP_DB__URL", "APP_TOKEN__SECRET"}
    assert env["APP_DB__URL"].to_json()["group"] == "APP_DB"
    assert env["APP_DB__URL"].group == "APP_DB" and env["APP_TOKEN__SECRET"].group == "APP_TOKEN"
    assert plan_from_json(plan.to_json()).env == plan.env

    # push: a secret named after the group sets its leaves; the other group is still missing.
    remote = RemoteView(exists=True)
    assert missing_at_start(plan, PushOptions(), remote) == ("APP_DB__URL", "APP_TOKEN__SECRET")
    assert missing_at_start(plan, PushOptions(secrets={"APP_DB": '{"url": "x"}'}), remote) == ("APP_TOKEN__SECRET",)
    # status: the same audit against the Space's secrets and variables.
    audit = audit_env(plan.env, secrets=["APP_TOKEN"], variables=["APP_DB__URL"])
    assert audit.missing == () and audit.missing_at_start == ()
    assert audit_env(plan.env, secrets=[], variables=[]).missing_at_start == ("APP_DB__URL", "APP_TOKEN__SECRET")
    # smoke: only the leaves neither given nor set through their group are named as unset.
    given = ImageOptions(smoke=SmokeOptions(env_pairs=('APP_TOKEN={"secret": "s"}',))).resolve(plan, settings)
    assert given.smoke is not None and given.smoke.required_env == ("APP_DB__URL",)


def test_only_leaves_carry_a_group(tmp_path: Path) -> None:
    _, env = scan(
        tmp_path,
        {
            "config.py": """\
                import os
                from pydantic import BaseModel
                from pydantic_settings import BaseSettings, SettingsConfigDict

                class Database(BaseModel):
                    url: str

                class Settings(BaseSettings):
                    model_config = SettingsConfigDict(env_nested_delimiter="__")
                    db: Database
                    name: str

                TOKEN = os.environ["TOKEN"]
                """,
        },
    )
    assert {n: v.group for n, v in env.items()} == {"DB__URL": "DB", "NAME": None, "TOKEN": None}
    assert "group" not in env["NAME"].to_json() and env["DB__URL"].to_json()["group"] == "DB"
