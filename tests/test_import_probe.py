"""Proving the app's imports in the built image: what the app imports (from its entry), and the probe itself."""

from __future__ import annotations

import json
import uuid

import pytest

from spacepack.check.tree import load_tree
from spacepack.errors import ExitCode
from spacepack.import_probe import PROBE_LABEL, ImportReport, ImportsMissing, ImportUse, app_imports, probe_imports
from tests.helpers import build_file_tree, plan_for

PROJECT = {
    "app/__init__.py": "import structlog\n",
    "app/main.py": """
        from fastapi import FastAPI

        from . import routes
        from app.core import settings

        try:
            import orjson
        except ImportError:
            orjson = None

        app = FastAPI()
    """,
    "app/routes.py": """
        import os

        from .models import Item


        def export():
            import pandas

            return pandas
    """,
    "app/models.py": "from sqlmodel import SQLModel\n\n\nclass Item(SQLModel):\n    pass\n",
    "app/core/__init__.py": "",
    "app/core/settings.py": "from pydantic_settings import BaseSettings\n",
    # Never imported by the app: a one-off script and a migration.
    "scripts/seed.py": "import faker\n",
    "alembic/env.py": "import alembic\n",
}


def test_app_imports_follow_the_entry_module(tmp_path):
    root = build_file_tree(tmp_path / "p", PROJECT)
    uses = app_imports(plan_for(root, entry="app.main:app"), load_tree(root))
    found = {(use.name, use.path, use.line, use.in_function) for use in uses}
    assert found == {
        ("structlog", "app/__init__.py", 1, False),
        ("fastapi", "app/main.py", 1, False),
        ("pandas", "app/routes.py", 7, True),
        ("sqlmodel", "app/models.py", 1, False),
        ("pydantic_settings", "app/core/settings.py", 1, False),
    }
    assert {use.distribution for use in uses if use.name == "pydantic_settings"} == {"pydantic-settings"}


def test_app_imports_in_a_working_folder(tmp_path):
    root = build_file_tree(
        tmp_path / "p",
        {"backend/main.py": "import jose\nfrom backend.models import Item\n", "backend/tool.py": "import faker\n"},
    )
    uses = app_imports(plan_for(root, entry="main:app", working_dir="backend"))
    assert [(use.name, use.path, use.own_folder) for use in uses] == [
        ("jose", "backend/main.py", False),
        ("backend", "backend/main.py", True),
    ]
    failed = ImportsMissing(ImportReport(checked=("backend",), missing=uses[1:], seconds=0.1), "requirements.txt")
    assert failed.hint == "import the app's own modules relative to its working folder, not through backend"
    assert failed.details == (
        "backend/main.py:2: import backend.models: not in the image; "
        "backend is this project's own folder, not on the image's import path: import relative to it",
    )


def test_the_failure_names_place_and_distribution():
    uses = (
        ImportUse("jose", "jose.jwt", "app/auth.py", 4, False),
        ImportUse("pandas", "pandas", "app/routes.py", 7, True),
    )
    report = ImportReport(checked=("fastapi", "jose", "pandas"), missing=uses, seconds=0.4)
    failed = ImportsMissing(report, "requirements.txt")
    assert failed.exit_code == ExitCode.BUILD_FAILED
    assert failed.message == "the image cannot import jose.jwt (app/auth.py:4): nothing in it provides it"
    assert failed.hint == "add python-jose to requirements.txt, then build again"
    assert failed.details == ("app/auth.py:4: import jose.jwt: not in the image; add python-jose",)
    assert json.loads(json.dumps(report.to_json()))["missing"][1]["in_function"] is True


@pytest.mark.docker
def test_the_probe_finds_what_the_image_has_and_names_what_it_lacks(docker_client):
    uses = (
        ImportUse("pip", "pip", "main.py", 1, False),
        ImportUse("no_such_module_spacepack", "no_such_module_spacepack.sub", "main.py", 2, False),
        ImportUse("json", "json", "main.py", 3, False),
    )
    lines: list[str] = []
    report = probe_imports(docker_client, "python:3.11-slim", uses, on_event=lines.append)
    assert report.warning == ""
    assert report.checked == ("json", "no_such_module_spacepack", "pip")
    assert [use.module for use in report.missing] == ["no_such_module_spacepack.sub"]
    assert report.seconds < 30
    assert lines == ["checking in the image that 3 imported module(s) can be found"]
    assert docker_client.containers.list(all=True, filters={"label": PROBE_LABEL}) == []


@pytest.mark.docker
def test_an_image_without_python_is_a_warning_not_a_verdict(docker_client):
    report = probe_imports(docker_client, "postgres:15-alpine", (ImportUse("x", "x", "m.py", 1, False),))
    assert report.missing == ()
    assert "could not check the imports in the image" in report.warning


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from spacepack.cli import main

    with pytest.raises(SystemExit) as exited:
        main(args)
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.mark.docker
def test_build_fails_when_the_image_lacks_an_imported_module(docker_client, docker_cleanup, tmp_path, capsys):
    project = build_file_tree(
        tmp_path / "p",
        {
            "main.py": """
                import humanize
                from fastapi import FastAPI

                app = FastAPI()


                @app.get("/health")
                def health() -> dict[str, str]:
                    return {"status": humanize.intcomma(1000)}
            """,
            "requirements.txt": "fastapi\nuvicorn\n",
        },
    )
    tag = f"spacepack-test/imports-{uuid.uuid4().hex[:8]}:test"
    docker_cleanup["images"].append(tag)
    # check's guess (SP203) is overridden; the image is what says no.
    code, out, err = run_cli(["build", str(project), "--tag", tag, "--force", "--json"], capsys)
    assert code == ExitCode.BUILD_FAILED, err
    assert "the image cannot import humanize (main.py:1)" in err
    assert "add humanize to requirements.txt" in err
    document = json.loads(out)
    assert document["imports"]["missing"][0]["path"] == "main.py"
    assert document.get("smoke") is None  # the smoke test never ran
    assert docker_client.containers.list(all=True, filters={"label": PROBE_LABEL}) == []
