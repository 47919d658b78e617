"""Module facts kept across runs: reused while a module's state is unchanged, never once it changed."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

import spacepack.check.tree as tree_module
from spacepack.check import check_project, check_with_kept_facts
from spacepack.check.facts import FactStore, ModuleFacts
from spacepack.config import load_settings
from tests.conftest import EXAMPLE_BACKEND
from tests.helpers import age_tree, build_file_tree

MAIN = """
from fastapi import FastAPI

from app.routes import users

app = FastAPI()
app.include_router(users.router)


@app.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
"""
USERS = """
from fastapi import APIRouter

router = APIRouter()


@router.get("/users")
def users() -> list[str]:
    return []
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = build_file_tree(
        tmp_path / "api",
        {
            "app/__init__.py": "",
            "app/main.py": MAIN,
            "app/routes/__init__.py": "",
            "app/routes/users.py": USERS,
            "app/routes/broken.py": "def broken(:\n",
            "requirements.txt": "fastapi\nuvicorn\n",
        },
    )
    age_tree(root)
    return root


def test_a_warm_check_reuses_facts_and_plans_the_same(project: Path, tmp_path: Path) -> None:
    store = FactStore(tmp_path / "cache")
    plain = check_project(load_settings(project))
    first = check_project(load_settings(project), store)
    warm_facts = store.open(project.resolve(), tree_module.load_tree(project).python_states)
    second = check_project(load_settings(project), store)
    assert plain.to_json() == first.to_json() == second.to_json()
    assert warm_facts.reused == 0 and warm_facts.get("parse", "app/routes/broken.py", lambda: "computed") != "computed"
    # The broken module's syntax error is a kept fact too, with its finding intact.
    assert any(f.code == "SP101" and f.path == "app/routes/broken.py" for f in second.findings)


def test_an_edited_module_is_read_again_and_its_change_shows(
    project: Path, tmp_path: Path, parses: Counter[str]
) -> None:
    store = FactStore(tmp_path / "cache")
    check_project(load_settings(project), store)
    users = project / "app" / "routes" / "users.py"
    users.write_text(USERS.replace("from fastapi import APIRouter", "from fastapi import APIRouter\nimport httpx"))
    age_tree(project)
    parses.clear()
    plan = check_project(load_settings(project), store)
    assert parses["app/routes/users.py"] >= 1
    assert "httpx" in plan.dependencies.packages or any("httpx" in f.message for f in plan.findings)
    assert plan.to_json() == check_project(load_settings(project)).to_json()


def test_a_fixed_syntax_error_is_seen_on_the_next_check(project: Path, tmp_path: Path) -> None:
    store = FactStore(tmp_path / "cache")
    assert any(f.code == "SP101" for f in check_project(load_settings(project), store).findings)
    (project / "app" / "routes" / "broken.py").write_text("def broken():\n    return 1\n")
    age_tree(project)
    assert not any(f.code == "SP101" for f in check_project(load_settings(project), store).findings)


def test_a_same_size_rewrite_with_its_old_time_is_still_seen(project: Path, tmp_path: Path) -> None:
    store = FactStore(tmp_path / "cache")
    broken = project / "app" / "routes" / "broken.py"
    check_project(load_settings(project), store)
    before = broken.stat()
    broken.write_text("def brokeX(:\n")  # same size, still a syntax error, then a fix of the same size
    broken.write_text("x = (1,)    \n")
    assert broken.stat().st_size == before.st_size
    os.utime(broken, ns=(before.st_atime_ns, before.st_mtime_ns))  # the time stamp says nothing changed
    plan = check_project(load_settings(project), store)
    assert not any(f.code == "SP101" for f in plan.findings)  # the change time did


def test_fresh_states_are_not_stored(project: Path, tmp_path: Path) -> None:
    store = FactStore(tmp_path / "cache")
    (project / "app" / "routes" / "users.py").write_text(USERS + "\n")  # written just now
    check_project(load_settings(project), store)
    stored = json.loads(next((tmp_path / "cache" / "facts").glob("*.json")).read_text())
    assert "app/main.py" in stored["files"] and "app/routes/users.py" not in stored["files"]


def test_a_damaged_or_foreign_store_is_ignored(project: Path, tmp_path: Path) -> None:
    store = FactStore(tmp_path / "cache")
    expected = check_project(load_settings(project), store).to_json()
    path = next((tmp_path / "cache" / "facts").glob("*.json"))
    document = json.loads(path.read_text())
    # A store claiming a lie for a module with another state is not used: the state is the key.
    document["files"]["app/routes/broken.py"][0][0] += 1
    document["files"]["app/routes/broken.py"][1]["parse"] = None
    path.write_text(json.dumps(document))
    assert check_project(load_settings(project), store).to_json() == expected
    for damaged in ("{", "[]", '{"recipe": 1, "spacepack": 3, "files": []}', "\udcff"):
        path.write_text(damaged, encoding="utf-8", errors="surrogateescape")
        assert check_project(load_settings(project), store).to_json() == expected


def test_another_spacepack_starts_afresh(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import spacepack.check.facts as facts_module

    store = FactStore(tmp_path / "cache")
    check_project(load_settings(project), store)
    monkeypatch.setattr(facts_module, "own_files", lambda: [("check/facts.py", 1, 2, 3)])
    opened = store.open(project.resolve(), tree_module.load_tree(project).python_states)
    assert opened.get("parse", "app/main.py", lambda: "computed") == "computed"


def test_the_cli_keeps_facts_in_the_user_cache_never_in_the_project(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPACEPACK_CACHE_DIR", str(tmp_path / "user-cache"))
    before = sorted(p.relative_to(project).as_posix() for p in project.rglob("*"))
    plan = check_with_kept_facts(load_settings(project))
    assert list((tmp_path / "user-cache" / "facts").glob("*.json"))
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*")) == before
    assert plan.entry == "app.main:app"


def test_an_unwritable_cache_costs_nothing_but_speed(project: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    plan = check_project(load_settings(project), FactStore(blocker))
    assert plan.to_json() == check_project(load_settings(project)).to_json()


def test_the_example_plans_the_same_cold_and_warm(tmp_path: Path) -> None:
    store = FactStore(tmp_path / "cache")
    plans = [check_project(load_settings(EXAMPLE_BACKEND), store).to_json() for _ in range(2)]
    assert plans[0] == plans[1] == check_project(load_settings(EXAMPLE_BACKEND)).to_json()


def test_facts_are_json_values() -> None:
    facts = ModuleFacts()
    assert facts.get("k", "a.py", lambda: [1, "x", None]) == [1, "x", None]
    assert facts.get("k", "a.py", lambda: "not again") == [1, "x", None]
    assert facts.get("k", "a.py", lambda: "other extra", extra="w") == "other extra"
    assert (facts.reused, facts.computed) == (1, 2)


def test_a_store_with_nothing_new_to_keep_is_not_rewritten(project: Path, tmp_path: Path) -> None:
    store = FactStore(tmp_path / "cache")
    check_project(load_settings(project), store)
    path = next((tmp_path / "cache" / "facts").glob("*.json"))
    written = path.read_bytes()
    path.touch()
    os.utime(path, ns=(1, 1))
    (project / "app" / "routes" / "users.py").write_text(USERS + "\n")  # too fresh for its facts to be kept
    check_project(load_settings(project), store)
    assert path.stat().st_mtime_ns == 1 and path.read_bytes() == written
    age_tree(project)
    check_project(load_settings(project), store)  # now its facts are worth keeping
    assert path.stat().st_mtime_ns != 1 and "app/routes/users.py" in json.loads(path.read_text())["files"]
