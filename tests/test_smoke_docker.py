"""Fault apps against the real engine: each ends with the right message, exit code and no container left."""

from __future__ import annotations

import _thread
import concurrent.futures
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spacepack import engine
from spacepack.build import build_image
from spacepack.errors import ExitCode
from spacepack.smoke import SMOKE_LABEL, SmokeOptions, SmokeTestFailed, run_smoke
from tests.fault_apps import FAULT_APPS
from tests.helpers import build_file_tree, run_cli

pytestmark = pytest.mark.docker

SECRET = "supersecret-value-1234"


@pytest.fixture(scope="session")
def fastapi_base(docker_client: engine.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One image with fastapi and uvicorn installed, shared by every fault app of the session."""
    root = build_file_tree(
        tmp_path_factory.mktemp("fault-base"),
        {"Dockerfile": "FROM python:3.11-slim\nRUN pip install --no-cache-dir fastapi uvicorn\n"},
    )
    tag = f"spacepack-test/fault-base-{uuid.uuid4().hex[:8]}:test"
    build_image(docker_client, root, tags=[tag], log_path=root / "build.log")
    yield tag
    engine.remove_image(docker_client, tag)


@pytest.fixture(scope="session")
def fault_image(
    docker_client: engine.DockerClient, fastapi_base: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], str]]:
    """Builds (once) the image of a fault app by name; all are removed at the end of the session."""
    built: dict[str, str] = {}

    def make(name: str) -> str:
        if name not in built:
            app = FAULT_APPS[name]
            root = build_file_tree(
                tmp_path_factory.mktemp(name),
                {"main.py": app.main, "Dockerfile": app.dockerfile(fastapi_base)},
            )
            tag = f"spacepack-test/fault-{name.replace('_', '-')}-{uuid.uuid4().hex[:8]}:test"
            build_image(docker_client, root, tags=[tag], labels={}, log_path=root / "build.log")
            built[name] = tag
        return built[name]

    yield make
    for tag in built.values():
        engine.remove_image(docker_client, tag)


def smoke_containers(client: engine.DockerClient, image: str) -> list[object]:
    return list(client.containers.list(all=True, filters={"label": f"{SMOKE_LABEL}=1", "ancestor": image}))


@pytest.fixture(autouse=True)
def _no_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `spacepack smoke` reads ./.env by default; run where there is none.
    monkeypatch.chdir(tmp_path)


def test_healthy_app_passes_and_warns_about_head_root(docker_client, fault_image, capsys):
    image = fault_image("healthy")
    code, _, err = run_cli(["smoke", image, "--timeout", "30"], capsys)
    assert code == 0, err
    assert "smoke: healthy in" in err
    assert "HEAD / answered 405" in err
    assert smoke_containers(docker_client, image) == []


def test_root_route_json_document_with_expectations(docker_client, fault_image, capsys):
    image = fault_image("root_route")
    args = ["smoke", image, "--json", "--expect-json", "status=ok", "--expect-json", "db.ready=true"]
    code, out, err = run_cli([*args, "--check", "/health", "--env", f"API_KEY={SECRET}"], capsys)
    assert code == 0, err
    document = json.loads(out)["smoke"]
    assert document["verdict"] == "healthy"
    assert document["warnings"] == []
    assert document["time_to_healthy"] > 0
    assert 1 <= document["host_port"] <= 65535
    assert document["injected_port"] != 7860
    assert {(p["method"], p["path"], p["status"]) for p in document["probes"]} >= {
        ("GET", "/health", 200),
        ("GET", "/", 200),
        ("HEAD", "/", 200),
    }
    assert SECRET not in out + err
    assert smoke_containers(docker_client, image) == []


def test_crash_on_import_shows_exit_code_and_masked_log(docker_client, fault_image, capsys):
    image = fault_image("crash_on_import")
    code, out, err = run_cli(["smoke", image, "--env", f"API_KEY={SECRET}"], capsys)
    assert code == ExitCode.SMOKE_FAILED
    assert "the container exited with code 1" in err
    assert "boom while importing main" in err
    assert SECRET not in out + err
    assert "****" in err
    assert smoke_containers(docker_client, image) == []


def test_never_listens_fails_at_the_timeout(docker_client, fault_image, capsys):
    image = fault_image("never_listens")
    code, _, err = run_cli(["smoke", image, "--timeout", "3"], capsys)
    assert code == ExitCode.SMOKE_FAILED
    assert "nothing listens on any port in the container within 3 s" in err
    assert smoke_containers(docker_client, image) == []


def test_hardcoded_port_is_named(docker_client, fault_image, capsys):
    image = fault_image("hardcoded_port")
    code, _, err = run_cli(["smoke", image, "--port", "24680", "--timeout", "30"], capsys)
    assert code == ExitCode.SMOKE_FAILED
    assert "the app listens on 0.0.0.0:8000, not on the injected PORT=24680" in err
    assert "--host 0.0.0.0" in err  # the fix
    assert smoke_containers(docker_client, image) == []


def test_loopback_only_is_named(docker_client, fault_image, capsys):
    image = fault_image("binds_loopback")
    code, _, err = run_cli(["smoke", image, "--port", "24681", "--timeout", "30"], capsys)
    assert code == ExitCode.SMOKE_FAILED
    assert "the app listens on 127.0.0.1:24681 only" in err
    assert smoke_containers(docker_client, image) == []


def test_slow_start_within_the_timeout_passes(docker_client, fault_image, capsys):
    image = fault_image("slow_start")
    code, out, err = run_cli(["smoke", image, "--timeout", "30", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["smoke"]["verdict"] == "healthy"
    assert smoke_containers(docker_client, image) == []


def test_hang_fails_at_the_timeout(docker_client, fault_image, capsys):
    image = fault_image("hangs")
    code, out, err = run_cli(["smoke", image, "--timeout", "8", "--json"], capsys)
    assert code == ExitCode.SMOKE_FAILED
    document = json.loads(out)["smoke"]
    assert document["verdict"] == "failed"
    assert "GET /health did not answer within 8 s" in document["reason"]
    assert "did not answer within 8 s" in err
    assert smoke_containers(docker_client, image) == []


def test_exit_zero_at_once(docker_client, fault_image, capsys):
    image = fault_image("exits_zero")
    code, _, err = run_cli(["smoke", image, "--timeout", "30"], capsys)
    assert code == ExitCode.SMOKE_FAILED
    assert "the container exited with code 0" in err
    assert "all done" in err  # its log tail
    assert "keep running in the foreground" in err
    assert smoke_containers(docker_client, image) == []


def test_health_500_fails_fast(docker_client, fault_image, capsys):
    image = fault_image("health_500")
    code, _, err = run_cli(["smoke", image, "--timeout", "30"], capsys)
    assert code == ExitCode.SMOKE_FAILED
    assert "GET /health answered 500, expected a 2xx status" in err
    assert smoke_containers(docker_client, image) == []


def test_a_required_env_guess_never_stops_a_start(docker_client, fault_image):
    image = fault_image("healthy")
    lines: list[str] = []
    options = SmokeOptions(required_env=("API_KEY",), timeout=30)
    report = run_smoke(docker_client, image, options, on_event=lines.append)
    assert report.verdict == "healthy"
    assert any("API_KEY not set" in line and "starting anyway" in line for line in lines)
    assert smoke_containers(docker_client, image) == []


def test_a_crash_names_the_required_env_that_was_not_set(docker_client, fault_image):
    image = fault_image("crash_on_import")
    options = SmokeOptions(required_env=("API_KEY", "DATABASE_URL"), env={"DATABASE_URL": "sqlite://"}, timeout=30)
    with pytest.raises(SmokeTestFailed) as failed:
        run_smoke(docker_client, image, options)
    assert failed.value.exit_code == ExitCode.SMOKE_FAILED
    assert "exited with code 1" in failed.value.message
    assert "API_KEY was not set, and check says the app needs it at start-up" in failed.value.message
    assert "DATABASE_URL" not in failed.value.message
    assert "--env API_KEY=" in failed.value.hint
    assert smoke_containers(docker_client, image) == []


def test_a_guessed_health_path_under_a_prefix_is_confirmed_from_openapi(docker_client, fault_image):
    image = fault_image("prefixed_health")
    lines: list[str] = []
    report = run_smoke(docker_client, image, SmokeOptions(timeout=30), on_event=lines.append, health_guessed=True)
    assert report.verdict == "healthy"
    assert report.health_path == "/api/v1/utils/health-check/"
    assert [p.path for p in report.probes][:3] == ["/health", "/openapi.json", "/api/openapi.json"]
    assert any("/api/v1/utils/health-check/ (from its /openapi.json) was used" in w for w in report.warnings)
    assert any("lists /api/v1/utils/health-check/" in line for line in lines)


def test_a_guessed_health_path_behind_a_root_path_is_confirmed(docker_client, fault_image):
    report = run_smoke(docker_client, fault_image("root_path_health"), SmokeOptions(timeout=30), health_guessed=True)
    assert report.verdict == "healthy"
    assert report.health_path == "/api/healthz"


def test_a_404_on_a_guessed_path_with_no_route_list_is_not_an_app_failure(docker_client, fault_image):
    report = run_smoke(docker_client, fault_image("no_openapi"), SmokeOptions(timeout=30), health_guessed=True)
    assert report.verdict == "healthy"
    assert any("publishes no health route that answers; the app is up" in w for w in report.warnings)


def test_a_401_on_a_guessed_path_moves_to_a_route_that_answers(docker_client, fault_image):
    lines: list[str] = []
    options = SmokeOptions(health_path="/2fa/status", timeout=30)
    report = run_smoke(docker_client, fault_image("login_status"), options, on_event=lines.append, health_guessed=True)
    assert report.verdict == "healthy"
    assert report.health_path == "/"
    assert [p.status for p in report.probes][0] == 401
    assert any("/2fa/status answered 401; / (from its /openapi.json) was used" in w for w in report.warnings)


def test_a_401_on_the_users_own_health_path_is_a_failure(docker_client, fault_image):
    options = SmokeOptions(health_path="/2fa/status", timeout=30)
    with pytest.raises(SmokeTestFailed) as failed:
        run_smoke(docker_client, fault_image("login_status"), options, health_guessed=False)
    assert "GET /2fa/status answered 401" in failed.value.message


def test_a_404_on_the_users_own_health_path_is_a_failure(docker_client, fault_image):
    with pytest.raises(SmokeTestFailed) as failed:
        run_smoke(docker_client, fault_image("prefixed_health"), SmokeOptions(timeout=30), health_guessed=False)
    assert "GET /health answered 404" in failed.value.message


def test_ctrl_c_while_waiting_removes_the_container(docker_client, fault_image, sigint_raises_keyboard_interrupt):
    image = fault_image("never_listens")
    seen: list[str] = []

    def interrupt_soon(line: str) -> None:
        seen.append(line)
        # Ctrl-C arrives while run_smoke polls the container.
        threading.Timer(1.0, _thread.interrupt_main).start()

    with pytest.raises(KeyboardInterrupt):
        run_smoke(docker_client, image, SmokeOptions(timeout=30), on_event=interrupt_soon)
    assert seen and seen[0].startswith("starting")
    assert smoke_containers(docker_client, image) == []


def test_two_smoke_runs_at_once_do_not_collide(docker_client, fault_image):
    image = fault_image("root_route")
    pool = concurrent.futures.ThreadPoolExecutor(2)
    try:
        reports = list(
            pool.map(lambda _: run_smoke(docker_client, image, SmokeOptions(timeout=30)), range(2), timeout=120)
        )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    assert [r.verdict for r in reports] == ["healthy", "healthy"]
    assert reports[0].host_port != reports[1].host_port
    assert smoke_containers(docker_client, image) == []
