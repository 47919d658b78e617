"""The throwaway Postgres of the smoke test, against the real engine: a real app that needs it at start-up."""

from __future__ import annotations

import _thread
import threading
from collections.abc import Callable

import pytest

from spacepack import engine
from spacepack.database import (
    DATABASE_LABEL,
    DEFAULT_POSTGRES_IMAGE,
    DatabaseChoice,
    DatabaseFailed,
    DatabaseNeed,
    choose_database,
)
from spacepack.errors import ExitCode
from spacepack.smoke import SMOKE_LABEL, SmokeOptions, SmokeTestFailed, run_smoke
from tests import test_smoke_docker as fault_suite

# The fault apps' session fixtures, shared with the smoke suite (one base image per session).
fastapi_base = fault_suite.fastapi_base
fault_image = fault_suite.fault_image

pytestmark = pytest.mark.docker

NEED = DatabaseNeed(url_vars=("DATABASE_URL",), scheme="postgresql+asyncpg", required=True, postgres=True)


def ours(client: engine.DockerClient) -> tuple[list[object], list[object]]:
    """Containers and networks of the database sidecar still in the engine."""
    containers = client.containers.list(all=True, filters={"label": DATABASE_LABEL})
    networks = client.networks.list(filters={"label": DATABASE_LABEL})
    return containers, networks


@pytest.fixture
def postgres_app(fault_image: Callable[[str], str], docker_client: engine.DockerClient) -> str:
    if engine.image_attrs(docker_client, DEFAULT_POSTGRES_IMAGE) is None:
        pytest.fail(f"{DEFAULT_POSTGRES_IMAGE} is missing: run scripts/docker-up")
    return fault_image("needs_postgres")


def test_app_creating_jsonb_tables_at_start_up_is_healthy_with_a_sidecar(docker_client, postgres_app):
    plan = choose_database(NEED, DatabaseChoice(), given={})
    assert plan is not None and plan.sidecar
    lines: list[str] = []
    options = SmokeOptions(timeout=60, required_env=("DATABASE_URL",), expect_json={"seed": "seed"})
    report = run_smoke(docker_client, postgres_app, options, on_event=lines.append, database=plan)
    assert report.verdict == "healthy"
    assert report.database is not None and report.database["sidecar"] is True
    assert report.database["env"] == ["DATABASE_URL"]
    assert any("throwaway Postgres" in line for line in lines)
    assert any("accepts connections after" in line for line in lines)
    # The URL (and its password) never shows: not in the events, not in the report.
    assert "postgresql+asyncpg://" not in " ".join(lines) + str(report.to_json())
    assert ours(docker_client) == ([], [])


def test_without_a_database_the_crash_names_the_variable(docker_client, postgres_app):
    options = SmokeOptions(timeout=60, required_env=("DATABASE_URL",))
    with pytest.raises(SmokeTestFailed) as failed:
        no_database = choose_database(NEED, DatabaseChoice.parse("none"), {})
        run_smoke(docker_client, postgres_app, options, database=no_database)
    assert failed.value.exit_code == ExitCode.SMOKE_FAILED
    assert "DATABASE_URL was not set" in failed.value.message
    assert "--env DATABASE_URL=" in failed.value.hint
    assert any("KeyError: 'DATABASE_URL'" in line for line in failed.value.report.log_tail)


@pytest.mark.parametrize("delay", [0.0, 0.5])
def test_ctrl_c_while_the_app_starts_removes_the_database_and_its_network(
    docker_client, fault_image, delay, sigint_raises_keyboard_interrupt
):
    image = fault_image("never_listens")
    plan = choose_database(NEED, DatabaseChoice.parse("postgres"), given={})
    assert plan is not None

    def interrupt_when_the_app_starts(line: str) -> None:
        if line.startswith("starting spacepack-test/"):
            threading.Timer(delay, _thread.interrupt_main).start()

    with pytest.raises(KeyboardInterrupt):
        run_smoke(docker_client, image, SmokeOptions(timeout=30), on_event=interrupt_when_the_app_starts, database=plan)
    assert ours(docker_client) == ([], [])
    assert docker_client.containers.list(all=True, filters={"label": SMOKE_LABEL, "ancestor": image}) == []


def test_a_database_image_that_cannot_be_had_fails_in_one_line(docker_client, fault_image):
    image = fault_image("healthy")
    plan = choose_database(NEED, DatabaseChoice(), given={}, image="spacepack-test/no-such-postgres:0")
    assert plan is not None
    with pytest.raises(DatabaseFailed) as failed:
        run_smoke(docker_client, image, SmokeOptions(timeout=30), database=plan)
    assert failed.value.exit_code == ExitCode.SMOKE_FAILED
    assert "spacepack-test/no-such-postgres:0 is not in the engine and cannot be pulled" in failed.value.message
    assert "--database" in failed.value.hint
    assert ours(docker_client) == ([], [])


def test_a_given_url_is_injected_and_no_sidecar_starts(docker_client, fault_image):
    image = fault_image("healthy")
    plan = choose_database(NEED, DatabaseChoice.parse("postgresql://u:pw-secret-123@dbhost:5432/x"), given={})
    assert plan is not None and not plan.sidecar
    report = run_smoke(docker_client, image, SmokeOptions(timeout=30, required_env=("DATABASE_URL",)), database=plan)
    assert report.verdict == "healthy"
    assert "pw-secret-123" not in str(report.to_json())
    assert ours(docker_client) == ([], [])


def test_build_starts_postgres_for_an_app_that_needs_it(docker_client, docker_cleanup, tmp_path, capsys, monkeypatch):
    import json
    import uuid

    from spacepack.cli import main
    from tests.fault_apps import POSTGRES_APP
    from tests.helpers import build_file_tree

    project = build_file_tree(
        tmp_path / "p",
        {
            "main.py": POSTGRES_APP,
            "requirements.txt": "fastapi\nuvicorn\nsqlalchemy==2.0.36\nasyncpg==0.30.0\n",
        },
        dedent=False,
    )
    monkeypatch.chdir(tmp_path)
    tag = f"spacepack-test/needs-postgres-{uuid.uuid4().hex[:8]}:test"
    docker_cleanup["images"].append(tag)
    with pytest.raises(SystemExit) as exited:
        main(["build", str(project), "--tag", tag, "--json"])
    captured = capsys.readouterr()
    assert exited.value.code in (0, None), captured.err
    assert "starting a throwaway Postgres (postgres:15-alpine) as 'db' for DATABASE_URL" in captured.err
    assert "the image has all 2 imported module(s)" in captured.err
    document = json.loads(captured.out)
    assert document["smoke"]["verdict"] == "healthy"
    assert document["smoke"]["database"]["scheme"] == "postgresql+asyncpg"
    assert "spacepack:" not in captured.out + captured.err  # the URL's credentials never show
    assert ours(docker_client) == ([], [])
