"""Secret canaries: no secret value reaches an image, a file, an upload, a log or any output.

One project carries a canary in `.env`, one hardcoded in a source file (which
`check` must catch), and the CLI is given more through `--env`, `--env-file`,
`--secret` (from an env var) and `--secrets-from`. Every stage runs through
the real CLI in a subprocess, on success and on failure, and everything it
produced is scanned.
"""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    Canaries,
    Run,
    leaks_in_bytes,
    leaks_in_text,
    leaks_in_tree,
    make_canary_project,
    remove_images,
    run_cli,
)

SPACE = "alice/canary-space"


def assert_clean(run: Run, canaries: Canaries, project: Path | None = None) -> None:
    """No canary in stdout, stderr, nor in anything spacepack wrote under `<project>/.spacepack`."""
    assert leaks_in_text(run.both, canaries) == [], run.both[-2000:]
    if project is not None and (project / ".spacepack").exists():
        assert leaks_in_tree(project / ".spacepack", canaries) == []


def env_files(tmp_path: Path, canaries: Canaries) -> tuple[Path, Path]:
    """An --env-file and a --secrets-from file, outside the project."""
    env_file = tmp_path / "smoke.env"
    env_file.write_text(f"SESSION_KEY={canaries.env_file}\n")
    secrets_file = tmp_path / "space.secrets"
    secrets_file.write_text(f"SESSION_KEY={canaries.secrets_from}\n")
    return env_file, secrets_file


def scan_saved_image(client: object, reference: str, canaries: Canaries) -> tuple[int, list[str]]:
    """`docker save` the image and scan every file of every layer; (files scanned, leaks)."""
    import docker

    assert isinstance(client, docker.DockerClient)
    raw = b"".join(client.images.get(reference).save(named=True))
    outer = tarfile.open(fileobj=io.BytesIO(raw))
    scanned, hits = 0, []
    for member in outer.getmembers():
        if not member.isfile():
            continue
        data = outer.extractfile(member).read()  # type: ignore[union-attr]
        hits += [f"{member.name}: {hit}" for hit in leaks_in_bytes(data, canaries)]
        if member.name.endswith(".tar"):
            with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                for entry in layer.getmembers():
                    if entry.isfile():
                        scanned += 1
                        content = layer.extractfile(entry).read()  # type: ignore[union-attr]
                        hits += [f"{member.name}:{entry.name}: {hit}" for hit in leaks_in_bytes(content, canaries)]
    return scanned, hits


# --- check and render (no engine) --------------------------------------------------------------


def test_check_catches_the_hardcoded_canary_and_never_prints_it(tmp_path: Path, canaries: Canaries) -> None:
    project = make_canary_project(tmp_path / "proj", canaries)
    run = run_cli(["check", str(project), "--json"])
    assert run.code == 3
    plan = json.loads(run.out)
    codes = {(f["code"], f["severity"], f["path"]) for f in plan["findings"]}
    assert ("SP310", "error", "keys_local.py") in codes
    assert {"keys_local.py", ".env"} <= set(plan["secret_files"])
    assert_clean(run, canaries, project)


def test_render_goes_on_past_the_hardcoded_key_and_ships_no_secret_file(tmp_path: Path, canaries: Canaries) -> None:
    project = make_canary_project(tmp_path / "proj", canaries)
    # The hardcoded key blocks only the upload: render goes on, says so, and leaves its file out.
    for forced in ([], ["--force"]):
        run = run_cli(["render", str(project), *forced, "--json"])
        assert run.code == 0, run.err
        assert "error (blocks push): [SP310] keys_local.py:1:" in run.err
        context = project / ".spacepack" / "context"
        assert (context / "main.py").is_file()
        assert not (context / "keys_local.py").exists() and not (context / ".env").exists()
        assert leaks_in_tree(context, canaries) == []
        assert_clean(run, canaries, project)


def test_bad_env_flag_error_does_not_echo_the_value(tmp_path: Path, canaries: Canaries) -> None:
    run = run_cli(["smoke", "no-such-image:never", "--env", canaries.env_flag])
    assert run.code == 2 and "not KEY=VALUE" in run.err
    assert_clean(run, canaries)


def test_malformed_secrets_file_error_does_not_echo_the_value(tmp_path: Path, canaries: Canaries) -> None:
    project = make_canary_project(tmp_path / "proj", canaries)
    bad = tmp_path / "bad.secrets"
    bad.write_text(f"{canaries.secrets_from}\nNOT A NAME={canaries.secrets_from}\n")
    run = run_cli(["push", str(project), "--space", SPACE, "--secrets-from", str(bad), "--token", "hf_x" * 3])
    assert run.code == 2
    assert_clean(run, canaries, project)


# --- push through the Hub double -----------------------------------------------------------------


