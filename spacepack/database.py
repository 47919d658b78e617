"""A throwaway Postgres for the smoke test, when the app needs a database to start.

`guess_database` reads the Plan (the env vars the app reads, its dependencies)
and says whether the app looks like it needs Postgres at start-up, which
variable(s) to set, and the URL form its driver expects. `choose_database`
applies `--database postgres|none|URL`. `postgres_sidecar` starts the
database on a private network made for this run, waits (bounded) until it
accepts connections, yields the variables to inject into the app's container,
and removes the database container and the network afterwards, whatever
happens (Ctrl-C included).

The app reaches the database by its network alias; spacepack itself never
talks to it over the network (readiness is asked with `pg_isready` inside the
database container).
"""

from __future__ import annotations

import re
import secrets
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from spacepack import engine
from spacepack.errors import EngineUnavailable, SmokeFailed, UsageError
from spacepack.plan import Plan

# A real official tag; offline, scripts/docker-up builds a stand-in under this name.
DEFAULT_POSTGRES_IMAGE = "postgres:15-alpine"
DATABASE_ALIAS = "db"
DATABASE_LABEL = "dev.spacepack.database"
READY_TIMEOUT = 60.0
_USER = "spacepack"
# Named like the user: libpq (psycopg2.connect(host=..., user=...)) connects to that database when none is given.
_DB_NAME = _USER

# Names that hold a whole database URL (DATABASE_URL, SQLALCHEMY_DATABASE_URI, ASYNC_DB_DSN, PG_URL...).
_URL_NAME = re.compile(r"^(?:[A-Z0-9]+_)*(?:DATABASE|DB|POSTGRES|POSTGRESQL|PG|SQLALCHEMY_DATABASE)_(?:URL|URI|DSN)$")
# Names that hold one part of the connection, in every family apps use: DB_HOST/DB_PASS,
# POSTGRES_SERVER/POSTGRES_DB (the full-stack template), PGHOST/PGDATABASE (libpq), DATABASE_USER...
_PART_PREFIX = r"^(?:POSTGRES(?:QL)?_|PG_?|DB_|DATABASE_)"
_PART_NAMES: dict[str, re.Pattern[str]] = {
    "host": re.compile(_PART_PREFIX + r"(?:HOST|HOSTNAME|SERVER)$"),
    "port": re.compile(_PART_PREFIX + r"PORT$"),
    "user": re.compile(_PART_PREFIX + r"(?:USER|USERNAME)$"),
    "password": re.compile(_PART_PREFIX + r"(?:PASS|PASSWORD|PASSWD|PWD)$"),
    "name": re.compile(_PART_PREFIX + r"(?:DB|NAME|DBNAME|DATABASE)$"),
}
_POSTGRES_DRIVERS = ("asyncpg", "psycopg", "psycopg-binary", "psycopg-c", "psycopg2", "psycopg2-binary", "pg8000")
_OTHER_DRIVERS = ("aiosqlite", "aiomysql", "asyncmy", "pymysql", "mysqlclient", "motor", "pymongo", "beanie")
# Hosts that can't be the app's database inside the smoke container: itself, or a compose service name.
_PLACEHOLDER_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "db", "database", "postgres", "postgresql"})
_ORMS = ("sqlalchemy", "sqlmodel", "databases", "tortoise-orm", "ormar", "piccolo")


