"""Dependencies: manifests, locks, import checks, system packages."""

from __future__ import annotations

from pathlib import Path

from spacepack.check.deps import read_dependencies
from spacepack.check.formats.pyproject import poetry_constraint
from spacepack.check.formats.requirements import parse_requirements
from spacepack.check.tree import load_tree
from tests.helpers import build_file_tree

APP = "from fastapi import FastAPI\napp = FastAPI()\n"


def check(
    tmp_path: Path,
    spec: dict[str, str | bytes],
    backend: str = ".",
    working: str | None = None,
    infer: bool = True,
):
    build_file_tree(tmp_path, spec)
    return read_dependencies(load_tree(tmp_path), backend, working or backend, infer=infer)


def codes(report) -> list[str]:
    return [f.code for f in report.findings]


def test_requirements_with_includes_constraints_markers_and_extras(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "requirements.txt": """\
                -r reqs/base.txt  # shared
                -c constraints.txt
                fastapi[standard]>=0.110 ; python_version >= "3.8"
                --extra-index-url https://download.pytorch.org/whl/cpu
                requests \\
                    >=2
                """,
            "reqs/base.txt": "uvicorn\nsqlmodel\n",
            "constraints.txt": "uvicorn==0.30.0\nnumpy==1.0\n",
            "main.py": APP,
        },
    )
    deps = report.dependencies
    assert deps.requirements == (
        "--extra-index-url https://download.pytorch.org/whl/cpu",
        "uvicorn==0.30.0",
        "sqlmodel",
        'fastapi[standard]>=0.110; python_version >= "3.8"',
        "requests>=2",
    )
    assert deps.packages == ("fastapi", "requests", "sqlmodel", "uvicorn")
    assert "numpy" not in deps.packages  # constraints never add a requirement
    assert deps.sources[0].path == "requirements.txt"
    assert "reqs/base.txt" in deps.sources[0].install
    assert "SP203" not in codes(report)


def test_editable_local_path_is_skipped_with_a_finding(tmp_path: Path) -> None:
    report = check(tmp_path, {"requirements.txt": "-e .\n./libs/shared\nfastapi\nuvicorn\n", "main.py": APP})
    assert report.dependencies.requirements == ("fastapi", "uvicorn")
    assert [f.line for f in report.findings if f.code == "SP207"] == [1, 2]


def test_missing_include_and_invalid_line_are_errors(tmp_path: Path) -> None:
    report = check(tmp_path, {"requirements.txt": "-r nope.txt\nfastapi===\nuvicorn\n", "main.py": APP})
    errors = {f.code: f for f in report.findings if f.severity == "error"}
    assert errors["SP209"].line == 1
    assert errors["SP208"].line == 2


def test_requirements_bom_and_hashes(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {"requirements.txt": "\ufefffastapi==0.110.0 --hash=sha256:abc\nuvicorn==0.30.0\n", "main.py": APP},
    )
    assert report.dependencies.requirements == ("fastapi==0.110.0", "uvicorn==0.30.0")


def test_split_manifests_are_united_and_said_so(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\n",
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["httpx>=0.27", "fastapi>=0.100"]\n',
            "main.py": APP + "import httpx\n",
        },
    )
    assert report.dependencies.requirements == ("fastapi", "uvicorn", "httpx>=0.27")
    assert [s.kind for s in report.dependencies.sources] == ["requirements", "pyproject"]
    assert "SP201" in codes(report)
    assert "SP203" not in codes(report)


def test_pep621_optional_dependencies_are_not_runtime(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "pyproject.toml": """\
                [project]
                name = "x"
                dependencies = ["fastapi", "uvicorn"]
                [project.optional-dependencies]
                dev = ["pytest"]
                """,
            "main.py": APP,
        },
    )
    assert report.dependencies.packages == ("fastapi", "uvicorn")
    assert "SP205" not in codes(report)


UV_LOCK = """\
version = 1
requires-python = ">=3.11"

[manifest]
members = ["todo", "shared"]

[[package]]
name = "todo"
version = "0.1.0"
source = { editable = "backend" }
dependencies = [
    { name = "fastapi", extra = ["standard"] },
    { name = "sqlmodel" },
    { name = "colorama", marker = "sys_platform == 'win32'" },
    { name = "shared" },
]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "shared"
version = "0.1.0"
source = { editable = "shared" }
dependencies = [{ name = "httpx" }]

[[package]]
name = "fastapi"
version = "0.115.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "starlette" }, { name = "pydantic" }]

[package.optional-dependencies]
standard = [{ name = "uvicorn" }]

[[package]]
name = "starlette"
version = "0.38.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pydantic"
version = "2.9.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "sqlmodel"
version = "0.0.22"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "sqlalchemy" }, { name = "pydantic" }]

[[package]]
name = "sqlalchemy"
version = "2.0.35"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "uvicorn"
version = "0.30.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "httpx"
version = "0.27.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.3.3"
source = { registry = "https://pypi.org/simple" }
"""