@pytest.mark.hub
def test_push_success_and_failures_leak_nothing(
    tmp_path: Path, canaries: Canaries, hub_env: tuple[object, dict[str, str]]
) -> None:
    from tests.hub_double import HubDouble

    double, env = hub_env
    assert isinstance(double, HubDouble)
    project = make_canary_project(tmp_path / "proj", canaries)
    _, secrets_file = env_files(tmp_path, canaries)
    env = {**env, "HF_TOKEN": double.WRITE_TOKEN, "API_KEY": canaries.secret_flag}
    args = ["push", str(project), "--space", SPACE, "--secret", "API_KEY", "--secrets-from", str(secrets_file)]

    # Refused by check (the hardcoded key), then forced: both clean.
    refused = run_cli([*args, "--json"], env=env)
    assert refused.code == 3 and not double.exists(SPACE)
    assert_clean(refused, canaries, project)
    pushed = run_cli([*args, "--force", "--json"], env=env)
    assert pushed.code == 0, pushed.err
    assert_clean(pushed, canaries, project)
    # The values went where they belong (the Space's secrets) and nowhere else.
    assert double.secrets(SPACE) == {"API_KEY": canaries.secret_flag, "SESSION_KEY": canaries.secrets_from}

    # Failures: a 500 on commit, a dropped commit, a 403, a Space that dies printing its secret.
    (project / "extra.py").write_text("VALUE = 1\n")
    double.fail_next("commit", 500)
    assert_clean(failed := run_cli([*args, "--force", "--json"], env=env), canaries, project)
    assert failed.code == 9
    double.drop_next_commit()
    dropped = run_cli([*args, "--force"], env=env)
    assert dropped.code == 9 and "Traceback" not in dropped.err, dropped.err
    assert "extra.py" not in double.files(SPACE)
    assert_clean(dropped, canaries, project)
    denied = run_cli([*args, "--force"], env={**env, "HF_TOKEN": double.READ_TOKEN})
    assert denied.code == 7
    assert_clean(denied, canaries, project)
    double.script_stages(SPACE, "BUILDING", ("RUNTIME_ERROR", f"crashed: API_KEY={canaries.secret_flag}"))
    double.set_logs(SPACE, run=[f"API_KEY={canaries.secret_flag}", f"SESSION_KEY={canaries.secrets_from}"])
    died = run_cli([*args, "--force", "--wait", "--timeout", "30"], env=env)
    assert died.code == 11 and "| API_KEY=****" in died.err
    assert_clean(died, canaries, project)
    died_json = run_cli([*args, "--force", "--wait", "--timeout", "30", "--json"], env=env)
    assert died_json.code == 11 and json.loads(died_json.out)["stage"] == "RUNTIME_ERROR"
    assert_clean(died_json, canaries, project)

    # Every file of every commit the double holds.
    for commit in double.commits(SPACE):
        assert "keys_local.py" not in commit.files and ".env" not in commit.files
        for name, data in commit.files.items():
            assert leaks_in_bytes(data, canaries) == [], name
            assert b"CANAR" not in data, name


# --- build, smoke: one image per outcome, shared by the module -----------------------------------


@pytest.fixture(scope="module")
def built_canary_image(
    docker_client: object, tmp_path_factory: pytest.TempPathFactory, canaries: Canaries
) -> Iterator[tuple[str, Path, Run]]:
    """The canary project built (forced past the hardcoded key) and smoked green with every env source."""
    tmp = tmp_path_factory.mktemp("canary-build")
    project = make_canary_project(tmp / "proj", canaries)
    env_file, _ = env_files(tmp, canaries)
    tag = f"spacepack-test/canary-{uuid.uuid4().hex[:10]}:test"
    run = run_cli(
        [
            "build", str(project), "--force", "--tag", tag, "--json",
            "--env", f"API_KEY={canaries.env_flag}", "--env-file", str(env_file),
        ]
    )  # fmt: skip
    try:
        yield tag, project, run
    finally:
        remove_images(docker_client, [tag])


@pytest.mark.docker
def test_build_and_smoke_success_leaks_nothing(built_canary_image: tuple[str, Path, Run], canaries: Canaries) -> None:
    _, project, run = built_canary_image
    assert run.code == 0, run.err
    assert json.loads(run.out)["smoke"]["verdict"] == "healthy"
    assert list((project / ".spacepack" / "logs").glob("build-*.log"))
    assert_clean(run, canaries, project)


