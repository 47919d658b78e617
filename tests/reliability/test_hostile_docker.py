"""Attacks by a hostile repository, through the Docker engine: one build serves every canary.

The leaky repository (classes 1, 4, 5, 7, 8, 10 of RELIABILITY.md) is built
with `--force` and smoke-tested; then every file of every image layer, the
image's config and history, and everything printed are searched for its
canaries, and the image's app folder must hold exactly the files the upload
holds. The same image, run with a PEM key that the app prints in four shapes
before dying, shows that a multi-line secret is masked in each (class 6).
A Dockerfile the engine cannot parse is a build failure, exit 5 (class 10).
"""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import build_file_tree
from tests.reliability.conftest import new_canary, remove_images, run_cli
from tests.reliability.hostile import APP, Hostile, leaky_repository

pytestmark = pytest.mark.docker


def image_blobs(client: object, reference: str) -> Iterator[tuple[str, bytes]]:
    """Every file of `docker save`: the config, and every file of every layer."""
    import docker

    assert isinstance(client, docker.DockerClient)
    raw = b"".join(client.images.get(reference).save(named=True))
    with tarfile.open(fileobj=io.BytesIO(raw)) as outer:
        for member in outer.getmembers():
            if not member.isfile():
                continue
            data = outer.extractfile(member).read()  # type: ignore[union-attr]
            yield member.name, data
            if member.name.endswith(".tar") or "blobs/" in member.name:
                try:
                    layer = tarfile.open(fileobj=io.BytesIO(data))
                except tarfile.TarError:
                    continue
                with layer:
                    for entry in layer.getmembers():
                        if entry.isfile():
                            yield f"{member.name}:{entry.name}", layer.extractfile(entry).read()  # type: ignore[union-attr]


def app_files(client: object, reference: str) -> set[str]:
    """The files of the image's app folder, as the engine copied them."""
    import docker

    assert isinstance(client, docker.DockerClient)
    output = client.containers.run(
        reference,
        ["sh", "-c", "cd /home/user/app && find . -type f"],
        remove=True,
        labels={"dev.spacepack.test": "1"},
        network_disabled=True,
    )
    return {line[2:] for line in output.decode().splitlines() if line.startswith("./")}


@pytest.fixture(scope="module")
def built_leaky(docker_client: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hostile, str, str]]:
    hostile = leaky_repository(tmp_path_factory.mktemp("leaky"))
    tag = f"spacepack-test/hostile-{uuid.uuid4().hex[:10]}:test"
    run = run_cli(["build", str(hostile.root), "--force", "--tag", tag, "--env", "PEM_KEY=", "--json"])
    try:
        assert run.code == 0, run.both[-4000:]
        yield hostile, tag, run.both
    finally:
        remove_images(docker_client, [tag])


def test_no_canary_in_any_layer_config_history_or_output(docker_client: object, built_leaky: tuple) -> None:
    hostile, tag, output = built_leaky
    assert hostile.leaks(output) == []
    scanned = 0
    for name, data in image_blobs(docker_client, tag):
        scanned += 1
        assert hostile.leaks_in_bytes(data) == [], name
    assert scanned > 100
    inspect = json.dumps(docker_client.api.inspect_image(tag)) + json.dumps(docker_client.api.history(tag))  # type: ignore[attr-defined]
    assert hostile.leaks(inspect) == []
    for path in (hostile.root / ".spacepack").rglob("*"):
        if path.is_file():
            assert hostile.leaks_in_bytes(path.read_bytes()) == [], path


def test_the_image_holds_exactly_the_files_the_upload_holds(docker_client: object, built_leaky: tuple) -> None:
    hostile, tag, _ = built_leaky
    context = hostile.root / ".spacepack" / "context"
    upload = {p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file()}
    assert app_files(docker_client, tag) == upload


def test_a_multi_line_secret_the_app_prints_is_masked_in_every_shape(built_leaky: tuple) -> None:
    hostile, tag, _ = built_leaky
    lines = [new_canary(f"pem{i}")[:40] for i in range(3)]
    pem = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"
    for args in (["smoke", tag, "--env", f"PEM_KEY={pem}"], ["smoke", tag, "--env", f"PEM_KEY={pem}", "--json"]):
        run = run_cli(args, timeout=300)
        assert run.code == 6, run.both[-3000:]
        for line in lines:
            assert line[:16] not in run.both, run.both[-3000:]
        assert "CANAR" not in run.both
        assert "****" in run.both


def test_a_dockerfile_the_engine_cannot_parse_is_a_build_failure(tmp_path: Path, docker_client: object) -> None:
    project = build_file_tree(
        tmp_path / "project",
        {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n", "Dockerfile.template": "FORM {{ base_image }}\n"},
        dedent=False,
    )
    tag = f"spacepack-test/unparsable-{uuid.uuid4().hex[:10]}:test"
    try:
        run = run_cli(["build", str(project), "--tag", tag], timeout=300)
        assert run.code == 5, run.both[-3000:]
        assert "Traceback" not in run.both and "connection" not in run.err.lower()
    finally:
        remove_images(docker_client, [tag])
