"""`build_image` against the real engine: tags, labels, the log file and a failing step."""

from __future__ import annotations

import uuid

import pytest

from spacepack import engine
from spacepack.build import BuildProgress, BuildStepFailed, build_image
from spacepack.errors import ExitCode
from tests.helpers import build_file_tree, wait_until

pytestmark = pytest.mark.docker


def test_build_tags_labels_and_logs(docker_client, docker_cleanup, unique_tag, tmp_path):
    context = build_file_tree(
        tmp_path / "ctx",
        {"Dockerfile": 'FROM python:3.11-slim\nRUN echo building-now\nCMD ["python", "-V"]\n'},
    )
    second = unique_tag.replace(":test", ":latest")
    docker_cleanup["images"].extend([unique_tag, second])
    events: list[BuildProgress] = []
    labels = {"org.opencontainers.image.version": "abc123", "dev.spacepack.version": "0.1.0"}
    built = build_image(
        docker_client,
        context,
        tags=[unique_tag, second],
        labels=labels,
        log_path=tmp_path / "logs" / "build.log",
        on_event=events.append,
    )
    attrs = engine.image_attrs(docker_client, unique_tag)
    assert attrs is not None and attrs["Id"] == built.id
    assert engine.image_attrs(docker_client, second)["Id"] == built.id
    assert attrs["Config"]["Labels"]["org.opencontainers.image.version"] == "abc123"
    assert "dev.spacepack.version" in attrs["Config"]["Labels"]
    assert attrs["Architecture"] == "amd64"
    assert built.size > 0
    steps = [e for e in events if e.kind == "step"]
    assert steps[0].step == 1 and steps[0].command == "FROM python:3.11-slim"
    assert any(e.kind == "line" and e.line == "building-now" for e in events)
    assert events[-1].kind == "done"
    assert "building-now" in built.log_path.read_text()


def test_bad_requirement_names_the_step_and_keeps_the_log(docker_client, docker_cleanup, unique_tag, tmp_path):
    # A name of its own for the requirements file, so this build's step containers are told apart from others'.
    requirements = f"requirements-{uuid.uuid4().hex[:8]}.txt"
    context = build_file_tree(
        tmp_path / "ctx",
        {
            requirements: "fastapi\nno-such-package-spacepack-test==9.9.9\n",
            "Dockerfile": f"""
                FROM python:3.11-slim
                COPY {requirements} /tmp/{requirements}
                RUN pip install --no-cache-dir -r /tmp/{requirements}
            """,
        },
    )
    docker_cleanup["images"].append(unique_tag)
    with pytest.raises(BuildStepFailed) as failed:
        build_image(docker_client, context, tags=[unique_tag], log_path=tmp_path / "build.log")
    failure = failed.value.failure
    assert failed.value.exit_code == ExitCode.BUILD_FAILED
    assert (failure.step, failure.total) == (3, 3)
    assert failure.command == f"RUN pip install --no-cache-dir -r /tmp/{requirements}"
    assert any("no-such-package-spacepack-test" in line for line in failure.output_tail)
    assert len(failure.output_tail) <= 30
    assert failed.value.message.startswith("the build failed at step 3/3: The command '/bin/sh -c pip install")
    assert failure.log_path.is_file() and "returned a non-zero code" in failure.log_path.read_text()
    assert "full log: " in failure.to_text()
    assert engine.image_attrs(docker_client, unique_tag) is None
    # The legacy builder's intermediate containers are removed (forcerm).
    assert not _containers_with_command(docker_client, requirements)


def _containers_with_command(docker_client, marker: str) -> list[str]:
    """Ids of containers (any state) whose command names `marker`; listed without a per-container inspect,
    so a container another run removes meanwhile is no error."""
    return [c["Id"] for c in docker_client.api.containers(all=True) if marker in (c.get("Command") or "")]


def test_ctrl_c_during_a_step_leaves_no_container(docker_client, docker_cleanup, unique_tag, tmp_path):
    marker = f"spacepack-ctrl-c-{uuid.uuid4().hex[:8]}"
    context = build_file_tree(
        tmp_path / "ctx", {"Dockerfile": f"FROM python:3.11-slim\nRUN echo {marker} && sleep 60\n"}
    )
    docker_cleanup["images"].append(unique_tag)

    def interrupt_once_running(progress: BuildProgress) -> None:
        if progress.line == marker:
            raise KeyboardInterrupt

    def step_containers() -> list[str]:
        return _containers_with_command(docker_client, marker)

    with pytest.raises(KeyboardInterrupt):
        build_image(
            docker_client, context, tags=[unique_tag], log_path=tmp_path / "b.log", on_event=interrupt_once_running
        )
    # The engine cancels the build when the stream closes; its step container goes away.
    wait_until(lambda: not step_containers(), timeout=20)
    assert engine.image_attrs(docker_client, unique_tag) is None


def test_a_missing_base_image_is_an_engine_problem_exit_4(tmp_path, docker_client):
    from spacepack.build import build_image
    from spacepack.errors import EngineUnavailable, ExitCode

    (tmp_path / "Dockerfile").write_text("FROM spacepack-test/no-such-base:0\nCMD true\n")
    with pytest.raises(EngineUnavailable) as info:
        build_image(docker_client, tmp_path, tags=("spacepack-test/never:0",), log_path=tmp_path / "build.log")
    assert info.value.exit_code == ExitCode.ENGINE_UNAVAILABLE
    assert "spacepack-test/no-such-base:0" in info.value.message
    assert "docker pull" in info.value.hint
