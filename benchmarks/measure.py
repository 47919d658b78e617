"""Measurements that talk to the engine, the Hub double or a subprocess.

Every image made here is tagged `spacepack-bench/...` (a label passed to a build would be
one more build step on every side), every container carries the `dev.spacepack.bench=1`
label, and both are recorded in a `Ledger`, so `cleanup` can remove them (and the
intermediate images of the classic builder) whatever happened.
"""

from __future__ import annotations

import compileall
import http.client
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker import utils as docker_utils
from docker.api.build import process_dockerfile

import spacepack
import spacepack.smoke as smoke_module
from spacepack.build import DEFAULT_PLATFORM
from spacepack.smoke import SmokeOptions, run_smoke

BENCH_LABEL = "dev.spacepack.bench"
LABELS = {BENCH_LABEL: "1"}
BENCH_REPOSITORY = "spacepack-bench/"


def bench_images(client: Any) -> list[str]:
    """Ids of the images the benchmark tagged (and of older ones it labelled)."""
    tagged = client.images.list(all=True, filters={"reference": f"{BENCH_REPOSITORY}*"})
    labelled = client.images.list(all=True, filters={"label": f"{BENCH_LABEL}=1"})
    return list(dict.fromkeys(image.id for image in [*tagged, *labelled]))


@dataclass
class Ledger:
    """Everything the benchmark created in the engine, for the cleanup at the end."""

    images: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)

    def add_image(self, client: Any, image_id: str) -> None:
        self.images.append(image_id)
        try:
            history = client.api.history(image_id)
        except docker.errors.APIError:
            return
        # The classic builder keeps one image per step: remember those it made for us.
        self.parents.extend(item["Id"] for item in history if item.get("Id", "<missing>") != "<missing>")


def cleanup(client: Any, ledger: Ledger) -> dict[str, int]:
    """Remove the benchmark's containers, images and leftover intermediate images.

    Images shared with someone else's image (a cache hit) are refused by the engine
    with a conflict and stay: only what nothing else uses goes.
    """
    removed = {"containers": 0, "images": 0}
    for container in client.containers.list(all=True, filters={"label": f"{BENCH_LABEL}=1"}):
        container.remove(force=True)
        removed["containers"] += 1
    for image_id in dict.fromkeys([*reversed(ledger.images), *bench_images(client)]):
        try:
            client.api.remove_image(image_id, force=True)
            removed["images"] += 1
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError:
            pass
    for image_id in dict.fromkeys(ledger.parents):
        try:
            attrs = client.api.inspect_image(image_id)
        except docker.errors.NotFound:
            continue
        if attrs.get("RepoTags"):
            continue  # a named image (the base image, or someone else's): never ours to remove
        try:
            client.api.remove_image(image_id, force=False)
            removed["images"] += 1
        except docker.errors.APIError:
            pass  # still used by another image or container
    return removed


# -- build context ---------------------------------------------------------------------------


class _CountingSink:
    """A write-only, seekable file object that only counts bytes (what tarfile needs)."""

    def __init__(self) -> None:
        self.size = 0
        self._position = 0

    def write(self, data: bytes) -> int:
        self._position += len(data)
        self.size = max(self.size, self._position)
        return len(data)

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        self._position = offset if whence == 0 else self.size + offset if whence == 2 else self._position + offset
        return self._position

    def flush(self) -> None:
        return None


def context_bytes(path: Path) -> int:
    """Bytes of the tar the docker SDK sends for `path`, with its .dockerignore (as APIClient.build does)."""
    exclude = None
    ignore = path / ".dockerignore"
    if ignore.exists():
        lines = [line.strip() for line in ignore.read_text().splitlines()]
        exclude = [line for line in lines if line and line[0] != "#"]
    dockerfile = process_dockerfile(None, str(path))
    sink = _CountingSink()
    docker_utils.tar(str(path), exclude=exclude, dockerfile=dockerfile, fileobj=sink)
    return sink.size


# -- builds ----------------------------------------------------------------------------------


class BuildError(RuntimeError):
    """An alternative's build failed."""


def build_plain(client: Any, ledger: Ledger, path: Path, tag: str, *, nocache: bool) -> tuple[float, str]:
    """Build `path` (its Dockerfile) as `docker build` would; seconds and image id."""
    started = time.perf_counter()
    image_id = None
    error = None
    tail: list[str] = []
    for event in client.api.build(
        path=str(path),
        tag=tag,
        nocache=nocache,
        rm=True,
        forcerm=True,
        platform=DEFAULT_PLATFORM,
        decode=True,
    ):
        if "error" in event:
            error = event["error"]
        stream = event.get("stream", "")
        if stream.strip():
            tail = [*tail[-15:], stream.rstrip()]
        # " ---> 1a2b3c" names each step's image: kept for cleanup even when the build fails.
        if stream.startswith(" ---> ") and " " not in stream[6:].strip():
            ledger.parents.append(stream[6:].strip())
        if stream.startswith("Successfully built "):
            image_id = stream.split()[-1]
        aux = event.get("aux")
        if isinstance(aux, dict) and "ID" in aux:
            image_id = aux["ID"]
    seconds = time.perf_counter() - started
    if error or image_id is None:
        raise BuildError(f"build of {path} failed: {error}\n" + "\n".join(tail))
    ledger.add_image(client, image_id)
    return seconds, image_id


