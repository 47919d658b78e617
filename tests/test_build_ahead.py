"""Build ahead: a code-only rebuild starts the engine on the last plan while `check` runs.

The guessed image is taken only when it is exactly the image the normal build
makes; otherwise it is removed and nothing of it is left.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

import pytest

from spacepack import engine
from spacepack.build import BuildOptions, BuildProgress, build_image
from spacepack.build_ahead import AHEAD_TAG, worth_guessing
from spacepack.check import check_project
from spacepack.config import load_settings
from spacepack.errors import CheckFailed
from spacepack.pipeline import ImageOptions, build_project
from spacepack.plan import image_repository
from spacepack.render.context import default_out_dir
from spacepack.render.plan_cache import PlanCache, cached_plan
from tests.conftest import EXAMPLE_BACKEND, TEST_LABEL

BUILT_AHEAD = "built ahead while check ran"


class Lines:
    """A Progress that keeps what it is told."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, line: str) -> None:
        self.lines.append(line)

    def build_event(self, event: BuildProgress) -> None:
        pass


def _age(root: Path, seconds: float = 60.0) -> None:
    """Date every file back: the plan cache keeps no plan while a file it read is fresh (RACY_SECONDS)."""
    past = time.time() - seconds
    for folder, _dirs, names in os.walk(root):
        for name in names:
            os.utime(Path(folder) / name, (past, past), follow_symlinks=False)


def _age_file(path: Path) -> None:
    past = time.time() - 30  # not the time `_age` gave it: the edit shows in the time stamp too
    os.utime(path, (past, past))


def _edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    _age_file(path)


def _prepend(path: Path, text: str) -> None:
    path.write_text(text + path.read_text(encoding="utf-8"), encoding="utf-8")
    _age_file(path)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPACEPACK_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / f"ahead-{uuid.uuid4().hex[:8]}"
    shutil.copytree(EXAMPLE_BACKEND, root, ignore=shutil.ignore_patterns(".spacepack", "__pycache__"))
    _age(root)
    return root


# --- when a guess is made (no engine needed) ---------------------------------------------------


def test_a_lookup_after_python_edits_offers_the_last_plan(project: Path) -> None:
    settings = load_settings(project)
    out = default_out_dir(settings)
    first, _ = cached_plan(settings, out, check_project)
    _edit(project / "src" / "main.py", '"/health"', '"/health" ')  # same code, one more byte
    found = PlanCache().lookup(settings, out)
    assert found.plan is None and found.previous == first and found.changed == ("src/main.py",)
    assert worth_guessing(found, settings) == first


def test_no_guess_when_more_than_python_changed(project: Path) -> None:
    settings = load_settings(project)
    out = default_out_dir(settings)
    cached_plan(settings, out, check_project)
    _edit(project / "requirements.txt", "fastapi", "fastapi ")
    assert PlanCache().lookup(settings, out).previous is None  # a manifest: the plan may change a lot
    (project / "requirements.txt").write_text((project / "requirements.txt").read_text().replace("fastapi ", "fastapi"))
    (project / "src" / "extra.py").write_text("X = 1\n")
    _age_file(project / "requirements.txt")
    _age_file(project / "src" / "extra.py")
    assert PlanCache().lookup(settings, out).previous is None  # a new module
    flagged = load_settings(project, {"health_path": "/healthz"})
    assert PlanCache().lookup(flagged, default_out_dir(flagged)).previous is None  # other settings


def test_no_guess_when_a_changed_module_now_holds_a_credential(project: Path) -> None:
    settings = load_settings(project)
    out = default_out_dir(settings)
    cached_plan(settings, out, check_project)
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    _prepend(project / "src" / "main.py", f'GITHUB_TOKEN = "{token}"\n')
    found = PlanCache().lookup(settings, out)
    assert found.previous is not None and found.changed == ("src/main.py",)
    assert worth_guessing(found, settings) is None


# --- on the real engine ------------------------------------------------------------------------


def _build(project: Path, tag: str) -> tuple[Lines, object]:
    progress = Lines()
    options = ImageOptions(build=BuildOptions(tag=tag), smoke=None)
    return progress, build_project(load_settings(project), options, force=False, progress=progress)


def _ahead_tags(client: object, project: Path) -> list[str]:
    assert hasattr(client, "images")
    repository = image_repository(load_settings(project).project_dir.name)
    return [
        tag
        for image in client.images.list(name=repository)
        for tag in image.tags
        if tag.partition(":")[2].startswith(AHEAD_TAG)
    ]


@pytest.mark.docker
def test_a_code_only_rebuild_takes_the_image_built_ahead(
    docker_client: object, docker_cleanup: dict[str, list[str]], project: Path, tmp_path: Path
) -> None:
    tag = f"spacepack-test/{project.name}:1"
    docker_cleanup["images"].append(tag)
    _build(project, tag)
    _edit(project / "src" / "main.py", '"/health")', '"/health")  # edited')
    progress, result = _build(project, tag)
    assert any(BUILT_AHEAD in line for line in progress.lines), progress.lines
    assert not any(line.startswith("building ") for line in progress.lines)
    image = result.image  # type: ignore[attr-defined]
    assert image.tags == (tag,) and engine.image_id(docker_client, tag) == image.id
    assert _ahead_tags(docker_client, project) == []
    # The image holds the edit...
    output = docker_client.containers.run(  # type: ignore[attr-defined]
        tag, ["cat", "src/main.py"], remove=True, labels={TEST_LABEL: "1"}
    )
    assert b"# edited" in output
    # ...and is the very image the normal build of this context makes (every step a cache hit).
    again = build_image(
        docker_client, default_out_dir(load_settings(project)), tags=(tag,), log_path=tmp_path / "b.log"
    )
    assert again.id == image.id


@pytest.mark.docker
def test_a_guess_the_new_plan_renders_differently_is_removed(
    docker_client: object, docker_cleanup: dict[str, list[str]], project: Path
) -> None:
    tag = f"spacepack-test/{project.name}:1"
    docker_cleanup["images"].append(tag)
    _build(project, tag)
    # A new health route: the health path is a label in the Dockerfile, so the context differs.
    _edit(project / "src" / "main.py", '"/health"', '"/healthz"')
    progress, result = _build(project, tag)
    assert not any(BUILT_AHEAD in line for line in progress.lines)
    assert any(line.startswith("building ") for line in progress.lines)
    labels = result.image.labels  # type: ignore[attr-defined]
    assert labels.get("dev.spacepack.health-path") == "/healthz"
    assert _ahead_tags(docker_client, project) == []


@pytest.mark.docker
def test_a_check_that_stops_the_build_leaves_no_guess_behind(
    docker_client: object, docker_cleanup: dict[str, list[str]], project: Path
) -> None:
    tag = f"spacepack-test/{project.name}:1"
    docker_cleanup["images"].append(tag)
    _, first = _build(project, tag)
    _prepend(project / "src" / "main.py", "import humanize_not_declared_anywhere  # noqa\n")
    with pytest.raises(CheckFailed):
        _build(project, tag)
    assert _ahead_tags(docker_client, project) == []
    assert engine.image_id(docker_client, tag) == first.image.id  # type: ignore[attr-defined]
