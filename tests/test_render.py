"""render: Dockerfile text, templates, the context on disk (atomic, never touching the user's tree), eject."""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from pathlib import Path

import pytest

from spacepack import __version__
from spacepack.config import Settings
from spacepack.errors import ExitCode, RenderError, UsageError
from spacepack.plan import Dependencies, Finding, Plan
from spacepack.render import Context, eject_template, render_context, render_dockerfile, templates
from spacepack.render import context as context_module
from spacepack.render.dockerfile import requirements_text
from tests.conftest import REPO_ROOT
from tests.helpers import build_file_tree, plan_for, run_cli
from tests.package_index import make_index, use_index

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_index(tmp_path_factory.mktemp("index"))


@pytest.fixture(autouse=True)
def _local_index(index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve against a package index made for the tests: offline, and the same pins every time."""
    use_index(monkeypatch, index_dir, tmp_path / "resolve-cache")


def make_plan(root: Path, **overrides: object) -> Plan:
    values: dict[str, object] = {
        "project_name": "demo",
        "dependencies": Dependencies(packages=("fastapi",), requirements=("fastapi==0.115.0",)),
    }
    return plan_for(root, **{**values, **overrides})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path / "demo",
        {
            "main.py": APP,
            "pkg/util.py": "X = 1\n",
            ".env": "API_TOKEN=hf_abcdefghijklmnopqrstuvwxyz\n",
            ".env.example": "API_TOKEN=\n",
            "secrets/key.pem": "-----BEGIN PRIVATE KEY-----\n",
            ".venv/pyvenv.cfg": "home = /usr\n",
            "__pycache__/main.cpython-311.pyc": b"\x00",
            "Dockerfile": "FROM scratch\n",
        },
    )


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".spacepack" not in p.relative_to(root).parts
    }


# --- templates -------------------------------------------------------------------------------


def test_template_dir_in_a_source_checkout_is_the_repo_top_level() -> None:
    assert templates.template_dir() == REPO_ROOT
    assert (templates.template_dir() / "Dockerfile.template").is_file()
    assert templates.default_template_path("README.md.j2") == REPO_ROOT / "templates" / "README.md.j2"


def test_template_dir_prefers_the_packaged_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = build_file_tree(tmp_path / "spacepack", {"_templates/Dockerfile.template": "FROM x\n"})
    monkeypatch.setattr(importlib.resources, "files", lambda _name: packaged)
    assert templates.template_dir() == packaged / "_templates"
    assert templates.default_template_path("README.md.j2") == packaged / "_templates" / "README.md.j2"


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_follows_the_spaces_layout(project: Path) -> None:
    text = render_dockerfile(make_plan(project, writable_dirs=("data/db",)), Settings(project_dir=project))
    lines = text.splitlines()
    assert "FROM python:3.11-slim" in lines
    assert "RUN useradd -m -u 1000 user \\" in lines
    # The app dir and the writable folders (each parent too) are made in the same step, owned by uid 1000.
    made = "    && install -d -o user -g user /home/user/app /home/user/app/data /home/user/app/data/db"
    assert lines[lines.index("RUN useradd -m -u 1000 user \\") + 1] == made
    assert "USER user" in lines
    assert "WORKDIR $HOME/app" in lines
    assert "    PORT=7860" in lines and "    PYTHONUNBUFFERED=1 \\" in lines
    assert "EXPOSE 7860" in lines
    # Requirements alone first, then the source: code-only changes keep the dependency layer.
    copy_requirements = lines.index("COPY --chown=user spacepack-requirements.txt ./")
    install = next(i for i, line in enumerate(lines) if "uv pip install" in line)
    copy_source = lines.index("COPY --chown=user . .")
    # The source is the last step: a code-only rebuild re-runs it alone (EXPOSE and CMD stay cached).
    assert copy_requirements < install < lines.index("EXPOSE 7860") < copy_source == len(lines) - 1
    assert lines[install - 1].startswith("RUN pip install --no-cache-dir --target /tmp/uv uv==")
    assert lines[install + 1] == "        -r spacepack-requirements.txt \\"  # not resolved here: no --no-deps
    assert all("--chown=user" in line for line in lines if line.startswith("COPY"))
    cmd = next(line for line in lines if line.startswith("CMD "))
    assert json.loads(cmd[4:]) == [
        "sh",
        "-c",
        "exec uvicorn main:app --host 0.0.0.0 --port ${PORT} --proxy-headers --forwarded-allow-ips '*'",
    ]
    assert "RUN --mount" not in text and "<<" not in text  # the classic builder must accept it


def test_labels_are_set_before_the_source_and_the_same_on_every_commit(project: Path) -> None:
    plan = make_plan(project, health_path="/api/v1/health")
    text = render_dockerfile(plan, Settings(project_dir=project))
    lines = text.splitlines()
    label = 'LABEL dev.spacepack.health-path="/api/v1/health" dev.spacepack.version="' + __version__ + '"'
    # Before the source: a code-only rebuild re-runs the source step alone, the label step stays cached.
    assert lines.index(label) < lines.index("COPY --chown=user . .") == len(lines) - 1
    (project / "main.py").write_text("# another commit\n")
    assert render_dockerfile(plan, Settings(project_dir=project)) == text  # nothing per commit in the Dockerfile


@pytest.mark.parametrize("path", ['/x" other="y', "/$HOME", "/a b", "/x\\", "/" + "a" * 300])
def test_a_health_path_label_cannot_hold_is_left_to_the_build_api(project: Path, path: str) -> None:
    text = render_dockerfile(make_plan(project, health_path=path), Settings(project_dir=project))
    label = next(line for line in text.splitlines() if line.startswith("LABEL "))
    assert label == f'LABEL dev.spacepack.version="{__version__}"'


def test_dockerfile_settings_win(project: Path) -> None:
    settings = Settings(
        project_dir=project, base_image="python:3.12-bookworm", app_port=8000, system_packages=("curl",)
    )
    plan = make_plan(project, factory=True, entry="app:make", system_packages=("gcc",))
    text = render_dockerfile(plan, settings)
    assert "FROM python:3.12-bookworm" in text
    assert "EXPOSE 8000" in text and "PORT=8000" in text
    assert "apt-get install -y --no-install-recommends \\\n        curl \\\n        gcc \\\n" in text
    assert "rm -rf /var/lib/apt/lists/*" in text
    assert "exec uvicorn app:make --factory --host" in text


def test_requirements_add_uvicorn_only_when_missing(project: Path) -> None:
    assert requirements_text(make_plan(project)) == "fastapi==0.115.0\nuvicorn\n"
    with_uvicorn = Dependencies(packages=("fastapi", "Uvicorn"), requirements=("fastapi", "uvicorn[standard]==0.30.6"))
    assert requirements_text(make_plan(project, dependencies=with_uvicorn)) == "fastapi\nuvicorn[standard]==0.30.6\n"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("entry", "main:app; rm -rf /", "module:attribute"),
        ("system_packages", ("libpq-dev && curl evil",), "Debian package"),
        ("writable_dirs", ("../outside",), "inside the app folder"),
    ],
)
def test_unsafe_plan_values_are_refused(project: Path, field: str, value: object, words: str) -> None:
    with pytest.raises(RenderError, match=words):
        render_dockerfile(make_plan(project, **{field: value}), Settings(project_dir=project))


def test_custom_template_with_an_undefined_variable_names_it(project: Path) -> None:
    (project / "my.Dockerfile.j2").write_text("FROM {{ base_image }}\nEXPOSE {{ app_prot }}\n", encoding="utf-8")
    settings = Settings(project_dir=project, template="my.Dockerfile.j2")
    with pytest.raises(RenderError) as caught:
        render_dockerfile(make_plan(project), settings)
    assert "my.Dockerfile.j2" in caught.value.message and "app_prot" in caught.value.message
    assert "app_port" in caught.value.hint  # the known variables are listed
    assert caught.value.exit_code == ExitCode.USAGE


def test_missing_custom_template_is_a_clear_error(project: Path) -> None:
    with pytest.raises(RenderError, match="nope.j2"):
        render_dockerfile(make_plan(project), Settings(project_dir=project, template="nope.j2"))


def test_eject_copies_the_default_and_render_uses_the_copy(project: Path) -> None:
    written = eject_template(project)
    assert written.read_bytes() == (REPO_ROOT / "Dockerfile.template").read_bytes()
    with pytest.raises(UsageError, match="already exists"):
        eject_template(project)
    written.write_text(written.read_text(encoding="utf-8") + "LABEL edited=yes\n", encoding="utf-8")
    assert "LABEL edited=yes" in render_dockerfile(make_plan(project), Settings(project_dir=project))
    eject_template(project, force=True)
    assert "LABEL edited=yes" not in written.read_text(encoding="utf-8")


# --- the context on disk ---------------------------------------------------------------------


def test_context_ships_the_app_and_never_secrets(project: Path) -> None:
    before = snapshot(project)
    plan = make_plan(project, secret_files=("secrets/key.pem",))
    context = render_context(plan, Settings(project_dir=project))
    assert isinstance(context, Context)
    assert context.path == project / ".spacepack" / "context"
    paths = [f.path for f in context.files]
    assert paths == sorted(paths)
    assert {"main.py", "pkg/util.py", ".env.example", "Dockerfile", "README.md", ".dockerignore"} <= set(paths)
    assert "spacepack-requirements.txt" in paths
    for never in (".env", "secrets/key.pem", ".venv/pyvenv.cfg", "__pycache__/main.cpython-311.pyc"):
        assert never not in paths
        assert not (context.path / never).exists()
    # The user's own Dockerfile is replaced in the context, never in the tree.
    assert (context.path / "Dockerfile").read_text(encoding="utf-8") == context.dockerfile
    assert any("your Dockerfile is not shipped" in note for note in context.notes)
    assert "not shipped: secrets/key.pem holds a secret (move the value to an env var and a Space secret)" in (
        context.notes
    )
    for file in context.files:
        data = (context.path / file.path).read_bytes()
        assert (file.size, file.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert snapshot(project) == before
    assert (project / ".spacepack" / ".gitignore").read_text(encoding="utf-8") == "*\n"
    dockerignore = (context.path / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "**/.env" in dockerignore and "!**/.env.example" in dockerignore and "/secrets/key.pem" not in dockerignore
    assert "secrets/key.pem" in dockerignore


def test_context_to_json_lists_files_with_sizes_and_hashes(project: Path) -> None:
    document = render_context(make_plan(project), Settings(project_dir=project)).to_json()
    json.dumps(document)  # serialisable
    assert document["metadata"]["sdk"] == "docker"
    entry = next(f for f in document["files"] if f["path"] == "main.py")
    assert entry == {"path": "main.py", "size": len(APP), "sha256": hashlib.sha256(APP.encode()).hexdigest()}


def test_working_dir_becomes_the_context_root(tmp_path: Path) -> None:
    root = build_file_tree(
        tmp_path / "mono",
        {"web/index.html": "<html>\n", "api/app/main.py": APP, "api/.env": "SECRET=x\n", ".gitignore": "*.log\n"},
    )
    (root / "api" / "debug.log").write_text("noise\n", encoding="utf-8")
    plan = make_plan(root, backend_dir="api", working_dir="api", entry="app.main:app")
    context = render_context(plan, Settings(project_dir=root), tmp_path / "out")
    paths = {f.path for f in context.files}
    assert "app/main.py" in paths
    assert not any(p.startswith(("web/", "api/")) for p in paths)
    assert ".env" not in paths and "debug.log" not in paths  # the root .gitignore applies too


def test_rerender_is_byte_identical_and_reuses_unchanged_files(project: Path) -> None:
    settings = Settings(project_dir=project)
    first = render_context(make_plan(project), settings)
    second = render_context(make_plan(project), settings)
    assert first.files == second.files
    (project / "pkg" / "util.py").write_text("X = 2\n", encoding="utf-8")
    third = render_context(make_plan(project), settings)
    assert (third.path / "pkg" / "util.py").read_text(encoding="utf-8") == "X = 2\n"
    assert {f.path: f.sha256 for f in third.files}["pkg/util.py"] != {f.path: f.sha256 for f in first.files}[
        "pkg/util.py"
    ]


def test_failed_render_keeps_the_previous_context_and_leaves_no_temp_dir(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(project_dir=project)
    first = render_context(make_plan(project), settings)
    before = {p.relative_to(first.path).as_posix(): p.read_bytes() for p in first.path.rglob("*") if p.is_file()}
    (project / "pkg" / "util.py").write_text("X = 'changed'\n", encoding="utf-8")

    def failing_copy(source: Path, destination: Path) -> object:
        raise OSError(28, "No space left on device", str(destination))

    monkeypatch.setattr(context_module.shutil, "copy2", failing_copy)
    with pytest.raises(RenderError, match="No space left"):
        render_context(make_plan(project), settings)
    after = {p.relative_to(first.path).as_posix(): p.read_bytes() for p in first.path.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in first.path.parent.iterdir()) == [".gitignore", "context"]


def test_template_error_writes_nothing(project: Path) -> None:
    (project / "Dockerfile.template").write_text("FROM {{ nope }}\n", encoding="utf-8")
    with pytest.raises(RenderError, match="nope"):
        render_context(make_plan(project), Settings(project_dir=project))
    assert not (project / ".spacepack" / "context").exists()


def test_refuses_to_replace_a_folder_it_did_not_write(project: Path, tmp_path: Path) -> None:
    precious = build_file_tree(tmp_path / "precious", {"thesis.tex": "..."})
    with pytest.raises(RenderError, match="not a context spacepack wrote"):
        render_context(make_plan(project), Settings(project_dir=project), precious)
    assert (precious / "thesis.tex").read_text(encoding="utf-8") == "..."
    with pytest.raises(RenderError, match="replace the project"):
        render_context(make_plan(project), Settings(project_dir=project), project)
    with pytest.raises(RenderError, match="would ship"):
        render_context(make_plan(project), Settings(project_dir=project), project / "ctx")


# --- CLI -------------------------------------------------------------------------------------


def test_cli_eject_refuses_then_forces(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["eject", str(project)], capsys)[0] == 0
    code, _, err = run_cli(["eject", str(project)], capsys)
    assert code == ExitCode.USAGE and "already exists" in err and "--force" in err
    assert run_cli(["eject", str(project), "--force"], capsys)[0] == 0


def test_cli_render_json_and_check_errors(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import spacepack.check

    findings = (Finding("hardcoded-secret", "error", "a token in main.py", path="main.py", line=3),)
    plans = {"plan": make_plan(project.resolve(), findings=findings)}
    monkeypatch.setattr(spacepack.check, "check_with_kept_facts", lambda _settings: plans["plan"], raising=False)
    code, out, err = run_cli(["render", str(project)], capsys)
    assert code == ExitCode.CHECK_FAILED and out == "" and "hardcoded-secret" in err
    assert not (project / ".spacepack" / "context").exists()
    code, out, err = run_cli(["render", str(project), "--force", "--json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert {f["path"] for f in document["files"]} >= {"Dockerfile", "README.md", ".dockerignore", "main.py"}
    plans["plan"] = make_plan(project.resolve())
    code, out, err = run_cli(["render", str(project), "--out", str(project.parent / "ctx")], capsys)
    assert code == 0 and out == "" and "rendered" in err and "note:" in err
    assert (project.parent / "ctx" / "Dockerfile").is_file()
