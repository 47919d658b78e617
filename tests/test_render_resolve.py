"""Resolve once, install exactly: render-time resolution with the real uv, its cache, its failures."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from spacepack.config import Settings
from spacepack.errors import ExitCode, ResolveFailed
from spacepack.plan import Dependencies, DependencySource, Plan
from spacepack.render import render_context, render_dockerfile
from spacepack.resolve import (
    TARGET_PLATFORM,
    IndexConfig,
    ResolveRequest,
    cache_key,
    index_config,
    pip_config_files,
    resolve,
)
from spacepack.resolve import _uv_env as uv_env
from tests.helpers import build_file_tree, plan_for
from tests.package_index import make_index, use_index

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_index(tmp_path_factory.mktemp("index"))


@pytest.fixture
def local_index(index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_index(monkeypatch, index_dir, tmp_path / "cache")
    return index_dir


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def no_index_reachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip (so uv) configured for one index on a loopback port nothing listens on."""
    use_index(monkeypatch, tmp_path / "empty", tmp_path / "cache")
    monkeypatch.delenv("PIP_NO_INDEX")
    monkeypatch.delenv("PIP_FIND_LINKS")
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{_closed_port()}/simple")
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")


def _plan(root: Path, requirements: tuple[str, ...], **overrides: object) -> Plan:
    values: dict[str, object] = {
        "project_name": "demo",
        "dependencies": Dependencies(packages=(), requirements=requirements),
    }
    return plan_for(root, **{**values, **overrides})


def _render(tmp_path: Path, requirements: tuple[str, ...], **overrides: object) -> tuple[str, str, tuple[str, ...]]:
    root = build_file_tree(tmp_path / "app", {"main.py": APP})
    context = render_context(_plan(root, requirements, **overrides), Settings(project_dir=root), tmp_path / "out")
    return (context.path / "spacepack-requirements.txt").read_text(), context.dockerfile, context.notes


# --- resolved: every package pinned, installed exactly ----------------------------------------


def test_loose_requirements_resolve_to_a_complete_pinned_set(tmp_path: Path, local_index: Path) -> None:
    text, dockerfile, notes = _render(tmp_path, ("fastapi>=0.110", "uvicorn[standard]"))
    assert text.splitlines() == [
        "anyio==4.6.0",
        "click==8.1.7",
        "fastapi==0.115.0",
        "h11==0.14.0",
        "httptools==0.6.1",
        "idna==3.10",
        "pydantic==2.9.2",
        "sniffio==1.3.1",
        "starlette==0.38.6",
        "typing-extensions==4.12.2",
        "uvicorn==0.30.6",
        "uvloop==0.20.0",
    ]
    # The image installs exactly that set: no resolver work at build time.
    assert "--no-deps -r spacepack-requirements.txt" in dockerfile
    assert any(note.startswith("dependencies: 12 packages resolved once for Python 3.11") for note in notes)


def test_resolution_is_for_the_plans_python(tmp_path: Path, local_index: Path) -> None:
    extra = {"tomli": {"2.0.1": ()}, "needs-tomli": {"1.0": ('tomli>=2; python_version < "3.11"',)}}
    make_index(local_index, extra)
    older = resolve(ResolveRequest(("needs-tomli",), "3.10", index=index_config()))
    newer = resolve(ResolveRequest(("needs-tomli",), "3.11", index=index_config()))
    assert older.text.splitlines() == ["needs-tomli==1.0", "tomli==2.0.1"]
    assert newer.text.splitlines() == ["needs-tomli==1.0"]
    assert older.platform == newer.platform == TARGET_PLATFORM


def test_a_second_resolution_comes_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = make_index(tmp_path / "own-index")
    use_index(monkeypatch, index, tmp_path / "cache")
    request = ResolveRequest(("fastapi==0.110.3",), "3.11", index=index_config())
    first = resolve(request)
    assert first.status == "resolved" and not first.cached
    assert "starlette==0.37.2" in first.text.splitlines()
    assert len(list((tmp_path / "cache" / "resolve").glob("*.json"))) == 1
    shutil.rmtree(index)  # only the cache can answer now
    again = resolve(request)
    assert again.cached and again.text == first.text and again.status == "resolved"
    # Another Python is another key: it is resolved again, and without the index it cannot be.
    other = resolve(ResolveRequest(("fastapi==0.110.3",), "3.12", index=index_config()))
    assert not other.cached and other.status == "deferred"


