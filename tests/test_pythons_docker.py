"""The oldest and the newest Python spacepack offers, built and smoke-tested on the real engine.

A fixture pinned to 3.14 uses a 3.14-only module (`string.templatelib`, PEP 750) at import time; one
pinned to 3.9 (end of life, offered with SP254 only because the project pins it) refuses to start on
any other Python. Healthy therefore means: that exact Python ran the app. Where no registry is
reachable the base images are offline stand-ins (`SPACEPACK_STANDIN_PYTHONS="3.9 3.14"
scripts/docker-up`); without one the test is skipped and says how to make it.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from spacepack import engine
from tests.helpers import build_file_tree, run_cli

pytestmark = pytest.mark.docker

APP_ON_314 = """\
import sys
from string.templatelib import Template  # new in 3.14: an older Python fails here, at import

from fastapi import FastAPI

assert sys.version_info[:2] == (3, 14), sys.version

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    template = Template("python ", str(sys.version_info[1]))
    return {"status": "ok", "python": "".join(part for part in template if isinstance(part, str))}
"""

APP_ON_39 = """\
import sys

from fastapi import FastAPI

assert sys.version_info[:2] == (3, 9), sys.version  # the smoke test is healthy only on 3.9

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
"""


def _needs_base(client: Any, version: str) -> None:
    if engine.image_attrs(client, f"python:{version}-slim") is None:
        pytest.skip(
            f"python:{version}-slim is not on this engine and no registry is reachable; "
            f'SPACEPACK_STANDIN_PYTHONS="{version}" scripts/docker-up builds an offline stand-in'
        )


def _build(project: Path, tag: str, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    code, out, err = run_cli(["build", str(project), "--tag", tag, "--json"], capsys)
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document, err


@pytest.mark.parametrize(
    ("version", "spec"),
    [
        (
            "3.14",
            {
                "pyproject.toml": '[project]\nname = "on314"\nversion = "0.1.0"\nrequires-python = "==3.14.*"\n'
                'dependencies = ["fastapi", "uvicorn"]\n',
                ".python-version": "3.14\n",
                "main.py": APP_ON_314,
            },
        ),
        ("3.9", {".python-version": "3.9\n", "requirements.txt": "fastapi\nuvicorn\n", "main.py": APP_ON_39}),
    ],
    ids=["3.14", "3.9"],
)
def test_a_project_pinned_to_an_edge_python_builds_and_smokes_healthy_on_it(
    docker_client: Any,
    docker_cleanup: dict[str, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    version: str,
    spec: dict[str, str],
) -> None:
    _needs_base(docker_client, version)
    project = build_file_tree(tmp_path / f"on{version.replace('.', '')}", spec)
    tag = f"spacepack-test/python{version.replace('.', '')}-{uuid.uuid4().hex[:8]}:test"
    docker_cleanup["images"].append(tag)

    code, out, err = run_cli(["check", str(project), "--json"], capsys)
    assert code == 0, err
    plan = json.loads(out)
    assert (plan["python"], plan["python_source"]) == (version, ".python-version")
    end_of_life = [f for f in plan["findings"] if f["code"] == "SP254"]
    assert [f["severity"] for f in end_of_life] == (["warning"] if version == "3.9" else [])

    document, err = _build(project, tag, capsys)

    dockerfile = (project / ".spacepack" / "context" / "Dockerfile").read_text(encoding="utf-8")
    assert f"\nFROM python:{version}-slim\n" in dockerfile
    assert document["smoke"]["verdict"] == "healthy", err
    assert document["smoke"]["probes"][0] | {"ms": 0} == {"method": "GET", "path": "/health", "status": 200, "ms": 0}
    assert engine.image_attrs(docker_client, tag)["Id"] == document["image"]["id"]
