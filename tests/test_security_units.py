"""Units of the hostile-input defences: bounded reads, the template sandbox, path settings, names, cleanup."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from spacepack.config import load_settings
from spacepack.errors import ConfigError, RenderError
from spacepack.git import git
from spacepack.interrupts import deferred_interrupts
from spacepack.masking import Masker
from spacepack.names import display_name, is_env_name, is_relative_dir
from spacepack.paths import inside_project, safe_output_dir
from spacepack.render.templates import render_template
from spacepack.safe_read import read_project_bytes, read_project_text
from tests.helpers import build_file_tree

# --- one bounded reader --------------------------------------------------------------------------


def test_the_reader_refuses_links_out_fifos_devices_and_big_files(tmp_path: Path) -> None:
    root = tmp_path / "project"
    build_file_tree(tmp_path, {"outside.txt": "host secret", "project/ok.txt": "fine", "project/.env": "A=1"})
    (root / "out").symlink_to(tmp_path / "outside.txt")
    (root / "zero").symlink_to("/dev/zero")
    (root / "dotenv-link").symlink_to(".env")
    (root / "inside-link").symlink_to("ok.txt")
    os.mkfifo(root / "fifo")
    (root / "big").write_bytes(b"x" * 3_000_000)
    started = time.monotonic()
    assert read_project_bytes(root, "ok.txt").data == b"fine"
    assert "outside the project" in read_project_bytes(root, "out").refused
    assert read_project_bytes(root, "zero").data is None
    assert read_project_bytes(root, "fifo").refused == "a FIFO"
    assert read_project_bytes(root, "big").refused.startswith("over")
    assert read_project_bytes(root, "inside-link").data is None  # no link followed unless asked
    assert read_project_bytes(root, "inside-link", may_follow=lambda _t: True).data == b"fine"
    assert read_project_bytes(root, "dotenv-link", may_follow=lambda t: t != ".env").data is None
    assert read_project_bytes(root, "../outside.txt").data is None
    assert read_project_bytes(root, "a\x00b").data is None
    assert read_project_bytes(root, "x" * 5000).data is None
    assert time.monotonic() - started < 5


def test_a_folder_link_on_the_way_is_judged_like_a_file_link(tmp_path: Path) -> None:
    # The reader's one-open path takes only a file reached through no link; a linked folder on the way must
    # still be refused when it leads outside, and followed only when asked when it stays inside.
    root = tmp_path / "project"
    build_file_tree(tmp_path, {"outside/secret.py": "KEY = 1", "project/pkg/mod.py": "X = 1"})
    (root / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "alias").symlink_to(root / "pkg", target_is_directory=True)
    assert read_project_bytes(root, "pkg/mod.py").data == b"X = 1"
    assert "outside the project" in read_project_bytes(root, "escape/secret.py").refused
    assert read_project_bytes(root, "escape/secret.py", may_follow=lambda _t: True).data is None
    assert read_project_bytes(root, "alias/mod.py").data is None
    assert read_project_bytes(root, "alias/mod.py", may_follow=lambda t: t == "pkg/mod.py").data == b"X = 1"
    assert read_project_bytes(root, str(root / "pkg" / ".." / "pkg" / "mod.py")).data == b"X = 1"


def test_the_reader_decodes_utf8_bom_and_utf16_and_names_the_rest(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfhello")
    (tmp_path / "utf16.txt").write_bytes("hello".encode("utf-16"))
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    assert read_project_text(tmp_path, "bom.txt") == ("hello", "")
    assert read_project_text(tmp_path, "utf16.txt") == ("hello", "")
    assert read_project_text(tmp_path, "latin1.txt") == (None, "not UTF-8 text")


# --- the template sandbox ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ cycler.__init__.__globals__.os.system('touch MARKER') }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{% include '/etc/passwd' %}",
        "{% import '/etc/hostname' as h %}",
        "{{ range(10**9) | list | length }}",
    ],
)
def test_templates_cannot_reach_python_or_the_host(tmp_path: Path, source: str) -> None:
    marker = tmp_path / "MARKER"
    template = tmp_path / "Dockerfile.template"
    template.write_text(source.replace("MARKER", str(marker)))
    with pytest.raises(RenderError):
        render_template(template, {"base_image": "python:3.11-slim"})
    assert not marker.exists()


def test_a_fifo_template_is_refused_not_waited_for(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile.template")
    with pytest.raises(RenderError, match="FIFO"):
        render_template(tmp_path / "Dockerfile.template", {})


# --- paths from settings -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["../x", "/etc/passwd", "/proc/self/environ", "sub/../../x", "link/file"])
def test_path_settings_must_stay_inside_the_project(tmp_path: Path, value: str) -> None:
    (tmp_path / "project" / "sub").mkdir(parents=True)
    (tmp_path / "project" / "link").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ConfigError, match="outside the project"):
        inside_project(tmp_path / "project", value, "template")


def test_a_backend_dir_from_the_environment_is_checked_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="outside the project"):
        load_settings(tmp_path, environ={"SPACEPACK_BACKEND_DIR": "../elsewhere"})


def test_output_folders_are_never_written_through_a_link(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / ".spacepack").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ConfigError, match="is a link"):
        safe_output_dir(tmp_path / "project", Path(".spacepack") / "context")
    assert safe_output_dir(tmp_path / "elsewhere", Path("context")) == (tmp_path / "elsewhere" / "context").resolve()


# --- names and masking ---------------------------------------------------------------------------


def test_names_with_syntax_are_refused_or_made_plain() -> None:
    assert display_name("api\nRUN touch /tmp/x") == "api-RUN touch -tmp-x"
    assert not is_env_name("X$(touch /tmp/x)") and not is_env_name("API_KEY\n") and is_env_name("API_KEY")
    assert not is_relative_dir("--help") and not is_relative_dir("data/../..") and is_relative_dir(".cache/hf")


def test_the_masker_masks_each_line_and_each_encoding_of_a_pem() -> None:
    pem = (
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\nAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----"
    )
    masker = Masker([pem])
    assert "MIIEvQ" not in masker("line: MIIEvQIBADANBgkqhkiG9w0BAQEF")
    assert "MIIEvQ" not in masker(repr(pem)) and "MIIEvQ" not in masker('{"key": "' + pem.replace("\n", "\\n") + '"}')


# --- git answers and a second Ctrl-C -----------------------------------------------------------


def test_git_never_answers_with_the_token_of_a_remote(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=30)
    token = "ghp_" + "A1b2C3d4" * 5
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", f"https://{token}@github.com/a/b.git"],
        check=True,
        timeout=30,
    )
    answer = git(tmp_path, "remote", "get-url", "origin")
    assert answer == "https://****@github.com/a/b.git"


@pytest.mark.usefixtures("sigint_raises_keyboard_interrupt")
def test_a_second_interrupt_waits_for_the_cleanup() -> None:
    finished: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the signal arrives here, and must not cut the cleanup short
            finished.append("cleanup")
    assert finished == ["cleanup"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_eject_never_writes_through_a_committed_link(tmp_path: Path) -> None:
    from spacepack.errors import UsageError
    from spacepack.render.eject import eject_template

    victim = tmp_path / "bashrc"
    victim.write_text("precious\n")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "Dockerfile.template").symlink_to(victim)
    with pytest.raises(UsageError, match="is a link"):
        eject_template(tmp_path / "project", force=True)
    assert victim.read_text() == "precious\n"


def test_render_never_writes_the_state_marker_through_a_link(tmp_path: Path) -> None:
    from spacepack.check import check_project
    from spacepack.render import render_context

    victim = tmp_path / "bashrc"
    victim.write_text("precious\n")
    project = build_file_tree(
        tmp_path / "project",
        {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n", "requirements.txt": "fastapi\n"},
    )
    (project / ".spacepack").mkdir()
    (project / ".spacepack" / ".gitignore").symlink_to(victim)
    settings = load_settings(project)
    render_context(check_project(settings), settings)
    assert victim.read_text() == "precious\n"
    assert not (project / ".spacepack" / ".gitignore").is_symlink()


def test_the_smoke_test_never_reads_a_dotenv_that_links_out_of_the_project(tmp_path: Path) -> None:
    from spacepack.check import check_project
    from spacepack.pipeline import default_dotenv

    (tmp_path / "credentials").write_text("AWS_SECRET_ACCESS_KEY=from-the-machine\n")
    project = build_file_tree(tmp_path / "project", {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"})
    (project / ".env").symlink_to(tmp_path / "credentials")
    assert default_dotenv(check_project(load_settings(project))) is None
    (project / ".env").unlink()
    (project / ".env").write_text("A=1\n")
    assert default_dotenv(check_project(load_settings(project))) == project / ".env"
