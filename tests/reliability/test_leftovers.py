"""Nothing left behind: smoke faults, Ctrl-C in build, smoke and push, an engine cut mid-build.

After each fault: no container of ours, no network, no temp folder, no image
left dangling by the run (every step image named in the build log is gone or
tagged), and a re-run succeeds.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.fault_apps import FAULT_APPS
from tests.helpers import ChildLines, build_file_tree, default_sigint, stop_child, wait_until
from tests.reliability.conftest import (
    REPO_ROOT,
    SMOKE_LABEL,
    Canaries,
    cli_env,
    make_canary_project,
    remove_images,
    run_cli,
    spacepack_temp_dirs,
)

pytestmark = pytest.mark.docker
LAYER_RE = re.compile(r"^ ---> ([0-9a-f]{12,64})$", re.MULTILINE)


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fault_images(docker_client: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Builds (once per module) the image of a fault app; the base is the one tests/test_smoke_docker uses (cached)."""
    from spacepack.build import build_image

    root = build_file_tree(
        tmp_path_factory.mktemp("rel-base"),
        {"Dockerfile": "FROM python:3.11-slim\nRUN pip install --no-cache-dir fastapi uvicorn\n"},
    )
    base = f"spacepack-test/rel-base-{uuid.uuid4().hex[:8]}:test"
    build_image(docker_client, root, tags=[base], log_path=root / "build.log")  # type: ignore[arg-type]
    built: dict[str, str] = {}

    def make(name: str) -> str:
        if name not in built:
            app = FAULT_APPS[name]
            folder = build_file_tree(
                tmp_path_factory.mktemp(name), {"main.py": app.main, "Dockerfile": app.dockerfile(base)}
            )
            tag = f"spacepack-test/rel-{name.replace('_', '-')}-{uuid.uuid4().hex[:8]}:test"
            built[name] = tag
            build_image(docker_client, folder, tags=[tag], log_path=folder / "build.log")  # type: ignore[arg-type]
        return built[name]

    yield make
    remove_images(docker_client, [*built.values(), base])


def our_containers(client: object, **filters: str) -> list[str]:
    import docker

    assert isinstance(client, docker.DockerClient)
    return [c.id for c in client.containers.list(all=True, filters={"label": SMOKE_LABEL, **filters})]


def network_names(client: object) -> set[str]:
    import docker

    assert isinstance(client, docker.DockerClient)
    return {n.name for n in client.networks.list()}


def dangling_layers(client: object, log_text: str) -> list[str]:
    """Step images named in a build log that still exist without a tag and without a tagged child."""
    import docker

    assert isinstance(client, docker.DockerClient)
    dangling = {image.id for image in client.images.list(filters={"dangling": True})}
    left = []
    for short in LAYER_RE.findall(log_text):
        try:
            image = client.images.get(short)
        except docker.errors.ImageNotFound:
            continue
        if image.id in dangling:
            left.append(short)
    return left


def logs_text(project: Path) -> str:
    return "".join(p.read_text() for p in sorted((project / ".spacepack" / "logs").glob("build-*.log")))


# --- smoke fault matrix -----------------------------------------------------------------------------

# (case id, fault app, extra smoke flags): each must fail with exit 6.
SMOKE_FAULTS = [
    ("crash-on-import", "crash_on_import", ["--env", "API_KEY=value-of-the-key"]),
    ("never-listens", "never_listens", []),
    ("hardcoded-port", "hardcoded_port", []),
    ("binds-loopback", "binds_loopback", []),
    ("hangs", "hangs", []),
    ("exits-zero", "exits_zero", []),
    ("health-500", "health_500", []),
    ("wrong-expected-status", "healthy", ["--expect-status", "201"]),
    ("wrong-expected-json", "healthy", ["--expect-json", "status=green"]),
    ("missing-check-path", "healthy", ["--check", "/no-such-path"]),
    ("wrong-health-path", "healthy", ["--health", "/nope"]),
]


