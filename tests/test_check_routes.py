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


SETTINGS_PREFIX_APP = {
    "app/__init__.py": "",
    "app/core/__init__.py": "",
    "app/core/config.py": """
        from pydantic import Field
        from pydantic_settings import BaseSettings

        class Base(BaseSettings):
            UTILS: str = "/utils"

        class Settings(Base):
            API_V1_STR: str = "/api/v1"
            DOCS: str = Field(default="/documentation")

        settings = Settings()
    """,
    "app/api/__init__.py": "",
    "app/api/routes/__init__.py": "",
    "app/api/routes/utils.py": """
        from fastapi import APIRouter
        from app.core.config import settings

        router = APIRouter(prefix=settings.UTILS, tags=["utils"])

        @router.get("/health-check/")
        def health_check() -> bool:
            return True
    """,
    "app/api/main.py": """
        from fastapi import APIRouter
        from app.api.routes import utils

        api_router = APIRouter()
        api_router.include_router(utils.router)
    """,
    "app/main.py": """
        from fastapi import FastAPI
        from app.api.main import api_router
        from app.core.config import settings

        app = FastAPI(openapi_url=f"{settings.API_V1_STR}/openapi.json")
        app.include_router(api_router, prefix=settings.API_V1_STR)
    """,
}


def test_prefixes_from_settings_defaults_across_modules(tmp_path: Path) -> None:
    path, codes = health_of(tmp_path, SETTINGS_PREFIX_APP)
    assert path == "/api/v1/utils/health-check/"
    assert "SP130" in codes
    settings_py = SETTINGS_PREFIX_APP["app/core/config.py"]
    spec = {**SETTINGS_PREFIX_APP, "app/api/routes/utils.py": "from fastapi import APIRouter\nrouter = APIRouter()\n"}
    spec["app/core/config.py"] = settings_py.replace('Field(default="/documentation")', '"/documentation"')
    docs, _ = health_of(tmp_path / "docs", spec)
    assert docs == "/docs"  # the openapi_url f-string resolves, so the docs page is on


@pytest.mark.parametrize(
    ("config", "include"),
    [
        ('API = "/api/v1"\n', "prefix=config.API"),  # module.CONST
        ('BASE = "/api"\nAPI = BASE + "/v1"\n', "prefix=API"),  # a constant made of constants
        ('VERSION = "v1"\nAPI = f"/api/{VERSION}"\n', "prefix=API"),  # an f-string of constants
        (
            'from functools import lru_cache\nclass S:\n    API = "/api/v1"\n'
            "@lru_cache\ndef get_settings():\n    return S()\n",
            "prefix=get_settings().API",
        ),  # a cached settings getter
    ],
)
def test_constant_prefix_shapes(tmp_path: Path, config: str, include: str) -> None:
    main = (
        "from fastapi import FastAPI, APIRouter\n"
        "from app import config\n"
        + ("from app.config import API\n" if include == "prefix=API" else "")
        + ("from app.config import get_settings\n" if "get_settings" in include else "")
        + "app = FastAPI()\nrouter = APIRouter()\n"
        '@router.get("/health")\ndef health():\n    return {}\n'
        f"app.include_router(router, {include})\n"
    )
    path, _ = health_of(tmp_path, {"app/__init__.py": "", "app/config.py": config, "app/main.py": main})
    assert path == "/api/v1/health"


def test_a_prefix_rebound_at_run_time_is_not_guessed(tmp_path: Path) -> None:
    main = """
        import os
        from fastapi import FastAPI, APIRouter
        PREFIX = "/api"
        if os.getenv("NO_PREFIX"):
            PREFIX = ""
        app = FastAPI()
        router = APIRouter()
        @router.get("/health")
        def health():
            return {}
        app.include_router(router, prefix=PREFIX)
    """
    path, _ = health_of(tmp_path, {"main.py": main})
    assert path == "/health"  # unknown prefix: the route's own path, as before


def test_a_computed_openapi_url_still_leaves_the_docs_page(tmp_path: Path) -> None:
    main = """
        import os
        from fastapi import FastAPI
        app = FastAPI(openapi_url=os.environ.get("OPENAPI", "/openapi.json"))
    """
    path, _ = health_of(tmp_path, {"main.py": main})
    assert path == "/docs"