def image_size(client: Any, image_id: str) -> int:
    """The image's size as the engine reports it (`docker images`)."""
    return int(client.api.inspect_image(image_id)["Size"])


# -- start-up --------------------------------------------------------------------------------


def _answers(port: int, path: str, timeout: float) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        return 200 <= connection.getresponse().status < 300
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _host_port(client: Any, container_id: str, port: int) -> int | None:
    try:
        ports = client.api.inspect_container(container_id)["NetworkSettings"]["Ports"] or {}
    except docker.errors.NotFound:
        return None
    bindings = ports.get(f"{port}/tcp") or []
    return int(bindings[0]["HostPort"]) if bindings else None


class FirstAnswer:
    """A tight independent probe: the moment the app first answers its health path 2xx."""

    def __init__(self, label_value: str, container_port: int, path: str) -> None:
        self.moment: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(label_value, container_port, path), daemon=True)

    def __enter__(self) -> FirstAnswer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self, label_value: str, container_port: int, path: str) -> None:
        # The probe's own docker client: the SDK's client is not shared across threads here.
        local = docker.from_env()
        try:
            port = None
            while port is None and not self._stop.is_set():
                found = local.api.containers(filters={"label": f"{BENCH_LABEL}.probe={label_value}"})
                port = _host_port(local, found[0]["Id"], container_port) if found else None
                if port is None:
                    time.sleep(0.01)
            while port is not None and not self._stop.is_set():
                if _answers(port, path, timeout=0.5):
                    self.moment = time.perf_counter()
                    return
                time.sleep(0.005)
        finally:
            local.close()


@contextmanager
def _stamp_healthy() -> Iterator[list[float]]:
    """Record the moment spacepack's smoke reaches its healthy verdict (before its extra probes)."""
    stamps: list[float] = []
    original = smoke_module._after_healthy

    def stamped(*args: Any, **kwargs: Any) -> Any:
        stamps.append(time.perf_counter())
        return original(*args, **kwargs)

    smoke_module._after_healthy = stamped  # type: ignore[assignment]
    try:
        yield stamps
    finally:
        smoke_module._after_healthy = original  # type: ignore[assignment]


def startup_smoke(client: Any, image: str, health_path: str, env: Mapping[str, str], token: str) -> dict[str, float]:
    """`run_smoke` on the image: seconds from the run to its healthy verdict, and to the first answer."""
    port = 7861  # spacepack injects a PORT unlike app_port; the probe needs to know which one
    labels = {**LABELS, f"{BENCH_LABEL}.probe": token}
    options = SmokeOptions(health_path=health_path, port=port, env=dict(env), labels=labels, timeout=120)
    with _stamp_healthy() as stamps, FirstAnswer(token, port, health_path) as probe:
        started = time.perf_counter()
        report = run_smoke(client, image, options)
        returned = time.perf_counter()
    if report.verdict != "healthy" or not stamps or probe.moment is None:
        raise RuntimeError(f"smoke of {image} did not end healthy: {report.reason}")
    return {
        "verdict_s": stamps[0] - started,
        "first_answer_s": probe.moment - started,
        "lag_s": stamps[0] - probe.moment,
        "returned_s": returned - started,
    }


def startup_poll_loop(
    client: Any, ledger: Ledger, image: str, health_path: str, env: Mapping[str, str], token: str
) -> dict[str, float]:
    """A plain `docker run` + poll every 1 s loop, as CI scripts do."""
    port = 7860
    labels = {**LABELS, f"{BENCH_LABEL}.probe": token}
    with FirstAnswer(token, port, health_path) as probe:
        started = time.perf_counter()
        container = client.containers.run(
            image,
            detach=True,
            environment={**env, "PORT": str(port)},
            user="1000",
            ports={f"{port}/tcp": ("127.0.0.1", None)},
            labels=labels,
        )
        ledger.containers.append(container.id)
        try:
            host_port = None
            verdict = None
            deadline = started + 120
            while time.perf_counter() < deadline:
                host_port = host_port or _host_port(client, container.id, port)
                if host_port is not None and _answers(host_port, health_path, timeout=2):
                    verdict = time.perf_counter()
                    break
                time.sleep(1)
        finally:
            container.remove(force=True)
    if verdict is None or probe.moment is None:
        raise RuntimeError(f"{image} never answered {health_path}")
    return {
        "verdict_s": verdict - started,
        "first_answer_s": probe.moment - started,
        "lag_s": verdict - probe.moment,
    }


# -- subprocesses ----------------------------------------------------------------------------


def wall_time(argv: list[str], env: Mapping[str, str] | None = None) -> float:
    """Seconds a command takes from spawn to exit (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=dict(env) if env is not None else None)
    return time.perf_counter() - started


def spacepack_cli() -> str:
    """The spacepack console script of the running interpreter's venv."""
    candidate = Path(sys.executable).parent / "spacepack"
    return str(candidate) if candidate.exists() else "spacepack"


def compile_spacepack() -> None:
    """Write spacepack's bytecode before its CLI is timed, as installing the wheel does.

    From an editable install under PYTHONDONTWRITEBYTECODE (or with .pyc files older than the
    sources), every CLI run would compile spacepack's modules from source again: about 70 ms of each
    `check` that no installed copy pays.
    """
    compileall.compile_dir(Path(spacepack.__file__).parent, quiet=1)


def quiet_env() -> dict[str, str]:
    """The environment for CLI runs: no token, no colour, nothing of the caller's Hub login."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env["NO_COLOR"] = "1"
    return env