def test_cache_key_changes_with_every_input() -> None:
    base = ResolveRequest(("fastapi>=0.110",), "3.11")
    key = cache_key(base, "uv 0.13.8")
    assert key == cache_key(ResolveRequest(("fastapi>=0.110",), "3.11"), "uv 0.13.8")
    changed = [
        ResolveRequest(("fastapi>=0.111",), "3.11"),
        ResolveRequest(("fastapi>=0.110",), "3.12"),
        ResolveRequest(("fastapi>=0.110",), "3.11", platform="x86_64-manylinux_2_28"),
        ResolveRequest(("fastapi>=0.110",), "3.11", index=IndexConfig(index_url="https://example.invalid/simple")),
        ResolveRequest(("fastapi>=0.110",), "3.11", index=IndexConfig(find_links=("wheels",))),
    ]
    keys = {cache_key(request, "uv 0.13.8") for request in changed} | {cache_key(base, "uv 0.14.0")}
    assert key not in keys and len(keys) == len(changed) + 1


def test_project_index_options_stay_and_the_machines_do_not_ship(tmp_path: Path, local_index: Path) -> None:
    option = f"--extra-index-url http://127.0.0.1:{_closed_port()}/simple"
    text, _dockerfile, _notes = _render(tmp_path, (option, "sniffio"))
    lines = text.splitlines()
    # The project's own option stays first (the image's installer needs it) ...
    assert lines[0] == option and "sniffio==1.3.1" in lines
    # ... and the machine's configuration (here the test index, as PIP_FIND_LINKS) is not written.
    assert all(not line.startswith("-") for line in lines[1:])
    assert str(local_index) not in text


# --- locks: exported as they are ---------------------------------------------------------------


def test_a_lock_is_exported_as_it_is_never_resolved(tmp_path: Path, no_index_reachable: None) -> None:
    locked = (
        "fastapi==0.115.0",
        'uvloop==0.20.0 ; sys_platform != "win32"',
        'tomli==2.0.1 ; python_version < "3.11"',
        "uvicorn==0.30.6",
    )
    sources = (DependencySource("uv.lock", "uv.lock", "pinned from uv.lock"),)
    dependencies = Dependencies(sources=sources, packages=("fastapi", "uvicorn"), requirements=locked)
    text, dockerfile, notes = _render(tmp_path, locked, dependencies=dependencies)
    # No index answers, yet nothing is deferred: a lock needs no resolution. Markers are kept.
    assert text == "".join(f"{line}\n" for line in locked)
    assert any("the lock's 4 pins, exported as they are" in note for note in notes)
    assert not any(note.startswith("warning:") for note in notes)
    assert "--no-deps" not in dockerfile  # the installer still checks the lock's closure


def test_a_fully_pinned_lock_is_locked_status(tmp_path: Path, no_index_reachable: None) -> None:
    locked = ("fastapi==0.115.0", 'uvloop==0.20.0 ; sys_platform != "win32"', "uvicorn==0.30.6")
    result = resolve(ResolveRequest(locked, "3.12", locked=True, index=index_config()))
    assert result.status == "locked" and not result.exact
    assert result.text == "".join(f"{line}\n" for line in locked)


# --- failures: a conflict stops in one line; no index: resolved in the image -------------------


def test_a_conflict_is_named_in_one_line_and_nothing_is_written(tmp_path: Path, local_index: Path) -> None:
    with pytest.raises(ResolveFailed) as caught:
        _render(tmp_path, ("fastapi==0.110.3", "starlette==0.38.6"))
    error = caught.value
    assert error.exit_code == ExitCode.CHECK_FAILED == 3
    assert "\n" not in error.message and "\n" not in error.hint
    assert error.message.startswith("the dependencies do not resolve for Python 3.11: ")
    assert "fastapi==0.110.3" in error.message and "starlette" in error.message
    assert not (tmp_path / "out").exists()


def test_no_reachable_index_defers_to_the_image_with_a_warning(tmp_path: Path, no_index_reachable: None) -> None:
    started = time.perf_counter()
    text, dockerfile, notes = _render(tmp_path, ("fastapi>=0.110",))
    assert time.perf_counter() - started < 60
    assert text == "fastapi>=0.110\nuvicorn\n"  # as declared: the image resolves it
    assert "--no-deps" not in dockerfile
    warnings = [note for note in notes if note.startswith("warning: ")]
    assert len(warnings) == 1 and "no package index could be reached" in warnings[0]
    assert "\n" not in warnings[0]


def test_a_deferred_resolution_is_not_cached(tmp_path: Path, no_index_reachable: None) -> None:
    resolve(ResolveRequest(("fastapi",), "3.11", index=index_config()))
    assert not list((tmp_path / "cache").rglob("*.json"))


