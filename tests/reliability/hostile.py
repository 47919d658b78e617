"""Hostile repositories: one per class of attack in RELIABILITY.md's threat model, each planting canaries.

A canary is a value that appears in no output unless spacepack leaked it
(see `conftest.new_canary`). Each builder returns the project folder and the
canaries it planted; the attack tests run render, build, smoke and push on
it and look for them everywhere spacepack writes or prints.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import build_file_tree
from tests.reliability.conftest import LEAK_MARK, new_canary

APP = (
    "import os\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    '@app.get("/health")\n'
    "def health() -> dict[str, str]:\n"
    '    return {"status": "ok"}\n'
)

# The names class 4 must never ship (dotenv copies, case variants, other tools' credential files).
SECRET_FILE_NAMES = (
    ".env",
    ".env~",
    "#.env#",
    ".env copy",
    ".env-local",
    ".env_prod",
    ".ENV",
    "Prod.Env",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".aws/credentials",
    ".streamlit/secrets.toml",
    "secrets.json",
    "id_rsa",
    "server.key",
    "certs/client.p12",
)


@dataclass(frozen=True)
class Hostile:
    """A hostile project, where its canaries are, and what must never exist after a run."""

    root: Path
    canaries: dict[str, str] = field(default_factory=dict)  # what -> value
    outside: Path | None = None  # a folder beside the project holding the "host" secrets
    markers: tuple[Path, ...] = ()  # files a host command would create: must never exist

    def values(self) -> tuple[str, ...]:
        return tuple(self.canaries.values())

    def leaks(self, text: str) -> list[str]:
        """Canaries (or 5 leading characters of one) in `text`."""
        found = [what for what, value in self.canaries.items() if value in text]
        if LEAK_MARK in text:
            at = text.index(LEAK_MARK)
            found.append(text[max(0, at - 30) : at + 30])
        return found

    def leaks_in_bytes(self, data: bytes) -> list[str]:
        return [what for what, value in self.canaries.items() if value[:16].encode() in data] + (
            ["CANAR..."] if LEAK_MARK.encode() in data else []
        )


# Class 6: when PEM_KEY is set, the app prints it in every shape a log may hold, then dies at start.
PRINTING_APP = APP.replace(
    "app = FastAPI()",
    "if os.environ.get('PEM_KEY'):\n"
    "    import json, urllib.parse\n"
    "    key = os.environ.get('PEM_KEY', '')\n"
    "    print(key, flush=True)\n"
    "    print(repr(key), json.dumps(key), urllib.parse.quote(key, safe=''), flush=True)\n"
    "    print(json.dumps({'key': key}, ensure_ascii=True), flush=True)\n"
    "    raise SystemExit(3)\n"
    "app = FastAPI()",
)


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=30,
    )


def leaky_repository(base: Path) -> Hostile:
    """Classes 1, 4, 5, 7 (names) and 8 (pathological input) in one project that still renders with --force.

    - 1: `.gitignore`, `config.ini` and `static/app.txt` are links to a token file outside the project,
      and `docs/notes.md` links to `.env`;
    - 4: every name of `SECRET_FILE_NAMES` holds a canary, and `settings.cfg` is a hard link to `.env`;
    - 5: requirements.txt installs from an index URL with a canary password;
    - 7: the project name carries a newline and a Dockerfile instruction;
    - 8: a nested `.gitignore` ends in a backslash and holds a backtracking pattern; a FIFO is named
      `lib/.gitignore`; `data/zero` links to /dev/zero; a file name is not UTF-8;
    - 10: the git remote URL carries a token.
    """
    outside = base / "outside"
    root = base / "project"
    host_token = new_canary("hosttoken")
    dotenv = new_canary("dotenv")
    index_password = new_canary("indexpw")
    remote_token = new_canary("remotetok")
    canaries = {"host token": host_token, ".env": dotenv, "index password": index_password, "remote": remote_token}
    build_file_tree(outside, {"token": f"{host_token}\n"}, dedent=False)
    spec: dict[str, str | bytes] = {
        "main.py": PRINTING_APP,
        "requirements.txt": f"--extra-index-url https://deploy:{index_password}@pypi.example.com/simple\n"
        "fastapi\nuvicorn\n",
        "pyproject.toml": '[project]\nname = "api\\nRUN touch /tmp/pwned-by-name"\nversion = "0.1.0"\n'
        'dependencies = ["fastapi", "uvicorn"]\n',
        ".env": f"API_KEY={dotenv}\n",
        "sub/.gitignore": "foo\\\n" + "a/" + "*a" * 14 + "b\n",
        "sub/" + "a/" * 3 + "a" * 60 + ".txt": "deep\n",
        "sub/keep.py": "VALUE = 1\n",
    }
    for name in SECRET_FILE_NAMES:
        canary = new_canary(name.replace("/", "").replace(" ", "").replace("#", "").replace(".", "") or "x")
        canaries[name] = canary
        spec[name] = f"TOKEN={canary}\n"
    build_file_tree(root, spec, dedent=False)
    (root / ".gitignore").symlink_to(outside / "token")
    (root / "config.ini").symlink_to(outside / "token")
    (root / "static").mkdir()
    (root / "static" / "app.txt").symlink_to(outside / "token")
    (root / "docs").mkdir()
    (root / "docs" / "notes.md").symlink_to("../.env")
    os.link(root / ".env", root / "settings.cfg")
    (root / "lib").mkdir()
    os.mkfifo(root / "lib" / ".gitignore")
    (root / "data").mkdir()
    (root / "data" / "zero").symlink_to("/dev/zero")
    (root / os.fsdecode(b"bad-\xff-name.txt")).write_text("x\n")
    _git(root, "init", "-q")
    _git(root, "remote", "add", "origin", f"https://{remote_token}@github.com/acme/leaky.git")
    return Hostile(root=root, canaries=canaries, outside=outside)


def code_running_template(base: Path) -> Hostile:
    """Class 3: a project's own Dockerfile.template tries to run a host command and read host files."""
    root = base / "project"
    marker = base / "pwned-by-template"
    host_secret = new_canary("hostfile")
    build_file_tree(base / "outside", {"secret.txt": host_secret}, dedent=False)
    build_file_tree(
        root,
        {
            "main.py": APP,
            "requirements.txt": "fastapi\nuvicorn\n",
            "Dockerfile.template": "FROM {{ base_image }}\n"
            "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}\n"
            "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('id').read() }}\n",
        },
        dedent=False,
    )
    return Hostile(root=root, canaries={"host file": host_secret}, outside=base / "outside", markers=(marker,))


