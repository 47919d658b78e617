"""Unit tests of push decisions: the diff, the guard, the message, secrets and variables, ids, tokens."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from spacepack.errors import AuthError, UsageError
from spacepack.push import (
    DEFAULT_MESSAGE,
    LocalFile,
    RemoteFile,
    collect_secrets,
    commit_message,
    diff_files,
    file_ids,
    guard_uploads,
    parse_variables,
)
from tests.helpers import build_file_tree


def _local(path: str, blob: str, sha: str = "s") -> LocalFile:
    return LocalFile(path, 10, blob, sha)


def test_diff_sorts_files_into_added_changed_deleted_unchanged() -> None:
    local = [_local("Dockerfile", "a"), _local("app.py", "b"), _local("new.py", "c")]
    remote = {
        "Dockerfile": RemoteFile("Dockerfile", 10, "a"),
        "app.py": RemoteFile("app.py", 10, "old"),
        "gone.py": RemoteFile("gone.py", 3, "x"),
        ".gitattributes": RemoteFile(".gitattributes", 5, "y"),
    }
    diff = diff_files(local, remote)
    assert [f.path for f in diff.added] == ["new.py"]
    assert [f.path for f in diff.changed] == ["app.py"]
    assert [f.path for f in diff.deleted] == ["gone.py"]
    assert [f.path for f in diff.unchanged] == ["Dockerfile"]
    assert not diff.empty


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


def test_validate_space_id() -> None:
    from spacepack.hub import space_app_url, validate_space_id

    assert validate_space_id("alice/todo-api") == "alice/todo-api"
    assert validate_space_id("spaces/alice/todo-api") == "alice/todo-api"
    for bad in ("todo-api", "alice/todo/api", "alice/", "alice/todo--api", "alice/-x", "alice/a b", "alice/x.git"):
        with pytest.raises(UsageError):
            validate_space_id(bad)
    assert space_app_url("Alice_B/My.App_1") == "https://alice-b-my-app-1.hf.space"


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
