"""What ships: tests, docs, CI and compose files are left out by default, unless the app uses them or
`include` says so; the image (the .dockerignore, as docker-py applies it) and the upload agree."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from docker.utils.build import exclude_paths

from spacepack.check import check_project
from spacepack.config import load_settings
from spacepack.errors import ConfigError, ExitCode
from spacepack.ignore import DEFAULT_LEFT_OUT, IgnoreRules, LeftOut, describe_left_out, left_out_by_default, walk
from spacepack.plan import Dependencies, Plan
from spacepack.push import MANIFEST_PATH
from spacepack.render import Context, eject_template, render_context
from spacepack.render.plan_cache import plan_from_json, tree_files
from tests.conftest import TEST_LABEL
from tests.helpers import SAMPLE_APP, build_file_tree, run_cli
from tests.hub_double import HubDouble

NEVER_RUN = {
    "tests/test_main.py": "def test_x():\n    assert True\n",
    "tests/conftest.py": "",
    "tests/data/sample.json": "{}",
    "app_pkg/tests/test_util.py": "",
    ".github/workflows/ci.yml": "on: push\n",
    "docs/index.md": "# Docs\n",
    "docs/guide.md": "# Guide\n",
    "docker-compose.yml": "services: {}\n",
    "compose.override.yaml": "services: {}\n",
    ".gitlab-ci.yml": "stages: []\n",
    ".circleci/config.yml": "version: 2.1\n",
    ".devcontainer/devcontainer.json": "{}",
}
APP_FILES = {
    "main.py": SAMPLE_APP,
    "requirements.txt": "fastapi\nuvicorn\n",
    "app_pkg/__init__.py": "",
    "app_pkg/util.py": "X = 1\n",
    "static/test/readme.txt": "served\n",
}


def _project(root: Path, extra: dict[str, str] | None = None) -> Path:
    build_file_tree(root, {**APP_FILES, **NEVER_RUN, **(extra or {})})
    eject_template(root)  # an ejected Dockerfile.template: render reads it, the Space never does
    return root


def _check_and_render(root: Path, out: Path) -> tuple[Plan, Context]:
    settings = load_settings(root, environ={})
    plan = check_project(settings)
    return plan, render_context(plan, settings, out)


def _shipped(context: Context) -> set[str]:
    return {f.path for f in context.files}


def _image_files(context: Context) -> set[str]:
    """The files docker-py puts in the build context it sends to the engine: the .dockerignore applied."""
    lines = (context.path / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    included = exclude_paths(str(context.path), patterns)
    return {path for path in included if (context.path / path).is_file()}


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_main.py",
        "backend/tests/test_api.py",
        "test/test_a.py",
        ".github/workflows/ci.yml",
        "docs/index.md",
        "Dockerfile.template",
        "backend/Dockerfile.template",
        "docker-compose.yml",
        "docker-compose.dev.yaml",
        "compose.yaml",
        "Compose.Override.YML",
        ".gitlab-ci.yml",
        ".circleci/config.yml",
        ".devcontainer/devcontainer.json",
        ".vs/settings.json",
    ],
)
def test_what_never_runs_on_a_space_is_left_out_by_default(tmp_path: Path, path: str) -> None:
    rules = IgnoreRules.for_shipping(tmp_path)
    assert rules.is_ignored(path)
    assert not rules.without_defaults().is_ignored(path)
    assert not IgnoreRules().is_ignored(path)  # the plain built-ins (used to vet a template or a README) keep it


@pytest.mark.parametrize(
    "path", ["main.py", "app/api/test_routes.py", "static/app.js", "testing.py", "doc.md", "Dockerfile", "compose.py"]
)
def test_ordinary_files_still_ship(tmp_path: Path, path: str) -> None:
    assert not IgnoreRules.for_shipping(tmp_path).is_ignored(path)


def test_include_exclude_and_keep_precedence(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".gitignore": "models/\nsite/test/\n", "main.py": ""})
    rules = IgnoreRules.for_shipping(
        tmp_path,
        include=["docs/", "models/", ".env", "data/keep.csv"],
        exclude=["data/"],
        keep=["tests/", "site/test/"],
    )
    assert not rules.is_ignored("docs/index.md")  # include beats the defaults
    assert not rules.is_ignored("models/weights.bin")  # ...and .gitignore
    assert rules.is_ignored(".env")  # never the built-in safety rules
    assert rules.is_ignored("data/keep.csv")  # a file below an excluded folder stays out, as in git
    assert not rules.is_ignored("tests/helpers.py")  # keep beats the defaults
    assert rules.is_ignored("site/test/x.html")  # ...but not .gitignore
    assert rules.is_ignored(".github/workflows/ci.yml")
    extra = IgnoreRules.for_shipping(tmp_path, include=["/secret.pem"], extra=["/secret.pem"])
    assert extra.is_ignored("secret.pem")  # `extra` (files holding secrets) beats include


def test_left_out_by_default_counts_outermost_folders(tmp_path: Path) -> None:
    _project(tmp_path)
    rules = IgnoreRules.for_shipping(tmp_path)
    left_out = left_out_by_default(tmp_path, rules)
    assert left_out == (
        LeftOut(".circleci/", 1),
        LeftOut(".devcontainer/", 1),
        LeftOut(".github/", 1),
        LeftOut(".gitlab-ci.yml", 1),
        LeftOut("Dockerfile.template", 1),
        LeftOut("app_pkg/tests/", 1),
        LeftOut("compose.override.yaml", 1),
        LeftOut("docker-compose.yml", 1),
        LeftOut("docs/", 2),
        LeftOut("static/test/", 1),
        LeftOut("tests/", 3),
    )
    shipped = {rel for rel, _size in walk(tmp_path, rules)}
    everything = {rel for rel, _size in walk(tmp_path, rules.without_defaults())}
    assert sum(item.files for item in left_out) == len(everything - shipped)
    assert left_out_by_default(tmp_path, rules, under="app_pkg") == (LeftOut("app_pkg/tests/", 1),)
    assert describe_left_out(left_out[:2]) == ".circleci/ (1 file), .devcontainer/ (1 file)"
    assert describe_left_out(left_out, limit=2) == "tests/ (3 files), docs/ (2 files), 9 more"


def test_the_default_tier_is_one_list_and_names_only() -> None:
    # Names only: the same from the project root and from the working folder (the .dockerignore's root).
    for pattern in DEFAULT_LEFT_OUT:
        assert "/" not in pattern.rstrip("/"), pattern
    assert {"tests/", ".github/", "docs/", "Dockerfile.template", ".circleci/", ".gitlab-ci.yml"} <= set(
        DEFAULT_LEFT_OUT
    )


# --- check and render --------------------------------------------------------------------------


def test_render_leaves_them_out_says_so_and_the_image_agrees(tmp_path: Path) -> None:
    root = _project(tmp_path / "proj")
    plan, context = _check_and_render(root, tmp_path / "out")
    shipped = _shipped(context)
    assert {"main.py", "app_pkg/util.py", "requirements.txt", "Dockerfile", "README.md"} <= shipped
    assert not [path for path in shipped if path in NEVER_RUN or path.startswith(("tests/", "docs/", ".github/"))]
    assert "Dockerfile.template" not in shipped and "static/test/readme.txt" not in shipped
    assert _image_files(context) == shipped
    note = next(note for note in context.notes if note.startswith("left out by default: "))
    assert note.startswith("left out by default: tests/ (3 files), docs/ (2 files), .circleci/ (1 file)")
    assert note.endswith(", 5 more (`include` ships them)")
    assert [item.to_json() for item in context.left_out] == json.loads(json.dumps(context.to_json()))["left_out"]
    assert plan.left_out == context.left_out and plan.kept_anyway == ()
    assert plan_from_json(json.loads(json.dumps(plan.to_json()))) == plan  # the plan cache keeps both fields


def test_a_folder_the_app_serves_or_imports_keeps_shipping(tmp_path: Path) -> None:
    main = (
        "from pathlib import Path\n"
        "from fastapi import FastAPI\n"
        "from fastapi.staticfiles import StaticFiles\n"
        "from tests.fixtures import SAMPLE\n\n"
        "app = FastAPI()\n"
        'app.mount("/static", StaticFiles(directory="static"), name="static")\n'
        'GUIDE = Path("docs/guide.md")\n'
        'MODE = "test"\n'
    )
    root = _project(tmp_path / "proj", {"main.py": main, "tests/fixtures.py": "SAMPLE = 1\n", "tests/__init__.py": ""})
    plan, context = _check_and_render(root, tmp_path / "out")
    shipped = _shipped(context)
    assert {"tests/fixtures.py", "tests/test_main.py", "docs/guide.md", "static/test/readme.txt"} <= shipped
    assert ".github/workflows/ci.yml" not in shipped and "app_pkg/tests/test_util.py" not in shipped
    assert set(plan.kept_anyway) == {"docs/", "static/test/", "tests/"}
    kept = {f.message.split(" ")[0]: f for f in plan.findings if f.code == "SP111"}
    assert set(kept) == {"docs/", "static/test/", "tests/"}
    assert "the app imports tests/" in kept["tests/"].message and kept["tests/"].path == "tests/__init__.py"
    assert "StaticFiles('static')" in kept["static/test/"].message and kept["docs/"].severity == "info"
    assert "'docs/guide.md' in main.py:8" in kept["docs/"].message and kept["docs/"].line == 8
    assert {item.path for item in plan.left_out} >= {".github/", "app_pkg/tests/"}
    assert not {item.path for item in plan.left_out} & {"docs/", "tests/", "static/test/"}
    assert _image_files(context) == shipped


def test_a_name_that_may_be_a_left_out_folder_ships_with_a_warning(tmp_path: Path) -> None:
    # "test" resolves to no folder from the working dir or the module: it may be static/test/, so that ships.
    config = 'from pathlib import Path\nBASE = Path(__file__).resolve().parents[3]\nSAMPLES = BASE / "test"\n'
    main = SAMPLE_APP + "from app_pkg.config import SAMPLES\n"
    root = _project(tmp_path / "proj", {"main.py": main, "app_pkg/config.py": config})
    plan, context = _check_and_render(root, tmp_path / "out")
    warning = next(f for f in plan.findings if f.code == "SP112")
    assert warning.severity == "warning" and warning.message.startswith("static/test/ may be used by the app")
    assert "'test' in app_pkg/config.py:3" in warning.message and "`exclude`" in warning.hint
    assert "static/test/readme.txt" in _shipped(context)
    assert "tests/test_main.py" not in _shipped(context) and "docs/index.md" not in _shipped(context)
    assert not [f for f in plan.findings if f.code == "SP111"]


def test_include_exclude_settings_drive_check_and_render(tmp_path: Path) -> None:
    root = _project(
        tmp_path / "proj",
        {
            "spacepack.toml": 'include = ["docs/", "models/"]\nexclude = ["app_pkg/util.py", "*.csv"]\n',
            ".gitignore": "models/\n",
            "models/weights.bin": "w",
            "data.csv": "a,b\n",
        },
    )
    plan, context = _check_and_render(root, tmp_path / "out")
    shipped = _shipped(context)
    assert {"docs/index.md", "docs/guide.md", "models/weights.bin"} <= shipped
    assert "app_pkg/util.py" not in shipped and "data.csv" not in shipped and "tests/test_main.py" not in shipped
    assert "docs/" not in {item.path for item in plan.left_out}
    assert _image_files(context) == shipped
    # The plan cache sees what `include` brings back from .gitignore: a change there is a new key.
    assert "models/weights.bin" in {state[0] for state in tree_files(root, ("models/",))}
    assert "models/weights.bin" not in {state[0] for state in tree_files(root)}


def test_a_backend_in_a_subfolder_reports_only_its_own_folder(tmp_path: Path) -> None:
    root = build_file_tree(
        tmp_path / "mono",
        {
            ".github/workflows/ci.yml": "on: push\n",
            "api/main.py": SAMPLE_APP,
            "api/requirements.txt": "fastapi\n",
            "api/tests/test_api.py": "",
        },
    )
    plan, context = _check_and_render(root, tmp_path / "out")
    assert plan.working_dir == "api"
    assert plan.left_out == (LeftOut("api/tests/", 1),) == context.left_out
    assert _image_files(context) == _shipped(context)


# --- the settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("../secrets/", "points outside the project"),
        ("docs/../../etc", "points outside the project"),
        ("~/.ssh/", "points outside the project"),
        ("C:/Users/x", "points outside the project"),
        ("..\\up", "points outside the project"),
        ("a" * 300, "longer than 256 characters"),
        ("docs/\nRUN curl evil", "control character"),
        ("", "is empty"),
        ("!docs/", "starts with '!'"),
        ("foo\\", "matches nothing"),
    ],
)
def test_bad_patterns_are_refused_in_one_line(tmp_path: Path, pattern: str, problem: str) -> None:
    (tmp_path / "spacepack.toml").write_text(f"exclude = [{json.dumps(pattern)}]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path, environ={})
    assert problem in str(raised.value) and "'exclude' pattern" in str(raised.value)
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 200


def test_patterns_come_from_the_file_targets_and_environment(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.spacepack]\ninclude = ["docs/"]\n'
            '[tool.spacepack.targets.full]\ninclude = ["tests/"]\n'
        },
    )
    assert load_settings(tmp_path, environ={}).include == ("docs/",)
    assert load_settings(tmp_path, environ={}, target="full").include == ("tests/",)
    from_env = load_settings(tmp_path, environ={"SPACEPACK_EXCLUDE": "data/, *.csv"})
    assert from_env.exclude == ("data/", "*.csv") and "SPACEPACK_EXCLUDE" in from_env.sources["exclude"]
    (tmp_path / "pyproject.toml").write_text('[tool.spacepack]\ninclude = "docs/"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'include' .* must be a list"):
        load_settings(tmp_path, environ={})


def test_too_many_patterns_are_refused(tmp_path: Path) -> None:
    (tmp_path / "spacepack.toml").write_text(f"include = {json.dumps([f'd{i}/' for i in range(201)])}\n")
    with pytest.raises(ConfigError, match="at most 200"):
        load_settings(tmp_path, environ={})


# --- the CLI and push --------------------------------------------------------------------------


def test_check_and_render_cli_say_what_was_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path / "proj")
    code, out, err = run_cli(["check", str(root)], capsys)
    assert code == 0, err
    assert "left out      tests/ (3 files), docs/ (2 files)" in err and "(by default; `include` ships them)" in err
    code, out, _err = run_cli(["check", str(root), "--json"], capsys)
    assert {"path": "tests/", "files": 3} in json.loads(out)["left_out"]
    code, out, err = run_cli(["render", str(root), "--out", str(tmp_path / "ctx")], capsys)
    assert code == 0 and "note: left out by default: tests/ (3 files)" in err
    code, out, _err = run_cli(["render", str(root), "--out", str(tmp_path / "ctx"), "--json"], capsys)
    assert {"path": "docs/", "files": 2} in json.loads(out)["left_out"]
    (root / "spacepack.toml").write_text('include = ["../elsewhere/"]\n', encoding="utf-8")
    code, out, err = run_cli(["render", str(root)], capsys)
    assert code == ExitCode.USAGE and "points outside the project" in err and "Traceback" not in err


@pytest.mark.hub
def test_push_uploads_what_the_image_holds_and_nothing_left_out(
    tmp_path: Path, double: HubDouble, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "proj", {"spacepack.toml": 'include = ["docs/"]\n'})
    monkeypatch.setenv("HF_TOKEN", double.WRITE_TOKEN)
    code, _out, err = run_cli(["push", str(root), "--space", "alice/ships"], capsys)
    assert code == 0, err
    uploaded = set(double.files("alice/ships")) - {".gitattributes"}
    assert {"main.py", "app_pkg/util.py", "docs/index.md", "docs/guide.md", "Dockerfile"} <= uploaded
    assert not [path for path in uploaded if path.startswith(("tests/", ".github/", ".circleci/", "app_pkg/tests/"))]
    assert not uploaded & {"Dockerfile.template", "docker-compose.yml", ".gitlab-ci.yml", "compose.override.yaml"}
    # The upload is the rendered context, file for file, and docker-py builds the image from the same files.
    settings = load_settings(root, environ={})
    context = render_context(check_project(settings), settings, tmp_path / "again")
    assert uploaded - {MANIFEST_PATH} == _shipped(context) == _image_files(context)


@pytest.mark.docker
def test_the_built_image_holds_exactly_the_files_that_are_uploaded(
    tmp_path: Path, docker_client: Any, docker_cleanup: dict[str, list[str]], unique_tag: str
) -> None:
    main = "from fastapi import FastAPI\nfrom fastapi.staticfiles import StaticFiles\n\napp = FastAPI()\n"
    main += 'app.mount("/s", StaticFiles(directory="static"), name="s")\n'
    root = _project(tmp_path / "proj", {"main.py": main, "spacepack.toml": 'include = ["docs/"]\n'})
    settings = load_settings(root, environ={})
    plan = replace(check_project(settings), dependencies=Dependencies())  # nothing to install: the files matter
    context = render_context(plan, settings, tmp_path / "ctx")
    assert {"docs/index.md", "static/test/readme.txt"} <= _shipped(context)
    assert "tests/test_main.py" not in _shipped(context)
    docker_cleanup["images"].append(unique_tag)
    docker_client.images.build(path=str(context.path), tag=unique_tag, rm=True, forcerm=True, labels={TEST_LABEL: "1"})
    listing = docker_client.containers.run(
        unique_tag,
        ["find", ".", "-type", "f"],
        remove=True,
        user="1000",
        labels={TEST_LABEL: "1"},
    )
    in_image = {line.removeprefix("./") for line in listing.decode().split()}
    assert in_image == _shipped(context)


def test_the_push_manifest_never_reaches_the_image_built_on_the_space(tmp_path: Path) -> None:
    # On the Space the build context is the repository: the rendered files plus push's manifest.
    root = _project(tmp_path / "proj")
    _plan, context = _check_and_render(root, tmp_path / "ctx")
    (context.path / MANIFEST_PATH).write_text('{"files": ["main.py"]}\n', encoding="utf-8")
    on_the_space = _image_files(context)
    assert MANIFEST_PATH not in on_the_space
    assert {"main.py", "Dockerfile", "app_pkg/util.py"} <= on_the_space
