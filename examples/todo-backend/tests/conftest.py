"""Fixtures for the example backend: the app on a throwaway SQLite file, signed tokens.

The app reads its settings when `src.main` is imported, so the environment is set
first and the import happens inside a fixture. The example's `src` package is
dropped from `sys.modules` afterwards, so nothing else in the run sees it.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from jose import jwt
from sqlmodel import SQLModel

BACKEND_DIR = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-only-secret-0123456789abcdef0123456789abcdef"
ALLOWED_ORIGIN = "https://todo.example.org"

MakeToken = Callable[..., str]


def _forget_example_modules() -> None:
    for name in [n for n in sys.modules if n == "src" or n.startswith("src.")]:
        del sys.modules[name]


@pytest.fixture(scope="session")
def todo_database_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the app's SQLite file goes; its `data` folder does not exist yet."""
    return tmp_path_factory.mktemp("todo-backend") / "data" / "todo.db"


@pytest.fixture(scope="session")
def todo_main(todo_database_path: Path) -> Iterator[ModuleType]:
    """The imported `src.main` module, configured through the environment."""
    _forget_example_modules()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BETTER_AUTH_SECRET", TEST_SECRET)
        patch.setenv("DATABASE_URL", f"sqlite:///{todo_database_path}")
        patch.setenv("CORS_ORIGINS", f"http://localhost:3000, {ALLOWED_ORIGIN}")
        patch.syspath_prepend(str(BACKEND_DIR))
        yield importlib.import_module("src.main")
        _forget_example_modules()


@pytest.fixture
def client(todo_main: ModuleType) -> Iterator[TestClient]:
    """A client on the app with its lifespan run; every test starts with no tasks."""
    engine = importlib.import_module("src.db").engine
    with TestClient(todo_main.app) as test_client:
        yield test_client
    SQLModel.metadata.drop_all(engine)


@pytest.fixture
def allowed_origin() -> str:
    """A browser origin listed in CORS_ORIGINS."""
    return ALLOWED_ORIGIN


@pytest.fixture
def make_token() -> MakeToken:
    """Sign a JWT the way the API expects: HS256, `sub` = user id, with an expiry."""

    def make(
        sub: str | None = "alice",
        *,
        expires_in: int | None = 300,
        secret: str = TEST_SECRET,
        algorithm: str = "HS256",
    ) -> str:
        claims: dict[str, object] = {}
        if expires_in is not None:
            claims["exp"] = int(time.time()) + expires_in
        if sub is not None:
            claims["sub"] = sub
        return jwt.encode(claims, secret, algorithm=algorithm)

    return make


@pytest.fixture
def auth_as(make_token: MakeToken) -> Callable[[str], dict[str, str]]:
    """Headers that authenticate as the given user id."""

    def headers(user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(user_id)}"}

    return headers