@dataclass(frozen=True)
class DatabaseNeed:
    """What the Plan says about the app's database: where the URL goes and in which form.

    Attributes:
        url_vars: env vars that take the whole URL (first = the one reported).
        part_vars: connection part (`host`, `port`, `user`, `password`, `name`) -> every env var the app
            reads for it (`DB_PASS` and `POSTGRES_PASSWORD` both get the password).
        scheme: the URL scheme the app's driver expects (`postgresql+asyncpg`, `postgresql`, ...).
        required: a URL or part var is read with no default: the app cannot start without it.
        postgres: a Postgres driver is among the dependencies.
        other_driver: a driver of another database (SQLite, MySQL, MongoDB) is among them.
        reason: one human line saying why.
    """

    url_vars: tuple[str, ...] = ()
    part_vars: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    scheme: str = "postgresql"
    required: bool = False
    postgres: bool = False
    other_driver: bool = False
    reason: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """Every env var this database would set."""
        return (*self.url_vars, *(name for names in self.part_vars.values() for name in names))

    @property
    def wants_sidecar(self) -> bool:
        """The guess: start Postgres when the app cannot start without a database value it was not given."""
        # A variable with a default (a SQLite file, say) means the app starts without one: a wrong guess
        # must never stop a working app, so Postgres is only started for a value the app cannot do without.
        if not self.names or not self.required:
            return False
        return self.postgres or (bool(self.url_vars) and not self.other_driver)


DatabaseMode = Literal["auto", "postgres", "none", "url"]


@dataclass(frozen=True)
class DatabaseChoice:
    """`--database`: `auto` (the guess), `postgres` (always a sidecar), `none`, or a URL to inject."""

    mode: DatabaseMode = "auto"
    url: str | None = None

    @classmethod
    def parse(cls, raw: str | None) -> DatabaseChoice:
        """Read a `--database` value.

        Raises:
            UsageError: when it is none of auto, postgres, none, or a URL with a scheme.
        """
        if raw is None or raw.strip() == "" or raw.strip() == "auto":
            return cls()
        value = raw.strip()
        if value in ("postgres", "none"):
            return cls(mode=value)  # type: ignore[arg-type]
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", value):
            return cls(mode="url", url=value)
        raise UsageError(
            "--database takes postgres, none, auto or a database URL",
            hint="e.g. --database postgres, or --database postgresql://user:password@host:5432/name",
        )


@dataclass(frozen=True)
class DatabasePlan:
    """What the smoke test does about a database: nothing, inject a URL, or start Postgres."""

    need: DatabaseNeed
    sidecar: bool = False
    image: str = DEFAULT_POSTGRES_IMAGE
    env: Mapping[str, str] = field(default_factory=dict)  # values to inject as they are (`--database URL`)

    def to_json(self) -> dict[str, Any]:
        return {
            "sidecar": self.sidecar,
            "image": self.image if self.sidecar else None,
            "env": sorted({*self.need.names, *self.env}),
            "scheme": self.need.scheme,
            "reason": self.need.reason,
        }


def _scheme(packages: set[str]) -> str:
    """The URL scheme the app's database layer expects, from its dependencies."""
    orm = bool(packages & {"sqlalchemy", "sqlmodel"})
    if "tortoise-orm" in packages:
        return "postgres"
    if "asyncpg" in packages and (orm or "databases" in packages):
        return "postgresql+asyncpg"
    if packages & {"psycopg", "psycopg-binary", "psycopg-c"} and orm and not packages & {"psycopg2", "psycopg2-binary"}:
        return "postgresql+psycopg"
    if "pg8000" in packages and orm:
        return "postgresql+pg8000"
    # SQLAlchemy 2.1 made psycopg 3 the default of postgresql://: name psycopg2 when it is the driver.
    if packages & {"psycopg2", "psycopg2-binary"} and orm:
        return "postgresql+psycopg2"
    return "postgresql"


