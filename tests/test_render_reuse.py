"""render on a rebuild: unchanged files are linked from the previous context with their recorded hash, and
nothing changed is ever taken for unchanged; one walk says what ships and what is left out by default."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from spacepack.config import Settings
from spacepack.errors import RenderError
from spacepack.ignore import IgnoreRules, left_out_by_default, walk, walk_shipping
from spacepack.plan import Dependencies, Plan
from spacepack.render import Context, render_context
from spacepack.render import context as context_module
from tests.helpers import build_file_tree, plan_for
from tests.package_index import make_index, use_index

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
SECRET = "API_TOKEN=hf_abcdefghijklmnopqrstuvwxyz\n"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_index(tmp_path_factory.mktemp("index"))


@pytest.fixture
def cache(index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An offline package index, and a cache folder of this test's own (where render keeps its record).

    Files written a moment ago are not recorded (`RACY_NS`); these tests' files count as settled.
    """
    use_index(monkeypatch, index_dir, tmp_path / "cache")
    monkeypatch.setattr(context_module, "RACY_NS", 0)
    return tmp_path / "cache"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path / "demo",
        {"main.py": APP, "pkg/util.py": "X = 1\n", "pkg/other.py": "Y = 2\n", ".env": SECRET},
    )


def _plan(root: Path) -> Plan:
    deps = Dependencies(packages=("fastapi",), requirements=("fastapi==0.115.0",))
    return plan_for(root, project_name="demo", dependencies=deps, secret_files=(".env",))


def _render(root: Path) -> Context:
    return render_context(_plan(root), Settings(project_dir=root))


def _hashes(context: Context) -> dict[str, str]:
    return {f.path: f.sha256 for f in context.files}


