"""A small package index on disk for resolution tests: real wheel and sdist files, made here.

The resolver (real uv) reads them through pip's `find-links` with `no-index`, so tests resolve
offline, fast and always to the same pins. Only metadata matters: the archives hold no code.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

# name -> version -> Requires-Dist lines. psycopg2 has no wheel (like the real one on Linux).
PACKAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "fastapi": {
        "0.110.3": ("starlette>=0.37.2,<0.38", "pydantic>=1.7.4"),
        "0.115.0": ("starlette>=0.38.2,<0.39", "pydantic>=1.7.4"),
    },
    "starlette": {"0.37.2": ("anyio>=3.4",), "0.38.6": ("anyio>=3.4",)},
    "pydantic": {"1.10.7": (), "2.9.2": ("typing-extensions>=4.6",)},
    "typing-extensions": {"4.12.2": ()},
    "anyio": {"4.6.0": ("idna>=2.8", "sniffio>=1.1")},
    "idna": {"3.10": ()},
    "sniffio": {"1.3.1": ()},
    "uvicorn": {
        "0.30.6": (
            "click>=7.0",
            "h11>=0.8",
            'uvloop>=0.14; extra == "standard"',
            'httptools>=0.5; extra == "standard"',
        )
    },
    "click": {"8.1.7": ()},
    "h11": {"0.14.0": ()},
    "uvloop": {"0.20.0": ()},
    "httptools": {"0.6.1": ()},
    "httpx": {"0.27.2": ("anyio", "idna", "sniffio")},
    "sqlmodel": {"0.0.22": ("pydantic>=1.10.13,<3", "sqlalchemy>=2.0.14,<2.1")},
    "sqlalchemy": {"2.0.35": ("typing-extensions>=4.6",)},
    # The rest of the example backend's requirements.
    "python-dotenv": {"1.0.1": ()},
    "psycopg2-binary": {"2.9.9": ()},
    "alembic": {"1.13.3": ("sqlalchemy>=1.3.0",)},
    "python-jose": {"3.3.0": ('cryptography>=3.4.0; extra == "cryptography"',)},
    "cryptography": {"43.0.1": ()},
    "openai": {"1.51.0": ("httpx>=0.23,<1", "pydantic>=1.9,<3", "anyio>=3.5,<5", "typing-extensions>=4.11")},
}
SDIST_ONLY: dict[str, dict[str, tuple[str, ...]]] = {"psycopg2": {"2.9.9": ()}}


def _metadata(name: str, version: str, requires: Iterable[str]) -> str:
    extras = sorted({line.split('extra == "', 1)[1].split('"', 1)[0] for line in requires if "extra ==" in line})
    lines = ["Metadata-Version: 2.2", f"Name: {name}", f"Version: {version}"]
    lines += [f"Provides-Extra: {extra}" for extra in extras]
    lines += [f"Requires-Dist: {line}" for line in requires]
    return "\n".join(lines) + "\n"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def write_wheel(folder: Path, name: str, version: str, requires: Iterable[str]) -> Path:
    """A py3-none-any wheel holding only metadata."""
    stem = f"{name.replace('-', '_')}-{version}"
    info = f"{stem}.dist-info"
    files = {
        f"{info}/METADATA": _metadata(name, version, requires).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: spacepack-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [_record_line(path, data) for path, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    target = folder / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return target


def write_sdist(folder: Path, name: str, version: str, requires: Iterable[str]) -> Path:
    """A source archive with static (Metadata-Version 2.2) PKG-INFO: resolvable without a build."""
    stem = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{stem}/PKG-INFO": _metadata(name, version, requires).encode(),
        f"{stem}/pyproject.toml": f'[project]\nname = "{name}"\nversion = "{version}"\n'.encode(),
    }
    target = folder / f"{stem}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for path, data in files.items():
            entry = tarfile.TarInfo(path)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    return target


def make_index(folder: Path, extra: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, versions in {**PACKAGES, **(extra or {})}.items():
        for version, requires in versions.items():
            write_wheel(folder, name, version, requires)
    for name, versions in SDIST_ONLY.items():
        for version, requires in versions.items():
            write_sdist(folder, name, version, requires)
    return folder


# Variables that would point the resolver somewhere else than the test's index.
_INDEX_VARIABLES = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_CONSTRAINT",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_NO_INDEX",
)


def use_index(monkeypatch: pytest.MonkeyPatch, index: Path, cache: Path) -> None:
    """Point pip's (so the resolver's) configuration at `index` only; keep resolutions in `cache`."""
    for name in _INDEX_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # pip's way of reading no configuration file
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setenv("SPACEPACK_CACHE_DIR", str(cache))
