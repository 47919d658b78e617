"""A committed signing key blocks the upload, not the local build.

The app imports its signing key from `auth.py` (SP311: a leak once published).
`check` fails (the CI gate) and says the error blocks only push and release;
`render` and `build` go on, and the local image, which holds `auth.py`, comes
up healthy on the real engine; `push` (also `--dry-run`) and `release` stop
with exit 3 before anything reaches the Hub double, and the key never appears
in the rendered context or any output.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.helpers import build_file_tree
from tests.reliability.conftest import new_canary, remove_images, run_cli

SPACE = "alice/signing-key"


def signing_key_project(root: Path) -> tuple[Path, str]:
    """A FastAPI app that signs with a hardcoded key from `auth.py`; (project, key)."""
    key = new_canary("signing").replace("CANARY", "Zq8Rb")  # random-looking, as a real committed key is
    project = build_file_tree(
        root,
        {
            "main.py": (
                "import hashlib\nimport hmac\n\nfrom fastapi import FastAPI\n\nfrom auth import SECRET_KEY\n\n"
                "app = FastAPI()\n\n\n"
                '@app.get("/health")\n'
                "def health() -> dict[str, str]:\n"
                '    return {"status": "ok"}\n\n\n'
                '@app.get("/sign/{text}")\n'
                "def sign(text: str) -> dict[str, str]:\n"
                '    return {"signature": hmac.new(SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()}\n'
            ),
            "auth.py": f'SECRET_KEY = "{key}"\n',
            "requirements.txt": "fastapi\nuvicorn\n",
        },
        dedent=False,
    )
    return project, key


def test_check_fails_and_says_the_key_blocks_only_the_upload(tmp_path: Path) -> None:
    project, key = signing_key_project(tmp_path / "proj")
    run = run_cli(["check", str(project), "--json"])
    assert run.code == 3
    errors = [f for f in json.loads(run.out)["findings"] if f["severity"] == "error"]
    assert [(f["code"], f["path"], f["blocks"]) for f in errors] == [("SP311", "auth.py", "upload")]
    human = run_cli(["check", str(project)])
    assert human.code == 3
    assert "blocks: push and release only" in human.err
    assert "1 error(s) (1 blocking only push and release)" in human.err
    assert key[:5] not in run.both + human.both


def test_render_goes_on_and_its_context_never_holds_the_key(tmp_path: Path) -> None:
    project, key = signing_key_project(tmp_path / "proj")
    run = run_cli(["render", str(project)])
    assert run.code == 0, run.err
    assert "error (blocks push): [SP311] auth.py:1:" in run.err
    context = project / ".spacepack" / "context"
    assert (context / "main.py").is_file() and not (context / "auth.py").exists()
    assert not [p for p in context.rglob("*") if p.is_file() and key.encode() in p.read_bytes()]
    assert key[:5] not in run.both


@pytest.mark.hub
def test_push_and_release_refuse_before_anything_is_uploaded(
    tmp_path: Path, hub_env: tuple[object, dict[str, str]]
) -> None:
    from tests.hub_double import HubDouble

    double, env = hub_env
    assert isinstance(double, HubDouble)
    project, key = signing_key_project(tmp_path / "proj")
    env = {**env, "HF_TOKEN": double.WRITE_TOKEN}
    for args in (["push"], ["push", "--dry-run"], ["release", "--no-probe"]):
        run = run_cli([*args, str(project), "--space", SPACE], env=env)
        assert run.code == 3, (args, run.err)
        assert [line for line in run.err.splitlines() if line.startswith("error:")] == [
            "error: `check` found 1 error finding(s); "
            + ("nothing was built or pushed" if args[0] == "release" else "nothing was pushed")
        ]
        assert "[SP311] auth.py:1:" in run.err and "Traceback" not in run.err
        assert not double.exists(SPACE), args
        assert key[:5] not in run.both
    # release stops at check, before the build; its document says what each finding blocks.
    released = run_cli(["release", str(project), "--space", SPACE, "--no-probe", "--json"], env=env)
    document = json.loads(released.out)
    assert released.code == 3 and document["failed_stage"] == "check" and document["image"] is None
    errors = [(f["code"], f["blocks"]) for f in document["findings"] if f["severity"] == "error"]
    assert errors == [("SP311", "upload")]
    assert not double.exists(SPACE)
    # --force is unchanged: the push goes on, and the file holding the key is still never uploaded.
    forced = run_cli(["push", str(project), "--space", SPACE, "--force"], env=env)
    assert forced.code == 0, forced.err
    files = double.files(SPACE)
    assert "main.py" in files and "auth.py" not in files
    assert all(key.encode() not in commit_file for c in double.commits(SPACE) for commit_file in c.files.values())


@pytest.mark.docker
def test_build_and_smoke_of_the_app_with_its_key_comes_up_healthy_locally(
    docker_client: object, tmp_path: Path
) -> None:
    import docker

    assert isinstance(docker_client, docker.DockerClient)
    project, key = signing_key_project(tmp_path / "proj")
    tag = f"spacepack-test/signing-{uuid.uuid4().hex[:10]}:test"
    try:
        run = run_cli(["build", str(project), "--tag", tag, "--json"])
        assert run.code == 0, run.err[-3000:]
        document = json.loads(run.out)
        assert document["smoke"]["verdict"] == "healthy"
        assert [(f["code"], f["blocks"]) for f in document["findings"] if f["severity"] == "error"] == [
            ("SP311", "upload")
        ]
        assert "error (blocks push): [SP311] auth.py:1:" in run.err
        assert "this local image also holds auth.py" in run.err
        # The image holds the app's own module; the context, which is what push uploads, does not.
        assert docker_client.images.get(tag).labels["dev.spacepack.local-only"] == "auth.py"
        listing = docker_client.containers.run(
            tag, ["ls", "/home/user/app"], remove=True, network_disabled=True, labels={"dev.spacepack.test": "1"}
        )
        assert "auth.py" in listing.decode().split()
        written = [p for p in (project / ".spacepack").rglob("*") if p.is_file() and not p.is_symlink()]
        assert written and not [p for p in written if key.encode() in p.read_bytes()]
        assert key[:5] not in run.both
    finally:
        remove_images(docker_client, [tag])


@pytest.mark.docker
@pytest.mark.hub
def test_a_forced_release_smoke_tests_exactly_what_it_would_upload(
    docker_client: object, tmp_path: Path, hub_env: tuple[object, dict[str, str]]
) -> None:
    from tests.hub_double import HubDouble

    double, env = hub_env
    assert isinstance(double, HubDouble)
    project, key = signing_key_project(tmp_path / "proj")
    tag = f"spacepack-test/signing-release-{uuid.uuid4().hex[:10]}:test"
    try:
        run = run_cli(
            ["release", str(project), "--space", SPACE, "--force", "--tag", tag, "--no-probe", "--json"],
            env={**env, "HF_TOKEN": double.WRITE_TOKEN},
        )
        # The image holds what the Space would get, without auth.py: the app cannot import its key, so the
        # smoke test fails (as the Space would) and nothing is pushed.
        assert run.code == 6, run.err[-3000:]
        document = json.loads(run.out)
        assert document["failed_stage"] == "build" and document["smoke"]["verdict"] != "healthy"
        assert "this local image also holds" not in run.err
        assert "dev.spacepack.local-only" not in (docker_client.images.get(tag).labels or {})  # type: ignore[attr-defined]
        assert not double.exists(SPACE)
        assert key[:5] not in run.both
    finally:
        remove_images(docker_client, [tag])