def guess_database(plan: Plan) -> DatabaseNeed:
    """Whether the app needs a database at start-up, from its env vars and dependencies.

    The Plan does not name a database variable or driver itself; both are
    derived here from its env vars (names like DATABASE_URL, POSTGRES_SERVER)
    and its dependencies (asyncpg, psycopg, psycopg2, ORMs).
    """
    packages = {name.lower() for name in plan.dependencies.packages}
    url_vars = tuple(var for var in plan.env if _URL_NAME.match(var.name))
    by_name = {var.name: var for var in plan.env}
    part_vars = {
        part: matched
        for part, pattern in _PART_NAMES.items()
        if (matched := tuple(var.name for var in plan.env if pattern.match(var.name)))
    }
    # Parts only count with a host: POSTGRES_PASSWORD alone is not a connection.
    if "host" not in part_vars:
        part_vars = {}
    postgres = bool(packages & set(_POSTGRES_DRIVERS))
    part_names = [name for names in part_vars.values() for name in names]
    required = any(v.required for v in url_vars) or any(by_name[name].required for name in part_names)
    drivers = sorted(packages & {*_POSTGRES_DRIVERS, *_ORMS})
    names = [v.name for v in url_vars] + part_names
    if not names:
        reason = ""
    else:
        said = f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} read"
        said += " with no default" if required else ""
        said += f"; {', '.join(drivers)} in the dependencies" if drivers else ""
        reason = said
    return DatabaseNeed(
        url_vars=tuple(v.name for v in url_vars),
        part_vars=part_vars,
        scheme=_scheme(packages),
        required=required,
        postgres=postgres,
        other_driver=bool(packages & set(_OTHER_DRIVERS)),
        reason=reason,
    )


def choose_database(
    need: DatabaseNeed, choice: DatabaseChoice, given: Mapping[str, str], image: str | None = None
) -> DatabasePlan | None:
    """Apply `--database` to the guess; None when the smoke test needs no database.

    Args:
        need: from `guess_database`.
        choice: from `DatabaseChoice.parse`.
        given: the env the container gets anyway (`--env`, `.env`, the image's ENV): a value given
            there is never overridden by the guess.
        image: the Postgres image (setting `postgres_image`); default `DEFAULT_POSTGRES_IMAGE`.
    """
    image = image or DEFAULT_POSTGRES_IMAGE
    if choice.mode == "none":
        return None
    if choice.mode == "url":
        url_vars = need.url_vars or ("DATABASE_URL",)
        return DatabasePlan(need=need, env=dict.fromkeys(url_vars, choice.url or ""))
    if choice.mode == "postgres":
        if not need.names:
            need = DatabaseNeed(url_vars=("DATABASE_URL",), scheme=need.scheme, reason="--database postgres")
        return DatabasePlan(need=need, sidecar=True, image=image)
    if not need.wants_sidecar or _database_given(need, given):
        return None
    return DatabasePlan(need=need, sidecar=True, image=image)


def _database_given(need: DatabaseNeed, given: Mapping[str, str]) -> bool:
    """Whether `given` already points the app at a database that can work in the smoke container.

    A URL or host naming localhost or a compose service name (`db`, `postgres`) cannot: inside the
    container localhost is the app itself, so such values are replaced by the sidecar's.
    """
    names = [*need.url_vars, *need.part_vars.get("host", ())]
    # An empty value (`TEST_DATABASE_URL=` in a `.env`) points nowhere: it is not a database given.
    return any(_usable_host(given[name]) for name in names if given.get(name, "").strip())


def unreachable_given(need: DatabaseNeed, given: Mapping[str, str]) -> tuple[str, ...]:
    """The database variables `given` points at a host the smoke container can't reach (localhost, `db`)."""
    names = [*need.url_vars, *need.part_vars.get("host", ())]
    return tuple(name for name in names if given.get(name, "").strip() and not _usable_host(given[name]))


def _usable_host(value: str) -> bool:
    host = value
    if "://" in value:
        try:
            host = urllib.parse.urlsplit(value).hostname or ""
        except ValueError:
            return True  # not ours to judge: the app gets it as given
    return host.strip().lower() not in _PLACEHOLDER_HOSTS


def connection_env(need: DatabaseNeed, password: str, host: str = DATABASE_ALIAS) -> dict[str, str]:
    """The env vars that point the app at the sidecar, in the form its driver expects."""
    url = f"{need.scheme}://{_USER}:{password}@{host}:5432/{_DB_NAME}"
    env = dict.fromkeys(need.url_vars, url)
    parts = {"host": host, "port": "5432", "user": _USER, "password": password, "name": _DB_NAME}
    env.update({name: parts[part] for part, names in need.part_vars.items() for name in names})
    return env