def test_uv_workspace_lock_one_level_up_gives_the_pinned_closure(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["backend", "shared"]\n',
            "uv.lock": UV_LOCK,
            "backend/pyproject.toml": """\
                [project]
                name = "todo"
                dependencies = ["fastapi[standard]", "sqlmodel", "shared"]
                [dependency-groups]
                dev = ["pytest"]
                """,
            "backend/main.py": APP + "import sqlalchemy\nimport httpx\n",
        },
        backend="backend",
    )
    deps = report.dependencies
    assert deps.requirements == (
        'colorama==0.4.6; sys_platform == "win32"',
        "fastapi==0.115.0",
        "httpx==0.27.2",
        "pydantic==2.9.0",
        "sqlalchemy==2.0.35",
        "sqlmodel==0.0.22",
        "starlette==0.38.0",
        "uvicorn==0.30.6",
    )
    assert "pytest" not in deps.packages and "shared" not in deps.packages
    assert deps.sources[0].kind == "uv.lock" and deps.sources[0].path == "uv.lock"
    assert "SP203" not in codes(report)  # sqlalchemy comes through sqlmodel in the closure
    assert "SP204" not in codes(report)
    assert any(f.code == "SP207" and "shared" in f.message for f in report.findings)


def test_uv_lock_beside_a_backend_given_as_root_looks_one_level_up(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "uv.lock": UV_LOCK,
            "backend/pyproject.toml": '[project]\nname = "todo"\ndependencies = ["fastapi", "sqlmodel"]\n',
            "backend/main.py": APP,
        },
    )
    report = read_dependencies(load_tree(tmp_path / "backend"), ".", ".")
    assert report.dependencies.sources[0].path == "../uv.lock"
    assert "sqlmodel==0.0.22" in report.dependencies.requirements


def test_stale_uv_lock_adds_the_missing_declaration(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "uv.lock": UV_LOCK.replace('source = { editable = "backend" }', 'source = { editable = "." }'),
            "pyproject.toml": '[project]\nname = "todo"\ndependencies = ["fastapi", "redis"]\n',
            "main.py": APP,
        },
    )
    # The lock's own edges are the roots; redis is declared but not locked.
    assert "redis" in report.dependencies.requirements
    assert "SP201" in codes(report)


POETRY_PYPROJECT = """\
[tool.poetry]
name = "svc"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.11"
fastapi = "^0.110"
uvicorn = {version = "^0.29", extras = ["standard"]}
boto3 = {version = "*", optional = true}

[tool.poetry.group.dev.dependencies]
pytest = "^8"
"""

POETRY_LOCK = """\
[[package]]
name = "fastapi"
version = "0.110.3"
optional = false
python-versions = ">=3.8"

[package.dependencies]
pydantic = ">=1.7.4"
starlette = ">=0.37.2,<0.38.0"

[package.extras]
all = ["email-validator (>=2.0.0)"]

[[package]]
name = "pydantic"
version = "2.7.1"
optional = false
python-versions = ">=3.8"

[[package]]
name = "starlette"
version = "0.37.2"
optional = false
python-versions = ">=3.8"

[[package]]
name = "uvicorn"
version = "0.29.0"
optional = false
python-versions = ">=3.8"

[package.dependencies]
h11 = ">=0.8"
uvloop = {version = ">=0.14.0", optional = true, markers = "sys_platform != \\"win32\\""}

[package.extras]
standard = ["uvloop (>=0.14.0,!=0.15.0)"]

[[package]]
name = "h11"
version = "0.14.0"
optional = false
python-versions = ">=3.7"

[[package]]
name = "uvloop"
version = "0.19.0"
optional = false
python-versions = ">=3.8"

[[package]]
name = "pytest"
version = "8.2.0"
optional = false
python-versions = ">=3.8"

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "x"
"""


def test_poetry_only_project_uses_the_lock_main_group(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {"pyproject.toml": POETRY_PYPROJECT, "poetry.lock": POETRY_LOCK, "main.py": APP + "import starlette\n"},
    )
    assert report.dependencies.requirements == (
        "fastapi==0.110.3",
        "h11==0.14.0",
        "pydantic==2.7.1",
        "starlette==0.37.2",
        "uvicorn==0.29.0",
        'uvloop==0.19.0; sys_platform != "win32"',
    )
    assert "pytest" not in report.dependencies.packages
    assert report.dependencies.sources[0].kind == "poetry.lock"
    assert not [f for f in report.findings if f.severity == "error"]


def test_poetry_without_lock_converts_constraints(tmp_path: Path) -> None:
    report = check(tmp_path, {"pyproject.toml": POETRY_PYPROJECT, "main.py": APP})
    assert report.dependencies.requirements == ("fastapi<0.111,>=0.110", "uvicorn[standard]<0.30,>=0.29")
    assert report.dependencies.packages == ("fastapi", "uvicorn")


