"""The project tree: files that ship, Python parsed once (BOM, coding lines, bad files as findings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacepack.check.tree import load_tree, parse_module
from spacepack.errors import UsageError
from tests.helpers import build_file_tree


def test_bom_is_stripped_and_parsed(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"main.py": b"\xef\xbb\xbffrom fastapi import FastAPI\napp = FastAPI()\n"})
    module = load_tree(tmp_path).python["main.py"]
    assert module.error is None
    assert module.tree is not None
    assert module.source is not None and module.source.startswith("from fastapi")


def test_pep263_coding_line_is_honoured(tmp_path: Path) -> None:
    data = "# -*- coding: latin-1 -*-\nname = 'caf\u00e9'\n".encode("latin-1")
    module = parse_module("m.py", data)
    assert module.error is None
    assert module.source is not None and "caf\u00e9" in module.source


def test_syntax_error_is_a_warning_finding(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"broken.py": "def oops(:\n    pass\n", "main.py": "x = 1\n"})
    tree = load_tree(tmp_path)
    broken = tree.python["broken.py"]
    assert broken.tree is None
    assert broken.error is not None
    assert (broken.error.code, broken.error.severity, broken.error.path, broken.error.line) == (
        "SP101",
        "warning",
        "broken.py",
        1,
    )
    assert tree.python["main.py"].error is None


@pytest.mark.parametrize(
    "data",
    [b"x = '\xff\xfe'\n", b"# coding: no-such-codec\nx = 1\n", b"x = 1\x00\n", b"(" * 300 + b")" * 300 + b"\n"],
)
def test_undecodable_or_unparsable_files_never_raise(data: bytes) -> None:
    module = parse_module("bad.py", data)
    assert module.tree is None
    assert module.error is not None and module.error.code in {"SP101", "SP102"}


def test_files_sizes_and_under(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {"backend/main.py": "x=1\n", "backend/app/a.py": "", "frontend/index.html": "<p>", ".env": "K=v"},
    )
    tree = load_tree(tmp_path)
    assert tree.files == ("backend/app/a.py", "backend/main.py", "frontend/index.html")
    assert tree.sizes["backend/main.py"] == 4
    assert tree.under("backend") == ("backend/app/a.py", "backend/main.py")
    assert tree.under(".") == tree.files
    assert tree.python_under("backend/app") == ("backend/app/a.py",)
    assert tuple(tree.python) == ("backend/app/a.py", "backend/main.py")
    assert tree.env_files == (".env",)


def test_read_text(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "requirements.txt": b"\xef\xbb\xbffastapi\n",
            "win.txt": "uvicorn\n".encode("utf-16"),
            "logo.png": b"\x89PNG\x00\x00",
            ".env": "SECRET=x\n",
        },
    )
    tree = load_tree(tmp_path)
    assert tree.read_text("requirements.txt") == "fastapi\n"
    assert tree.read_text("win.txt") == "uvicorn\n"
    assert tree.read_text("logo.png") is None
    assert tree.read_text("missing.txt") is None
    assert tree.read_text("../outside.txt") is None
    assert tree.read_text(".env") == "SECRET=x\n"  # readable (for names), though it never ships


def test_load_tree_on_a_file_is_a_usage_error(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"main.py": ""})
    with pytest.raises(UsageError):
        load_tree(tmp_path / "main.py")


def test_each_python_file_is_read_once_for_the_parse_and_the_byte_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spacepack.check import tree as tree_module
    from spacepack.check.__init__ import check_project
    from spacepack.config import Settings

    files = {f"app/routes/r{n}.py": "from fastapi import APIRouter\nrouter = APIRouter()\n" for n in range(5)}
    files["app/main.py"] = "from fastapi import FastAPI\napp = FastAPI()\n"
    files["requirements.txt"] = "fastapi\n"
    root = build_file_tree(tmp_path / "p", files)
    reads: list[str] = []
    real = tree_module.read_project_bytes

    def counted(base: Path, rel: object, **kwargs: object) -> object:
        reads.append(str(rel))
        return real(base, rel, **kwargs)  # type: ignore[arg-type]

    from spacepack.check import apps as apps_module

    for module in (tree_module, apps_module):  # every reader of Python files in check, if it reads itself
        if hasattr(module, "read_project_bytes"):
            monkeypatch.setattr(module, "read_project_bytes", counted)
    plan = check_project(Settings(project_dir=root))
    assert plan.entry.endswith("main:app")
    python_reads = [rel for rel in reads if rel.endswith(".py")]
    assert sorted(python_reads) == sorted(set(python_reads)) and "app/main.py" in python_reads
    tree = load_tree(root)
    assert tree.python_bytes("app/main.py") == files["app/main.py"].encode()
    assert tree.python["app/main.py"].source == files["app/main.py"]