@dataclass(frozen=True)
class Sidecar:
    """A running throwaway database: the network to join and the env to inject."""

    network: str
    env: Mapping[str, str]
    seconds: float  # from start to accepting connections


class DatabaseFailed(SmokeFailed):
    """The throwaway database could not be started (image missing, never ready)."""


@contextmanager
def postgres_sidecar(
    client: engine.DockerClient,
    plan: DatabasePlan,
    *,
    labels: Mapping[str, str],
    timeout: float = READY_TIMEOUT,
    on_event: Callable[[str], None] | None = None,
) -> Iterator[Sidecar]:
    """Start Postgres on a private network; yield when it accepts connections; remove both after.

    Raises:
        DatabaseFailed: when the image can be neither found nor pulled, or it is not ready in time.
    """
    say = on_event or (lambda _line: None)
    _ensure_image(client, plan.image, say)
    run = uuid.uuid4().hex[:12]
    password = secrets.token_hex(16)
    all_labels = {**labels, DATABASE_LABEL: "1"}
    network_id: str | None = None
    container_id: str | None = None
    try:
        network_id = engine.create_network(client, f"spacepack-smoke-{run}", all_labels)
        started = time.monotonic()
        say(f"starting a throwaway Postgres ({plan.image}) as '{DATABASE_ALIAS}' for {', '.join(plan.need.names)}")
        container_id = engine.create_and_start(
            client,
            plan.image,
            name=f"spacepack-db-{run}",
            environment={"POSTGRES_USER": _USER, "POSTGRES_PASSWORD": password, "POSTGRES_DB": _DB_NAME},
            user=None,
            container_port=None,
            labels=all_labels,
            network=engine.NetworkAttachment(network_id, (DATABASE_ALIAS,)),
        )
        _wait_ready(client, container_id, plan.image, timeout)
        seconds = time.monotonic() - started
        say(f"Postgres accepts connections after {seconds:.1f} s")
        yield Sidecar(network=network_id, env=connection_env(plan.need, password), seconds=seconds)
    finally:
        if container_id is not None:
            engine.remove_container(client, container_id)
        if network_id is not None:
            engine.remove_network(client, network_id)


def _ensure_image(client: engine.DockerClient, image: str, say: Callable[[str], None]) -> None:
    if engine.image_present(client, image):
        return
    say(f"pulling {image} for the throwaway database")
    try:
        engine.pull_image(client, image)
    except EngineUnavailable as error:
        raise DatabaseFailed(
            f"the Postgres image {image} is not in the engine and cannot be pulled",
            hint="pull it (offline: scripts/docker-up builds a stand-in), set postgres_image, "
            "or pass --database URL / --database none",
        ) from error


def _wait_ready(client: engine.DockerClient, container_id: str, image: str, timeout: float) -> None:
    # TCP on 127.0.0.1 inside the container: the official image's init server listens on the socket only,
    # so this answers once the real server is up.
    probe = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", "-U", _USER, "-d", _DB_NAME, "-t", "2"]
    deadline = time.monotonic() + timeout
    while True:
        state = engine.container_state(client, container_id)
        if not state.running:
            tail = engine.container_logs(client, container_id, tail=5).strip().splitlines()
            last = tail[-1] if tail else "no output"
            raise DatabaseFailed(
                f"the throwaway Postgres ({image}) exited with code {state.exit_code}: {last}",
                hint="check the image (postgres_image), or pass --database URL / --database none",
            )
        result = engine.exec_run(client, container_id, probe)
        if result is not None and result[0] == 0:
            return
        if time.monotonic() >= deadline:
            raise DatabaseFailed(
                f"the throwaway Postgres ({image}) did not accept connections within {timeout:g} s",
                hint="pass --database URL to use a database you run, or --database none",
            )
        time.sleep(0.2)
