"""Shared fixtures: a real Docker engine (or a skip with a reason), cleanup of what tests start, the Hub double.

Plain helpers (the sample app, the in-process CLI runner, bounded waits on a child's output) live in
tests/helpers.py.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hub_double import HubDouble

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_BACKEND = REPO_ROOT / "examples" / "todo-backend"
TEST_LABEL = "dev.spacepack.test"


def _docker_required() -> bool:
    # In CI a missing engine is a failure, never a silent skip.
    return any(os.environ.get(name, "").lower() in {"1", "true", "yes"} for name in ("SPACEPACK_REQUIRE_DOCKER", "CI"))


@pytest.fixture(scope="session")
def docker_client() -> Iterator[object]:
    """A real Docker client; skips (or fails under SPACEPACK_REQUIRE_DOCKER=1) without an engine."""
    import docker

    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as error:  # any failure to reach the engine means "no engine"
        reason = f"no Docker engine answers ({type(error).__name__}); run scripts/docker-up"
        if _docker_required():
            pytest.fail(f"a Docker engine is required here (CI or SPACEPACK_REQUIRE_DOCKER=1), but {reason}")
        pytest.skip(reason)
    yield client
    client.close()


@pytest.fixture
def docker_cleanup(docker_client: object) -> Iterator[dict[str, list[str]]]:
    """Register container and image ids/tags here; they are removed after the test, whatever happened."""
    import docker

    created: dict[str, list[str]] = {"containers": [], "images": []}
    yield created
    client = docker_client
    assert isinstance(client, docker.DockerClient)
    for container_id in created["containers"]:
        try:
            client.containers.get(container_id).remove(force=True)
        except docker.errors.NotFound:
            pass
    for image in reversed(created["images"]):
        try:
            client.images.remove(image, force=True, noprune=False)
        except docker.errors.ImageNotFound:
            pass


@pytest.fixture
def unique_tag() -> str:
    """An image tag no other test (or concurrent run) uses."""
    return f"spacepack-test/{uuid.uuid4().hex[:12]}:test"


@pytest.fixture
def double(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubDouble]:
    """A started Hub double that huggingface_hub (through HF_ENDPOINT) talks to; no token or login of this machine."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "SPACEPACK_SPACE_URL"):
        monkeypatch.delenv(name, raising=False)
    with HubDouble() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        yield hub


@pytest.fixture
def sigint_raises_keyboard_interrupt() -> Iterator[None]:
    """Python's own SIGINT handler for a test that interrupts this process, even when the parent ignored SIGINT."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `docker` get the engine fixture even when they do not ask for it by name."""
    for item in items:
        if item.get_closest_marker("docker") and "docker_client" not in getattr(item, "fixturenames", []):
            item.fixturenames.append("docker_client")  # type: ignore[attr-defined]


# --- the session-end leftover check -------------------------------------------------------------
# Only what tests create is looked at: images tagged spacepack-test/* (every test tag), and
# containers and networks labelled by spacepack (smoke, its throwaway database) or by tests.
# Other people's docker work is ignored, and so is anything present before the session started.
_OURS_CONTAINER_LABELS = ("dev.spacepack.smoke", TEST_LABEL)
_OURS_IMAGE_PREFIX = "spacepack-test/"


def _our_docker_objects() -> set[str] | None:
    try:
        import docker

        client = docker.from_env(timeout=30)
        found = {
            f"container {c.name}"
            for label in _OURS_CONTAINER_LABELS
            for c in client.containers.list(all=True, filters={"label": label})
        }
        found |= {
            f"image {tag}" for image in client.images.list() for tag in image.tags if tag.startswith(_OURS_IMAGE_PREFIX)
        }
        found |= {
            f"network {network.name}"
            for label in _OURS_CONTAINER_LABELS
            for network in client.networks.list(filters={"label": label})
        }
        client.close()
    except Exception:  # no engine: nothing to compare
        return None
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_LEFTOVERS_AT_START] = _our_docker_objects()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test left one of our containers or test images behind."""
    before = session.config.stash.get(_LEFTOVERS_AT_START, None)
    if before is None or session.config.option.collectonly:
        return
    after = _our_docker_objects() or set()
    left = sorted(after - before)
    if left:
        session.config.stash[_LEFTOVERS_FOUND] = left
        if session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    left = terminalreporter.config.stash.get(_LEFTOVERS_FOUND, [])
    if left:
        terminalreporter.section("docker leftovers", red=True)
        for item in left:
            terminalreporter.write_line(f"left behind by a test: {item}")


_LEFTOVERS_AT_START = pytest.StashKey[set[str] | None]()
_LEFTOVERS_FOUND = pytest.StashKey[list[str]]()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often `check` parses each module (every read of a module's syntax or text goes through one parse)."""
    import spacepack.check.tree as tree_module

    counts: Counter[str] = Counter()
    original = tree_module.parse_module

    def counting(path: str, data: bytes) -> tree_module.PythonModule:
        counts[path] += 1
        return original(path, data)

    monkeypatch.setattr(tree_module, "parse_module", counting)
    return counts
