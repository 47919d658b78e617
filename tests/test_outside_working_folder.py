"""What the app needs from outside its working folder ships at the same place relative to it.

Two monorepo shapes seen on real backends: the app's folder imports a module kept one folder up
(`from middlewares import ...` with `middlewares.py` beside the app's folder; the project's own
Dockerfile puts both folders on PYTHONPATH), and a backend that serves its sibling frontend
(`StaticFiles(directory="../frontend")`).
"""

from __future__ import annotations

import json
import secrets
import string
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from spacepack.check import check_project
from spacepack.check import layout as layout_module
from spacepack.config import Settings
from spacepack.errors import RenderError
from spacepack.import_probe import ImportReport, ImportsMissing, app_imports
from spacepack.plan import Dependencies, Plan
from spacepack.render import render_context
from spacepack.render.dockerfile import render_dockerfile
from spacepack.render.plan_cache import plan_from_json
from tests.helpers import build_file_tree, plan_for, run_cli
from tests.package_index import make_index, use_index

REQUIREMENTS = "fastapi\nuvicorn\n"

# The app lives in server/todo and imports its siblings as top-level modules, plus server/middlewares.py.
OUTER_MODULE = {
    "server/requirements.txt": REQUIREMENTS,
    "server/middlewares.py": "def add_middlewares(app):\n    return app\n",
    "server/shared/__init__.py": "NAME = 'shared'\n",
    "server/Dockerfile": "FROM python:3.11-slim\n",
    "server/todo/core/__init__.py": "",
    "server/todo/core/config.py": "TITLE = 'todo'\n",
    "server/todo/api/__init__.py": "",
    "server/todo/api/routes.py": "PREFIX = '/api'\n",
    "server/todo/errors.py": "CODES = {}\n",
    "server/todo/main.py": """
        from fastapi import FastAPI

        from api.routes import PREFIX
        from core.config import TITLE
        from errors import CODES
        from middlewares import add_middlewares
        from shared import NAME

        app = FastAPI(title=TITLE + NAME + PREFIX + str(CODES))
        add_middlewares(app)


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}
    """,
}

# A backend serving its sibling frontend folder.
SERVED_FOLDER = {
    "backend/requirements.txt": REQUIREMENTS,
    "backend/app/__init__.py": "",
    "backend/app/main.py": """
        from fastapi import FastAPI
        from fastapi.staticfiles import StaticFiles

        from app.routes import router

        app = FastAPI()
        app.include_router(router)
        app.mount("/", StaticFiles(directory="../frontend", html=True), name="site")
    """,
    "backend/app/routes.py": """
        from fastapi import APIRouter

        router = APIRouter()


        @router.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}
    """,
    "frontend/index.html": "<h1>todo</h1>\n",
    "frontend/js/app.js": "console.log('todo')\n",
    "frontend/node_modules/left-pad/index.js": "module.exports = 1\n",
    "frontend/.env": "API_TOKEN=hf_abcdefghijklmnopqrstuvwxyz\n",
    "docs/notes.md": "not served\n",
}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_index(tmp_path_factory.mktemp("index"))


