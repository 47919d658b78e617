"""Startup: the data folder and tables get created; a missing secret fails clearly."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

BACKEND_DIR = Path(__file__).resolve().parent.parent


def test_lifespan_created_the_data_folder_and_database(
    client: TestClient, todo_database_path: Path
) -> None:
    assert todo_database_path.parent.name == "data"
    assert todo_database_path.is_file()


@pytest.mark.parametrize(
    ("url", "expected_folder"),
    [
        ("sqlite:///./data/todo.db", "data"),
        ("sqlite:///nested/deeper/app.db", "nested/deeper"),
    ],
)
def test_relative_sqlite_folder_is_created_in_the_working_dir(
    todo_main: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    expected_folder: str,
) -> None:
    db = importlib.import_module("src.db")
    monkeypatch.chdir(tmp_path)
    db.ensure_sqlite_folder(url)
    assert (tmp_path / expected_folder).is_dir()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "postgresql://u:p@localhost/todo"]
)
def test_no_folder_for_memory_or_server_databases(
    todo_main: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    db = importlib.import_module("src.db")
    monkeypatch.chdir(tmp_path)
    db.ensure_sqlite_folder(url)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_a_clear_error(
    todo_main: ModuleType, tmp_path: Path
) -> None:
    db = importlib.import_module("src.db")
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(RuntimeError, match="Cannot create the database folder"):
        db.ensure_sqlite_folder(f"sqlite:///{blocker / 'sub' / 'todo.db'}")


def test_cors_origins_are_split_on_commas(todo_main: ModuleType) -> None:
    config = importlib.import_module("src.config")
    assert config.split_origins(" http://a.test, ,http://b.test,") == (
        "http://a.test",
        "http://b.test",
    )


def test_missing_secret_stops_with_one_clear_line(tmp_path: Path) -> None:
    # An empty value counts as missing, and also keeps a local .env from filling it in.
    env = {**os.environ, "BETTER_AUTH_SECRET": "", "PYTHONPATH": str(BACKEND_DIR)}
    result = subprocess.run(
        [sys.executable, "-c", "import src.main"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("BETTER_AUTH_SECRET is not set")
    assert len(result.stderr.strip().splitlines()) == 1
