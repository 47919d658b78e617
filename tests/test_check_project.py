"""check_project end to end (every Plan field), the example backend, and the `spacepack check` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacepack.check import check_project
from spacepack.cli import app as cli_app
from spacepack.config import Settings, load_settings
from spacepack.errors import CheckFailed, UsageError
from tests.conftest import EXAMPLE_BACKEND
from tests.helpers import SAMPLE_APP, build_file_tree

SIMPLE = {
    "pyproject.toml": """
        [project]
        name = "notes-api"
        description = "Notes, over HTTP."
        requires-python = ">=3.12"
        dependencies = ["fastapi", "uvicorn"]
    """,
    "app/__init__.py": "",
    "app/main.py": SAMPLE_APP,
}


def test_plan_fields(tmp_path: Path) -> None:
    build_file_tree(tmp_path, SIMPLE)
    plan = check_project(load_settings(tmp_path))
    assert plan.root == tmp_path.resolve()
    assert (plan.entry, plan.factory, plan.working_dir, plan.backend_dir) == ("app.main:app", False, ".", ".")
    assert plan.health_path == "/health"
    assert plan.project_name == "notes-api"
    assert plan.description == "Notes, over HTTP."
    assert tuple(int(p) for p in plan.python.split(".")[:2]) >= (3, 12)
    assert "requires-python" in plan.python_source
    assert "fastapi" in plan.dependencies.packages
    assert [c.chosen for c in plan.candidates] == [True]
    assert not plan.errors
    document = plan.to_json()
    assert json.loads(json.dumps(document))["entry"] == "app.main:app"


def test_project_name_falls_back_to_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "my-service"
    build_file_tree(
        root, {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n", "requirements.txt": "fastapi\n"}
    )
    assert check_project(load_settings(root)).project_name == "my-service"


def test_explicit_python_wins(tmp_path: Path) -> None:
    build_file_tree(tmp_path, SIMPLE)
    plan = check_project(load_settings(tmp_path, {"python": "3.10"}))
    assert plan.python == "3.10"
    assert plan.python_source == "command-line flag"
    assert any(f.code == "SP105" and "python" in f.message for f in plan.findings)


def test_syntax_error_in_the_backend_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {**SIMPLE, "app/legacy.py": "print 'old'\n"})
    plan = check_project(load_settings(tmp_path))
    assert plan.entry == "app.main:app"
    finding = next(f for f in plan.findings if f.code == "SP101")
    assert finding.path == "app/legacy.py" and finding.severity == "warning"


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        check_project(Settings(project_dir=tmp_path / "missing"))


def test_nothing_of_the_users_is_imported(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    build_file_tree(
        tmp_path,
        {
            "main.py": f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\n"
            "from fastapi import FastAPI\napp = FastAPI()\n",
        },
    )
    plan = check_project(load_settings(tmp_path))
    assert plan.entry == "main:app"
    assert not marker.exists()


@pytest.mark.skipif(not (EXAMPLE_BACKEND / "src" / "main.py").exists(), reason="the example backend is not there")
def test_example_backend() -> None:
    plan = check_project(load_settings(EXAMPLE_BACKEND))
    assert plan.entry == "src.main:app"
    assert plan.working_dir == "."
    assert plan.health_path == "/health"
    assert plan.factory is False
    root_app = next(c for c in plan.candidates if c.path == "main.py")
    assert not root_app.chosen
    assert any(f.code == "SP104" and f.path == "main.py" for f in plan.findings)


runner = CliRunner()


def test_cli_check_json(tmp_path: Path) -> None:
    build_file_tree(tmp_path, SIMPLE)
    result = runner.invoke(cli_app, ["check", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    for key in (
        "backend_dir",
        "entry",
        "factory",
        "working_dir",
        "python",
        "python_source",
        "dependencies",
        "system_packages",
        "env",
        "health_path",
        "candidates",
        "findings",
    ):
        assert key in document
    assert document["entry"] == "app.main:app"
    assert "entry" in result.stderr and "app.main:app" in result.stderr


def test_cli_check_human_output_and_flags(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"backend/" + k: v for k, v in SIMPLE.items()})
    result = runner.invoke(cli_app, ["check", str(tmp_path), "--backend-dir", "backend", "--entry", "app.main:app"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "working dir   backend" in result.stderr
    assert "health path   /health" in result.stderr


def test_cli_check_fails_after_printing_errors(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"cli.py": "print('hi')\n"})
    result = runner.invoke(cli_app, ["check", str(tmp_path)])
    assert isinstance(result.exception, CheckFailed)
    assert "SP100" in result.stderr
    assert "add `app = FastAPI()`" in result.stderr


def test_cli_exit_code_is_three(tmp_path: Path) -> None:
    from spacepack.cli import main

    build_file_tree(tmp_path, {"cli.py": "print('hi')\n"})
    with pytest.raises(SystemExit) as exit_info:
        main(["check", str(tmp_path)])
    assert exit_info.value.code == 3


def test_an_explicit_backend_dir_is_reported_as_an_override(tmp_path) -> None:
    from spacepack.check import check_project
    from spacepack.config import load_settings

    build_file_tree(
        tmp_path,
        {
            "backend/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
            "backend/requirements.txt": "fastapi\n",
            "api/main.py": """
                from fastapi import FastAPI

                app = FastAPI()


                @app.get("/x")
                def x() -> int:
                    return 1
                """,
        },
    )
    plan = check_project(load_settings(tmp_path, flags={"backend_dir": "backend"}))
    assert plan.backend_dir == "backend"
    overrides = [f for f in plan.findings if f.code == "SP105"]
    assert [f.message for f in overrides] == [
        "backend_dir = backend from command-line flag (explicit settings win over detection)"
    ]
