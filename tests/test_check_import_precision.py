"""SP203 only for imports that will really fail: one small fixture per cause seen on real backends."""

from __future__ import annotations

from pathlib import Path

from spacepack.check import check_project
from spacepack.config import Settings
from spacepack.plan import Plan
from tests.helpers import build_file_tree

APP = "from fastapi import FastAPI\napp = FastAPI()\n"


def plan_of(tmp_path: Path, spec: dict[str, str], infer: bool = False) -> Plan:
    """The plan, by default with import inference off: these tests are about what SP203 and SP214 say."""
    build_file_tree(tmp_path, spec)
    return check_project(Settings(project_dir=tmp_path, infer_dependencies=infer))


def by_code(plan: Plan, code: str) -> list:
    return [f for f in plan.findings if f.code == code]


def test_a_package_declared_under_another_distribution_name_is_no_error(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\nopenai-agents\nopenai-chatkit\n",
            "main.py": APP + "from agents import Agent\nimport chatkit\n",
        },
    )
    assert by_code(plan, "SP203") == []
    doubts = by_code(plan, "SP214")
    assert {f.severity for f in doubts} == {"warning"}
    assert any("openai-agents" in f.message and "agents" in f.message for f in doubts)
    assert any("openai-chatkit" in f.message for f in doubts)
    assert not plan.errors


def test_a_transitive_package_of_the_lock_satisfies_an_import(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\ndependencies = ["fastapi"]\n'
            '[dependency-groups]\ndev = ["pytest"]\n',
            "uv.lock": """\
                version = 1
                [[package]]
                name = "svc"
                version = "1"
                source = { editable = "." }
                dependencies = [{ name = "fastapi" }]
                [package.dev-dependencies]
                dev = [{ name = "pytest" }]
                [[package]]
                name = "fastapi"
                version = "0.110.0"
                dependencies = [{ name = "starlette" }]
                [[package]]
                name = "starlette"
                version = "0.37.2"
                [[package]]
                name = "pytest"
                version = "8.2.0"
                """,
            "main.py": APP + "from starlette.responses import JSONResponse\nimport pytest\n",
        },
    )
    assert by_code(plan, "SP203") == []  # starlette comes with fastapi in the lock
    outside = by_code(plan, "SP214")
    assert len(outside) == 1 and "pytest" in outside[0].message and "dev group" in outside[0].message
    assert not any(line.startswith("pytest") for line in plan.dependencies.requirements)


def test_files_the_app_never_imports_give_no_error(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\n",
            "app/main.py": APP + "from app import routes\n",
            "app/__init__.py": "",
            "app/routes.py": "import httpx\n",
            "seed_data.py": "import faker\n",  # a one-off script at the root, imported by nothing
            "migrations/versions/001_init.py": "import alembic\nimport sqlalchemy\n",
            "tests/test_api.py": "import pytest\nimport respx\n",
        },
    )
    errors = by_code(plan, "SP203")
    assert [(f.path, "httpx" in f.message) for f in errors] == [("app/routes.py", True)]  # reached from the entry
    script = [f for f in by_code(plan, "SP214") if f.path == "seed_data.py"]
    assert len(script) == 1 and "does not import this file" in script[0].message
    assert not any(f.path and f.path.startswith(("migrations/", "tests/")) for f in plan.findings)


def test_the_projects_own_code_named_by_its_folder_is_local(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "backend/requirements.txt": "fastapi\nuvicorn\n",
            "backend/src/__init__.py": "",
            "backend/src/models.py": "X = 1\n",
            "backend/src/main.py": APP + "from backend.src.models import X\nimport backend.src.models\n",
        },
    )
    assert by_code(plan, "SP203") == [] and by_code(plan, "SP214") == []


def test_an_undeclared_import_the_app_loads_is_still_an_error(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\n",
            "main.py": APP + "import services\n",
            "services.py": "import redis\n",
        },
    )
    errors = by_code(plan, "SP203")
    assert len(errors) == 1 and errors[0].path == "services.py" and "redis" in errors[0].hint
