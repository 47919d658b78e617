"""Unit tests of push decisions: the diff, the guard, the message, secrets and variables, ids, tokens."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from spacepack.errors import AuthError, UsageError
from spacepack.hub import RemoteFile
from spacepack.push import (
    DEFAULT_MESSAGE,
    MANIFEST_PATH,
    LocalFile,
    collect_secrets,
    commit_message,
    diff_files,
    file_ids,
    guard_uploads,
    manifest_bytes,
    parse_manifest,
    parse_variables,
)
from tests.helpers import build_file_tree


def _local(path: str, blob: str, sha: str = "s") -> LocalFile:
    return LocalFile(path, 10, blob, sha)


def test_diff_sorts_files_into_added_changed_deleted_unchanged_kept() -> None:
    local = [_local("Dockerfile", "a"), _local("app.py", "b"), _local("new.py", "c")]
    remote = {
        "Dockerfile": RemoteFile("Dockerfile", 10, "a"),
        "app.py": RemoteFile("app.py", 10, "old"),
        "gone.py": RemoteFile("gone.py", 3, "x"),
        "by-hand.md": RemoteFile("by-hand.md", 4, "h"),
        ".gitattributes": RemoteFile(".gitattributes", 5, "y"),
        MANIFEST_PATH: RemoteFile(MANIFEST_PATH, 50, "m"),
    }
    diff = diff_files(local, remote, managed=frozenset({"Dockerfile", "app.py", "gone.py"}))
    assert [f.path for f in diff.added] == ["new.py"]
    assert [f.path for f in diff.changed] == ["app.py"]
    assert [f.path for f in diff.deleted] == ["gone.py"]
    assert [f.path for f in diff.unchanged] == ["Dockerfile"]
    assert [f.path for f in diff.kept] == ["by-hand.md"]
    assert not diff.empty


def test_stale_files_without_a_manifest_are_kept_unless_pruned() -> None:
    remote = {"old.py": RemoteFile("old.py", 3, "x"), ".gitattributes": RemoteFile(".gitattributes", 5, "y")}
    kept = diff_files([], remote)
    assert [f.path for f in kept.kept] == ["old.py"] and kept.deleted == () and kept.empty
    pruned = diff_files([], remote, prune=True)
    assert [f.path for f in pruned.deleted] == ["old.py"] and pruned.kept == ()


def test_manifest_round_trips_and_rejects_what_is_not_ours() -> None:
    data = manifest_bytes(["b.py", "a.py", "a.py"])
    assert parse_manifest(data) == frozenset({"a.py", "b.py"})
    assert parse_manifest(None) is None
    assert parse_manifest(b"\xff\xfe") is None
    assert parse_manifest(b"[1, 2]") is None
    assert parse_manifest(b'{"files": [1]}') is None
    assert parse_manifest(b'{"files": ["ok.py", "../etc/passwd", "/abs"]}') == frozenset({"ok.py"})


def test_diff_matches_lfs_files_by_sha256_and_missing_space_adds_everything() -> None:
    local = [_local("model.bin", "blob", sha="abc")]
    assert diff_files(local, {"model.bin": RemoteFile("model.bin", 10, "pointer", "abc")}).empty
    assert [f.path for f in diff_files(local, None).added] == ["model.bin"]


def test_file_ids_are_git_blob_ids(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"a.txt": b"hello\n"})
    blob, _ = file_ids(tmp_path / "a.txt")
    expected = subprocess.run(
        ["git", "hash-object", str(tmp_path / "a.txt")], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert blob == expected


@pytest.mark.parametrize("path", [".env", "app/.env", ".env.local", "prod.env", "cfg/.env.production"])
def test_guard_refuses_dotenv_files(path: str) -> None:
    with pytest.raises(UsageError, match="refusing to upload") as info:
        guard_uploads(["Dockerfile", path])
    assert path in info.value.message


@pytest.mark.parametrize("path", [".env.example", ".env.sample", ".env.template", "README.md"])
def test_guard_lets_templates_through(path: str) -> None:
    guard_uploads([path])


def test_guard_refuses_files_check_flagged() -> None:
    with pytest.raises(UsageError, match="credentials.json"):
        guard_uploads(["app/credentials.json"], secret_files=["backend/app/credentials.json"])


def test_commit_message_prefers_flag_then_git_then_default(tmp_path: Path) -> None:
    assert commit_message(tmp_path, "  ship it ") == "ship it"
    assert commit_message(tmp_path) == DEFAULT_MESSAGE
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"}
    build_file_tree(tmp_path, {"x.txt": "x"})
    for args in (["init", "-q"], ["add", "x.txt"], ["commit", "-q", "-m", "Add the todo API"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, env={**env, "PATH": "/usr/bin:/bin"}, timeout=60)
    message = commit_message(tmp_path)
    assert message.endswith(" Add the todo API")
    assert len(message.split(" ")[0]) >= 7


def test_variables_merge_config_and_flags() -> None:
    assert parse_variables(["LOG_LEVEL=debug", "EMPTY="], {"LOG_LEVEL": "info", "MODE": "prod"}) == {
        "LOG_LEVEL": "debug",
        "MODE": "prod",
        "EMPTY": "",
    }
    with pytest.raises(UsageError, match="is not KEY=VALUE") as info:
        parse_variables(["hf_pastedtokenvalue"])
    assert "pastedtoken" not in info.value.message  # at most 4 characters of what was typed
    with pytest.raises(UsageError, match="not a valid"):
        parse_variables(["1BAD=x"])


def test_secrets_come_from_env_and_file_and_errors_never_hold_values(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"secrets.env": "DB_URL=postgres://user:pw@db/x\nAPI_KEY=from-file\n"})
    values = collect_secrets(["API_KEY"], tmp_path / "secrets.env", {"API_KEY": "from-env-123"})
    assert values == {"DB_URL": "postgres://user:pw@db/x", "API_KEY": "from-env-123"}
    with pytest.raises(UsageError, match="MISSING is not set") as info:
        collect_secrets(["MISSING"], None, {"OTHER": "sekrit-value"})
    assert "sekrit" not in info.value.message + info.value.hint
    with pytest.raises(UsageError, match="no such file"):
        collect_secrets([], tmp_path / "nope.env", {})


def test_space_id_is_parsed_once_into_a_value() -> None:
    from spacepack.hub import SpaceId, space_app_url, validate_space_id

    assert validate_space_id("alice/todo-api") == "alice/todo-api"
    parsed = SpaceId.parse(" spaces/alice/todo-api ")
    assert (parsed.owner, parsed.name, parsed.repo_id, str(parsed)) == ("alice", "todo-api", *["alice/todo-api"] * 2)
    assert parsed.page_url() == "https://huggingface.co/spaces/alice/todo-api"
    assert parsed.page_url("http://127.0.0.1:9/") == "http://127.0.0.1:9/spaces/alice/todo-api"
    for bad in ("todo-api", "alice/todo/api", "alice/", "alice/todo--api", "alice/-x", "alice/a b", "alice/x.git"):
        with pytest.raises(UsageError):
            SpaceId.parse(bad)
    assert space_app_url("Alice_B/My.App_1") == "https://alice-b-my-app-1.hf.space"


def test_hardware_is_checked_against_the_library_list() -> None:
    import huggingface_hub

    from spacepack.hub import HARDWARE, validate_hardware

    assert HARDWARE == tuple(flavor.value for flavor in huggingface_hub.SpaceHardware)
    assert validate_hardware("t4-small") == "t4-small"
    with pytest.raises(UsageError, match="unknown Space hardware 't4-smal'") as info:
        validate_hardware("t4-smal")
    assert "did you mean t4-small?" in info.value.hint


def test_token_resolution_order_and_sources(tmp_path: Path) -> None:
    from spacepack.hub import require_token, resolve_token, token_source

    (tmp_path / "token").write_text("hf_saved_token\n")
    env = {"HF_HOME": str(tmp_path)}
    assert resolve_token(None, env) == ("hf_saved_token", f"saved login ({tmp_path / 'token'})")
    assert token_source({**env, "HUGGING_FACE_HUB_TOKEN": "hf_b"}) == "HUGGING_FACE_HUB_TOKEN"
    assert resolve_token(None, {**env, "HF_TOKEN": "hf_env"}) == ("hf_env", "HF_TOKEN")
    assert resolve_token("hf_flag", {**env, "HF_TOKEN": "hf_env"}) == ("hf_flag", "--token")
    assert token_source({"HF_HOME": str(tmp_path / "empty")}) is None
    with pytest.raises(AuthError, match="no Hugging Face token") as info:
        require_token(None, {"HF_HOME": str(tmp_path / "empty")})
    assert "hf auth login" in info.value.hint


def test_hub_endpoint_is_read_at_call_time() -> None:
    from spacepack.hub import get_hf_api, hub_endpoint

    assert hub_endpoint({}) == "https://huggingface.co"
    assert hub_endpoint({"HF_ENDPOINT": "http://127.0.0.1:9/"}) == "http://127.0.0.1:9"
    assert get_hf_api("t", environ={"HF_ENDPOINT": "http://127.0.0.1:9"}).endpoint == "http://127.0.0.1:9"


def test_known_regular_files_are_changed_small_text_files_that_were_regular() -> None:
    from spacepack.push import KNOWN_REGULAR_MAX_BYTES, RemoteView, UploadDiff, known_regular_files
    from spacepack.push import FileEntry as Entry

    local = [
        LocalFile("a.py", 10, "new", "s", text=True),
        LocalFile("big.txt", KNOWN_REGULAR_MAX_BYTES + 1, "new", "s", text=True),
        LocalFile("w.bin", 10, "new", "s", text=False),
        LocalFile("lfs.txt", 10, "new", "s", text=True),
        LocalFile("fresh.py", 10, "new", "s", text=True),
    ]
    remote = RemoteView(
        exists=True,
        files={
            "a.py": RemoteFile("a.py", 9, "old"),
            "big.txt": RemoteFile("big.txt", 9, "old"),
            "w.bin": RemoteFile("w.bin", 9, "old"),
            "lfs.txt": RemoteFile("lfs.txt", 9, "old", "sha"),
        },
    )
    changed = tuple(Entry(f.path, f.size) for f in local[:4])
    diff = UploadDiff(added=(Entry("fresh.py", 10),), changed=changed)
    assert known_regular_files(local, diff, remote) == {"a.py"}
    with_rules = UploadDiff(added=(Entry(".gitignore", 3),), changed=changed)
    assert known_regular_files([*local, LocalFile(".gitignore", 3, "g", "s", True)], with_rules, remote) == set()


def test_local_files_tell_text_from_binary(tmp_path: Path) -> None:
    from spacepack.push import local_files
    from spacepack.render.context import Context

    build_file_tree(tmp_path, {"a.py": "print(1)\n", "b.bin": b"\x89PNG\x00\x00"})
    found = {f.path: f.text for f in local_files(Context(tmp_path, (), dockerfile="", readme="", metadata={}))}
    assert found == {"a.py": True, "b.bin": False}