@pytest.mark.docker
def test_no_canary_in_any_image_layer_or_config(
    docker_client: object, built_canary_image: tuple[str, Path, Run], canaries: Canaries
) -> None:
    import docker

    tag, _, run = built_canary_image
    assert run.code == 0, run.err
    assert isinstance(docker_client, docker.DockerClient)
    scanned, hits = scan_saved_image(docker_client, tag, canaries)
    assert scanned > 1000  # the whole filesystem of every layer was read, not just a manifest
    # The one exception: the local image holds the project's own file with the hardcoded key (it blocks only
    # the upload; the upload never holds it, see the push test). No value spacepack was given is anywhere.
    assert docker_client.images.get(tag).labels["dev.spacepack.local-only"] == "keys_local.py"
    hardcoded = canaries.hardcoded[:12]
    in_file = {hit.split(":")[0] for hit in hits if hit.endswith(f":home/user/app/keys_local.py: {hardcoded}")}
    assert in_file  # the file is there, and the key only in it (and in the layer tar that carries it)
    assert [
        hit
        for hit in hits
        if hit not in {f"{layer}: {hardcoded}" for layer in in_file}
        and not (hit.endswith(f":home/user/app/keys_local.py: {hardcoded}"))
    ] == []
    inspect = json.dumps(docker_client.api.inspect_image(tag)) + json.dumps(docker_client.api.history(tag))
    assert leaks_in_text(inspect, canaries) == []


@pytest.mark.docker
def test_smoke_failure_whose_log_prints_the_secret_leaks_nothing(
    docker_client: object, tmp_path: Path, canaries: Canaries
) -> None:
    project = make_canary_project(tmp_path / "proj", canaries, crash_with_env=True)
    env_file, _ = env_files(tmp_path, canaries)
    tag = f"spacepack-test/canary-crash-{uuid.uuid4().hex[:10]}:test"
    try:
        # build: smoke with the project's .env (default), fails, prints the masked log tail.
        built = run_cli(["build", str(project), "--force", "--tag", tag, "--json"])
        assert built.code == 6, built.err
        assert "API_KEY=****" in built.err
        assert json.loads(built.out)["smoke"]["verdict"] != "healthy"
        assert_clean(built, canaries, project)
        # smoke alone, with --env and --env-file, human and JSON.
        for extra in (
            ["--env", f"API_KEY={canaries.env_flag}"],
            ["--env-file", str(env_file), "--env", f"API_KEY={canaries.env_file}", "--json"],
        ):
            smoked = run_cli(["smoke", tag, "--timeout", "20", *extra], cwd=tmp_path)
            assert smoked.code == 6, smoked.err
            assert "API_KEY=****" in smoked.both
            assert_clean(smoked, canaries)
    finally:
        remove_images(docker_client, [tag])


@pytest.mark.docker
def test_build_failure_leaks_nothing(docker_client: object, tmp_path: Path, canaries: Canaries) -> None:
    project = make_canary_project(tmp_path / "proj", canaries)
    # A step that fails after printing the build argument: the output and the log must mask it.
    (project / "Dockerfile.template").write_text(
        'FROM {{ base_image }}\nARG TOKEN\nRUN echo "token is $TOKEN" && exit 1\n'
    )
    tag = f"spacepack-test/canary-fail-{uuid.uuid4().hex[:10]}:test"
    try:
        run = run_cli(
            ["build", str(project), "--force", "--tag", tag, "--json", "--build-arg", f"TOKEN={canaries.env_flag}"]
        )
        assert run.code == 5, run.err
        assert json.loads(run.out)["build_failure"]["log_path"]
        assert_clean(run, canaries, project)
    finally:
        remove_images(docker_client, [tag])


@pytest.mark.docker
@pytest.mark.hub
def test_release_success_and_failure_leak_nothing(
    docker_client: object, tmp_path: Path, canaries: Canaries, hub_env: tuple[object, dict[str, str]]
) -> None:
    from tests.hub_double import HubDouble

    double, env = hub_env
    assert isinstance(double, HubDouble)
    project = make_canary_project(tmp_path / "proj", canaries)
    env_file, secrets_file = env_files(tmp_path, canaries)
    env = {**env, "HF_TOKEN": double.WRITE_TOKEN, "API_KEY": canaries.secret_flag}
    tag = f"spacepack-test/canary-release-{uuid.uuid4().hex[:10]}:test"
    args = [
        "release", str(project), "--space", SPACE, "--force", "--tag", tag, "--no-probe", "--timeout", "30",
        "--env", f"API_KEY={canaries.env_flag}", "--env-file", str(env_file),
        "--secret", "API_KEY", "--secrets-from", str(secrets_file),
    ]  # fmt: skip
    try:
        released = run_cli([*args, "--json"], env=env)
        assert released.code == 0, released.err
        assert_clean(released, canaries, project)
        double.script_stages(SPACE, "BUILDING", ("RUNTIME_ERROR", f"crashed: API_KEY={canaries.secret_flag}"))
        double.set_logs(SPACE, run=[f"API_KEY={canaries.secret_flag}", f"SESSION_KEY={canaries.secrets_from}"])
        (project / "extra.py").write_text("VALUE = 2\n")
        failed = run_cli(args, env=env)
        assert failed.code == 11, failed.err
        assert_clean(failed, canaries, project)
        failed_json = run_cli([*args, "--json"], env=env)
        assert failed_json.code == 11
        assert_clean(failed_json, canaries, project)
        for commit in double.commits(SPACE):
            assert all(b"CANAR" not in data for data in commit.files.values())
    finally:
        remove_images(docker_client, [tag])
