"""The CLI's shared flags and its one JSON document: flag groups, --json at the group, usage errors, help."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from spacepack.cli import app, main
from spacepack.cli._app import take_json_flag
from spacepack.cli._options import image_flags, smoke_flags, with_flags
from spacepack.config import Settings
from spacepack.errors import EXIT_CODE_MEANINGS, ExitCode, UsageError
from spacepack.pipeline import ImageOptions, release_target_names
from spacepack.smoke import DEFAULT_HEALTH_PATH, HEALTH_PATH_LABEL, SmokeOptions, labelled_health_path
from tests.helpers import build_file_tree
from tests.hub_double import HubDouble

APP = """
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}
    """


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def commands() -> dict[str, Any]:
    group = typer.main.get_command(app)
    found: dict[str, Any] = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        for leaf_name, leaf in (getattr(command, "commands", None) or {name: command}).items():
            found[leaf_name if leaf is command else f"{name} {leaf_name}"] = leaf
    return found


def option_names(command: Any) -> set[str]:
    return {
        opt for param in command.params for opt in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))
    }


# --- flag groups -----------------------------------------------------------------------------------


def test_each_smoke_flag_is_declared_once_and_reaches_build_smoke_and_release() -> None:
    found = commands()
    group = typer.Typer(add_completion=False)

    @group.command()
    @with_flags(options=smoke_flags)
    def only_smoke(*, options: object) -> None:
        """The smoke flag group alone."""

    smoke_options = option_names(typer.main.get_command(group)) - {"--help", "--json"}
    assert {"--port", "--health", "--env", "--env-file", "--timeout", "--expect-json", "--check"} <= smoke_options
    assert smoke_options <= option_names(found["build"])
    assert smoke_options <= option_names(found["smoke"])
    # `release` has two waits: the smoke test's is --smoke-timeout, the Space's --timeout.
    assert smoke_options - {"--timeout"} | {"--smoke-timeout"} <= option_names(found["release"])


def test_the_image_flag_group_builds_one_options_value() -> None:
    options = image_flags(
        no_smoke=False, tag="t:1", build_arg=["MODE=prod"], health="/ready", env=["A=1"], expect_json=["ok=true"]
    )
    assert isinstance(options, ImageOptions)
    assert options.build.tag == "t:1" and dict(options.build.build_args) == {"MODE": "prod"}
    assert options.smoke is not None
    assert (options.smoke.health_path, options.smoke.env_pairs, dict(options.smoke.expect_json)) == (
        "/ready",
        ("A=1",),
        {"ok": "true"},
    )
    assert image_flags(no_smoke=True).smoke is None
    with pytest.raises(UsageError, match="must start with /"):
        image_flags(health="ready")


def test_resolve_fills_in_what_the_plan_decides_and_keeps_what_was_given(tmp_path: Path) -> None:
    from spacepack.check import check_project

    project = build_file_tree(
        tmp_path,
        {
            "main.py": APP + '\n    import os\n    KEY = os.environ["API_KEY"]\n',
            "requirements.txt": "fastapi\nuvicorn\n",
            ".env": "FROM_DOTENV=1\nSHARED=dotenv\n",
        },
    )
    settings = Settings(project_dir=project, app_port=8080)
    plan = check_project(settings)
    given = ImageOptions(smoke=SmokeOptions(env_pairs=("SHARED=flag",), timeout=5, checks=("/x",)))
    resolved = given.resolve(plan, settings, secrets={"SECRET": "s", "SHARED": "secret"})
    smoke = resolved.smoke
    assert smoke is not None
    assert smoke.health_path == plan.health_path == "/health"
    assert smoke.app_port == 8080
    # secrets < the project's .env < --env
    assert dict(smoke.env) == {"SECRET": "s", "FROM_DOTENV": "1", "SHARED": "flag"}
    assert "API_KEY" in smoke.required_env
    assert (smoke.timeout, smoke.checks) == (5, ("/x",))
    explicit = ImageOptions(smoke=SmokeOptions(health_path="/ready")).resolve(plan, settings)
    assert explicit.smoke is not None and explicit.smoke.health_path == "/ready"
    assert ImageOptions(smoke=None).resolve(plan, settings).smoke is None


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({HEALTH_PATH_LABEL: "/healthz"}, "/healthz"),
        ({HEALTH_PATH_LABEL: "/api/v1/ping?x=1"}, DEFAULT_HEALTH_PATH),
        ({HEALTH_PATH_LABEL: "/ok\r\nX-Evil: 1"}, DEFAULT_HEALTH_PATH),
        ({HEALTH_PATH_LABEL: "healthz"}, DEFAULT_HEALTH_PATH),
        ({}, DEFAULT_HEALTH_PATH),
        (None, DEFAULT_HEALTH_PATH),
    ],
)
def test_smoke_image_reads_the_health_path_build_wrote_and_nothing_else(
    labels: dict[str, str] | None, expected: str
) -> None:
    assert labelled_health_path({"Config": {"Labels": labels}}) == expected


def test_release_target_names_refuses_contradicting_flags(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"spacepack.toml": '[targets.staging]\nspace = "a/s"\n[targets.prod]\nspace = "a/p"\n'})
    assert release_target_names(tmp_path, target=None, all_targets=True, space=None, environ={}) == ["staging", "prod"]
    assert release_target_names(tmp_path, target="prod", all_targets=False, space=None, environ={}) == ["prod"]
    with pytest.raises(UsageError, match="exclude each other"):
        release_target_names(tmp_path, target="prod", all_targets=True, space=None, environ={})
    with pytest.raises(UsageError, match="--space cannot"):
        release_target_names(tmp_path, target=None, all_targets=True, space="a/x", environ={})


# --- check flags on every command that runs check -----------------------------------------------------


def test_every_command_that_runs_check_takes_entry_backend_dir_and_factory() -> None:
    found = commands()
    for name in ("check", "render", "build", "push", "release", "ci github"):
        assert {"--entry", "--backend-dir", "--factory", "--no-factory"} <= option_names(found[name]), name


def test_build_entry_flag_reaches_check(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    # An app check cannot find by itself: built by a call it does not follow.
    build_file_tree(
        tmp_path,
        {
            "svc/web.py": "from fastapi import FastAPI\n\n\ndef make():\n    return FastAPI()\n\n\nserver = make()\n",
            "svc/__init__.py": "",
            "requirements.txt": "fastapi\nuvicorn\n",
        },
    )
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    code, _, err = run(["build", str(tmp_path), "--entry", "svc.web:server"], capsys)
    assert "SP100" not in err
    assert code == ExitCode.ENGINE_UNAVAILABLE, err  # past check and render, stopped at the missing engine
    assert (tmp_path / ".spacepack" / "context" / "Dockerfile").is_file()
    assert "svc.web:server" in (tmp_path / ".spacepack" / "context" / "Dockerfile").read_text()


# --- --json, once, at the group -------------------------------------------------------------------


def test_take_json_flag_stops_at_double_dash() -> None:
    args = ["--json", "x", "--", "--json"]
    assert take_json_flag(args) is True
    assert args == ["x", "--", "--json"]
    assert take_json_flag(["a"]) is False


def test_a_usage_error_under_json_is_one_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `-m` lacks its value once --json is taken out: a usage error, not a push that guessed.
    code, out, err = run(["push", str(tmp_path), "-m", "--json"], capsys)
    assert code == ExitCode.USAGE
    document = json.loads(out)
    assert document["status"] == "failed" and document["exit_code"] == 2
    assert "-m" in document["error"]
    assert "Traceback" not in err
    code, out, _ = run(["check", "--json", "--no-such-flag"], capsys)
    assert code == ExitCode.USAGE and json.loads(out)["exit_code"] == 2
    code, out, _ = run(["check", "--no-such-flag"], capsys)
    assert code == ExitCode.USAGE and out == ""


def test_json_may_come_anywhere_among_a_commands_arguments(tmp_path: Path, capsys) -> None:
    build_file_tree(tmp_path, {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"})
    for argv in (["check", "--json", str(tmp_path)], ["check", str(tmp_path), "--json"]):
        code, out, _ = run(argv, capsys)
        assert code == 0
        assert json.loads(out)["entry"] == "main:app"
    code, out, _ = run(["check", str(tmp_path)], capsys)
    assert code == 0 and out == ""


def test_check_errors_under_json_are_the_plan_and_the_failure(tmp_path: Path, capsys) -> None:
    build_file_tree(tmp_path, {"main.py": APP + "\n    import humanize\n", "requirements.txt": "fastapi\nuvicorn\n"})
    code, out, _ = run(["check", str(tmp_path), "--json"], capsys)
    document = json.loads(out)
    assert code == ExitCode.CHECK_FAILED
    assert document["status"] == "failed" and document["exit_code"] == 3
    assert [f["code"] for f in document["findings"] if f["severity"] == "error"] == ["SP203"]


@pytest.fixture
def double(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubDouble]:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    with HubDouble() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_TOKEN", hub.WRITE_TOKEN)
        yield hub


@pytest.mark.hub
def test_release_json_names_the_failed_stage_and_stage_means_the_space_stage_only(
    tmp_path: Path, double: HubDouble, capsys
) -> None:
    project = build_file_tree(
        tmp_path / "p", {"main.py": APP + "\n    import humanize\n", "requirements.txt": "fastapi\n"}
    )
    code, out, _ = run(["release", str(project), "--space", "alice/p", "--json"], capsys)
    document = json.loads(out)
    assert code == ExitCode.CHECK_FAILED
    assert document["failed_stage"] == "check" and "stage" not in document
    assert (document["status"], document["space"], document["entry"], document["image"]) == (
        "failed",
        "alice/p",
        "main:app",
        None,
    )


@pytest.mark.hub
def test_release_all_targets_skips_the_rest_after_a_failure(tmp_path: Path, double: HubDouble, capsys) -> None:
    project = build_file_tree(
        tmp_path / "mono",
        {
            "main.py": APP + "\n    import humanize\n",
            "requirements.txt": "fastapi\n",
            "spacepack.toml": '[targets.staging]\nspace = "alice/s"\n[targets.prod]\nspace = "alice/p"\n',
        },
    )
    code, out, _ = run(["release", str(project), "--all-targets", "--json"], capsys)
    document = json.loads(out)
    assert code == ExitCode.CHECK_FAILED
    assert document["status"] == "failed" and document["exit_code"] == 3
    assert [(t["target"], t["status"], t["failed_stage"]) for t in document["targets"]] == [
        ("staging", "failed", "check"),
        ("prod", "skipped", None),
    ]
    assert not double.exists("alice/s") and not double.exists("alice/p")


# --- help ---------------------------------------------------------------------------------------------


def test_help_shows_the_exit_codes_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    lines = out.splitlines()
    for exit_code, meaning in EXIT_CODE_MEANINGS.items():
        # One line per code, not rewrapped into a paragraph.
        assert any(line.strip() == f"{int(exit_code)}  {meaning}" for line in lines), exit_code


def test_every_command_shows_json_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    for name in commands():
        code, out, _ = run([*name.split(), "--help"], capsys)
        assert code == 0 and "--json" in out, name


class _Lines:
    """A `Progress` that keeps the lines it is given."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, line: str) -> None:
        self.lines.append(line)

    def build_event(self, event: object) -> None:
        self.lines.append(f"build event {event}")

    def smoke_report(self, report: object) -> None:
        self.lines.append("smoke report")

    def push_report(self, report: object) -> None:
        self.lines.append("push report")

    def space_stage(self, stage: str, elapsed: float) -> None:
        self.lines.append(stage)


