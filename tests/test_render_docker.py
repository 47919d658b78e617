"""The rendered context builds with the real engine (classic builder) and serves /health as uid 1000."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spacepack.config import Settings, load_settings
from spacepack.plan import Dependencies, Plan
from spacepack.render import render_context
from tests.conftest import EXAMPLE_BACKEND, TEST_LABEL
from tests.helpers import SAMPLE_APP, build_file_tree, plan_for, wait_until

APP = (
    "import os\nfrom pathlib import Path\n\n"
    + SAMPLE_APP
    + """

@app.post("/write")
def write() -> dict[str, str]:
    target = Path("data") / "probe.txt"
    target.write_text("ok", encoding="utf-8")
    return {"wrote": str(target.resolve()), "uid": str(os.getuid())}
"""
)


def build_context(client: Any, context_path: Path, tag: str, cleanup: dict[str, list[str]]) -> None:
    """Build like `spacepack build` will: the docker SDK's classic builder, from the context folder."""
    cleanup["images"].append(tag)
    client.images.build(path=str(context_path), tag=tag, rm=True, forcerm=True, labels={TEST_LABEL: "1"})


def run_and_probe(client: Any, tag: str, cleanup: dict[str, list[str]], env: dict[str, str]) -> Any:
    import httpx

    port = 8123  # not app_port (7860): the CMD must read $PORT
    container = client.containers.run(
        tag,
        detach=True,
        user="1000",
        environment={"PORT": str(port), **env},
        ports={f"{port}/tcp": ("127.0.0.1", None)},
        labels={TEST_LABEL: "1"},
    )
    cleanup["containers"].append(container.id)

    def host_port() -> str | None:
        container.reload()
        bindings = container.attrs["NetworkSettings"]["Ports"].get(f"{port}/tcp")
        return bindings[0]["HostPort"] if bindings else None

    published = wait_until(host_port, timeout=30)
    base = f"http://127.0.0.1:{published}"

    def healthy() -> httpx.Response | None:
        try:
            response = httpx.get(f"{base}/health", timeout=2)
        except httpx.HTTPError:
            container.reload()
            assert container.status in {"created", "running"}, container.logs().decode()[-2000:]
            return None
        return response

    response = wait_until(healthy, timeout=60, interval=0.25)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}
    return container, base


@pytest.mark.docker
def test_rendered_fixture_app_builds_and_serves_as_uid_1000(
    tmp_path: Path, docker_client: Any, docker_cleanup: dict[str, list[str]], unique_tag: str
) -> None:
    import httpx

    root = build_file_tree(tmp_path / "app", {"main.py": APP, ".env": "API_TOKEN=do-not-ship\n"}, dedent=False)
    plan = Plan(
        root=root,
        backend_dir=".",
        entry="main:app",
        factory=False,
        working_dir=".",
        python="3.11",
        python_source="default",
        writable_dirs=("data",),
        project_name="fixture-app",
        dependencies=Dependencies(packages=("fastapi", "uvicorn"), requirements=("fastapi", "uvicorn")),
    )
    context = render_context(plan, Settings(project_dir=root))
    build_context(docker_client, context.path, unique_tag, docker_cleanup)
    container, base = run_and_probe(docker_client, unique_tag, docker_cleanup, {})

    wrote = httpx.post(f"{base}/write", timeout=5)
    assert wrote.status_code == 200, wrote.text
    assert wrote.json() == {"wrote": "/home/user/app/data/probe.txt", "uid": "1000"}
    # WORKDIR itself belongs to uid 1000 (the classic builder would make it root's), and no .env shipped.
    code, output = container.exec_run(["sh", "-c", "stat -c %u /home/user/app; ls -A /home/user/app"])
    owner, *listing = output.decode().split()
    assert code == 0 and owner == "1000"
    assert ".env" not in listing and "main.py" in listing


@pytest.mark.docker
def test_example_backend_renders_builds_and_serves(
    tmp_path: Path, docker_client: Any, docker_cleanup: dict[str, list[str]], unique_tag: str
) -> None:
    check = pytest.importorskip("spacepack.check")
    if not hasattr(check, "check_project"):
        pytest.skip("spacepack.check.check_project is not written yet")
    settings = load_settings(EXAMPLE_BACKEND)
    plan = check.check_project(settings)
    # Like `render --force`: findings in files that never ship (plan.secret_files) must not block this test.
    context = render_context(plan, settings, tmp_path / "context")
    shipped = {f.path for f in context.files}
    assert "src/main.py" in shipped and not shipped & set(plan.secret_files)
    build_context(docker_client, context.path, unique_tag, docker_cleanup)
    run_and_probe(
        docker_client, unique_tag, docker_cleanup, {"BETTER_AUTH_SECRET": "test-only-secret-value-0123456789"}
    )