def including_template(base: Path) -> Hostile:
    """Class 3: a template that includes a host file (no loader: nothing to include)."""
    hostile = code_running_template(base)
    secret_path = (base / "outside" / "secret.txt").as_posix()
    (hostile.root / "Dockerfile.template").write_text("FROM {{ base_image }}\n{% include '" + secret_path + "' %}\n")
    return hostile


def escaping_paths(base: Path, setting: str) -> Hostile:
    """Class 2: a config setting (`template = ...` or `backend_dir = ...`) naming a file outside the project."""
    root = base / "project"
    host_secret = new_canary("hostpath")
    build_file_tree(base / "outside", {"token": host_secret, "main.py": APP}, dedent=False)
    build_file_tree(root, {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"}, dedent=False)
    (root / "spacepack.toml").write_text(setting + "\n")
    return Hostile(root=root, canaries={"host file": host_secret}, outside=base / "outside")


def linked_state_dir(base: Path) -> Hostile:
    """Class 2: the repository commits `.spacepack` as a link to a folder elsewhere on the machine."""
    root = base / "project"
    victim = base / "victim"
    build_file_tree(victim, {"context/keep.txt": "precious\n", "logs/keep.txt": "precious\n"}, dedent=False)
    build_file_tree(root, {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"}, dedent=False)
    (root / ".spacepack").symlink_to(victim, target_is_directory=True)
    return Hostile(root=root, outside=victim)


def injecting_names(base: Path) -> Hostile:
    """Class 7: names from code and config that try to become Dockerfile, shell or YAML syntax."""
    root = base / "project"
    marker = base / "pwned-by-name"
    build_file_tree(
        root,
        {
            "main.py": APP.replace(
                "app = FastAPI()",
                'API_KEY = os.environ["X$(touch ' + str(marker) + ')"]\napp = FastAPI()',
            ),
            "requirements.txt": "fastapi\nuvicorn\n",
        },
        dedent=False,
    )
    _git(root, "init", "-q")
    return Hostile(root=root, markers=(marker,))


def alias_bomb_readme(base: Path) -> Hostile:
    """Class 8: README front matter that expands to billions of nodes through YAML aliases."""
    root = base / "project"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    front = "---\n" + "\n".join(lines) + "\n---\n# API\n"
    build_file_tree(root, {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n", "README.md": front}, dedent=False)
    return Hostile(root=root)
