"""`spacepack build` through the CLI: check -> render -> build -> smoke, exit codes and the JSON document."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from spacepack import engine
from spacepack.errors import ExitCode
from spacepack.smoke import SMOKE_LABEL
from tests.conftest import EXAMPLE_BACKEND
from tests.helpers import SAMPLE_APP, build_file_tree, run_cli

SECRET = "better-auth-secret-for-tests-0123456789"

APP_NEEDING_API_KEY = 'import os\n\nAPI_KEY = os.environ["API_KEY"]\n' + SAMPLE_APP


def no_smoke_containers(client: engine.DockerClient, image: str) -> bool:
    return not client.containers.list(all=True, filters={"label": f"{SMOKE_LABEL}=1", "ancestor": image})


def test_error_findings_stop_before_the_build(tmp_path, capsys):
    project = build_file_tree(
        tmp_path / "p",
        {
            # An import nothing provides blocks every step; the hardcoded token blocks only the upload.
            "main.py": APP_NEEDING_API_KEY
            + '\nimport humanize\n\nHF_TOKEN = "hf_abcdefghijklmnopqrstuvwxyzABCDEF12"\n',
            "requirements.txt": "fastapi\nuvicorn\n",
        },
    )
    code, out, err = run_cli(["build", str(project), "--json"], capsys)
    assert code == ExitCode.CHECK_FAILED
    assert "nothing was built" in err and "--force" in err
    assert "error (blocks push): [SP311] main.py:" in err and "[SP203] main.py:" in err
    assert "hf_abcdefghijklmnop" not in out + err
    document = json.loads(out)  # --json: one document, even when stopped
    assert (document["image"], document["smoke"], document["status"], document["exit_code"]) == (
        None,
        None,
        "failed",
        3,
    )
    assert {(f["code"], f["blocks"]) for f in document["findings"] if f["severity"] == "error"} == {
        ("SP203", "everything"),
        ("SP311", "upload"),
    }
    assert not (project / ".spacepack" / "logs").exists()


@pytest.mark.docker
def test_example_backend_builds_and_smokes_green(docker_client, docker_cleanup, tmp_path, capsys):
    project = tmp_path / "todo-backend"
    shutil.copytree(EXAMPLE_BACKEND, project, ignore=shutil.ignore_patterns(".spacepack", "__pycache__", "*.db"))
    tag = f"spacepack-test/todo-{uuid.uuid4().hex[:8]}:test"
    docker_cleanup["images"].append(tag)
    args = ["build", str(project), "--tag", tag, "--env", f"BETTER_AUTH_SECRET={SECRET}", "--json"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    document = json.loads(out)
    image = document["image"]
    assert image["tags"] == [tag]
    assert image["size"] > 0 and image["build_seconds"] > 0
    assert engine.image_attrs(docker_client, tag)["Id"] == image["id"]
    assert Path(image["log_path"]).parent == project / ".spacepack" / "logs"
    smoke = document["smoke"]
    assert smoke["verdict"] == "healthy"
    assert smoke["time_to_healthy"] > 0
    assert smoke["probes"][0]["status"] == 200
    assert SECRET not in out + err + Path(image["log_path"]).read_text()
    assert no_smoke_containers(docker_client, tag)


@pytest.mark.docker
def test_bad_requirement_stops_before_the_build_in_one_line(docker_client, docker_cleanup, tmp_path, capsys):
    # Resolved at render time: a requirement no index has is named before any build step runs.
    project = build_file_tree(
        tmp_path / "p",
        {
            "main.py": APP_NEEDING_API_KEY,
            "requirements.txt": "fastapi\nuvicorn\nno-such-package-spacepack-test==9.9.9\n",
        },
    )
    tag = f"spacepack-test/badreq-{uuid.uuid4().hex[:8]}:test"
    docker_cleanup["images"].append(tag)
    code, out, err = run_cli(["build", str(project), "--tag", tag, "--json"], capsys)
    assert code == ExitCode.CHECK_FAILED
    document = json.loads(out)
    assert document["error"].startswith("the dependencies do not resolve for Python 3.11: ")
    assert "no-such-package-spacepack-test" in document["error"] and "\n" not in document["error"]
    assert "Traceback" not in err and "build_failure" not in document
    assert engine.image_attrs(docker_client, tag) is None
    assert not (project / ".spacepack" / "logs").exists()  # no build was started


@pytest.mark.docker
def test_missing_required_env_is_named_then_passes_with_env(docker_client, docker_cleanup, tmp_path, capsys):
    project = build_file_tree(
        tmp_path / "p", {"main.py": APP_NEEDING_API_KEY, "requirements.txt": "fastapi\nuvicorn\n"}
    )
    tag = f"spacepack-test/needs-env-{uuid.uuid4().hex[:8]}:test"
    docker_cleanup["images"].append(tag)
    code, _, err = run_cli(["build", str(project), "--tag", tag], capsys)
    assert code == ExitCode.SMOKE_FAILED
    assert "API_KEY was not set, and check says the app needs it at start-up" in err
    assert no_smoke_containers(docker_client, tag)

    (project / ".env").write_text(f"API_KEY={SECRET}\n")  # the project's .env is read by default
    code, _, err = run_cli(["build", str(project), "--tag", tag], capsys)
    assert code == 0, err
    assert "smoke: healthy in" in err
    assert SECRET not in err
    assert no_smoke_containers(docker_client, tag)


@pytest.mark.docker
def test_smoke_image_probes_the_health_path_build_recorded(docker_client, docker_cleanup, tmp_path, capsys):
    app = """
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/healthz")
        def healthz() -> dict[str, str]:
            return {"status": "ok"}
    """
    project = build_file_tree(tmp_path / "p", {"main.py": app, "requirements.txt": "fastapi\nuvicorn\n"})
    tag = f"spacepack-test/healthz-{uuid.uuid4().hex[:8]}:test"
    docker_cleanup["images"].append(tag)
    code, _, err = run_cli(["build", str(project), "--tag", tag, "--no-smoke"], capsys)
    assert code == 0, err
    labels = engine.image_attrs(docker_client, tag)["Config"]["Labels"]
    assert labels["dev.spacepack.health-path"] == "/healthz"
    code, out, err = run_cli(["smoke", tag, "--json"], capsys)
    assert code == 0, err
    report = json.loads(out)["smoke"]
    assert report["verdict"] == "healthy"
    assert report["probes"][0]["path"] == "/healthz" and report["probes"][0]["status"] == 200
    assert no_smoke_containers(docker_client, tag)
