"""Finding the app: instances, shims, factories, decoys, working dirs and backend folders."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacepack.check import EntryDecision, decide_entry
from spacepack.check.tree import load_tree
from spacepack.config import Settings
from spacepack.errors import SpacepackError, UsageError
from tests.helpers import SAMPLE_APP, build_file_tree

FULL_APP = dedent("""
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware

    from .config import settings
    from .routes import items, users

    app = FastAPI(title="Full")
    app.add_middleware(CORSMiddleware, allow_origins=["*"])
    app.include_router(items.router)
    app.include_router(users.router, prefix="/users")


    @app.get("/health")
    def health():
        return {"ok": True}
""")
ROUTER = dedent("""
    from fastapi import APIRouter

    router = APIRouter(prefix="/api/items")


    @router.get("")
    def list_items():
        return []


    @router.post("")
    def create():
        return {}
""")
MINIMAL = SAMPLE_APP


def decide(root: Path, spec: Mapping[str, str | bytes], **explicit: Any) -> EntryDecision:
    build_file_tree(root, spec)
    return decide_entry(load_tree(root), Settings(project_dir=root.resolve(), **explicit))


def codes(decision: EntryDecision) -> list[str]:
    return [f.code for f in decision.findings]


def seed_tree(prefix: str = "") -> dict[str, str]:
    return {
        f"{prefix}main.py": MINIMAL,
        f"{prefix}src/__init__.py": "",
        f"{prefix}src/main.py": FULL_APP,
        f"{prefix}src/config.py": "settings = object()\n",
        f"{prefix}src/routes/__init__.py": "",
        f"{prefix}src/routes/items.py": ROUTER,
        f"{prefix}src/routes/users.py": ROUTER.replace("/api/items", ""),
        f"{prefix}requirements.txt": "fastapi\n",
    }


def test_seed_case_full_app_wins_over_root_health_only_app(tmp_path: Path) -> None:
    decision = decide(tmp_path, seed_tree())
    assert decision.entry == "src.main:app"
    assert decision.working_dir == "."
    assert decision.backend_dir == "."
    assert decision.factory is False
    assert decision.health_path == "/health"
    chosen = [c for c in decision.candidates if c.chosen]
    assert [c.entry for c in chosen] == ["src.main:app"]
    assert decision.candidates[0].chosen
    other = next(c for c in decision.candidates if c.path == "main.py")
    assert other.score < chosen[0].score
    assert "lower score" in other.reason
    hint = next(f for f in decision.findings if f.code == "SP104")
    assert hint.severity == "info" and hint.path == "main.py"
    assert "from src.main import app" in hint.hint
    assert "SP120" in codes(decision)  # package-relative imports decided the working dir


def test_root_shim_reexporting_the_full_app_is_the_same_app(tmp_path: Path) -> None:
    spec = seed_tree()
    spec["main.py"] = "from src.main import app  # the real one\n"
    decision = decide(tmp_path, spec)
    assert decision.entry == "src.main:app"
    shim = next(c for c in decision.candidates if c.path == "main.py")
    assert shim.kind == "shim"
    assert shim.score == decision.candidates[0].score
    assert "same app" in shim.reason
    assert "SP104" not in codes(decision)


def test_shim_calling_a_factory(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/factory.py": """
                from fastapi import FastAPI

                def create_app():
                    application = FastAPI()

                    @application.get("/healthz")
                    def healthz():
                        return "ok"

                    return application
            """,
            "asgi.py": "from app.factory import create_app\n\napplication = create_app()\n",
        },
    )
    assert decision.entry == "asgi:application"
    assert decision.factory is False
    assert decision.health_path == "/healthz"
    shim = decision.candidates[0]
    assert shim.kind == "shim" and "create_app" in shim.reason


def test_a_module_level_app_made_by_a_factory_in_the_same_module_wins(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "main/__init__.py": "",
            "main/app.py": """
                from fastapi import FastAPI
                from starlette.middleware.cors import CORSMiddleware

                def create_app() -> FastAPI:
                    application = FastAPI()
                    application.add_middleware(CORSMiddleware, allow_origins=["*"])

                    @application.get("/health")
                    def health():
                        return {}

                    return application

                app = create_app()
            """,
        },
    )
    assert (decision.entry, decision.factory) == ("main.app:app", False)
    assert decision.health_path == "/health"
    assert [c.kind for c in decision.candidates] == ["shim"]
    assert "calls the factory create_app()" in decision.candidates[0].reason


def test_factory_without_module_level_app(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "service/__init__.py": "",
            "service/app.py": """
                from fastapi import FastAPI as F

                def make_app() -> F:
                    api = F(docs_url="/api/docs")
                    return api
            """,
        },
    )
    assert decision.entry == "service.app:make_app"
    assert decision.factory is True
    assert decision.working_dir == "."
    assert decision.health_path == "/api/docs"


@pytest.mark.parametrize("attr", ["api", "application", "server"])
def test_any_attribute_name(tmp_path: Path, attr: str) -> None:
    decision = decide(tmp_path, {"main.py": f"import fastapi\n\n{attr} = fastapi.FastAPI()\n"})
    assert decision.entry == f"main:{attr}"


@pytest.mark.parametrize(
    ("source", "framework_word"),
    [
        ("from starlette.applications import Starlette\napp = Starlette(routes=[])\n", "starlette"),
        ("import quart\napp = quart.Quart(__name__)\n", "quart"),
        ("from litestar import Litestar\napp = Litestar(route_handlers=[])\n", "litestar"),
        ("from django.core.asgi import get_asgi_application\napplication = get_asgi_application()\n", "django"),
        ("import socketio\nsio = socketio.AsyncServer()\napp = socketio.ASGIApp(sio)\n", "socketio"),
        ("from fastapi import FastAPI\nclass MyApp(FastAPI):\n    pass\napp = MyApp()\n", "subclass"),
    ],
)
def test_other_asgi_apps(tmp_path: Path, source: str, framework_word: str) -> None:
    decision = decide(tmp_path, {"server.py": source})
    assert decision.entry.startswith("server:"), framework_word
    assert "SP100" not in codes(decision)


def test_decoys_are_never_chosen(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "main.py": 'def main():\n    print("Hello from demo!")\n\n\nif __name__ == "__main__":\n    main()\n',
            "tests/test_app.py": "from fastapi import FastAPI\napp = FastAPI()\n",
            "docs/example.py": "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/a')\ndef a(): ...\n",
            "examples/demo/main.py": MINIMAL,
            "backend/README.md": "nothing here",
            "cli.py": "import sys\n\ndef main():\n    sys.exit(0)\n",
        },
    )
    assert decision.entry == ""
    error = next(f for f in decision.findings if f.code == "SP100")
    assert error.severity == "error"
    assert "--entry" in error.hint
    assert {c.path for c in decision.candidates} == {"tests/test_app.py", "docs/example.py", "examples/demo/main.py"}
    assert all(not c.chosen and c.reason.startswith("never chosen") for c in decision.candidates)


def test_app_under_main_guard_is_not_an_app(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {"main.py": 'if __name__ == "__main__":\n    from fastapi import FastAPI\n    app = FastAPI()\n'},
    )
    assert decision.entry == ""


def test_repo_root_with_backend_subfolder(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "package.json": "{}",
            "frontend/src/index.ts": "export {}",
            "backend/requirements.txt": "fastapi\n",
            "backend/app/__init__.py": "",
            "backend/app/main.py": """
                from fastapi import FastAPI
                from app.api.routes import router

                app = FastAPI()
                app.include_router(router, prefix="/api/v1")
            """,
            "backend/app/api/__init__.py": "",
            "backend/app/api/routes.py": """
                from fastapi import APIRouter

                router = APIRouter()

                @router.get("/health")
                def health():
                    return {}
            """,
        },
    )
    assert decision.entry == "app.main:app"
    assert decision.working_dir == "backend"
    assert decision.backend_dir == "backend"
    assert decision.health_path == "/api/v1/health"


def test_backend_dir_setting_and_path_to_backend_agree(tmp_path: Path) -> None:
    spec = seed_tree("backend/")
    from_root = decide(tmp_path / "repo", spec, backend_dir="backend")
    assert (from_root.entry, from_root.working_dir, from_root.backend_dir) == ("src.main:app", "backend", "backend")
    direct = decide_entry(load_tree(tmp_path / "repo" / "backend"), Settings(project_dir=tmp_path / "repo" / "backend"))
    assert (direct.entry, direct.working_dir, direct.backend_dir) == ("src.main:app", ".", ".")


def test_unknown_backend_dir_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="backend_dir"):
        decide(tmp_path, {"main.py": MINIMAL}, backend_dir="nope")


def test_folders_with_spaces(tmp_path: Path) -> None:
    decision = decide(tmp_path, {"my backend/main.py": MINIMAL, "my backend/requirements.txt": "fastapi\n"})
    assert decision.entry == "main:app"
    assert decision.working_dir == "my backend"
    assert decision.backend_dir == "my backend"


def test_relative_imports_in_a_folder_with_spaces_cannot_be_imported(tmp_path: Path) -> None:
    decision = decide(tmp_path, {"my api/main.py": "from .db import x\n" + MINIMAL, "my api/db.py": "x = 1\n"})
    error = next(f for f in decision.findings if f.code == "SP124")
    assert error.severity == "error" and "my api" in error.message


def test_several_backend_folders_are_ranked_and_listed(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "api/requirements.txt": "fastapi\n",
            "api/main.py": MINIMAL,
            "server/requirements.txt": "fastapi\n",
            "server/main.py": MINIMAL.replace("app = FastAPI()", "app = FastAPI()\napp.add_middleware(object)"),
        },
    )
    assert decision.backend_dir == "server"
    assert decision.entry == "main:app"
    note = next(f for f in decision.findings if f.code == "SP110")
    assert "api" in note.message


def test_equal_apps_warn_about_the_tie(tmp_path: Path) -> None:
    decision = decide(tmp_path, {"a.py": MINIMAL, "b.py": MINIMAL})
    assert decision.entry == "a:app"
    assert "SP103" in codes(decision)


def test_absolute_imports_decide_the_working_dir_over_init_files(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/main.py": "from routers import users\n" + MINIMAL + "app.include_router(users.router)\n",
            "svc/routers/__init__.py": "",
            "svc/routers/users.py": ROUTER,
        },
    )
    assert decision.entry == "main:app"
    assert decision.working_dir == "svc"


def test_cwd_relative_static_folder_pins_the_working_dir(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "web/app.py": """
                from fastapi import FastAPI
                from fastapi.staticfiles import StaticFiles
                from fastapi.templating import Jinja2Templates

                app = FastAPI()
                app.mount("/static", StaticFiles(directory="web/static"), name="static")
                templates = Jinja2Templates("web/templates")
            """,
            "web/static/site.css": "body {}",
            "web/templates/index.html": "<p>",
        },
    )
    assert decision.entry == "web.app:app"
    assert decision.working_dir == "."
    pins = [f for f in decision.findings if f.code == "SP121"]
    assert len(pins) == 2 and all(f.severity == "info" for f in pins)


def test_static_folder_missing_from_the_working_dir_warns(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "src/__init__.py": "",
            "src/main.py": """
                from fastapi import FastAPI
                from fastapi.staticfiles import StaticFiles
                from .config import x

                app = FastAPI()
                app.mount("/s", StaticFiles(directory="static"))
            """,
            "src/config.py": "x = 1\n",
            "src/static/a.css": "",
        },
    )
    assert decision.working_dir == "."
    warning = next(f for f in decision.findings if f.code == "SP122")
    assert warning.severity == "warning" and "src" in warning.message


def test_static_folder_that_never_ships_warns(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "main.py": MINIMAL
            + 'from fastapi.staticfiles import StaticFiles\napp.mount("/", StaticFiles(directory="dist"))\n',
            "dist/index.html": "<p>",
        },
    )
    assert "SP123" in codes(decision)


def test_explicit_entry_wins(tmp_path: Path) -> None:
    decision = decide(tmp_path, seed_tree(), entry="main:app", factory=False)
    assert decision.entry == "main:app"
    assert decision.working_dir == "."
    assert decision.candidates[0].entry == "main:app" and decision.candidates[0].chosen
    assert "SP105" in codes(decision)


def test_explicit_entry_in_a_subfolder_sets_the_working_dir(tmp_path: Path) -> None:
    decision = decide(tmp_path, seed_tree("backend/"), entry="src.main:app")
    assert decision.working_dir == "backend"
    assert decision.health_path == "/health"


def test_explicit_entry_that_does_not_exist(tmp_path: Path) -> None:
    decision = decide(tmp_path, {"main.py": MINIMAL}, entry="nowhere.mod:app")
    assert next(f for f in decision.findings if f.code == "SP106").severity == "error"
    decision = decide(tmp_path, {"main.py": MINIMAL}, entry="main:missing")
    assert "SP107" in codes(decision)


def test_malformed_entry_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="module:attribute"):
        decide(tmp_path, {"main.py": MINIMAL}, entry="main.py")


def test_syntax_error_in_an_unrelated_file_does_not_stop_discovery(tmp_path: Path) -> None:
    decision = decide(tmp_path, {"main.py": MINIMAL, "scripts/broken.py": "def (:\n", "util.py": "FastAPI(:\n"})
    assert decision.entry == "main:app"


def test_findings_are_sorted_by_severity(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {"my api/main.py": "from .db import x\n" + MINIMAL, "my api/db.py": "", "a.py": MINIMAL},
    )
    order = {"error": 0, "warning": 1, "info": 2}
    ranks = [order[f.severity] for f in decision.findings]
    assert ranks == sorted(ranks)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.text(max_size=300))
def test_fuzz_entry_finder_never_crashes(tmp_path_factory: pytest.TempPathFactory, source: str) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "main.py").write_text("from fastapi import FastAPI\n" + source, encoding="utf-8", errors="replace")
    (root / "other.py").write_text(source, encoding="utf-8", errors="replace")
    try:
        decision = decide_entry(load_tree(root), Settings(project_dir=root))
    except SpacepackError:
        return
    assert isinstance(decision.entry, str)


APP_LINES = st.sampled_from(
    [
        "app = FastAPI()\n",
        "api = FastAPI(docs_url=None)\n",
        "router = APIRouter(prefix='/x')\n",
        "@app.get('/health')\ndef h(): ...\n",
        "@router.get('/ping')\ndef p(): ...\n",
        "app.include_router(router, prefix='/api')\n",
        "app.mount('/sub', api)\n",
        "from .other import app\n",
        "from other import *\n",
        "def create_app():\n    return FastAPI()\n",
        "app = create_app()\n",
        "app = app\n",
        "x = app.get\n",
        "app.include_router(app)\n",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(APP_LINES, max_size=8), other=st.lists(APP_LINES, max_size=4))
def test_fuzz_app_shaped_sources(tmp_path_factory: pytest.TempPathFactory, lines: list[str], other: list[str]) -> None:
    root = tmp_path_factory.mktemp("fuzzapp")
    header = "from fastapi import FastAPI, APIRouter\n"
    (root / "main.py").write_text(header + "".join(lines))
    (root / "other.py").write_text(header + "from main import app\n" + "".join(other))
    decision = decide_entry(load_tree(root), Settings(project_dir=root))
    assert decision.health_path.startswith("/")
    assert sum(c.chosen for c in decision.candidates) <= 1