@pytest.mark.docker
def test_uv_installer_builds_an_image_that_serves_with_compiled_bytecode(
    tmp_path: Path, docker_client: Any, docker_cleanup: dict[str, list[str]], unique_tag: str
) -> None:
    root = build_file_tree(tmp_path / "app", {"main.py": APP, "spacepack.toml": 'installer = "uv"\n'}, dedent=False)
    plan = Plan(
        root=root,
        backend_dir=".",
        entry="main:app",
        factory=False,
        working_dir=".",
        python="3.11",
        python_source="default",
        project_name="uv-app",
        dependencies=Dependencies(packages=("fastapi", "uvicorn"), requirements=("fastapi", "uvicorn")),
    )
    context = render_context(plan, load_settings(root))
    assert "uv pip install" in context.dockerfile
    build_context(docker_client, context.path, unique_tag, docker_cleanup)
    container, _ = run_and_probe(docker_client, unique_tag, docker_cleanup, {})
    # Installed for uid 1000, bytecode compiled at build time, and no uv left in the image.
    script = "ls /home/user/.local/lib/python3*/site-packages/fastapi/__pycache__ | head -1; command -v uv || true"
    code, output = container.exec_run(["sh", "-c", script], user="1000")
    lines = output.decode().split()
    assert code == 0
    assert lines and lines[0].endswith(".pyc")
    assert not any(line.endswith("/uv") for line in lines)


def _simple_plan(root: Path, name: str, requirements: tuple[str, ...], **overrides: Any) -> Plan:
    values: dict[str, Any] = {
        "project_name": name,
        "dependencies": Dependencies(packages=("fastapi", "uvicorn"), requirements=requirements),
    }
    return plan_for(root, **{**values, **overrides})


@pytest.mark.docker
def test_pip_fallback_installs_exactly_the_resolved_set(
    tmp_path: Path, docker_client: Any, docker_cleanup: dict[str, list[str]], unique_tag: str
) -> None:
    root = build_file_tree(tmp_path / "app", {"main.py": APP, "spacepack.toml": 'installer = "pip"\n'}, dedent=False)
    # A loose requirement: resolved once at render time, installed with --no-deps in the image.
    context = render_context(_simple_plan(root, "pip-app", ("fastapi>=0.110", "uvicorn")), load_settings(root))
    assert "pip install --no-cache-dir --user --no-deps -r spacepack-requirements.txt" in context.dockerfile
    pins = {line.lower() for line in (context.path / "spacepack-requirements.txt").read_text().split()}
    assert any(line.startswith("starlette==") for line in pins)  # a transitive dependency, pinned
    build_context(docker_client, context.path, unique_tag, docker_cleanup)
    container, _ = run_and_probe(docker_client, unique_tag, docker_cleanup, {})
    code, output = container.exec_run(["pip", "freeze", "--user"], user="1000")
    installed = {line.lower().replace("_", "-") for line in output.decode().split()}
    assert code == 0 and pins == installed


@pytest.mark.docker
def test_a_package_without_wheels_compiles_with_build_essential(
    tmp_path: Path, docker_client: Any, docker_cleanup: dict[str, list[str]], unique_tag: str
) -> None:
    # psycopg2 has no Linux wheel: gcc alone without recommends lacks the C headers (stdlib.h).
    root = build_file_tree(tmp_path / "app", {"main.py": APP}, dedent=False)
    plan = _simple_plan(
        root, "pg-app", ("fastapi", "uvicorn", "psycopg2==2.9.10"), system_packages=("build-essential", "libpq-dev")
    )
    # The official python:*-slim ships Python.h; the offline stand-in is Debian's python3, whose
    # headers are a package of their own. Only then is it added, as a user would in system_packages.
    probe = "import os, sysconfig; print(os.path.isfile(sysconfig.get_paths()['include'] + '/Python.h'))"
    has_headers = docker_client.containers.run(
        "python:3.11-slim", ["python", "-c", probe], remove=True, labels={TEST_LABEL: "1"}
    )
    extra = () if has_headers.decode().strip() == "True" else ("python3-dev",)
    context = render_context(plan, Settings(project_dir=root, system_packages=extra))
    assert "        build-essential \\\n        libpq-dev \\\n" in context.dockerfile
    assert any("built from source in the image: psycopg2" in note for note in context.notes)
    build_context(docker_client, context.path, unique_tag, docker_cleanup)
    container, _ = run_and_probe(docker_client, unique_tag, docker_cleanup, {})
    code, output = container.exec_run(["python", "-c", "import psycopg2; print(psycopg2.__version__)"], user="1000")
    assert code == 0 and output.decode().startswith("2.9.10"), output.decode()
