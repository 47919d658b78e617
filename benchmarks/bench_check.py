"""How long `spacepack check` takes on a big repository.

Builds (once, under benchmarks/work/) a 5,000-file repository: a FastAPI
backend with 200 router modules and a frontend, next to a 30,000-file
`.venv` (full of `app = FastAPI()` decoys) and a 10,000-file node_modules.
Then times `check_project` (best of 3) and exits 1 when it exceeds the budget.

    python benchmarks/bench_check.py [--budget 2.0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from spacepack.check import check_project
from spacepack.config import load_settings

WORK = Path(__file__).resolve().parent / "work" / "check-repo"


def build_repo(root: Path) -> None:
    """Write the synthetic repository (skipped when it is already there)."""
    if (root / ".complete").exists():
        return
    routers = root / "backend" / "app" / "routers"
    routers.mkdir(parents=True, exist_ok=True)
    (root / "backend" / "requirements.txt").write_text("fastapi\nuvicorn\n")
    (root / "backend" / "app" / "__init__.py").write_text("")
    (routers / "__init__.py").write_text("")
    imports = "".join(f"from app.routers import r{i}\n" for i in range(200))
    includes = "".join(f"app.include_router(r{i}.router, prefix='/r{i}')\n" for i in range(200))
    (root / "backend" / "app" / "main.py").write_text(
        "from fastapi import FastAPI\n"
        + imports
        + "app = FastAPI()\n"
        + includes
        + "@app.get('/health')\ndef health():\n    return {'ok': True}\n"
    )
    for i in range(200):
        (routers / f"r{i}.py").write_text(
            "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get('/x')\ndef x():\n    return 1\n"
        )
    for n in range(4796):
        folder = root / "frontend" / "src" / f"c{n // 50}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{n}.ts").write_text("export const x = 1;\n")
    for i in range(30000):
        folder = root / ".venv" / "lib" / "python3.11" / "site-packages" / f"pkg{i // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"m{i}.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for i in range(10000):
        folder = root / "frontend" / "node_modules" / f"p{i // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"i{i}.js").write_text("module.exports = 1;\n")
    (root / ".complete").write_text("")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=2.0, help="seconds allowed (default 2.0)")
    args = parser.parse_args()
    build_repo(WORK)
    timings = []
    plan = None
    for _ in range(3):
        start = time.perf_counter()
        plan = check_project(load_settings(WORK))
        timings.append(time.perf_counter() - start)
    assert plan is not None
    best = min(timings)
    print(
        f"check: {best:.3f} s best of 3 ({', '.join(f'{t:.3f}' for t in timings)}); "
        f"entry {plan.entry} in {plan.working_dir}, health {plan.health_path}"
    )
    return 0 if best <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
