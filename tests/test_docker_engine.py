"""The test engine itself: an image FROM the default base serves a FastAPI app on 127.0.0.1."""

from __future__ import annotations

import urllib.request

import pytest

from tests.helpers import SAMPLE_APP, build_file_tree, wait_until

pytestmark = pytest.mark.docker


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except OSError:
        return None


def test_fastapi_image_from_the_default_base_answers_on_a_loopback_port(
    docker_client, docker_cleanup, unique_tag, tmp_path
) -> None:
    build_file_tree(
        tmp_path,
        {
            "app.py": SAMPLE_APP,
            "Dockerfile": """
                FROM python:3.11-slim
                RUN pip install --no-cache-dir fastapi uvicorn
                WORKDIR /app
                COPY app.py .
                CMD ["python", "-m", "uvicorn", "app:app", "--host", "0.0.0.0", "--port", "7860"]
            """,
        },
    )
    image, _ = docker_client.images.build(path=str(tmp_path), tag=unique_tag, rm=True, forcerm=True)
    docker_cleanup["images"].append(image.id)
    container = docker_client.containers.run(
        image.id,
        detach=True,
        ports={"7860/tcp": ("127.0.0.1", None)},
        labels={"dev.spacepack.test": "1"},
    )
    docker_cleanup["containers"].append(container.id)
    container.reload()
    binding = container.ports["7860/tcp"][0]
    assert binding["HostIp"] == "127.0.0.1"
    url = f"http://127.0.0.1:{binding['HostPort']}/health"
    assert wait_until(lambda: _get(url) == 200, timeout=60)


def test_a_short_lived_container_is_bounded_offline_and_removed(docker_client):
    import time

    from spacepack import engine

    label = {"dev.spacepack.test": "run-to-completion"}
    code, out, _ = engine.run_to_completion(
        docker_client,
        "python:3.11-slim",
        command=["python", "-c", "import os, socket; print(os.getuid(), socket.if_nameindex())"],
        user="1000",
        labels=label,
        timeout=30,
    )
    assert code == 0
    assert out.strip() == "1000 [(1, 'lo')]"  # uid 1000, and no network but loopback
    started = time.monotonic()
    code, _, _ = engine.run_to_completion(
        docker_client,
        "python:3.11-slim",
        command=["sleep", "60"],
        user="1000",
        labels=label,
        timeout=2,
    )
    assert code is None
    assert time.monotonic() - started < 20
    assert docker_client.containers.list(all=True, filters={"label": "dev.spacepack.test=run-to-completion"}) == []


def test_a_network_of_its_own_is_labelled_and_removed(docker_client):
    import uuid

    from spacepack import engine

    name = f"spacepack-test-{uuid.uuid4().hex[:8]}"
    network = engine.create_network(docker_client, name, {"dev.spacepack.test": "network"})
    try:
        assert engine.networks_with_label(docker_client, "dev.spacepack.test=network") == [network]
    finally:
        engine.remove_network(docker_client, network)
    engine.remove_network(docker_client, network)  # a second removal is not an error
    assert engine.networks_with_label(docker_client, "dev.spacepack.test=network") == []
