"""What spacepack adds to the requirements, resolved with the real uv: beside a lock, the pydantic bound, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacepack.config import Settings
from spacepack.errors import ResolveFailed
from spacepack.plan import Dependencies, DependencySource
from spacepack.render import render_context
from spacepack.resolve import IndexConfig, ResolveRequest, describe, index_config, resolve
from spacepack.resolve import _index_words as index_words
from tests.helpers import build_file_tree, plan_for
from tests.package_index import PACKAGES, make_index, use_index

# A FastAPI release that needs pydantic 2, as the newest ones do: the pydantic bound must step back from it.
NEWER_FASTAPI = {"fastapi": {**PACKAGES["fastapi"], "0.126.0": ("starlette>=0.38.2,<0.39", "pydantic>=2.7")}}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_index(tmp_path_factory.mktemp("index"), extra=NEWER_FASTAPI)


@pytest.fixture
def local_index(index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_index(monkeypatch, index_dir, tmp_path / "cache")
    return index_dir


LOCK = ("anyio==4.6.0", "fastapi==0.115.0", "idna==3.10", 'uvloop==0.20.0 ; sys_platform != "win32"')


def test_an_addition_beside_a_lock_keeps_the_lock_exact(local_index: Path) -> None:
    request = ResolveRequest((*LOCK, "httpx"), "3.11", locked=True, index=index_config(), added=("httpx",))
    result = resolve(request)
    assert result.status == "locked" and not result.exact
    lines = result.text.splitlines()
    assert lines[: len(LOCK)] == list(LOCK)  # the lock's lines as they are, markers kept
    # httpx and what it brings that the lock lacks; anyio and idna stay the lock's, not repeated.
    assert lines[len(LOCK) :] == ["httpx==0.27.2", "sniffio==1.3.1"]
    assert "httpx resolved beside them" in describe(result)
    again = resolve(request)
    assert again.cached and again.text == result.text and again.status == "locked"


def test_an_addition_the_lock_contradicts_is_named(local_index: Path) -> None:
    # The lock pins pydantic 2; spacepack's pydantic<2 cannot fit beside it.
    request = ResolveRequest(
        ("fastapi==0.115.0", "pydantic==2.9.2", "pydantic<2"),
        "3.11",
        locked=True,
        index=index_config(),
        added=("pydantic<2",),
    )
    with pytest.raises(ResolveFailed) as caught:
        resolve(request)
    assert "once spacepack adds pydantic<2" in caught.value.message and "\n" not in caught.value.message
    assert "infer_dependencies = false" in caught.value.hint


def test_the_pydantic_bound_picks_a_fastapi_that_supports_pydantic_1(local_index: Path) -> None:
    unbounded = resolve(ResolveRequest(("fastapi",), "3.11", index=index_config()))
    assert "fastapi==0.126.0" in unbounded.text.splitlines() and "pydantic==2.9.2" in unbounded.text.splitlines()
    bounded = resolve(ResolveRequest(("fastapi", "pydantic<2"), "3.11", index=index_config(), added=("pydantic<2",)))
    assert bounded.status == "resolved"
    assert {"fastapi==0.115.0", "pydantic==1.10.7"} <= set(bounded.text.splitlines())


def test_a_conflict_of_the_projects_own_lines_does_not_blame_the_addition(local_index: Path) -> None:
    request = ResolveRequest(
        ("fastapi==0.110.3", "starlette==0.38.6", "httpx"), "3.11", index=index_config(), added=("httpx",)
    )
    with pytest.raises(ResolveFailed) as caught:
        resolve(request)
    assert "once spacepack adds" not in caught.value.message
    assert caught.value.message.startswith("the dependencies do not resolve for Python 3.11: ")


def test_a_package_the_index_lacks_is_named_as_not_on_the_index(local_index: Path) -> None:
    with pytest.raises(ResolveFailed) as caught:
        resolve(ResolveRequest(("fastapi", "react-i18next==11.18.6"), "3.11", index=index_config()))
    message = caught.value.message
    assert "react-i18next is not on the package index" in message and "\n" not in message
    assert "remove react-i18next from your requirements" in caught.value.hint
    assert index_words(IndexConfig()) == "PyPI"  # no index configured: uv's default, PyPI
    assert index_words(IndexConfig(find_links=("/wheels",))) == "PyPI"
    assert index_words(IndexConfig(index_url="https://mirror.example/simple")) == "the package index"


def test_render_writes_the_addition_beside_a_poetry_lock(tmp_path: Path, local_index: Path) -> None:
    root = build_file_tree(tmp_path / "app", {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"})
    dependencies = Dependencies(
        sources=(DependencySource("poetry.lock", "poetry.lock", "pinned"),),
        packages=("fastapi", "httpx", "uvicorn"),
        requirements=(*LOCK, "uvicorn==0.30.6", "click==8.1.7", "h11==0.14.0", "httpx"),
        added=("httpx",),
    )
    plan = plan_for(root, project_name="demo", dependencies=dependencies)
    context = render_context(plan, Settings(project_dir=root), tmp_path / "out")
    text = (context.path / "spacepack-requirements.txt").read_text()
    assert text.splitlines()[:4] == list(LOCK) and text.splitlines()[-2:] == ["httpx==0.27.2", "sniffio==1.3.1"]
    assert "--no-deps" not in context.dockerfile  # a lock's set: the image still checks it
