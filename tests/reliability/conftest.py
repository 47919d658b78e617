"""Shared pieces of the reliability suite: the canary project, a CLI runner, leftover probes.

Canary values are generated once per test session ("CANARY" + a random hex),
so a leak found in any output cannot be an old value and cannot be a guess.
Spacepack may show at most the first 4 characters of a secret; every check
here looks for the first 5, which catches the value and any longer preview.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import build_file_tree

REPO_ROOT = Path(__file__).resolve().parents[2]
PREFIX = "CANARY"
# Every canary starts with PREFIX; 5 characters of it are one more than the allowed preview.
LEAK_MARK = PREFIX[:5]
SMOKE_LABEL = "dev.spacepack.smoke"


def new_canary(kind: str) -> str:
    """A value no file, image or log holds unless spacepack leaked it."""
    return f"{PREFIX}{kind}{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Canaries:
    """One canary per way a secret reaches spacepack."""

    dotenv: str
    env_flag: str
    env_file: str
    secret_flag: str
    secrets_from: str
    hardcoded: str

    def values(self) -> tuple[str, ...]:
        return (self.dotenv, self.env_flag, self.env_file, self.secret_flag, self.secrets_from, self.hardcoded)


@pytest.fixture(scope="session")
def canaries() -> Canaries:
    return Canaries(*(new_canary(kind) for kind in ("dotenv", "envflag", "envfile", "secret", "secretsfrom", "code")))


def canary_project_spec(canaries: Canaries, *, crash_with_env: bool = False) -> dict[str, str]:
    """A small FastAPI project holding a canary in `.env` and a hardcoded one in `keys_local.py`.

    With `crash_with_env` the app prints API_KEY and dies at import, so the
    container log (shown on a smoke failure) holds a canary.
    """
    crash = 'print("starting with API_KEY=" + os.environ.get("API_KEY", ""), flush=True)\nraise SystemExit(3)\n'
    return {
        "main.py": (
            "import os\n\nfrom fastapi import FastAPI\n\n"
            'API_KEY = os.environ.get("API_KEY", "")\n' + (crash if crash_with_env else "") + "app = FastAPI()\n\n\n"
            '@app.get("/health")\n'
            "def health() -> dict[str, str]:\n"
            '    return {"status": "ok"}\n'
        ),
        "keys_local.py": f'OPENAI_API_KEY = "sk-{canaries.hardcoded}"\n',
        "requirements.txt": "fastapi\nuvicorn\n",
        ".env": f"API_KEY={canaries.dotenv}\n",
    }


def make_canary_project(root: Path, canaries: Canaries, *, crash_with_env: bool = False) -> Path:
    return build_file_tree(root, canary_project_spec(canaries, crash_with_env=crash_with_env), dedent=False)


def leaks_in_text(text: str, canaries: Canaries) -> list[str]:
    """Canary values (or 5+ leading characters of one) found in `text`."""
    found = [value[:12] for value in canaries.values() if value in text]
    if LEAK_MARK in text:
        at = text.index(LEAK_MARK)
        found.append(text[max(0, at - 20) : at + 20])
    return found


def leaks_in_bytes(data: bytes, canaries: Canaries) -> list[str]:
    """Canary values found in binary data (the full value or its first 16 characters)."""
    return [value[:12] for value in canaries.values() if value[:16].encode() in data]


def leaks_in_tree(folder: Path, canaries: Canaries, *, skip: tuple[str, ...] = ()) -> list[str]:
    """Files under `folder` (minus the `skip` names at any depth) that hold a canary."""
    hits: list[str] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink() or any(part in skip for part in path.parts):
            continue
        data = path.read_bytes()
        if leaks_in_bytes(data, canaries) or LEAK_MARK.encode() in data:
            hits.append(str(path.relative_to(folder)))
    return hits


@dataclass(frozen=True)
class Run:
    """One CLI run: exit code and both streams."""

    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: no real token, no saved login, no colour."""
    env = {k: v for k, v in os.environ.items() if k not in {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH"}}
    env.update({"CI": "true", "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"})
    env.update(extra or {})
    return env


def run_cli(
    args: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: float = 600
) -> Run:
    """Run `python -m spacepack ARGS` in a subprocess (the way a user or CI runs it)."""
    done = subprocess.run(
        [sys.executable, "-m", "spacepack", *args],
        cwd=cwd or REPO_ROOT,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def spacepack_temp_dirs(*folders: Path) -> list[Path]:
    """Temp folders spacepack makes beside a context (`.context.tmp-*`, `.context.old-*`) or in the system tmp."""
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found.extend(p for p in folder.rglob(".*") if ".tmp-" in p.name or ".old-" in p.name)
    return found


def system_temp_entries() -> set[str]:
    """Names in the system temp folder that look like spacepack's (it should make none there)."""
    root = Path(tempfile.gettempdir())
    return {p.name for p in root.iterdir() if "spacepack" in p.name.lower()}


@pytest.fixture
def hub_env(tmp_path: Path) -> Iterator[tuple[object, dict[str, str]]]:
    """A started Hub double and the environment that points a CLI subprocess at it."""
    from tests.hub_double import HubDouble

    with HubDouble() as double:
        env = {"HF_ENDPOINT": double.url, "HF_HOME": str(tmp_path / "hf-home")}
        yield double, env


def remove_images(client: object, references: list[str]) -> None:
    """Remove images by tag (and their untagged parents); a missing one is fine."""
    import docker

    assert isinstance(client, docker.DockerClient)
    for reference in references:
        try:
            client.images.remove(reference, force=True, noprune=False)
        except docker.errors.ImageNotFound:
            pass