@pytest.mark.parametrize(("app", "flags"), [(a, f) for _, a, f in SMOKE_FAULTS], ids=[c for c, _, _ in SMOKE_FAULTS])
def test_smoke_fault_leaves_nothing(
    docker_client: object, fault_images: Callable[[str], str], tmp_path: Path, app: str, flags: list[str]
) -> None:
    image = fault_images(app)
    networks = network_names(docker_client)
    run = run_cli(["smoke", image, "--timeout", "6", "--json", *flags], cwd=tmp_path)
    assert run.code == 6, run.err
    assert "smoke: failed" in run.err and "Traceback" not in run.err
    assert json.loads(run.out)["smoke"]["verdict"] != "healthy"
    assert our_containers(docker_client, ancestor=image) == []
    assert network_names(docker_client) == networks


def test_healthy_image_passes_after_the_faults(
    docker_client: object, fault_images: Callable[[str], str], tmp_path: Path
) -> None:
    image = fault_images("healthy")
    run = run_cli(["smoke", image, "--timeout", "30"], cwd=tmp_path)
    assert run.code == 0 and "smoke: healthy" in run.err, run.err
    assert our_containers(docker_client, ancestor=image) == []


# --- Ctrl-C -----------------------------------------------------------------------------------------


def interrupt_when(
    args: list[str],
    marker: str,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    again_after: float | None = None,
) -> tuple[int, str]:
    """Start the CLI, send SIGINT once `marker` appears on its stderr; (exit code, whole stderr).

    With `again_after`, a second SIGINT follows that many seconds later (people press Ctrl-C twice).
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "spacepack", *args],
        cwd=cwd or REPO_ROOT,
        env=cli_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    assert process.stderr is not None
    try:
        stderr = ChildLines(process.stderr)
        stderr.until(marker, timeout=300)
        process.send_signal(signal.SIGINT)
        if again_after is not None:
            time.sleep(again_after)
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        code = process.wait(timeout=120)
        return code, stderr.rest(timeout=30)
    finally:
        stop_child(process)


@pytest.mark.parametrize("again_after", [None, 0.3], ids=["once", "twice-within-half-a-second"])
def test_ctrl_c_during_build_leaves_nothing_and_a_rerun_succeeds(
    docker_client: object, tmp_path: Path, canaries: Canaries, again_after: float | None
) -> None:
    project = make_canary_project(tmp_path / "proj", canaries)
    tag = f"spacepack-test/sigint-build-{uuid.uuid4().hex[:8]}:test"
    try:
        code, err = interrupt_when(
            ["build", str(project), "--force", "--no-cache", "--no-smoke", "--tag", tag],
            ": RUN ",
            again_after=again_after,
        )
        assert code == 130, err
        assert "interrupted" in err.splitlines()[-1] and "Traceback" not in err
        # Right away, not after a grace period: the cleanup ran to its end before spacepack exited.
        assert dangling_layers(docker_client, logs_text(project)) == []
        assert spacepack_temp_dirs(project) == []
        rerun = run_cli(["build", str(project), "--force", "--no-smoke", "--tag", tag])
        assert rerun.code == 0, rerun.err
    finally:
        remove_images(docker_client, [tag])
    assert dangling_layers(docker_client, logs_text(project)) == []


def test_ctrl_c_during_smoke_removes_the_container(
    docker_client: object, fault_images: Callable[[str], str], tmp_path: Path
) -> None:
    image = fault_images("never_listens")
    code, err = interrupt_when(["smoke", image, "--timeout", "120"], "(container spacepack-smoke-", cwd=tmp_path)
    assert code == 130 and "Traceback" not in err, err
    name = re.search(r"\(container (spacepack-smoke-[0-9a-f]+)\)", err)
    assert name is not None
    assert our_containers(docker_client, name=name[1]) == []
    assert our_containers(docker_client, ancestor=image) == []


@pytest.mark.hub
def test_ctrl_c_during_push_wait_leaves_nothing_and_a_rerun_succeeds(
    tmp_path: Path, canaries: Canaries, hub_env: tuple[object, dict[str, str]]
) -> None:
    from tests.hub_double import HubDouble

    double, env = hub_env
    assert isinstance(double, HubDouble)
    project = make_canary_project(tmp_path / "proj", canaries)
    space = "alice/sigint-space"
    env = {**env, "HF_TOKEN": double.WRITE_TOKEN}
    double.create_space(space)
    double.script_stages(space, "BUILDING")  # never RUNNING
    args = ["push", str(project), "--space", space, "--force"]
    code, err = interrupt_when([*args, "--wait", "--timeout", "600"], "BUILDING", env=env)
    assert code == 130 and "Traceback" not in err, err
    assert spacepack_temp_dirs(project) == []
    assert (project / ".spacepack" / "context" / "Dockerfile").is_file()
    head = double.commits(space)[-1].oid
    rerun = run_cli(args, env=env)
    assert rerun.code == 0 and "no change" in rerun.err, rerun.err
    assert double.commits(space)[-1].oid == head


# --- the engine connection cut mid-build -----------------------------------------------------------


class CuttingProxy:
    """A unix-socket proxy to the real engine that can cut every open connection at once."""

    def __init__(self, path: Path, target: str = "/var/run/docker.sock") -> None:
        self.path, self.target = path, target
        self.cut = threading.Event()
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut_all(self) -> None:
        """Drop every connection open now (new ones still work: the engine came back)."""
        with self._lock:
            for s in self._open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._open.clear()

    def close(self) -> None:
        self._server.close()
        self.cut_all()


def test_engine_connection_cut_mid_build_is_a_clear_error(
    docker_client: object, tmp_path: Path, canaries: Canaries
) -> None:
    if not Path("/var/run/docker.sock").exists() or os.environ.get("DOCKER_HOST", "unix://").split("://")[0] != "unix":
        pytest.skip("needs the engine on the local unix socket")
    project = make_canary_project(tmp_path / "proj", canaries)
    tag = f"spacepack-test/cut-{uuid.uuid4().hex[:8]}:test"
    proxy = CuttingProxy(tmp_path / "d.sock")
    process: subprocess.Popen[str] | None = None
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spacepack",
                "build",
                str(project),
                "--force",
                "--no-cache",
                "--no-smoke",
                "--tag",
                tag,
            ],
            cwd=REPO_ROOT,
            env=cli_env({"DOCKER_HOST": f"unix://{tmp_path / 'd.sock'}"}),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        stderr = ChildLines(process.stderr)
        stderr.until(": RUN ", timeout=300)
        proxy.cut_all()
        code = process.wait(timeout=120)
        err = stderr.rest(timeout=30)
        assert code == 4, err
        assert "error: the connection to the Docker engine broke during the build" in err
        assert "fix:" in err and "Traceback" not in err
        wait_until(lambda: not dangling_layers(docker_client, logs_text(project)), timeout=30)
        rerun = run_cli(["build", str(project), "--force", "--no-smoke", "--tag", tag])
        assert rerun.code == 0, rerun.err
    finally:
        if process is not None:
            stop_child(process)
        proxy.close()
        remove_images(docker_client, [tag])


# --- two builds at once --------------------------------------------------------------------------


def test_two_projects_build_at_the_same_time_without_colliding(
    docker_client: object, tmp_path: Path, canaries: Canaries
) -> None:
    projects, tags = [], []
    for name in ("alpha", "beta"):
        project = make_canary_project(tmp_path / name, canaries)
        (project / "main.py").write_text(
            (project / "main.py").read_text() + f'\n\n@app.get("/{name}")\ndef which() -> str:\n    return "{name}"\n'
        )
        projects.append(project)
        tags.append(f"spacepack-test/{name}-{uuid.uuid4().hex[:8]}:test")
    try:
        with ThreadPoolExecutor(2) as pool:
            runs = list(
                pool.map(
                    lambda pt: run_cli(
                        ["build", str(pt[0]), "--force", "--tag", pt[1], "--json", "--check", f"/{pt[0].name}"]
                    ),
                    zip(projects, tags, strict=True),
                )
            )
        for run, project in zip(runs, projects, strict=True):
            assert run.code == 0, run.err
            document = json.loads(run.out)
            assert document["smoke"]["verdict"] == "healthy"
            assert Path(document["image"]["log_path"]).parent == project / ".spacepack" / "logs"
        ids = {json.loads(r.out)["image"]["id"] for r in runs}
        assert len(ids) == 2  # two images, each project's own
    finally:
        remove_images(docker_client, tags)