@pytest.fixture
def local_index(index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve against a package index made for the tests: offline, the same pins every time."""
    use_index(monkeypatch, index_dir, tmp_path / "resolve-cache")


def check(root: Path) -> Plan:
    return check_project(Settings(project_dir=root))


def codes(plan: Plan, code: str) -> list[str]:
    return [f.message for f in plan.findings if f.code == code]


# --- check: a module in a folder above the working folder -----------------------------------


def test_a_module_above_the_working_folder_ships_with_its_folder_on_the_path(tmp_path: Path) -> None:
    plan = check(build_file_tree(tmp_path / "p", OUTER_MODULE))
    assert (plan.working_dir, plan.entry) == ("server/todo", "main:app")
    assert plan.outside == ("server/middlewares.py", "server/shared/")
    assert plan.python_path == ("server",) and plan.context_root == "server"
    (first, second) = codes(plan, "SP125")
    assert "server/todo/main.py:6 imports middlewares, which is server/middlewares.py in server" in first
    assert "server/shared/" in second
    assert plan.errors == ()


def test_a_local_module_never_shadows_an_installed_or_standard_one(tmp_path: Path) -> None:
    spec = {
        **OUTER_MODULE,
        "server/requirements.txt": REQUIREMENTS + "redis\n",
        "server/redis.py": "X = 1\n",  # a helper named like the declared distribution's module
        "server/json.py": "X = 1\n",  # and one named like a standard module
        "server/todo/main.py": "import json\n\nimport redis\nfrom fastapi import FastAPI\n\napp = FastAPI()\n",
    }
    plan = check(build_file_tree(tmp_path / "p", spec))
    assert plan.outside == () and plan.python_path == () and plan.context_root == plan.working_dir


def test_an_app_that_needs_nothing_from_outside_renders_as_before(tmp_path: Path) -> None:
    plan = check(build_file_tree(tmp_path / "p", {"requirements.txt": REQUIREMENTS, "main.py": "import os\n"}))
    assert plan.outside == () and plan.context_root == "."
    dockerfile = render_dockerfile(replace(plan, entry="main:app"), Settings(project_dir=plan.root))
    assert "PYTHONPATH" not in dockerfile and dockerfile.rstrip().endswith("COPY --chown=user . .")
    assert dockerfile.count("\nWORKDIR ") == 1


# --- check: a folder served from beside the working folder ----------------------------------


def test_a_folder_served_from_beside_the_working_folder_ships(tmp_path: Path) -> None:
    plan = check(build_file_tree(tmp_path / "p", SERVED_FOLDER))
    assert (plan.working_dir, plan.entry) == ("backend", "app.main:app")
    assert plan.outside == ("frontend/",) and plan.python_path == () and plan.context_root == "."
    (shipped,) = codes(plan, "SP125")
    assert "StaticFiles(directory='../frontend') serves frontend/" in shipped


@pytest.mark.parametrize(
    "directory",
    [
        "../../elsewhere",  # outside the project
        "..",  # the folder that holds the working folder: everything would ship
        "../missing",  # no such folder
        "static",  # inside the working folder: it ships anyway
    ],
)
def test_only_an_existing_folder_inside_the_project_and_outside_the_working_folder_ships(
    tmp_path: Path, directory: str
) -> None:
    spec = {
        **SERVED_FOLDER,
        "backend/static/a.css": "",
        "backend/app/main.py": SERVED_FOLDER["backend/app/main.py"].replace("../frontend", directory),
    }
    plan = check(build_file_tree(tmp_path / "p", spec))
    assert plan.outside == () and codes(plan, "SP125") == []


@pytest.mark.usefixtures("local_index")
def test_a_served_folder_left_out_by_default_ships_and_a_credential_in_it_does_not(tmp_path: Path) -> None:
    token = "hf_" + "".join(secrets.choice(string.ascii_letters) for _ in range(34))
    spec = {
        **SERVED_FOLDER,
        "backend/app/main.py": SERVED_FOLDER["backend/app/main.py"].replace("../frontend", "../docs/site"),
        "docs/site/index.html": "<h1>docs</h1>\n",
        "docs/site/config.js": f'const token = "{token}";\n',
    }
    root = build_file_tree(tmp_path / "p", spec)
    plan = _with_pins(check(root))
    assert plan.outside == ("docs/site/",) and "docs/" in plan.kept_anyway
    assert "docs/site/config.js" in plan.secret_files
    context = render_context(plan, Settings(project_dir=root), tmp_path / "out")
    files = {f.path for f in context.files}
    assert "docs/site/index.html" in files and "docs/notes.md" not in files
    assert "docs/site/config.js" not in files
    written = [path for path in (tmp_path / "out").rglob("*") if path.is_file()]
    assert all(token not in path.read_text(errors="replace") for path in written)


def test_a_served_folder_over_the_bound_stays_out_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(layout_module, "MAX_OUTSIDE_FILES", 1)
    plan = check(build_file_tree(tmp_path / "p", SERVED_FOLDER))
    assert plan.outside == ()
    (warning,) = [f for f in plan.findings if f.code == "SP126"]
    assert warning.severity == "warning" and (warning.path, warning.line) == ("backend/app/main.py", 8)
    assert "frontend/" in warning.message and "does not ship" in warning.message


# --- render: the same places in the image ----------------------------------------------------


def _with_pins(plan: Plan) -> Plan:
    return replace(plan, dependencies=Dependencies(packages=("fastapi",), requirements=("fastapi==0.115.0",)))


@pytest.mark.usefixtures("local_index")
def test_the_context_holds_the_outer_module_and_the_image_runs_from_the_app_folder(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "p", OUTER_MODULE)
    plan = _with_pins(check(root))
    context = render_context(plan, Settings(project_dir=root), tmp_path / "out")
    files = {f.path for f in context.files}
    assert {"middlewares.py", "shared/__init__.py", "todo/main.py", "todo/core/config.py"} <= files
    assert "Dockerfile" in files and not any(path.startswith("todo/Dockerfile") for path in files)
    assert (tmp_path / "out" / "Dockerfile").read_text() == context.dockerfile
    dockerfile = context.dockerfile
    assert "ENV PYTHONPATH=/home/user/app\n" in dockerfile
    assert "install -d -o user -g user /home/user/app /home/user/app/todo" in dockerfile
    workdir = dockerfile.index("WORKDIR $HOME/app/todo\n")
    assert workdir < dockerfile.index("COPY --chown=user . $HOME/app/\n")
    assert dockerfile.rstrip().endswith("COPY --chown=user . $HOME/app/")  # the source stays last


@pytest.mark.usefixtures("local_index")
def test_the_context_holds_the_served_folder_without_what_never_ships(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "p", SERVED_FOLDER)
    plan = _with_pins(check(root))
    context = render_context(plan, Settings(project_dir=root), tmp_path / "out")
    files = {f.path for f in context.files}
    assert {"backend/app/main.py", "frontend/index.html", "frontend/js/app.js"} <= files
    assert not any("node_modules" in path or path.endswith(".env") or path.startswith("docs/") for path in files)
    assert "WORKDIR $HOME/app/backend\n" in context.dockerfile and "PYTHONPATH" not in context.dockerfile


def test_a_folder_that_cannot_be_named_in_a_dockerfile_is_refused(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, working_dir="server/my todo", outside=("server/middlewares.py",))
    with pytest.raises(RenderError, match="cannot be named in a Dockerfile"):
        render_dockerfile(plan, Settings(project_dir=tmp_path))


def test_the_plan_cache_keeps_what_ships_from_outside(tmp_path: Path) -> None:
    plan = check(build_file_tree(tmp_path / "p", OUTER_MODULE))
    again = plan_from_json(json.loads(json.dumps(plan.to_json())))
    assert (again.outside, again.python_path, again.context_root) == (plan.outside, plan.python_path, "server")


# --- the import proof: a project module is never "a dependency to add" ----------------------


def test_a_missing_project_module_is_never_called_a_dependency(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "p", OUTER_MODULE)
    plan = plan_for(root, working_dir="server/todo", entry="main:app")  # as before: nothing from outside
    uses = [use for use in app_imports(plan) if use.name == "middlewares"]
    assert [(use.local_path, use.own_folder) for use in uses] == [("server/middlewares.py", False)]
    failed = ImportsMissing(ImportReport(checked=("middlewares",), missing=tuple(uses), seconds=0.1), "pyproject")
    assert "add middlewares" not in failed.hint and "add middlewares" not in " ".join(failed.details)
    assert "server/middlewares.py" in failed.hint


# --- on the real engine ------------------------------------------------------------------------


@pytest.mark.docker
@pytest.mark.parametrize(("spec", "probe"), [(OUTER_MODULE, "/health"), (SERVED_FOLDER, "/index.html")])
def test_an_app_needing_files_from_outside_its_folder_comes_up(
    docker_client, docker_cleanup, tmp_path: Path, capsys: pytest.CaptureFixture[str], spec, probe: str
) -> None:
    project = build_file_tree(tmp_path / "p", spec)
    tag = f"spacepack-test/outside-{uuid.uuid4().hex[:8]}:test"
    docker_cleanup["images"].append(tag)
    code, out, err = run_cli(["build", str(project), "--tag", tag, "--health", probe, "--json"], capsys)
    assert code == 0, err
    document = json.loads(out)
    assert document["smoke"]["verdict"] == "healthy", document["smoke"]
    assert document["smoke"]["probes"][0]["status"] == 200
