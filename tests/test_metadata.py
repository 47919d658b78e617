"""Space README metadata: defaults, merge with an existing README, offline validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacepack.config import Settings
from spacepack.errors import MetadataError
from spacepack.plan import Dependencies, Plan
from spacepack.render import build_metadata, render_context, validate_metadata
from spacepack.render.metadata import KNOWN_KEYS, LICENSES, merge_metadata, short_description
from spacepack.render.readme import compose_readme, split_front_matter
from tests.helpers import build_file_tree


def make_plan(root: Path, **overrides: Any) -> Plan:
    values: dict[str, Any] = {
        "root": root,
        "backend_dir": ".",
        "entry": "main:app",
        "factory": False,
        "working_dir": ".",
        "python": "3.11",
        "python_source": "default",
        "project_name": "todo-api",
        "description": "A small FastAPI backend for a todo app: every user gets their own list of tasks.",
        "dependencies": Dependencies(packages=("fastapi",), requirements=("fastapi",)),
    }
    values.update(overrides)
    return Plan(**values)


def test_defaults_are_valid_and_sensible(tmp_path: Path) -> None:
    metadata = build_metadata(make_plan(tmp_path), Settings(project_dir=tmp_path))
    assert list(metadata)[:6] == ["title", "emoji", "colorFrom", "colorTo", "sdk", "app_port"]
    assert metadata["title"] == "todo-api" and metadata["sdk"] == "docker" and metadata["app_port"] == 7860
    assert metadata["tags"] == ["fastapi", "spacepack"] and metadata["pinned"] is False
    assert len(metadata["short_description"]) <= 60
    assert metadata["short_description"] == "A small FastAPI backend for a todo app: every user gets…"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Short.", "Short."),
        ("  spaced   out\ntext ", "spaced out text"),
        ("x" * 80, "x" * 59 + "…"),
        ("word " * 20, "word word word word word word word word word word word…"),
    ],
)
def test_short_description_is_cut_at_a_word(text: str, expected: str) -> None:
    assert short_description(text) == expected
    assert len(short_description(text)) <= 60


def test_config_wins_over_readme_which_wins_over_defaults(tmp_path: Path) -> None:
    existing = {"title": "Mine", "colorFrom": "green", "emoji": "🦀", "sdk": "gradio", "license": "mit"}
    settings = Settings(project_dir=tmp_path, metadata={"colorFrom": "red", "hf_oauth": True}, app_port=8080)
    metadata, notes = merge_metadata(make_plan(tmp_path), settings, existing)
    assert metadata["title"] == "Mine" and metadata["emoji"] == "🦀" and metadata["license"] == "mit"
    assert metadata["colorFrom"] == "red" and metadata["hf_oauth"] is True
    assert metadata["sdk"] == "docker" and metadata["app_port"] == 8080
    assert any("colorFrom 'green' -> 'red'" in note for note in notes)
    assert any("sdk 'gradio' -> 'docker'" in note for note in notes)


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("colorFrom", "#ff0000", "red, yellow, green, blue, indigo, purple, pink, gray"),
        ("colorTo", "orange", "gray"),
        ("short_description", "x" * 61, "at most 60 characters (61 characters)"),
        ("app_port", 70000, "an integer from 1 to 65535"),
        ("app_port", "7860", "an integer from 1 to 65535"),
        ("app_port", True, "an integer from 1 to 65535"),
        ("header", "big", "mini, default"),
        ("suggested_hardware", "t4-smal", "did you mean 't4-small'"),
        ("license", "MIT", "apache-2.0"),
        ("pinned", "yes", "true or false"),
        ("tags", "fastapi", "a list of strings"),
        ("models", ["not a repo id!"], "repo ids"),
        ("hf_oauth_expiration_minutes", 43201, "from 1 to 43200"),
        ("hf_oauth_scopes", ["email", "root"], "scopes"),
        ("startup_duration_timeout", "an hour", '"30m", "1h"'),
        ("base_path", "docs", 'starting with "/"'),
        ("custom_headers", {"x-frame-options": "deny"}, "cross-origin-embedder-policy"),
        ("custom_headers", {"cross-origin-opener-policy": "Same-Origin"}, "a lowercase string"),
        ("preload_from_hub", ["owner/model files notasha"], "commit sha"),
        ("emoji", "ok", "a single emoji"),
        ("sdk", "gradio", "docker"),
        ("python_version", "2.7", '"3.11"'),
        ("thumbnail", "ftp://x", "http(s) URL"),
        ("hf_oauth_authorized_org", [], "organization"),
    ],
)
def test_each_error_names_key_value_and_allowed(key: str, value: Any, allowed: str) -> None:
    with pytest.raises(MetadataError) as caught:
        validate_metadata({key: value})
    message = caught.value.message
    assert f"'{key}" in message and allowed in message
    # The bad value is shown: the whole value, or the offending item / header value.
    shown = {"hf_oauth_scopes": "'root'", "custom_headers": "", "preload_from_hub": "notasha", "models": "repo id!"}
    assert shown.get(key, repr(value)[:20]) in message


@pytest.mark.parametrize(
    "metadata",
    [
        {"custom_headers": {"cross-origin-embedder-policy": "require-corp"}},
        {"preload_from_hub": ["owner/model", "owner/model a.bin,b.json", "owner/m x " + "a" * 40]},
        {"hf_oauth_authorized_org": "my-org", "hf_oauth_scopes": ["email", "read-repos"]},
        {"startup_duration_timeout": "1h30m", "base_path": "/docs", "fullWidth": False, "header": "mini"},
        {"license": "other", "license_name": "my-license", "license_link": "LICENSE"},
        {"emoji": "🧑‍💻", "suggested_storage": "small", "app_port": 1, "datasets": ["owner/ds"]},
    ],
)
def test_valid_metadata_passes(metadata: dict[str, Any]) -> None:
    validate_metadata(metadata)


def test_unknown_key_suggests_the_right_one() -> None:
    with pytest.raises(MetadataError, match=r"unknown key 'colourFrom'\. Did you mean 'colorFrom'\?"):
        validate_metadata({"colourFrom": "red"})


def test_license_other_needs_a_name() -> None:
    with pytest.raises(MetadataError, match="license_name"):
        validate_metadata({"license": "other"})


@pytest.mark.parametrize(
    ("written", "hub_id"),
    [("MIT", "mit"), ("Apache 2.0", "apache-2.0"), ("Apache-2.0", "apache-2.0"), ("GPL-3.0-only", "gpl-3.0")],
)
def test_a_common_license_spelling_is_written_as_the_hub_id(tmp_path: Path, written: str, hub_id: str) -> None:
    settings = Settings(project_dir=tmp_path, metadata={"license": written})
    metadata, notes = merge_metadata(make_plan(tmp_path), settings)
    assert metadata["license"] == hub_id
    assert any("license" in note and hub_id in note for note in notes)


def test_an_unknown_license_gets_a_did_you_mean() -> None:
    with pytest.raises(MetadataError, match=r"did you mean 'apache-2.0'\?"):
        validate_metadata({"license": "Apache 2.1"})
    with pytest.raises(MetadataError, match="license id"):
        validate_metadata({"license": "my own terms"})


def test_license_list_is_the_hub_list() -> None:
    assert len(LICENSES) >= 80 and len(set(LICENSES)) == len(LICENSES)
    assert {"apache-2.0", "mit", "cc-by-4.0", "gpl-3.0", "llama3", "gemma", "unknown", "other"} <= set(LICENSES)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=70),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=30), children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(KNOWN_KEYS) | st.text(max_size=20) | st.integers(),
        json_values | st.sampled_from(["red", "docker", "mit", "cpu-basic", "/x", "1h", "🚀"]),
        max_size=6,
    )
)
def test_validator_raises_only_metadata_errors(metadata: dict[Any, Any]) -> None:
    try:
        validate_metadata(metadata)
    except MetadataError as error:
        assert error.message and error.hint


# --- the README file -------------------------------------------------------------------------


def test_front_matter_round_trip_keeps_the_body_byte_for_byte() -> None:
    body = "# Title\r\n\r\nTrailing spaces   \n---\nnot front matter\n\n"
    text = "---\ntitle: Old\ncolorFrom: green\n---\n" + body
    existing, kept = split_front_matter(text)
    assert existing == {"title": "Old", "colorFrom": "green"} and kept == body
    assert split_front_matter(compose_readme({"title": "New"}, kept)) == ({"title": "New"}, body)
    assert split_front_matter("# no front matter\n") == (None, "# no front matter\n")
    assert split_front_matter("---\n---\nbody\n") == ({}, "body\n")


@pytest.mark.parametrize(("text", "words"), [("---\ntitle: [\n---\n", "not valid YAML"), ("---\n- a\n---\n", "table")])
def test_broken_front_matter_is_a_metadata_error(text: str, words: str) -> None:
    with pytest.raises(MetadataError, match=words):
        split_front_matter(text)


def test_existing_readme_body_is_kept_and_front_matter_merged(tmp_path: Path) -> None:
    body = "# My API\n\nHand-written docs, kept as they are.\n"
    root = build_file_tree(
        tmp_path / "p",
        {"main.py": "app = None\n", "README.md": "---\ntitle: Mine\ncolorTo: pink\ntags: [api]\n---\n" + body},
    )
    settings = Settings(project_dir=root, metadata={"colorTo": "purple", "license": "apache-2.0"})
    context = render_context(make_plan(root), settings)
    readme = (context.path / "README.md").read_text(encoding="utf-8")
    assert readme.endswith("---\n" + body)
    metadata, kept = split_front_matter(readme)
    assert kept == body
    assert metadata == dict(context.metadata)
    assert metadata is not None
    assert metadata["title"] == "Mine" and metadata["colorTo"] == "purple" and metadata["tags"] == ["api"]
    assert any("kept the body of README.md" in note for note in context.notes)
    assert any("colorTo 'pink' -> 'purple'" in note for note in context.notes)
    assert (root / "README.md").read_text(encoding="utf-8").startswith("---\ntitle: Mine\n")  # tree untouched


def test_invalid_config_metadata_stops_the_render(tmp_path: Path) -> None:
    root = build_file_tree(tmp_path / "p", {"main.py": "app = None\n"})
    with pytest.raises(MetadataError, match="colorFrom"):
        render_context(make_plan(root), Settings(project_dir=root, metadata={"colorFrom": "#123456"}))
    assert not (root / ".spacepack" / "context").exists()
