"""`spacepack release` end to end: the real engine builds and smoke-tests, the Hub double receives."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from spacepack.errors import ExitCode
from tests.helpers import SAMPLE_APP, build_file_tree
from tests.helpers import run_cli as run
from tests.hub_double import HubDouble

pytestmark = [pytest.mark.docker, pytest.mark.hub]

APP = SAMPLE_APP


class _Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def space_app(double: HubDouble, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Stands in for https://<owner>-<name>.hf.space: a loopback server the probe reaches.

    It asks for the Hub double so that it is set up after it: the double clears SPACEPACK_SPACE_URL.
    """
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("SPACEPACK_SPACE_URL", url)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def double(double: HubDouble, monkeypatch: pytest.MonkeyPatch) -> HubDouble:
    """The shared Hub double, with its write token in HF_TOKEN."""
    monkeypatch.setenv("HF_TOKEN", double.WRITE_TOKEN)
    return double


def _image_tags(document: dict[str, object]) -> list[str]:
    image = document.get("image") or {}
    assert isinstance(image, dict)
    return list(image.get("tags") or [])


def test_release_builds_smokes_pushes_waits_and_probes(tmp_path, double, space_app, capsys, docker_cleanup) -> None:
    project = build_file_tree(tmp_path / "svc", {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"})
    double.create_space("alice/svc")
    double.script_stages("alice/svc", "BUILDING", "APP_STARTING", "RUNNING")
    code, out, err = run(
        ["release", str(project), "--space", "alice/svc", "--tag", "spacepack-test/svc:rel", "--json"], capsys
    )
    document = json.loads(out)
    docker_cleanup["images"].extend(_image_tags(document))
    assert code == 0, err
    assert document["status"] == "released"
    assert document["failed_stage"] is None
    assert document["smoke"]["verdict"] == "healthy"
    assert document["probe"]["ok"] is True
    assert document["commit_url"]
    files = double.files("alice/svc")
    assert {"Dockerfile", "README.md", "main.py"} <= set(files)
    assert b"sdk: docker" in files["README.md"]
    assert double.WRITE_TOKEN not in out + err


def test_release_stops_at_check_errors_before_building(tmp_path, double, capsys) -> None:
    token_like = "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"
    project = build_file_tree(
        tmp_path / "leaky",
        {"main.py": APP + f'\nHF_TOKEN = "{token_like}"\n', "requirements.txt": "fastapi\nuvicorn\n"},
    )
    code, out, err = run(["release", str(project), "--space", "alice/leaky", "--json"], capsys)
    assert code == ExitCode.CHECK_FAILED
    document = json.loads(out)
    assert document["status"] == "failed"
    assert document["failed_stage"] == "check"
    assert document.get("image") is None
    assert not double.exists("alice/leaky")
    assert token_like not in out + err
    assert "Traceback" not in err


def test_release_with_a_bad_token_fails_before_building(tmp_path, double, capsys, monkeypatch) -> None:
    project = build_file_tree(tmp_path / "svc", {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"})
    monkeypatch.setenv("HF_TOKEN", "hf_not_a_token_the_hub_knows")
    code, out, err = run(["release", str(project), "--space", "alice/svc", "--json"], capsys)
    assert code == ExitCode.AUTH
    document = json.loads(out)
    assert document["status"] == "failed" and document.get("image") is None
    assert "hf_not_a_token" not in out + err


def test_release_reports_a_space_build_error_with_its_exit_code(
    tmp_path, double, space_app, capsys, docker_cleanup
) -> None:
    project = build_file_tree(tmp_path / "svc", {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"})
    double.create_space("alice/broken")
    double.script_stages("alice/broken", "BUILDING", ("BUILD_ERROR", "Docker build failed"))
    double.set_logs("alice/broken", build=["Step 3/9 : RUN pip install", "ERROR: boom"])
    code, out, err = run(
        ["release", str(project), "--space", "alice/broken", "--tag", "spacepack-test/broken:rel", "--json"], capsys
    )
    document = json.loads(out)
    docker_cleanup["images"].extend(_image_tags(document))
    assert code == ExitCode.SPACE_BUILD_ERROR
    assert document["status"] == "failed" and document["failed_stage"] == "push"
    assert document["push"]["stage"] == "BUILD_ERROR"
    assert "ERROR: boom" in document["push"]["log_tail"]


def test_release_all_targets_releases_each_space_in_turn(tmp_path, double, space_app, capsys, docker_cleanup) -> None:
    project = build_file_tree(
        tmp_path / "mono",
        {
            "main.py": APP,
            "requirements.txt": "fastapi\nuvicorn\n",
            "spacepack.toml": """
                title = "Mono"

                [targets.staging]
                space = "alice/mono-staging"
                variables = { STAGE = "staging" }

                [targets.production]
                space = "alice/mono"
                hardware = "cpu-upgrade"
                variables = { STAGE = "production" }
                """,
        },
    )
    for space in ("alice/mono-staging", "alice/mono"):
        double.create_space(space)
        double.script_stages(space, "BUILDING", "RUNNING")
    code, out, err = run(["release", str(project), "--all-targets", "--no-smoke", "--json"], capsys)
    document = json.loads(out)
    for target in document["targets"]:
        docker_cleanup["images"].extend(_image_tags(target))
    assert code == 0, err
    assert document["status"] == "released"
    assert [t["target"] for t in document["targets"]] == ["staging", "production"]
    assert [t["space"] for t in document["targets"]] == ["alice/mono-staging", "alice/mono"]
    assert double.variables("alice/mono-staging") == {"STAGE": "staging"}
    assert double.variables("alice/mono") == {"STAGE": "production"}
    assert double.hardware("alice/mono") == "cpu-upgrade"
