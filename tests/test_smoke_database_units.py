"""The database guess and `--database` without an engine: which variable, which URL form, when a sidecar."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacepack.database import (
    DEFAULT_POSTGRES_IMAGE,
    DatabaseChoice,
    DatabaseNeed,
    choose_database,
    connection_env,
    guess_database,
    unreachable_given,
)
from spacepack.errors import UsageError
from spacepack.plan import Dependencies, EnvVar, Plan
from tests.helpers import plan_for

REPO_ROOT = Path(__file__).resolve().parent.parent


def plan_with(packages: tuple[str, ...], *env: EnvVar) -> Plan:
    return plan_for(Path("/project"), dependencies=Dependencies(packages=packages), env=env)


def var(name: str, required: bool = True) -> EnvVar:
    return EnvVar(name=name, required=required, secret=False, at_import=required)


@pytest.mark.parametrize(
    ("packages", "scheme"),
    [
        (("fastapi", "sqlalchemy", "asyncpg"), "postgresql+asyncpg"),
        (("fastapi", "sqlmodel", "psycopg", "psycopg-binary"), "postgresql+psycopg"),
        (("fastapi", "sqlalchemy", "psycopg2-binary"), "postgresql+psycopg2"),
        (("fastapi", "psycopg2-binary"), "postgresql"),  # psycopg2.connect takes libpq's URL form
        (("fastapi", "asyncpg"), "postgresql"),  # asyncpg on its own takes a plain postgresql:// DSN
        (("fastapi", "tortoise-orm", "asyncpg"), "postgres"),
        (("fastapi", "databases", "asyncpg"), "postgresql+asyncpg"),
    ],
)
def test_the_url_form_follows_the_driver(packages, scheme):
    need = guess_database(plan_with(packages, var("DATABASE_URL")))
    assert need.scheme == scheme
    assert need.url_vars == ("DATABASE_URL",)
    assert need.wants_sidecar
    assert connection_env(need, "pw")["DATABASE_URL"] == f"{scheme}://spacepack:pw@db:5432/spacepack"


def test_url_variable_names_beyond_database_url():
    need = guess_database(
        plan_with(("psycopg2-binary",), var("SQLALCHEMY_DATABASE_URI"), var("ASYNC_DB_DSN", False), var("DEBUG"))
    )
    assert need.url_vars == ("SQLALCHEMY_DATABASE_URI", "ASYNC_DB_DSN")
    assert "SQLALCHEMY_DATABASE_URI, ASYNC_DB_DSN are read with no default" in need.reason


def test_the_full_stack_templates_parts_are_set_one_by_one():
    env = (var("POSTGRES_SERVER"), var("POSTGRES_PORT", False), var("POSTGRES_USER"), var("POSTGRES_PASSWORD"))
    need = guess_database(plan_with(("sqlmodel", "psycopg"), *env, var("POSTGRES_DB")))
    assert need.url_vars == ()
    injected = connection_env(need, "s3cret")
    assert injected == {
        "POSTGRES_SERVER": "db",
        "POSTGRES_PORT": "5432",
        "POSTGRES_USER": "spacepack",
        "POSTGRES_PASSWORD": "s3cret",
        "POSTGRES_DB": "spacepack",
    }


@pytest.mark.parametrize(
    ("names", "parts"),
    [
        (("DB_HOST", "DB_PORT", "DB_USER", "DB_PASS", "DB_NAME"), ("db", "5432", "spacepack", "s3cret", "spacepack")),
        (
            ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"),
            ("db", "5432", "spacepack", "s3cret", "spacepack"),
        ),
        (("DATABASE_HOST", "DATABASE_PORT", "DATABASE_USERNAME", "DATABASE_PASSWORD", "DATABASE_NAME"), None),
        (("POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"), None),
    ],
)
def test_every_family_of_part_names_gets_every_part(names, parts):
    need = guess_database(plan_with(("sqlalchemy", "psycopg2"), *(var(name) for name in names)))
    assert need.wants_sidecar
    injected = connection_env(need, "s3cret")
    assert injected == dict(zip(names, parts or ("db", "5432", "spacepack", "s3cret", "spacepack"), strict=True))


def test_the_database_is_named_like_the_user_for_a_connection_that_names_none():
    # psycopg2.connect(host=, user=, password=) without dbname: libpq picks the database named like the user.
    injected = connection_env(
        guess_database(plan_with(("psycopg2",), var("DB_HOST"), var("DB_USER"), var("DB_NAME"))), "pw"
    )
    assert injected["DB_NAME"] == injected["DB_USER"]


def test_parts_of_two_families_are_set_alike():
    env = (var("DB_HOST"), var("DB_PASS"), var("POSTGRES_PASSWORD", False), var("PGUSER"), var("DB_USER"))
    injected = connection_env(guess_database(plan_with(("asyncpg",), *env)), "s3cret")
    assert injected == {
        "DB_HOST": "db",
        "DB_PASS": "s3cret",
        "POSTGRES_PASSWORD": "s3cret",
        "PGUSER": "spacepack",
        "DB_USER": "spacepack",
    }


def test_a_password_variable_alone_is_no_database():
    need = guess_database(plan_with(("asyncpg",), var("POSTGRES_PASSWORD")))
    assert need.names == ()
    assert not need.wants_sidecar


def test_an_optional_url_needs_nothing_even_with_a_postgres_driver():
    # The example's shape: DATABASE_URL defaults to a SQLite file; psycopg2 is there for production.
    need = guess_database(plan_with(("sqlmodel", "psycopg2-binary"), var("DATABASE_URL", required=False)))
    assert need.postgres and not need.wants_sidecar
    assert choose_database(need, DatabaseChoice(), {}) is None
    need = guess_database(plan_with(("sqlalchemy", "aiosqlite"), var("DATABASE_URL", required=False)))
    assert not need.wants_sidecar
    # Required, but the driver is SQLite's: Postgres would not help.
    need = guess_database(plan_with(("sqlalchemy", "aiosqlite"), var("DATABASE_URL")))
    assert not need.wants_sidecar


NEED = DatabaseNeed(url_vars=("DATABASE_URL",), scheme="postgresql+asyncpg", required=True, postgres=True)


def test_auto_starts_postgres_unless_a_usable_url_is_given():
    assert choose_database(NEED, DatabaseChoice(), {}) == choose_database(NEED, DatabaseChoice.parse("auto"), {})
    plan = choose_database(NEED, DatabaseChoice(), {})
    assert plan is not None and plan.sidecar and plan.image == DEFAULT_POSTGRES_IMAGE
    assert choose_database(NEED, DatabaseChoice(), {"DATABASE_URL": "postgresql://u:p@prod.example:5432/x"}) is None
    # localhost inside the container is the app itself, and `db` is a compose service: replaced.
    for placeholder in ("postgresql://u:p@localhost:5432/x", "postgresql+asyncpg://u:p@db/x"):
        plan = choose_database(NEED, DatabaseChoice(), {"DATABASE_URL": placeholder})
        assert plan is not None and plan.sidecar


def test_database_flag_none_url_and_postgres():
    assert choose_database(NEED, DatabaseChoice.parse("none"), {}) is None
    plan = choose_database(NEED, DatabaseChoice.parse("postgresql://u:p@h:5432/x"), {})
    assert plan is not None and not plan.sidecar and plan.env == {"DATABASE_URL": "postgresql://u:p@h:5432/x"}
    plan = choose_database(DatabaseNeed(), DatabaseChoice.parse("postgres"), {}, image="postgres:16")
    assert plan is not None and plan.sidecar and plan.image == "postgres:16" and plan.need.url_vars == ("DATABASE_URL",)
    assert "p@h" not in str(plan.to_json())


@pytest.mark.parametrize("bad", ["mysql", "postgres://", "db.example:5432"])
def test_database_flag_rejects_anything_else(bad):
    with pytest.raises(UsageError, match="--database takes postgres, none, auto or a database URL"):
        DatabaseChoice.parse(bad)


def test_docker_up_builds_the_default_postgres_image():
    script = (REPO_ROOT / "scripts" / "docker-up").read_text()
    assert f'POSTGRES_IMAGE="${{SPACEPACK_POSTGRES_IMAGE:-{DEFAULT_POSTGRES_IMAGE}}}"' in script


@pytest.mark.parametrize("command", [["build", "."], ["release", ".", "--space", "a/b"], ["smoke", "img:tag"]])
def test_the_database_flag_is_checked_before_anything_runs(command, tmp_path, monkeypatch, capsys):
    from spacepack.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main([*command, "--database", "mysql"])
    assert exited.value.code == 2
    assert "--database takes postgres, none, auto or a database URL" in capsys.readouterr().err


def test_a_dotenv_url_on_localhost_beside_an_empty_one_gets_the_throwaway_postgres():
    # A committed `.env` with `DATABASE_URL=postgresql://...@localhost/...` and `TEST_DATABASE_URL=`:
    # neither is a database the smoke container can reach.
    need = DatabaseNeed(url_vars=("DATABASE_URL", "TEST_DATABASE_URL"), required=True, postgres=True)
    given = {"DATABASE_URL": "postgresql://u:p@localhost:5432/todo", "TEST_DATABASE_URL": ""}
    plan = choose_database(need, DatabaseChoice(), given)
    assert plan is not None and plan.sidecar
    assert unreachable_given(need, given) == ("DATABASE_URL",)
    assert choose_database(need, DatabaseChoice(), {"DATABASE_URL": " "}) is not None
    # A reachable URL is kept as given, and nothing is said to be replaced.
    reachable = {"DATABASE_URL": "postgresql://u:p@prod.example:5432/x", "TEST_DATABASE_URL": ""}
    assert choose_database(need, DatabaseChoice(), reachable) is None
    assert unreachable_given(need, reachable) == ()