def _on_disk(context: Context) -> dict[str, str]:
    """What the context folder really holds: path -> sha256 of its bytes."""
    return {
        p.relative_to(context.path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in context.path.rglob("*")
        if p.is_file()
    }


def _rewrite_keeping_size_and_mtime(path: Path, text: str) -> None:
    before = path.stat()
    assert len(text.encode()) == before.st_size
    with path.open("r+b") as handle:  # in place: the same inode
        handle.write(text.encode())
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_size == before.st_size


def test_an_unchanged_file_is_linked_from_the_previous_context_with_its_hash(project: Path, cache: Path) -> None:
    first = _render(project)
    inode = (first.path / "pkg" / "util.py").stat().st_ino
    (project / "pkg" / "other.py").write_text("Y = 3\n", encoding="utf-8")
    second = _render(project)
    assert (second.path / "pkg" / "util.py").stat().st_ino == inode  # linked, not copied again
    assert (second.path / "pkg" / "other.py").read_text(encoding="utf-8") == "Y = 3\n"
    assert _hashes(second) == _on_disk(second)
    assert _hashes(second)["pkg/util.py"] == _hashes(first)["pkg/util.py"]
    # The record is the user's cache's, never the project's.
    assert list((cache / "contexts").glob("*.json"))
    assert sorted(p.name for p in (project / ".spacepack").iterdir()) == [".gitignore", "context"]


def test_a_rewrite_keeping_size_and_restoring_mtime_ships_its_new_bytes_and_hash(project: Path, cache: Path) -> None:
    first = _render(project)
    _rewrite_keeping_size_and_mtime(project / "pkg" / "util.py", "X = 9\n")
    second = _render(project)
    assert (second.path / "pkg" / "util.py").read_text(encoding="utf-8") == "X = 9\n"
    assert _hashes(second)["pkg/util.py"] == hashlib.sha256(b"X = 9\n").hexdigest() != _hashes(first)["pkg/util.py"]
    assert _hashes(second) == _on_disk(second)


def test_a_context_copy_edited_in_place_is_not_trusted(project: Path, cache: Path) -> None:
    first = _render(project)
    _rewrite_keeping_size_and_mtime(first.path / "pkg" / "util.py", "X = 7\n")
    second = _render(project)
    assert (second.path / "pkg" / "util.py").read_text(encoding="utf-8") == "X = 1\n"
    assert _hashes(second) == _on_disk(second) == _on_disk(first) | {"pkg/util.py": _hashes(first)["pkg/util.py"]}


def test_a_file_changed_a_moment_ago_is_copied_again_next_time(
    project: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two writes within one tick of the file system's clock leave the same time stamps: a file
    # changed this recently is never taken for unchanged on the strength of its state.
    monkeypatch.setattr(context_module, "RACY_NS", 3600 * 10**9)
    first = _render(project)
    inode, before = (first.path / "pkg" / "util.py").stat().st_ino, _on_disk(first)
    second = _render(project)
    assert (second.path / "pkg" / "util.py").stat().st_ino != inode  # copied, not linked
    assert _hashes(second) == _on_disk(second) == before


@pytest.mark.parametrize("record", ["{", '{"recipe": 99, "context": "", "files": []}', "[]", ""])
def test_without_a_usable_record_every_file_is_copied_and_hashed(project: Path, cache: Path, record: str) -> None:
    first = _render(project)
    for path in (cache / "contexts").glob("*.json"):
        path.write_text(record, encoding="utf-8")
    _rewrite_keeping_size_and_mtime(project / "pkg" / "util.py", "X = 5\n")
    second = _render(project)
    assert (second.path / "pkg" / "util.py").stat().st_ino != (project / "pkg" / "util.py").stat().st_ino
    assert (second.path / "main.py").read_text(encoding="utf-8") == APP
    assert _hashes(second)["pkg/util.py"] == hashlib.sha256(b"X = 5\n").hexdigest()
    assert _hashes(second) == _on_disk(second) and set(_hashes(second)) == set(_hashes(first))


def test_an_unwritable_cache_costs_only_the_reuse(project: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = cache.parent / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("SPACEPACK_CACHE_DIR", str(blocker))
    first = _render(project)
    (project / "main.py").write_text(APP + "# changed\n", encoding="utf-8")
    second = _render(project)
    assert _hashes(second) == _on_disk(second) and _hashes(second)["main.py"] != _hashes(first)["main.py"]


def test_a_file_replaced_by_a_link_after_the_previous_render_is_still_refused(
    project: Path, cache: Path, tmp_path: Path
) -> None:
    _render(project)
    outside = build_file_tree(tmp_path / "elsewhere", {"util.py": "X = 1\n"})
    util = project / "pkg" / "util.py"
    stamp = util.stat().st_mtime_ns
    util.unlink()
    util.symlink_to(outside / "util.py")  # same bytes, same size, out of the project
    os.utime(util, ns=(stamp, stamp), follow_symlinks=False)
    other = project / "pkg" / "other.py"
    other.unlink()
    other.symlink_to(project / ".env")  # a secret's bytes under a shipped name
    second = _render(project)
    assert "pkg/util.py" not in _hashes(second) and "pkg/other.py" not in _hashes(second)
    assert set(_on_disk(second)) == set(_hashes(second))
    assert SECRET not in "".join(p.read_text(encoding="utf-8") for p in second.path.rglob("*") if p.is_file())


def test_a_context_copy_replaced_by_a_link_makes_render_refuse_the_folder(
    project: Path, cache: Path, tmp_path: Path
) -> None:
    first = _render(project)
    precious = build_file_tree(tmp_path / "precious", {"util.py": "X = 1\n"})
    copy = first.path / "pkg" / "util.py"
    copy.unlink()
    copy.symlink_to(precious / "util.py")
    with pytest.raises(RenderError, match="not a context spacepack wrote"):
        _render(project)
    assert (precious / "util.py").read_text(encoding="utf-8") == "X = 1\n"
    assert copy.is_symlink()  # the folder was left as it was


def test_a_hard_link_to_a_secret_in_a_left_out_folder_never_ships(tmp_path: Path, cache: Path) -> None:
    root = build_file_tree(tmp_path / "demo", {"main.py": APP, "tests/.env": SECRET})
    os.link(root / "tests" / ".env", root / "settings.cfg")
    context = _render(root)
    assert "settings.cfg" not in _hashes(context)
    assert SECRET not in "".join(p.read_text(encoding="utf-8") for p in context.path.rglob("*") if p.is_file())


# --- one walk: what ships and what only the default tier leaves out ---------------------------------------


def _tree(root: Path) -> Path:
    build_file_tree(
        root,
        {
            "main.py": APP,
            "pkg/util.py": "X = 1\n",
            "pkg/tests/test_util.py": "",
            "tests/test_main.py": "",
            "tests/data/keep.json": "{}",
            "docs/index.md": "# Docs\n",
            "docs/api/ref.md": "# Ref\n",
            "static/test/readme.txt": "served\n",
            ".github/workflows/ci.yml": "on: push\n",
            "docker-compose.yml": "services: {}\n",
            "logs/app.log": "noise\n",
            ".gitignore": "logs/\n*.log\n!docs/api/\n",
            "sub/.gitignore": "!*.log\n",
            "sub/x.log": "kept\n",
            ".env": SECRET,
        },
    )
    (root / "linked_doc.md").symlink_to(root / "docs" / "index.md")  # a link into a left-out folder
    (root / "linked_util.py").symlink_to(root / "pkg" / "util.py")  # a link to a file that ships
    (root / "linked_env").symlink_to(root / ".env")  # a link to a secret
    return root


@pytest.mark.parametrize(
    ("include", "keep"),
    [((), ()), (("docs/",), ()), ((), ("tests/data/",)), (("*.md",), ("docs/",)), (("logs/",), ())],
)
def test_one_walk_says_what_two_walks_said(tmp_path: Path, include: tuple[str, ...], keep: tuple[str, ...]) -> None:
    root = _tree(tmp_path / "p")
    rules = IgnoreRules.for_shipping(root, include=include, keep=keep, extra=["/.env"])
    walked = walk_shipping(root, rules)
    shipped = list(walk(root, rules))
    assert [(rel, info.st_size) for rel, info in walked.shipped] == shipped
    everything = {rel for rel, _size in walk(root, rules.without_defaults())}
    assert set(walked.left_out) == everything - {rel for rel, _size in shipped}
    assert list(walked.left_out) == sorted(walked.left_out)
    for under in ("", "pkg", "docs"):
        assert left_out_by_default(root, rules, under=under, default_only=walked.left_out) == left_out_by_default(
            root, rules, under=under
        )
    assert "linked_util.py" in dict(walked.shipped) and "linked_env" not in everything


def test_a_link_into_a_left_out_folder_is_left_out_with_it(tmp_path: Path) -> None:
    root = _tree(tmp_path / "p")
    walked = walk_shipping(root, IgnoreRules.for_shipping(root))
    assert "linked_doc.md" in walked.left_out and "linked_doc.md" not in dict(walked.shipped)
    assert dict(walked.shipped)["linked_util.py"].st_size == len("X = 1\n")  # a link's state is its target's
