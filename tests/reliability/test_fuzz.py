"""Fuzzing beyond tests/test_check_deps_fuzz.py and tests/test_metadata.py.

Those feed random *text*; most real crashes hide in documents that parse fine
but hold the wrong types, so these feed valid TOML/YAML of random shape, whole
random source files to `check`, and random secrets files. Every input ends in
a result or in spacepack's own error types, never another exception.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacepack.check import check_project
from spacepack.check.formats.pipfile import parse_pipfile
from spacepack.check.formats.poetry_lock import parse_poetry_lock
from spacepack.check.formats.pyproject import parse_pyproject
from spacepack.check.formats.uv_lock import parse_uv_lock
from spacepack.check.manifests import resolve_closure
from spacepack.config import load_settings
from spacepack.errors import SpacepackError, UsageError
from spacepack.push import collect_secrets
from spacepack.render.readme import split_front_matter

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = st.sampled_from(
    [
        "name", "version", "dependencies", "optional-dependencies", "requires-python", "package", "source",
        "tool", "poetry", "uv", "spacepack", "metadata", "app_port", "colorFrom", "sdk", "entry", "python",
        "space", "hardware", "variables", "files", "packages", "extras", "markers", "dev-dependencies",
    ]
)  # fmt: skip
SCALARS = st.one_of(st.booleans(), st.integers(-(2**31), 2**31), st.text(max_size=12), st.floats(allow_nan=False))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=6)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def to_toml(document: dict[str, Any]) -> str:
    """Top-level tables as [tables], everything below inline: valid TOML of any shape."""
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in document.items() if not isinstance(v, dict)]
    for key, value in document.items():
        if isinstance(value, dict):
            lines.append(f"[{json.dumps(key)}]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


@FUZZ
@given(DOCUMENTS, DOCUMENTS)
def test_manifest_and_lock_readers_take_any_shape(document: dict[str, Any], nested: dict[str, Any]) -> None:
    for shaped in (document, {"project": nested, "tool": {"poetry": nested}}, {"package": [nested, document]}):
        text = to_toml(shaped)
        parse_pyproject(text, "pyproject.toml")
        parse_pipfile(text, "Pipfile")
        for parse in (parse_uv_lock, parse_poetry_lock):
            lock, _ = parse(text, "x.lock")
            if lock is not None:
                edges = [e for group in lock.packages.values() for p in group for e in p.dependencies]
                resolve_closure(lock, edges)


@FUZZ
@given(DOCUMENTS)
def test_config_file_of_any_shape_is_read_or_a_usage_error(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "spacepack.toml").write_text(to_toml(document), encoding="utf-8")
        (root / "pyproject.toml").write_text(to_toml({"tool": {"spacepack": document}}), encoding="utf-8")
        try:
            load_settings(root, environ={})
        except UsageError:
            pass


SOURCE_BITS = st.sampled_from(
    [
        "from fastapi import FastAPI\n", "app = FastAPI()\n", "import os\n", "os.environ['K']\n",
        "def create_app():\n    return FastAPI()\n", "app = create_app()\n", "app: FastAPI = FastAPI(\n",
        "\ufeff", "# -*- coding: latin-1 -*-\n", "\x00", "\udcff", "class A:\n", "    pass\n", "if True:\n",
        "from . import x\n", "async def f():\n    await g()\n", "@app.get('/h')\ndef h():\n    return 1\n",
    ]
)  # fmt: skip
SOURCES = st.one_of(st.lists(SOURCE_BITS, max_size=10).map("".join), st.text(max_size=200))


@FUZZ
@given(SOURCES, SOURCES, st.binary(max_size=64))
def test_entry_finder_and_env_scanner_take_any_source(main: str, other: str, junk: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "main.py").write_bytes(main.encode("utf-8", errors="surrogateescape"))
        (root / "app").mkdir()
        (root / "app" / "main.py").write_bytes(other.encode("utf-8", errors="surrogateescape"))
        (root / "app" / "junk.py").write_bytes(junk)
        (root / "requirements.txt").write_text("fastapi\n", encoding="utf-8")
        try:
            plan = check_project(load_settings(root, environ={}))
        except SpacepackError:
            return
        assert not plan.entry or ":" in plan.entry  # "" means no app found (an error finding)


@FUZZ
@given(st.text(max_size=300))
def test_readme_front_matter_is_split_or_a_spacepack_error(text: str) -> None:
    for candidate in (text, "---\n" + text + "\n---\nbody\n"):
        try:
            front, body = split_front_matter(candidate)
        except SpacepackError:
            continue
        assert front is None or isinstance(front, dict)
        assert isinstance(body, str)


SECRET_VALUES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop0123456789_-", min_size=12, max_size=30)


@FUZZ
@given(SECRET_VALUES, st.sampled_from(["{v}", "NAME={v}", "{v}={v}", "1BAD={v}", "export NAME={v}", "NAME=", " ={v}"]))
def test_secrets_file_errors_never_echo_a_value(value: str, shape: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "space.secrets"
        path.write_text(shape.format(v=value) + "\n", encoding="utf-8")
        try:
            found = collect_secrets([], path, {})
        except UsageError as error:
            assert value[:5] not in f"{error.message} {error.hint}"
            return
        assert all(isinstance(v, str) and v for v in found.values())
