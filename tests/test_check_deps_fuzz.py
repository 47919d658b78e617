"""Fuzz: any manifest, lock or module text gives a result or a SpacepackError, never another exception."""

from __future__ import annotations

import ast
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacepack.check.deps import read_dependencies
from spacepack.check.envvars import scan_env
from spacepack.check.formats.pipfile import parse_pipfile
from spacepack.check.formats.poetry_lock import parse_poetry_lock
from spacepack.check.formats.pyproject import parse_pyproject, poetry_constraint
from spacepack.check.formats.requirements import parse_requirements
from spacepack.check.formats.uv_lock import parse_uv_lock
from spacepack.check.manifests import resolve_closure
from spacepack.check.python_version import detect_python
from spacepack.check.tree import load_tree
from spacepack.errors import SpacepackError

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REQUIREMENT_ALPHABET = st.sampled_from(
    list("abcxyz-_.[],;<>=!~^* @#/\\:\"'\n\t0123456789") + ["-r ", "-c ", "-e ", "--hash=", "git+https://", "\ufeff"]
)
requirement_text = st.lists(REQUIREMENT_ALPHABET, max_size=80).map("".join)
toml_text = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.sampled_from(
            [
                "[project]\n",
                'name = "x"\n',
                'dependencies = ["fastapi", 1, "bad req!!"]\n',
                'requires-python = ">=3.10"\n',
                "[tool.poetry.dependencies]\n",
                'python = "^3.11"\n',
                'fastapi = {version = "^0.1", extras = ["all"], optional = false}\n',
                'bad = {path = "../x"}\n',
                "odd = [1, 2]\n",
                "[[package]]\n",
                'version = "1.0"\n',
                'dependencies = [{ name = "x" }, { nope = 1 }]\n',
                'source = { editable = "." }\n',
                "[package.dependencies]\n",
                'x = ">=1"\n',
                "[package.optional-dependencies]\n",
                'extra = [{ name = "y", marker = "bad marker" }]\n',
                "[metadata]\n",
                'python-versions = "~3.x"\n',
            ]
        ),
        max_size=25,
    ).map("".join),
)


@FAST
@given(requirement_text, requirement_text)
def test_parse_requirements_never_crashes(main: str, other: str) -> None:
    files = {"requirements.txt": main, "b.txt": other, "a.txt": "-r b.txt\n" + other}
    result = parse_requirements("requirements.txt", files.get)
    assert all(isinstance(r.line, str) for r in result.requirements)


@FAST
@given(toml_text)
def test_toml_readers_never_crash(text: str) -> None:
    parse_pyproject(text, "pyproject.toml")
    parse_pipfile(text, "Pipfile")
    for parse in (parse_uv_lock, parse_poetry_lock):
        lock, _ = parse(text, "x.lock")
        if lock is not None:
            roots = [p.dependencies for group in lock.packages.values() for p in group]
            resolve_closure(lock, [edge for edges in roots for edge in edges])


@FAST
@given(st.text(alphabet="^~<>=!,| *.0123456789ab", max_size=30))
def test_poetry_constraint_raises_only_value_error(text: str) -> None:
    try:
        poetry_constraint(text)
    except ValueError:
        pass


python_text = st.lists(
    st.sampled_from(
        [
            "import os\n",
            "from os import environ as E, getenv\n",
            "from pydantic_settings import BaseSettings\n",
            "class S(BaseSettings):\n    a: str\n    b: int = Field(alias=1)\n    model_config = {1: 2}\n",
            "class T(S):\n    c: str = 'x'\n    class Config:\n        env_prefix = 3\n",
            "x = os.getenv()\n",
            "y = os.environ.get(1, 2)\n",
            "z = E[os.sep]\n",
            "getenv(*args, **kw)\n",
            "s = S()\n",
            "os.makedirs(path)\n",
            "Path().mkdir()\n",
            "def f(a=os.environ['A']):\n    return T()\n",
            "if __name__ == '__main__':\n    f()\n",
            "lambda: os.environ['L']\n",
        ]
    ),
    max_size=12,
).map("".join)


@FAST
@given(python_text, toml_text, requirement_text)
def test_project_level_checks_never_crash(source: str, pyproject: str, requirements: str) -> None:
    ast.parse(source)  # the snippets are valid Python: the scanners see a real AST
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "main.py").write_text(source, encoding="utf-8")
        (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
        (root / "requirements.txt").write_text(requirements, encoding="utf-8")
        (root / "uv.lock").write_text(pyproject, encoding="utf-8")
        try:
            tree = load_tree(root)
            read_dependencies(tree, ".", ".")
            scan_env(tree, ".")
            detect_python(tree, ".")
        except SpacepackError:
            pass