# --- system packages: a toolchain with headers only when something compiles -------------------


def test_a_package_without_wheels_brings_build_essential(tmp_path: Path, local_index: Path) -> None:
    _text, dockerfile, notes = _render(tmp_path, ("fastapi", "psycopg2==2.9.9"), system_packages=("libpq-dev",))
    assert "        build-essential \\\n        libpq-dev \\\n" in dockerfile
    assert "apt-get install -y --no-install-recommends" in dockerfile
    assert any("built from source in the image: psycopg2" in note for note in notes)


def test_all_wheels_drop_build_only_packages_but_keep_the_users(tmp_path: Path, local_index: Path) -> None:
    root = build_file_tree(tmp_path / "app", {"main.py": APP})
    plan = _plan(root, ("fastapi",), system_packages=("build-essential", "libpq-dev", "libgl1"))
    settings = Settings(project_dir=root, system_packages=("cmake",))
    request = ResolveRequest(("fastapi", "uvicorn"), "3.11", index=index_config())
    dockerfile = render_dockerfile(plan, settings, resolve(request))
    packages = [
        line.strip(" \\") for line in dockerfile.splitlines() if line.startswith("        ") and "&&" not in line
    ]
    assert "cmake" in packages and "libgl1" in packages  # the user's choice, and a runtime library
    assert "build-essential" not in packages and "libpq-dev" not in packages


# --- the index configuration uv sees is pip's ---------------------------------------------------


def test_pip_configuration_files_then_environment(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "etc/pip/pip.conf": "[global]\nindex-url = https://mirror.example/simple\n",
            "home/.config/pip/pip.conf": "[global]\ncert = /ca.pem\n[install]\nextra-index-url = https://a.example/simple\n"
            "    https://b.example/simple\nfind-links = wheels\n",
        },
    )
    environ = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_DIRS": str(tmp_path / "etc")}
    config = index_config(environ)
    assert config.index_url == "https://mirror.example/simple"
    assert config.extra_index_urls == ("https://a.example/simple", "https://b.example/simple")
    assert config.find_links == ("wheels",) and config.cert == "/ca.pem"
    overridden = index_config({**environ, "PIP_INDEX_URL": "https://env.example/simple", "PIP_NO_INDEX": "yes"})
    assert overridden.index_url == "https://env.example/simple" and overridden.no_index
    assert index_config({**environ, "PIP_CONFIG_FILE": os.devnull}) == IndexConfig()
    assert pip_config_files({**environ, "PIP_CONFIG_FILE": os.devnull}) == []


def test_uv_keeps_its_own_index_settings_and_gets_pips_certificate() -> None:
    config = IndexConfig(index_url="https://pip.example/simple", find_links=("w",), cert="/pip-ca.pem")
    assert config.uv_arguments({}) == ["--index-url", "https://pip.example/simple", "--find-links", "w"]
    assert "--index-url" not in config.uv_arguments({"UV_INDEX_URL": "https://uv.example/simple"})
    env = uv_env({"PATH": "/bin", "HF_TOKEN": "hf_secret", "UV_CACHE_DIR": "/c", "AWS_SECRET_ACCESS_KEY": "x"}, config)
    assert env["SSL_CERT_FILE"] == "/pip-ca.pem" and env["UV_CACHE_DIR"] == "/c" and env["PATH"] == "/bin"
    assert "HF_TOKEN" not in env and "AWS_SECRET_ACCESS_KEY" not in env  # no secret reaches uv or a build


# --- the real index: what pip backtracks on for minutes resolves in seconds ----------------------


def test_loose_pin_beside_old_exact_pins_resolves_quickly_from_the_real_index(tmp_path: Path) -> None:
    lines = (
        "fastapi==0.95.1",
        "uvicorn==0.22.0",
        "pydantic==1.10.7",
        "openai>=1.0.0",
        "python-dotenv==1.0.0",
        "requests==2.31.0",
    )
    started = time.perf_counter()
    result = resolve(ResolveRequest(lines, "3.11", index=index_config()), cache_dir=tmp_path / "cache")
    elapsed = time.perf_counter() - started
    assert result.status == "resolved", result.notes
    pins = dict(line.split("==", 1) for line in result.text.splitlines())
    assert pins["fastapi"] == "0.95.1" and pins["pydantic"] == "1.10.7"
    assert int(pins["openai"].split(".")[0]) >= 1
    assert elapsed < 60, f"resolution took {elapsed:.1f} s"