@pytest.mark.hub
def test_a_library_user_releases_several_targets_and_gets_typed_results(tmp_path: Path, double: HubDouble) -> None:
    import os

    from spacepack.pipeline import ReleaseOptions, ReleaseRun, release_targets

    project = build_file_tree(
        tmp_path / "mono",
        {
            "main.py": APP + "\n    import humanize\n",
            "requirements.txt": "fastapi\n",
            "spacepack.toml": '[targets.staging]\nspace = "alice/s"\n[targets.prod]\nspace = "alice/p"\n',
        },
    )

    def no_engine() -> Any:
        raise AssertionError("check failed: no build may start")

    progress = _Lines()
    run = release_targets(
        project,
        ["staging", "prod"],
        ReleaseOptions(),
        flags={},
        environ=dict(os.environ),
        connect_docker=no_engine,
        progress=progress,
    )
    assert isinstance(run, ReleaseRun)
    staging, prod = run.results
    assert (staging.status, staging.failed_stage, staging.space_id) == ("failed", "check", "alice/s")
    assert staging.check is not None and staging.check.entry == "main:app"
    assert staging.image is None and staging.push is None and staging.space is None
    assert (prod.status, prod.failed_stage, prod.error) == ("skipped", None, None)
    assert run.error is staging.error and run.error is not None and run.error.exit_code == ExitCode.CHECK_FAILED
    assert run.to_json()["status"] == "failed"
    assert [t["status"] for t in run.to_json()["targets"]] == ["failed", "skipped"]
