"""Hygiene's module facts: credential lines, literal secrets and server calls kept across runs, never a secret."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

import spacepack.stamps
from spacepack.check import check_project
from spacepack.check import tree as tree_module
from spacepack.check.facts import FactStore
from spacepack.check.hygiene import scan_hygiene
from spacepack.check.pyast import ProjectIndex, app_code
from spacepack.check.tree import load_tree
from spacepack.config import load_settings
from tests.helpers import SAMPLE_APP, build_file_tree

# Assembled at run time so nothing token-shaped sits in the repository.
TOKEN = "hf_" + "QzWxEcRvTbYnUmIkOlPaSdFgHjKlZxCvBn"
SIGNING_KEY = "9f8e7d6c" + "5b4a39281706f5e4d3c2b1a0"
DB_PASSWORD = "Qx7v" + "Lm2pRt9sWz"

PROJECT = {
    "main.py": SAMPLE_APP + "from routes import users  # noqa\nimport uvicorn\n"
    'uvicorn.run(app, host="127.0.0.1", port=8000, reload=True)\n',
    "routes/__init__.py": "",
    "routes/users.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
    "routes/items.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
    "settings.py": f'HF_TOKEN = "{TOKEN}"\nSECRET_KEY = "{SIGNING_KEY}"\n'
    f'DATABASE_URL = "postgresql://app:{DB_PASSWORD}@db.example.com/app"\n',
    "serve.py": 'import uvicorn\n\nif __name__ == "__main__":\n    uvicorn.run("main:app", port=9000)\n',
    "tests/test_auth.py": f'TOKEN = "{TOKEN}"\n',
    "requirements.txt": "fastapi\nuvicorn\n",
}
HYGIENE_CODES = {"SP310", "SP311", "SP315", "SP320", "SP321", "SP322"}


@pytest.fixture(autouse=True)
def settled_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written a moment ago are never kept (`RACY_NS`); these tests' files count as settled."""
    monkeypatch.setattr(spacepack.stamps, "RACY_NS", 0)


def plan_json(root: Path, store: FactStore | None = None) -> str:
    return json.dumps(check_project(load_settings(root), store).to_json(), sort_keys=True)


def hygiene_codes(plan: str) -> Counter[str]:
    return Counter(f["code"] for f in json.loads(plan)["findings"] if f["code"] in HYGIENE_CODES)


def stored_text(store: FactStore) -> str:
    files = sorted(store.folder.glob("*.json"))
    assert files, "the check kept no facts"
    return "".join(path.read_text(encoding="utf-8") for path in files)


def test_cold_first_and_warm_plans_are_equal(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "project", PROJECT)
    store = FactStore(tmp_path / "cache")
    cold = plan_json(root)
    assert hygiene_codes(cold) == Counter(
        {"SP310": 2, "SP311": 1, "SP315": 1, "SP320": 2, "SP321": 1, "SP322": 1}
    )  # the token and the DB password; the signing key; the test file; the import-time and the script start
    assert plan_json(root, store) == cold
    kept = json.loads(stored_text(store))["files"]
    assert {"hygiene.tokens", "hygiene.literal_secrets", "hygiene.server_calls"} <= set(kept["settings.py"][1])
    assert plan_json(root, store) == cold


@pytest.mark.parametrize(
    ("module", "text", "change"),
    [
        ("routes/items.py", f'from fastapi import APIRouter\n\nrouter = APIRouter()\nKEY = "{TOKEN}"\n', "items.py:4"),
        ("settings.py", 'SECRET_KEY = "changethis"\n', "SP311"),
        ("main.py", SAMPLE_APP + "import uvicorn\nuvicorn.run(app, reload=False)\n", "SP322"),
        (
            "serve.py",
            'import uvicorn\n\nif __name__ == "__main__":\n    uvicorn.run("main:app", port=19001)\n',
            "19001",
        ),
    ],
)
def test_a_warm_check_sees_an_edited_module(tmp_path: Path, module: str, text: str, change: str) -> None:
    root = build_file_tree(tmp_path / "project", PROJECT)
    store = FactStore(tmp_path / "cache")
    before = plan_json(root, store)
    path = root / module
    assert len(text.encode()) != path.stat().st_size  # a new state even on a coarse clock
    path.write_text(text, encoding="utf-8")
    warm = plan_json(root, store)
    assert warm == plan_json(root)  # what a check without kept facts says
    assert warm != before and (change in before) != (change in warm)
    assert plan_json(root, store) == warm


def test_warm_hygiene_neither_reads_nor_parses_unchanged_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build_file_tree(tmp_path / "project", PROJECT)
    store = FactStore(tmp_path / "cache")
    plan_json(root, store)
    (root / "routes" / "items.py").write_text('SECRET_KEY = "' + SIGNING_KEY + '"\n', encoding="utf-8")

    def hygiene_report(record: bool) -> tuple[object, Counter[str]]:
        tree = load_tree(root)
        index = ProjectIndex(tree, store.open(tree.root, tree.python_states))
        code = app_code(index, ".")
        touched: Counter[str] = Counter()
        raw, parse = tree_module._LazyModules.raw, tree_module.parse_module
        with monkeypatch.context() as patch:
            if record:
                patch.setattr(
                    tree_module._LazyModules, "raw", lambda modules, key: touched.update([key]) or raw(modules, key)
                )
                patch.setattr(tree_module, "parse_module", lambda key, data: touched.update([key]) or parse(key, data))
            report = scan_hygiene(tree, ".", code, env_reads=(), working_dir=".")
        return report, touched

    warm, touched = hygiene_report(record=True)
    assert set(touched) == {"routes/items.py"}  # the edited module only
    cold, _ = hygiene_report(record=False)
    assert warm == cold
    assert any(f.code == "SP311" and f.path == "routes/items.py" for f in warm.findings)  # type: ignore[attr-defined]


def test_the_fact_store_never_holds_a_secret(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "project", PROJECT)
    store = FactStore(tmp_path / "cache")
    plan = plan_json(root, store)
    text = stored_text(store)
    assert f'"{TOKEN[:4]}****"' in text and f'"{SIGNING_KEY[:4]}****"' in text  # what the findings show...
    for secret in (TOKEN, SIGNING_KEY, DB_PASSWORD):
        assert secret[:4] + "****" in plan
        windows = {secret[start : start + 5] for start in range(len(secret) - 4)}
        assert not [window for window in windows if window in text]  # ...and never 5 characters of a value
    os.utime(root / "settings.py")  # a module checked again is kept again, still without its secrets
    plan_json(root, store)
    assert TOKEN not in stored_text(store)
