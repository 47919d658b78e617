"""The benchmark's inputs: a copy of the example backend and a generated large backend.

Both live under benchmarks/work/inputs/ and are reused across runs (a marker
file says the large one is complete); the benchmark edits them (one source
line, one requirement) and always puts them back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / "work"
EXAMPLE = REPO / "examples" / "todo-backend"
# A small pure-Python package that none of the inputs depends on yet.
EXTRA_REQUIREMENT = "tomli-w>=1.0"


@dataclass(frozen=True)
class Input:
    """One project the benchmark builds: where it is and what to edit in it."""

    name: str
    root: Path
    source_file: str  # the file whose one line changes for the code-only rebuild
    description: str
    env: tuple[tuple[str, str], ...] = ()  # what the app needs to start


@dataclass(frozen=True)
class LargeShape:
    """How big the synthetic backend is (smaller with --quick)."""

    routes: int = 2000
    venv_small_files: int = 12000
    venv_small_size: int = 8000
    venv_large_files: int = 10
    venv_large_size: int = 20_000_000
    node_files: int = 6000
    node_file_size: int = 1500


QUICK_SHAPE = LargeShape(
    routes=200,
    venv_small_files=1500,
    venv_small_size=8000,
    venv_large_files=2,
    venv_large_size=5_000_000,
    node_files=500,
)
_SECRET = "bench-only-not-a-secret-" + "0" * 40


def _ignore_copy(_folder: str, names: list[str]) -> set[str]:
    return {name for name in names if name in {".spacepack", "__pycache__", ".pytest_cache", "data", ".env"}}


def example_input() -> Input:
    """A fresh copy of examples/todo-backend (the original is never touched)."""
    root = WORK / "inputs" / "todo-backend"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(EXAMPLE, root, ignore=_ignore_copy)
    return Input(
        name="todo-backend",
        root=root,
        source_file="src/routes/tasks.py",
        description="examples/todo-backend: a FastAPI todo API (SQLModel, JWT auth), 8 Python files",
        env=(("BETTER_AUTH_SECRET", _SECRET),),
    )


def _route_module(index: int) -> str:
    return (
        f'"""Routes of resource {index}."""\n\n'
        "from fastapi import APIRouter\n\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/items')\n"
        "def list_items() -> list[dict[str, int]]:\n"
        f"    return [{{'id': n, 'resource': {index}}} for n in range(3)]\n\n\n"
        "@router.get('/items/{item_id}')\n"
        "def get_item(item_id: int) -> dict[str, int]:\n"
        f"    return {{'id': item_id, 'resource': {index}}}\n"
    )


def _main_module(routes: int) -> str:
    # Routers are mounted through bundles of 50: FastAPI nests one lifespan wrapper per
    # include_router call, and 2,000 on the app itself overflow the recursion limit at startup.
    return (
        '"""A large FastAPI backend: every module of app.routes is mounted under its own prefix."""\n\n'
        "import importlib\n\n"
        "from fastapi import APIRouter, FastAPI\n\n"
        "app = FastAPI(title='Large API')\n\n"
        f"for first in range(0, {routes}, 50):\n"
        "    bundle = APIRouter()\n"
        f"    for number in range(first, min(first + 50, {routes})):\n"
        "        module = importlib.import_module(f'app.routes.r{number:04d}')\n"
        "        bundle.include_router(module.router, prefix=f'/r{number:04d}')\n"
        "    app.include_router(bundle)\n\n\n"
        "@app.get('/health')\n"
        "def health() -> dict[str, str]:\n"
        "    return {'status': 'ok'}\n"
    )


def _write_venv(venv: Path, shape: LargeShape) -> None:
    site = venv / "lib" / "python3.11" / "site-packages"
    filler = ("# vendored module\n" + "x = 1  # padding padding padding padding padding\n" * 200)[
        : shape.venv_small_size
    ]
    for n in range(shape.venv_small_files):
        folder = site / f"pkg{n // 200:03d}" / f"sub{(n // 20) % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"m{n}.py").write_text(filler)
    for n in range(shape.venv_large_files):
        folder = site / f"native{n}"
        folder.mkdir(parents=True, exist_ok=True)
        # Incompressible, like the shared libraries of numpy or torch.
        with (folder / f"_core.cpython-311-x86_64-linux-gnu{n}.so").open("wb") as handle:
            remaining = shape.venv_large_size
            while remaining:
                chunk = min(remaining, 1 << 20)
                handle.write(os.urandom(chunk))
                remaining -= chunk
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    (venv / "bin" / "activate").write_text("# venv activate\n")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n")


def _venv_bytes(shape: LargeShape) -> int:
    return shape.venv_small_files * shape.venv_small_size + shape.venv_large_files * shape.venv_large_size


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def large_input(shape: LargeShape) -> Input:
    """The synthetic large backend, generated once per shape and reused."""
    tag = "v2-" + "-".join(str(value) for value in vars(shape).values())
    root = WORK / "inputs" / "large-backend"
    marker = root / ".bench-complete"
    if not (marker.is_file() and marker.read_text() == tag):
        if root.exists():
            shutil.rmtree(root)
        routes = root / "app" / "routes"
        routes.mkdir(parents=True)
        (root / "app" / "__init__.py").write_text("")
        (routes / "__init__.py").write_text("")
        for index in range(shape.routes):
            (routes / f"r{index:04d}.py").write_text(_route_module(index))
        (root / "app" / "main.py").write_text(_main_module(shape.routes))
        shutil.copyfile(EXAMPLE / "requirements.txt", root / "requirements.txt")
        (root / "README.md").write_text("# Large API\n\nA synthetic backend with many routes.\n")
        (root / ".gitignore").write_text(".venv/\nnode_modules/\n__pycache__/\n.bench-complete\n")
        _write_venv(root / ".venv", shape)
        filler = ("module.exports = function () { return 42; };\n" * 100)[: shape.node_file_size]
        for n in range(shape.node_files):
            folder = root / "node_modules" / f"pkg{n // 50}" / "lib"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"i{n}.js").write_text(filler)
        _git(root, "init", "-q")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "large backend")
        marker.write_text(tag)
    return Input(
        name="large-backend",
        root=root,
        source_file="app/routes/r0007.py",
        description=(
            f"generated: {shape.routes} route modules in a package, a "
            f"{_venv_bytes(shape) / 1e6:.0f} MB .venv, {shape.node_files} files of node_modules, a .git"
        ),
    )


def tree_bytes(root: Path) -> int:
    """Bytes of every regular file under root (symlinks not followed)."""
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                total += path.stat().st_size
    return total
