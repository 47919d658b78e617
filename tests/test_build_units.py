"""Build pieces that need no engine: the progress parser, names, labels, the failure report."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from spacepack.build import (
    BuildFailure,
    BuildLogParser,
    BuildStepFailed,
    content_hash,
    default_tags,
    dockerfile_labels,
    image_repository,
    image_tags,
    labels_to_pass,
    new_log_path,
    parse_build_args,
)
from spacepack.config import LOG_TAIL_LINES
from spacepack.errors import ExitCode, UsageError
from tests.helpers import build_file_tree


def make_parser() -> BuildLogParser:
    ticks = itertools.count()
    return BuildLogParser(clock=lambda: float(next(ticks)))


def test_parser_joins_split_step_lines_and_drops_engine_noise():
    parser = make_parser()
    events = [
        {"stream": "Step 1/3 : FROM python:3.11-slim"},
        {"stream": "\n"},
        {"stream": " ---> 0b73ff18b651\n"},
        {"stream": "Step 2/3 : RUN echo hel"},
        {"stream": "lo\n ---> Running in 551b52e51066\nhello\nwor"},
        {"stream": "ld\nRemoving intermediate container 551b52e51066\n"},
        {"aux": {"ID": "sha256:abc"}},
        {"stream": "Successfully built abc\n"},
    ]
    progress = [p for event in events for p in parser.feed(event)]
    assert [(p.kind, p.step, p.total, p.command, p.line) for p in progress] == [
        ("step", 1, 3, "FROM python:3.11-slim", ""),
        ("step", 2, 3, "RUN echo hello", ""),
        ("line", 2, 3, "RUN echo hello", "hello"),
        ("line", 2, 3, "RUN echo hello", "world"),
    ]
    assert parser.image_id == "sha256:abc"
    assert parser.error is None
    assert progress[1].elapsed > progress[0].elapsed


def test_parser_strips_colour_codes_and_keeps_the_last_lines_of_the_failing_step():
    parser = make_parser()
    parser.feed({"stream": "Step 1/2 : FROM base\n"})
    parser.feed({"stream": "early line of step 1\n"})
    parser.feed({"stream": "Step 2/2 : RUN pip install nope\n"})
    for n in range(LOG_TAIL_LINES + 5):
        parser.feed({"stream": f"\x1b[91mline {n}\n\x1b[0m"})
    parser.feed({"error": "The command '/bin/sh -c pip install nope' returned a non-zero code: 1", "errorDetail": {}})
    assert parser.error == "The command '/bin/sh -c pip install nope' returned a non-zero code: 1"
    assert (parser.step, parser.command) == (2, "RUN pip install nope")
    assert list(parser.tail) == [f"line {n}" for n in range(5, LOG_TAIL_LINES + 5)]
    assert parser.image_id is None


def test_parser_flushes_a_last_line_without_newline_and_reads_error_detail():
    parser = make_parser()
    parser.feed({"stream": "Step 1/1 : RUN x\npartial"})
    assert [p.line for p in parser.flush()] == ["partial"]
    parser.feed({"errorDetail": {"message": "boom"}})
    assert parser.error == "boom"


def test_failure_text_and_exception(tmp_path: Path):
    failure = BuildFailure(3, 5, "RUN pip install -r requirements.txt", "returned 1", ("a", "b"), tmp_path / "b.log")
    error = BuildStepFailed(failure)
    assert error.exit_code == ExitCode.BUILD_FAILED
    assert error.message == "the build failed at step 3/5: returned 1"
    assert str(tmp_path / "b.log") in error.hint
    text = failure.to_text()
    assert "build failed at step 3/5: RUN pip install -r requirements.txt" in text
    assert "  | a\n  | b" in text
    assert f"full log: {tmp_path / 'b.log'}" in text
    assert failure.to_json()["output_tail"] == ["a", "b"]


def test_names_and_labels(tmp_path: Path):
    assert image_repository("My Todo_App!") == "spacepack/my-todo_app"
    assert image_repository("...") == "spacepack/app"
    assert default_tags("todo", "abc1234") == ("spacepack/todo:abc1234", "spacepack/todo:latest")
    dockerfile = (
        'FROM x\nlabel a=1\nLABEL dev.spacepack.health-path="/health" dev.spacepack.version="0.1.0"\n'
        'LABEL broken="unterminated\nCOPY . .\n'
    )
    assert dockerfile_labels(dockerfile) == {
        "a": "1",
        "dev.spacepack.health-path": "/health",
        "dev.spacepack.version": "0.1.0",
    }
    context = build_file_tree(tmp_path / "ctx", {"Dockerfile": dockerfile})
    wanted = {"dev.spacepack.health-path": "/health", "dev.spacepack.version": "0.1.0", "other": "x"}
    # What the Dockerfile sets is not passed again (each passed label is one more build step).
    assert labels_to_pass(context, wanted) == {"other": "x"}
    assert labels_to_pass(context, {"dev.spacepack.health-path": "/ready"}) == {"dev.spacepack.health-path": "/ready"}


def test_content_hash_follows_content(tmp_path: Path):
    build_file_tree(tmp_path / "a", {"Dockerfile": "FROM x\n", "app/main.py": "x = 1\n"})
    build_file_tree(tmp_path / "b", {"Dockerfile": "FROM x\n", "app/main.py": "x = 1\n"})
    same = content_hash(tmp_path / "a")
    assert same == content_hash(tmp_path / "b") and len(same) == 12
    (tmp_path / "b" / "app" / "main.py").write_text("x = 2\n")
    assert content_hash(tmp_path / "b") != same


def test_image_tags_outside_and_inside_git(tmp_path: Path):
    project = build_file_tree(tmp_path / "p", {"main.py": "x = 1\n"})
    context = build_file_tree(tmp_path / "ctx", {"Dockerfile": "FROM x\n"})
    tags = image_tags("todo", project, context)
    assert tags == (f"spacepack/todo:{content_hash(context)}", "spacepack/todo:latest")
    assert image_tags("todo", project, context, tag="mine:1") == ("mine:1",)

    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True, timeout=60)
    subprocess.run([*git, "add", "."], check=True, timeout=60)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True, timeout=60)
    short = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=60
    ).stdout.strip()
    assert image_tags("todo", project, context)[0] == f"spacepack/todo:{short}"  # the tag names the commit
    (project / "main.py").write_text("x = 2\n")
    assert image_tags("todo", project, context)[0] == f"spacepack/todo:{short}-dirty"


def test_log_path_lives_under_the_project(tmp_path: Path):
    path = new_log_path(tmp_path)
    assert path.parent == tmp_path / ".spacepack" / "logs"
    assert path.name.startswith("build-") and path.suffix == ".log"


def test_parse_build_args_hides_values():
    assert parse_build_args(["A=1", "B=x=y"]) == {"A": "1", "B": "x=y"}
    with pytest.raises(UsageError) as bad:
        parse_build_args(["SECRETVALUE"])
    assert "SECRETVALUE" not in bad.value.message


def test_base_images_skip_scratch_stages_and_platform_flags() -> None:
    from spacepack.build import base_images

    dockerfile = (
        "FROM --platform=linux/amd64 python:3.12-slim AS builder\n"
        "RUN echo\n"
        "from builder\n"
        "FROM scratch\n"
        "FROM ${BASE}\n"
        "FROM python:3.12-slim\n"
        "FROM debian:bookworm\n"
    )
    assert base_images(dockerfile) == ("python:3.12-slim", "debian:bookworm")


def test_a_rendered_context_is_sent_whole_and_any_other_folder_as_a_folder(tmp_path: Path):
    import tarfile

    from spacepack import engine

    folder = build_file_tree(
        tmp_path / "ctx",
        {"Dockerfile": "FROM x\n", ".dockerignore": "notes.txt\n", "app.py": "x = 1\n", "notes.txt": "n\n"},
    )
    with engine.build_context(str(folder), filtered=False) as context:
        assert context == str(folder)  # the SDK applies the folder's .dockerignore itself
    with engine.build_context(str(folder), filtered=True) as context:
        assert not isinstance(context, str)
        with tarfile.open(fileobj=context) as archive:
            names = set(archive.getnames())
        handle = context
    # Render already left out what never ships: nothing is matched again, and the archive is closed after.
    assert {"Dockerfile", ".dockerignore", "app.py", "notes.txt"} <= names
    assert handle.closed


def test_a_linked_context_file_is_never_read_through(tmp_path: Path) -> None:
    from spacepack.engine import context_archive

    outside = tmp_path / "outside"
    outside.write_text('LABEL other="x"\n*\n', encoding="utf-8")
    context = build_file_tree(tmp_path / "ctx", {"main.py": "app = None\n"})
    (context / "Dockerfile").symlink_to(outside)
    (context / ".dockerignore").symlink_to(outside)
    # The linked Dockerfile is not read: every wanted label is passed through the API.
    assert labels_to_pass(context, {"other": "x"}) == {"other": "x"}
    with pytest.raises(UsageError, match="cannot be read"):
        context_archive(str(context), {})
