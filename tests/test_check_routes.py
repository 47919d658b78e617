"""The health path: explicit health routes (with router prefixes across modules), else the docs URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacepack.check import decide_entry
from spacepack.check.routes import health_rank
from spacepack.check.tree import load_tree
from spacepack.config import Settings
from tests.helpers import build_file_tree


def health_of(root: Path, spec: dict[str, str], **explicit: str) -> tuple[str, list[str]]:
    build_file_tree(root, spec)
    decision = decide_entry(load_tree(root), Settings(project_dir=root.resolve(), **explicit))  # type: ignore[arg-type]
    return decision.health_path, [f.code for f in decision.findings]


@pytest.mark.parametrize(
    ("path", "healthy"),
    [
        ("/health", True),
        ("/healthz", True),
        ("/api/health", True),
        ("/api/v1/health/", True),
        ("/ping", True),
        ("/status", True),
        ("/ready", True),
        ("/livez", True),
        ("/users/{id}/status", False),
        ("/healthy-food", False),
        ("/", False),
    ],
)
def test_health_like_paths(path: str, healthy: bool) -> None:
    assert (health_rank(path) is not None) is healthy


def test_health_beats_status_and_post_routes_do_not_count(tmp_path: Path) -> None:
    path, codes = health_of(
        tmp_path,
        {
            "main.py": """
                from fastapi import FastAPI
                app = FastAPI()

                @app.get("/status")
                def status(): ...

                @app.post("/health")
                def not_a_probe(): ...

                @app.api_route("/healthz", methods=["GET", "HEAD"])
                def healthz(): ...
            """
        },
    )
    assert path == "/healthz"
    assert "SP130" in codes


def test_router_prefixes_across_modules(tmp_path: Path) -> None:
    path, _ = health_of(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/main.py": """
                from fastapi import FastAPI
                from app.api import api_router

                app = FastAPI()
                app.include_router(api_router, prefix="/api")
            """,
            "app/api/__init__.py": """
                from fastapi import APIRouter
                from .routes import system

                api_router = APIRouter(prefix="/v1")
                api_router.include_router(system.router)
            """,
            "app/api/routes/__init__.py": "",
            "app/api/routes/system.py": """
                from fastapi import APIRouter

                router = APIRouter(prefix="/system", tags=["system"])

                @router.get("/health")
                async def health():
                    return {"ok": True}
            """,
        },
    )
    assert path == "/api/v1/system/health"


def test_router_imported_by_name_with_alias(tmp_path: Path) -> None:
    path, _ = health_of(
        tmp_path,
        {
            "main.py": """
                from fastapi import FastAPI
                from routes.health import router as health_router

                app = FastAPI()
                app.include_router(health_router, prefix="/api")
            """,
            "routes/health.py": """
                import fastapi
                router = fastapi.APIRouter()

                @router.get("/ping")
                def ping(): ...
            """,
        },
    )
    assert path == "/api/ping"


def test_mounted_sub_app(tmp_path: Path) -> None:
    path, _ = health_of(
        tmp_path,
        {
            "main.py": """
                from fastapi import FastAPI
                from fastapi.middleware.cors import CORSMiddleware

                api = FastAPI()
                app = FastAPI()
                app.add_middleware(CORSMiddleware)
                app.mount("/api", api)

                @api.get("/health")
                def health(): ...
            """
        },
    )
    assert path == "/api/health"


def test_starlette_routes_list(tmp_path: Path) -> None:
    path, _ = health_of(
        tmp_path,
        {
            "main.py": """
                from starlette.applications import Starlette
                from starlette.routing import Mount, Route

                async def health(request): ...

                app = Starlette(routes=[Mount("/api", routes=[Route("/health", health)])])
            """
        },
    )
    assert path == "/api/health"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ("", "/docs"),
        ('docs_url="/documentation"', "/documentation"),
        ("docs_url=None", "/openapi.json"),
        ('docs_url=None, openapi_url="/api/openapi.json"', "/api/openapi.json"),
        ('root_path="/proxy"', "/docs"),
        ("docs_url=None, openapi_url=None", "/"),
        ("openapi_url=None", "/"),
        ("docs_url=settings.DOCS", "/openapi.json"),
    ],
)
def test_docs_url_when_there_is_no_health_route(tmp_path: Path, kwargs: str, expected: str) -> None:
    path, codes = health_of(
        tmp_path,
        {
            "main.py": (
                f"from fastapi import FastAPI\nsettings = None\napp = FastAPI({kwargs})\n"
                "@app.get('/items')\ndef i(): ...\n"
            )
        },
    )
    assert path == expected
    assert ("SP131" in codes) is (expected == "/")


def test_explicit_health_path_wins_and_warns_when_unknown(tmp_path: Path) -> None:
    spec = {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/health')\ndef h(): ...\n"}
    path, codes = health_of(tmp_path, spec, health_path="/livecheck")
    assert path == "/livecheck"
    assert "SP132" in codes and "SP105" in codes
    path, codes = health_of(tmp_path, spec, health_path="/health")
    assert path == "/health" and "SP132" not in codes
