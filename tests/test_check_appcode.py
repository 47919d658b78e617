"""One app-module set, one import-time walker, one import-alias resolution, shared by every analysis."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from spacepack.check import check_project
from spacepack.check.pyast import (
    ProjectIndex,
    app_code,
    import_statements,
    module_imports,
    non_app_reason,
    qualify,
    walk_runtime,
)
from spacepack.check.tree import load_tree
from spacepack.config import Settings
from tests.helpers import build_file_tree

APP = """\
    import os
    from fastapi import FastAPI

    DATABASE_URL = os.environ["DATABASE_URL"]
    app = FastAPI()

    @app.get("/health")
    def health():
        return {"ok": True}
    """


def test_env_reads_in_tool_and_test_helper_files_are_not_required_at_import(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\n",
            "main.py": APP,
            "noxfile.py": 'import os\nimport nox\nPYTHON = os.environ["NOX_PYTHON"]\n',
            "helpers_test.py": 'import os\nTOKEN = os.environ["TEST_TOKEN"]\n',
            "conftest.py": 'import os\nURL = os.environ["TEST_DB_URL"]\n',
            "setup.py": 'import os\nVERSION = os.environ["BUILD_VERSION"]\n',
        },
    )
    plan = check_project(Settings(project_dir=tmp_path))
    env = {e.name: e for e in plan.env}
    assert env["DATABASE_URL"].required and env["DATABASE_URL"].at_import
    for name in ("NOX_PYTHON", "TEST_TOKEN", "TEST_DB_URL", "BUILD_VERSION"):
        assert name not in env, name
    sp301 = [f for f in plan.findings if f.code == "SP301"]
    assert len(sp301) == 1 and sp301[0].message.startswith("the app reads DATABASE_URL while")
    # `import nox` in noxfile.py is a tool's import, not an undeclared dependency of the app.
    assert not [f for f in plan.findings if f.code == "SP203"]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("app/main.py", None),
        ("app/routers/users.py", None),
        ("tests/test_api.py", "under tests/"),
        ("app/helpers_test.py", "a test module"),
        ("app/test_models.py", "a test module"),
        ("conftest.py", "a test module"),
        ("noxfile.py", "a tool script (noxfile.py)"),
        ("setup.py", "a tool script (setup.py)"),
        ("migrations/versions/001_init.py", "under migrations/"),
        ("scripts/seed.py", "under scripts/"),
        ("examples/demo_app.py", "under examples/"),
    ],
)
def test_which_files_are_app_code(path: str, reason: str | None) -> None:
    assert non_app_reason(path) == reason


def test_the_app_code_set_is_below_the_backend_and_parsed(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "backend/app/main.py": "x = 1\n",
            "backend/tests/test_x.py": "x = 1\n",
            "backend/broken.py": "def (:\n",
            "tools/other.py": "x = 1\n",
            "backend/tests_helpers.py": "x = 1\n",
        },
    )
    code = app_code(ProjectIndex(load_tree(tmp_path)), "backend")
    assert code.modules == ("backend/app/main.py", "backend/tests_helpers.py")
    assert "backend/app/main.py" in code and "tools/other.py" not in code


def _runs(source: str) -> dict[int, str]:
    """Line -> when the os.getenv call on that line runs."""
    module = ast.parse(textwrap.dedent(source))
    return {
        node.lineno: place.runs
        for node, place in walk_runtime(module)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "os.getenv"
    }


def test_the_walker_knows_what_runs_at_import() -> None:
    runs = _runs(
        """\
        import os
        A = os.getenv("A")
        def f(x=os.getenv("DEFAULT")):
            return os.getenv("BODY")
        class C:
            attr = os.getenv("CLASS_BODY")
        g = lambda y=os.getenv("LAMBDA_DEFAULT"): (
            os.getenv("LAMBDA_BODY")
        )
        if __name__ == "__main__":
            os.getenv("MAIN")
        else:
            os.getenv("NOT_MAIN")
        try:
            B = os.getenv("IN_TRY")
        except Exception:
            pass
        """
    )
    assert runs == {
        2: "import",
        3: "import",
        4: "call",
        6: "import",
        7: "import",
        8: "call",
        11: "main",
        13: "import",
        15: "import",
    }


def test_the_walker_reports_the_outer_function_of_nested_code() -> None:
    module = ast.parse("def outer():\n    def inner():\n        return make()\n    return inner\n")
    places = [place for node, place in walk_runtime(module) if isinstance(node, ast.Call)]
    assert [(p.runs, p.function) for p in places] == [("call", "outer")]


def test_the_walker_visits_every_node_once_in_source_order() -> None:
    # Callers report reads in the walker's order, so it must match the plain depth-first, source-order walk
    # (only Load/Store/Del markers are skipped: nothing looks at them).
    source = (
        "import os\nx = [os.getenv(k) for k in ('A', 'B')] + {'c': f(a, *b, **c)}['c']\n"
        "with open(p) as h:\n    y = h.read()[1:2]\n"
    )
    module = ast.parse(source)

    def plain(node: ast.AST) -> list[ast.AST]:
        return [node, *(n for child in ast.iter_child_nodes(node) for n in plain(child))]

    expected = [n for n in plain(module) if not isinstance(n, ast.expr_context)]
    walked = [node for node, _ in walk_runtime(module)]
    assert [type(n).__name__ for n in walked] == [type(n).__name__ for n in expected]
    assert all(a is b for a, b in zip(walked, expected, strict=True))


def test_one_alias_resolution_for_every_spelling() -> None:
    module = ast.parse(
        "import os as o\nfrom os import environ as ENV, getenv\nimport uvicorn as u\n"
        "from uvicorn import run as serve\nfrom .settings import config\nimport a.b\n"
    )
    imports = module_imports(import_statements(module))

    def q(text: str) -> str | None:
        return qualify(ast.parse(text, mode="eval").body, imports)

    assert q("o.environ.get") == "os.environ.get"
    assert q("ENV") == "os.environ"
    assert q("getenv") == "os.getenv"
    assert q("u.run") == "uvicorn.run"
    assert q("serve") == "uvicorn.run"
    assert q("config.value") == ".settings.config.value"
    assert q("a.b.c") == "a.b.c"
    assert q("unknown.name") == "unknown.name"
    assert q("f()") is None


def test_a_server_started_in_a_test_helper_is_not_the_apps_problem(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\n",
            "main.py": textwrap.dedent(APP)
            + '\nif __name__ == "__main__":\n    import uvicorn\n    uvicorn.run(app, port=8000)\n',
            "tests/conftest.py": "import uvicorn\nfrom main import app\nuvicorn.run(app, port=9999)\n",
        },
    )
    plan = check_project(Settings(project_dir=tmp_path))
    servers = [f for f in plan.findings if f.code == "SP320"]
    assert [f.path for f in servers] == ["main.py"]
    assert "port 8000" in servers[0].message and "imported" not in servers[0].message


def test_env_reads_with_a_fallback_are_not_required(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\n",
            "main.py": """\
                import os
                from fastapi import FastAPI

                SECRET_KEY = os.getenv("SECRET_KEY") or "dev-secret-key-minimum-32-characters-long"
                MODEL = os.environ.get("MODEL")
                if not MODEL:
                    MODEL = "gpt-4o-mini"
                REGION = os.getenv("REGION")
                if REGION is None:
                    REGION = "eu"
                TOKEN = os.getenv("TOKEN")
                app = FastAPI()
                """,
        },
    )
    plan = check_project(Settings(project_dir=tmp_path))
    env = {e.name: e for e in plan.env}
    for name in ("SECRET_KEY", "MODEL", "REGION"):
        assert not env[name].required, name
    assert env["TOKEN"].required and env["TOKEN"].at_import  # no fallback: the smoke test needs it


def test_env_reads_in_files_the_app_never_loads_are_not_at_import(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\n",
            "main.py": textwrap.dedent(APP),
            "seed.py": 'import os\nADMIN_PASSWORD = os.environ["ADMIN_PASSWORD"]\n',
        },
    )
    plan = check_project(Settings(project_dir=tmp_path))
    env = {e.name: e for e in plan.env}
    assert env["DATABASE_URL"].at_import
    assert env["ADMIN_PASSWORD"].required and not env["ADMIN_PASSWORD"].at_import
    assert [f.message.split(" while")[0] for f in plan.findings if f.code == "SP301"] == ["the app reads DATABASE_URL"]
