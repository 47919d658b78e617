"""The Docker engine boundary: the only module that imports the docker SDK.

Clients are made by `get_docker_client` and passed in to every function, so
tests hand in a real client pointed at the test engine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors

from spacepack.errors import EngineUnavailable

DockerClient = docker.DockerClient


@dataclass(frozen=True)
class EngineInfo:
    """What `doctor` reports about the engine."""

    server_version: str
    api_version: str
    docker_host: str | None
    os: str
    architecture: str


def get_docker_client(timeout: int = 600) -> DockerClient:
    """Connect to the engine named by DOCKER_HOST (unix://, tcp://, ssh://) or the local socket.

    Raises:
        EngineUnavailable: when no engine answers.
    """
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as error:
        host = os.environ.get("DOCKER_HOST")
        where = f"at DOCKER_HOST={host}" if host else "on the local socket"
        raise EngineUnavailable(
            f"no Docker engine answers {where}",
            hint="start Docker (on Debian as root: scripts/docker-up), or point DOCKER_HOST at a running engine",
        ) from error
    return client


def engine_info(client: DockerClient) -> EngineInfo:
    """The engine's versions and platform."""
    version: dict[str, Any] = client.version()
    return EngineInfo(
        server_version=str(version.get("Version", "unknown")),
        api_version=str(version.get("ApiVersion", "unknown")),
        docker_host=os.environ.get("DOCKER_HOST"),
        os=str(version.get("Os", "unknown")),
        architecture=str(version.get("Arch", "unknown")),
    )


def image_present(client: DockerClient, reference: str) -> bool:
    """Whether an image with this reference exists in the engine."""
    try:
        client.images.get(reference)
    except docker.errors.ImageNotFound:
        return False
    return True
