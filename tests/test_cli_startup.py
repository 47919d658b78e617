"""What a CLI run loads before it has work to do.

Every module the command-line layer imports at its top is paid by every run, `--help`
included: the library, the SDKs and pydantic are imported inside the commands that use
them. Each case runs in a fresh interpreter, so nothing an earlier test imported counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Loaded only by the commands that need them (pydantic: by typer, when it converts an option's value).
HEAVY = ("pydantic", "docker", "huggingface_hub", "jinja2", "rich", "packaging", "dotenv")
LIBRARY = ("spacepack.check", "spacepack.render", "spacepack.pipeline", "spacepack.build", "spacepack.hub")


def loaded_by(code: str, *args: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code` (its last stdout line lists them)."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(LIBRARY))


def test_importing_the_cli_loads_no_library_sdk_or_pydantic() -> None:
    modules = loaded_by("import spacepack.cli")
    assert "spacepack.cli.check" in modules  # every command is registered
    assert heavy_in(modules) == []


def test_help_loads_no_library_sdk_or_pydantic() -> None:
    code = "from spacepack.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    modules = loaded_by(code)
    assert heavy_in(modules) == []


def test_check_of_a_project_without_env_files_leaves_dotenv_unloaded(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    (tmp_path / "requirements.txt").write_text("fastapi\nuvicorn\n")
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from spacepack.check import check_project\nfrom spacepack.config import load_settings\n"
        "plan = check_project(load_settings(Path(sys.argv[1])))\nassert plan.entry == 'main:app', plan.entry"
    )
    modules = loaded_by(code, str(tmp_path))
    assert "spacepack.check.hygiene" in modules
    assert "dotenv" not in modules


def test_the_cli_process_collects_less_often_and_an_in_process_caller_keeps_its_thresholds() -> None:
    code = (
        "import gc, json, sys\nfrom spacepack.cli import main\n"
        "gc.set_threshold(700, 10, 10)\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "assert gc.get_threshold() == (700, 10, 10), gc.get_threshold()\n"
        "assert gc.get_freeze_count() == 0\n"
        "sys.argv = ['spacepack', '--version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps([*gc.get_threshold(), gc.get_freeze_count()]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    young, _middle, _old, frozen = json.loads(done.stdout.splitlines()[-1])
    assert young > 700
    # The process's own run leaves what it built to the OS at exit instead of a last collection.
    assert frozen > 0