def test_poetry_constraints() -> None:
    assert [str(s) for s in poetry_constraint("^3.11")] == ["<4,>=3.11"]
    assert [str(s) for s in poetry_constraint("~1.2.3")] == ["<1.3,>=1.2.3"]
    assert [str(s) for s in poetry_constraint("^0.2.3")] == ["<0.3,>=0.2.3"]
    assert [str(s) for s in poetry_constraint(">=3.9 <3.13")] == ["<3.13,>=3.9"]
    assert len(poetry_constraint("~3.10 || ^3.12")) == 2


def test_pipfile_packages(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "Pipfile": '[packages]\nfastapi = "==0.110.0"\nuvicorn = {version = "*", extras = ["standard"]}\n',
            "main.py": APP,
        },
    )
    assert report.dependencies.requirements == ("fastapi==0.110.0", "uvicorn[standard]")
    assert report.dependencies.sources[0].kind == "pipfile"


def test_no_manifest_infers_from_imports_and_warns(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "main.py": APP + "from jose import jwt\nimport jwt as pyjwt\nimport yaml, os, json\nfrom PIL import Image\n"
            "import sklearn\nimport cv2\nfrom bs4 import BeautifulSoup\nimport dotenv\nfrom helpers import x\n"
            "from . import sibling\n",
            "helpers.py": "x = 1\n",
        },
    )
    deps = report.dependencies
    assert set(deps.packages) == {
        "fastapi", "python-jose", "pyjwt", "pyyaml", "pillow", "scikit-learn", "opencv-python-headless",
        "beautifulsoup4", "python-dotenv", "uvicorn",
    }  # fmt: skip
    assert "helpers" not in deps.packages and "os" not in deps.packages
    assert deps.sources[0].kind == "imports"
    assert "SP202" in codes(report) and "SP203" not in codes(report)


def test_undeclared_import_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "requirements.txt": "fastapi\npython-jose\nPyJWT\nsqlmodel\n",
            "app/main.py": APP + "from jose import jwt\nimport jwt\nimport sqlalchemy\nimport pydantic\nimport redis\n",
            "app/extra.py": "try:\n    import orjson\nexcept ImportError:\n    orjson = None\n"
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import boto3\n",
            "tests/test_app.py": "import pytest\nimport respx\n",
        },
        infer=False,
    )
    errors = [f for f in report.findings if f.code == "SP203"]
    assert len(errors) == 1
    assert errors[0].path == "app/main.py" and errors[0].line == 7
    assert "redis" in errors[0].message and "redis" in errors[0].hint


def test_uvicorn_missing_is_info_and_added(tmp_path: Path) -> None:
    report = check(tmp_path, {"requirements.txt": "fastapi\n", "main.py": APP + "import uvicorn\n"})
    assert [f.severity for f in report.findings if f.code == "SP204"] == ["info"]
    assert "SP203" not in codes(report)
    assert report.dependencies.requirements[-1] == "uvicorn"


def test_uvicorn_through_fastapi_standard_is_enough(tmp_path: Path) -> None:
    report = check(tmp_path, {"requirements.txt": "fastapi[standard]\n", "main.py": APP})
    assert "SP204" not in codes(report)


def test_test_tools_in_runtime_deps_warn(tmp_path: Path) -> None:
    report = check(tmp_path, {"requirements.txt": "fastapi\nuvicorn\npytest\npytest-asyncio\nruff\n", "main.py": APP})
    warning = next(f for f in report.findings if f.code == "SP205")
    assert warning.severity == "warning"
    assert "pytest, pytest-asyncio, ruff" in warning.message


def test_native_builds_add_system_packages(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\npsycopg2==2.9.9\nmysqlclient\ngit+https://github.com/o/r.git#egg=r\n",
            "main.py": APP,
        },
    )
    assert report.system_packages == ("build-essential", "default-libmysqlclient-dev", "pkg-config", "libpq-dev", "git")
    assert [f.severity for f in report.findings if f.code == "SP206"] == ["info"] * 3


def test_psycopg2_binary_needs_nothing(tmp_path: Path) -> None:
    report = check(
        tmp_path, {"requirements.txt": "fastapi\nuvicorn\npsycopg2-binary\n", "main.py": APP + "import psycopg2\n"}
    )
    assert report.system_packages == ()
    assert "SP203" not in codes(report)


def test_manifest_in_parent_of_backend_is_used(tmp_path: Path) -> None:
    report = check(
        tmp_path, {"requirements.txt": "fastapi\nuvicorn\n", "backend/src/main.py": APP}, backend="backend/src"
    )
    assert report.dependencies.sources[0].path == "requirements.txt"


def test_bad_pyproject_toml_is_a_finding(tmp_path: Path) -> None:
    report = check(tmp_path, {"pyproject.toml": "[project\nname=", "main.py": APP})
    assert any(f.code == "SP208" and f.severity == "error" for f in report.findings)


def test_parse_requirements_include_cycle_terminates() -> None:
    files = {"a.txt": "-r b.txt\nfastapi\n", "b.txt": "-r a.txt\nuvicorn\n"}
    result = parse_requirements("a.txt", files.get)
    assert [r.name for r in result.requirements] == ["uvicorn", "fastapi"]
