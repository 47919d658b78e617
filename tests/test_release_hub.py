"""`release` and the Hub: one whoami, one normalised Space id from the flag to the image label."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spacepack.push import MANIFEST_PATH
from tests.helpers import SAMPLE_APP, build_file_tree
from tests.helpers import run_cli as run
from tests.hub_double import HubDouble

pytestmark = [pytest.mark.docker, pytest.mark.hub]


def test_release_checks_the_token_once_and_labels_the_image_with_the_normalised_space(
    tmp_path: Path,
    double: HubDouble,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    docker_client: object,
    docker_cleanup: dict[str, list[str]],
) -> None:
    import docker

    monkeypatch.setenv("HF_TOKEN", double.WRITE_TOKEN)
    project = build_file_tree(tmp_path / "svc", {"main.py": SAMPLE_APP, "requirements.txt": "fastapi\nuvicorn\n"})
    code, out, err = run(
        [
            "release",
            str(project),
            "--space",
            "spaces/alice/svc",
            "--tag",
            "spacepack-test/svc:hub",
            "--no-probe",
            "--json",
        ],
        capsys,
    )
    document = json.loads(out)
    docker_cleanup["images"].extend((document.get("image") or {}).get("tags") or [])
    assert code == 0, err
    assert document["space"] == "alice/svc"
    assert len(double.requests_for("whoami")) == 1  # checked before the build, trusted by the push
    assert MANIFEST_PATH in double.files("alice/svc")
    assert isinstance(docker_client, docker.DockerClient)
    labels = docker_client.images.get("spacepack-test/svc:hub").labels
    assert labels["dev.spacepack.health-path"] == "/health"  # set by the rendered Dockerfile, before the source
