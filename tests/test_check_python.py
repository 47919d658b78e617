"""Python version selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacepack.check.python_version import detect_python
from spacepack.check.tree import load_tree
from tests.helpers import build_file_tree


def choose(tmp_path: Path, spec: dict[str, str], backend: str = "."):
    build_file_tree(tmp_path, {"main.py": "x = 1\n", **spec})
    return detect_python(load_tree(tmp_path), backend)


def test_default_is_311_and_says_so(tmp_path: Path) -> None:
    choice = choose(tmp_path, {})
    assert (choice.version, choice.source) == ("3.11", "default")
    assert [f.code for f in choice.findings] == ["SP253"]
    assert "spacepack's default" in choice.findings[0].message


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (">=3.10", "3.10"),
        (">=3.8", "3.10"),
        (">=3.12", "3.12"),
        (">=3.10,<3.11", "3.10"),
        ("==3.12.*", "3.12"),
        (">=3.11.4", "3.11"),
        (">=3.14", "3.14"),
        ("==3.14.*", "3.14"),
        (">=3.14,<4.0", "3.14"),
    ],
)
def test_requires_python_picks_the_lowest_offered_version_it_allows(tmp_path: Path, spec: str, expected: str) -> None:
    choice = choose(tmp_path, {"pyproject.toml": f'[project]\nname = "x"\nrequires-python = "{spec}"\n'})
    assert choice.version == expected
    assert choice.source == "requires-python in pyproject.toml"
    why = [f for f in choice.findings if f.code == "SP253"]
    assert len(why) == 1 and why[0].severity == "info"
    assert f"python {expected}: the lowest version" in why[0].message and repr(spec) in why[0].message


def test_python_version_file_and_runtime_txt(tmp_path: Path) -> None:
    assert choose(tmp_path / "a", {".python-version": "3.12.3\n"}).version == "3.12"
    choice = choose(tmp_path / "b", {"runtime.txt": "python-3.10.14\n"})
    assert (choice.version, choice.source) == ("3.10", "runtime.txt")


def test_poetry_python_and_uv_lock(tmp_path: Path) -> None:
    poetry = choose(tmp_path / "a", {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.10"\n'})
    assert (poetry.version, poetry.source) == ("3.10", "Poetry's python in pyproject.toml")
    uv = choose(tmp_path / "b", {"uv.lock": 'version = 1\nrequires-python = ">=3.12, <3.13"\n'})
    assert (uv.version, uv.source) == ("3.12", "requires-python in uv.lock")


def test_pin_in_repository_root_applies_to_backend(tmp_path: Path) -> None:
    choice = choose(tmp_path, {".python-version": "3.12\n", "backend/app.py": "x = 1\n"}, backend="backend")
    assert choice.version == "3.12"


def test_conflicting_declarations_warn(tmp_path: Path) -> None:
    choice = choose(
        tmp_path,
        {".python-version": "3.12\n", "pyproject.toml": '[project]\nname = "x"\nrequires-python = "<3.12"\n'},
    )
    assert choice.version == "3.12"
    assert [f.code for f in choice.findings] == ["SP250", "SP253"]


def test_unsupported_only_versions_warn_with_nearest(tmp_path: Path) -> None:
    choice = choose(tmp_path, {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.7,<3.9"\n'})
    assert choice.version == "3.10"
    assert choice.findings[0].code == "SP251"
    old = choose(tmp_path / "b", {".python-version": "3.8\n"})
    assert old.version == "3.10" and old.findings[0].code == "SP251"  # the nearest offered, not the default
    new = choose(tmp_path / "c", {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.15"\n'})
    assert new.version == "3.14" and new.findings[0].code == "SP251"


def test_unreadable_declarations_are_ignored_with_a_warning(tmp_path: Path) -> None:
    choice = choose(tmp_path, {"runtime.txt": "pypy\n", "pyproject.toml": '[project]\nrequires-python = "banana"\n'})
    assert choice.version == "3.11"
    assert {f.code for f in choice.findings} == {"SP252", "SP253"}


def test_the_lowest_allowed_version_fits_the_lock(tmp_path: Path) -> None:
    # uv.lock made for >=3.12 pins uvloop 0.20.0, which has cp312 wheels and no cp313 ones.
    choice = choose(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.12"\ndependencies = ["uvloop==0.20.0"]\n',
            "uv.lock": 'version = 1\nrequires-python = ">=3.12"\n',
        },
    )
    assert choice.version == "3.12"


def test_an_exact_pin_wins_over_the_lowest_allowed(tmp_path: Path) -> None:
    choice = choose(
        tmp_path,
        {".python-version": "3.13\n", "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.10"\n'},
    )
    assert (choice.version, choice.source) == ("3.13", ".python-version")
    assert "pinned by .python-version" in choice.findings[-1].message


@pytest.mark.parametrize(
    ("spec", "version", "source"),
    [
        ({"Dockerfile": "FROM python:3.10.4-slim\nRUN pip install x\n"}, "3.10", "FROM in Dockerfile"),
        (
            {
                "docker/app/Dockerfile": "# FROM python:3.13\n"
                "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.12-slim AS base\n"
            },
            "3.12",
            "FROM in docker/app/Dockerfile",
        ),
        (
            {
                ".github/workflows/ci.yml": "jobs:\n  t:\n    strategy:\n      matrix:\n"
                "        python-version: ['3.13', '3.12']\n"
            },
            "3.12",
            "python-version in .github/workflows/ci.yml",
        ),
        ({"scripts/start.sh": "python3.13 -m uvicorn main:app\n"}, "3.13", "python3.13 in scripts/start.sh"),
        ({".tool-versions": "nodejs 20.1.0\npython 3.12.4\n"}, "3.12", "python in .tool-versions"),
    ],
)
def test_no_declaration_uses_the_projects_own_evidence(
    tmp_path: Path, spec: dict[str, str], version: str, source: str
) -> None:
    choice = choose(tmp_path, {"requirements.txt": "asyncpg==0.26.0\n", **spec})
    assert (choice.version, choice.source) == (version, source)
    why = choice.findings[-1]
    assert why.code == "SP253" and "declares no version" in why.message and why.path == source.rpartition(" ")[2]


def test_evidence_of_an_unoffered_version_takes_the_nearest(tmp_path: Path) -> None:
    choice = choose(tmp_path, {"Dockerfile": "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.8-slim\n"})
    assert choice.version == "3.10"
    assert "3.8 is not offered" in choice.findings[-1].message
    assert "SP254" not in [f.code for f in choice.findings]


# ------------------------------------------------------------------ 3.9: end of life, only when the project says it


def _end_of_life(choice) -> list:
    return [f for f in choice.findings if f.code == "SP254"]


@pytest.mark.parametrize(
    ("spec", "source"),
    [
        ({".python-version": "3.9.18\n"}, ".python-version"),
        ({"runtime.txt": "python-3.9.16\n"}, "runtime.txt"),
        ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = "==3.9.*"\n'}, "requires-python"),
        ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.8,<3.10"\n'}, "requires-python"),
        ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "~3.9"\n'}, "Poetry's python"),
        ({"Dockerfile": "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.9-slim\n"}, "FROM in Dockerfile"),
        ({".github/workflows/ci.yml": "    python-version: 3.9\n"}, "python-version in"),
        ({".github/workflows/ci.yml": "    python-version: ['3.8', '3.9']\n"}, "python-version in"),
        ({"scripts/run.sh": "python3.9 -m uvicorn main:app\n"}, "python3.9 in"),
    ],
)
def test_a_project_that_says_39_and_nothing_newer_gets_39_with_a_warning(
    tmp_path: Path, spec: dict[str, str], source: str
) -> None:
    choice = choose(tmp_path, {"requirements.txt": "emails==0.5.15\n", **spec})
    assert choice.version == "3.9"
    assert choice.source.startswith(source)
    (old,) = _end_of_life(choice)
    assert old.severity == "warning"
    assert "end of life (no security fixes)" in old.message and "3.10+" in old.hint
    why = [f for f in choice.findings if f.code == "SP253"]
    assert len(why) == 1 and why[0].message.startswith("python 3.9: ")
    assert "SP251" not in [f.code for f in choice.findings]  # 3.9 is offered, not "ignored"


@pytest.mark.parametrize(
    ("spec", "version"),
    [
        ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.9"\n'}, "3.10"),
        ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.9"\n'}, "3.10"),
        ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.8"\n'}, "3.10"),
        ({".github/workflows/ci.yml": "    python-version: ['3.9', '3.10', '3.11']\n"}, "3.10"),
        ({"Dockerfile": "FROM python:3.9-slim AS build\nFROM python:3.11-slim\n"}, "3.11"),
        # A constraint that allows newer wins over a Dockerfile that shows 3.9: evidence counts only without one.
        (
            {
                "Dockerfile": "FROM python:3.9-slim\n",
                "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.9"\n',
            },
            "3.10",
        ),
        ({}, "3.11"),
    ],
)
def test_a_project_that_allows_newer_never_gets_39(tmp_path: Path, spec: dict[str, str], version: str) -> None:
    choice = choose(tmp_path, spec)
    assert choice.version == version
    assert _end_of_life(choice) == []


def test_a_39_pin_wins_over_a_wider_constraint_and_says_both(tmp_path: Path) -> None:
    choice = choose(
        tmp_path,
        {".python-version": "3.9\n", "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.9"\n'},
    )
    assert (choice.version, choice.source) == ("3.9", ".python-version")
    assert [f.code for f in choice.findings] == ["SP253", "SP254"]


def test_older_than_39_stays_not_offered(tmp_path: Path) -> None:
    pinned = choose(tmp_path / "a", {".python-version": "3.8\n"})
    assert pinned.version == "3.10" and [f.code for f in pinned.findings][0] == "SP251"
    assert "spacepack offers 3.10–3.14, and 3.9 at end of life, so it is ignored" in pinned.findings[0].message
    assert _end_of_life(pinned) == []


def test_an_explicit_python_setting_replaces_the_detected_warning(tmp_path: Path) -> None:
    from spacepack.check import check_project
    from spacepack.config import load_settings
    from tests.helpers import SAMPLE_APP

    build_file_tree(
        tmp_path / "a",
        {".python-version": "3.9\n", "requirements.txt": "fastapi\n", "main.py": SAMPLE_APP},
    )
    overridden = check_project(load_settings(tmp_path / "a", {"python": "3.11"}))
    assert overridden.python == "3.11"
    assert [f for f in overridden.findings if f.code in {"SP253", "SP254"}] == []
    detected = check_project(load_settings(tmp_path / "a"))
    assert detected.python == "3.9" and [f.code for f in detected.findings if f.code == "SP254"] == ["SP254"]
    build_file_tree(tmp_path / "b", {"requirements.txt": "fastapi\n", "main.py": SAMPLE_APP})
    explicit = check_project(load_settings(tmp_path / "b", {"python": "3.9"}))
    (old,) = [f for f in explicit.findings if f.code == "SP254"]
    assert explicit.python == "3.9" and "python is set to it" in old.message


def test_dockerfile_evidence_wins_over_ci_and_declarations_win_over_both(tmp_path: Path) -> None:
    evidence = {
        "Dockerfile": "FROM python:3.12-slim\n",
        ".github/workflows/ci.yml": "python-version: '3.10'\n",
        "frontend/Dockerfile": "FROM node:20\n",
    }
    assert choose(tmp_path / "a", evidence).version == "3.12"
    declared = choose(tmp_path / "b", {**evidence, "pyproject.toml": '[project]\nrequires-python = ">=3.11"\n'})
    assert declared.version == "3.11"


def test_the_backend_folders_dockerfile_wins_over_the_roots(tmp_path: Path) -> None:
    choice = choose(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.13-slim\n",
            "backend/Dockerfile": "FROM python:3.10-slim\n",
            "backend/app.py": "x = 1\n",
        },
        backend="backend",
    )
    assert (choice.version, choice.source) == ("3.10", "FROM in backend/Dockerfile")


def test_the_offered_versions_are_one_list() -> None:
    from spacepack.check.python_version import DEFAULT_PYTHON, END_OF_LIFE_PYTHONS, SUPPORTED_PYTHONS
    from spacepack.doctor import DEFAULT_BASE_IMAGE
    from spacepack.findings import REGISTRY

    assert DEFAULT_PYTHON in SUPPORTED_PYTHONS and "3.14" in SUPPORTED_PYTHONS
    assert END_OF_LIFE_PYTHONS == ("3.9",) and not set(END_OF_LIFE_PYTHONS) & set(SUPPORTED_PYTHONS)
    minors = [int(v.split(".")[1]) for v in (*END_OF_LIFE_PYTHONS, *SUPPORTED_PYTHONS)]
    assert minors == sorted(minors)  # end of life is older than every maintained version
    assert DEFAULT_BASE_IMAGE == f"python:{DEFAULT_PYTHON}-slim"
    assert f"({SUPPORTED_PYTHONS[0]}–{SUPPORTED_PYTHONS[-1]}, and {END_OF_LIFE_PYTHONS[0]} at end of life)" in (
        REGISTRY["SP251"].summary
    )
    assert f"else {DEFAULT_PYTHON})" in REGISTRY["SP253"].summary


def test_poetry_post_release_constraint_is_read_and_the_lowest_python_chosen(tmp_path: Path) -> None:
    from spacepack.check import check_project
    from spacepack.config import load_settings
    from tests.helpers import SAMPLE_APP

    build_file_tree(
        tmp_path,
        {
            "pyproject.toml": """
                [tool.poetry.dependencies]
                python = "^3.10"
                fastapi = "*"
                email-validator = "^2.1.0.post1"
            """,
            "app/__init__.py": "",
            "app/main.py": SAMPLE_APP,
        },
    )
    plan = check_project(load_settings(tmp_path))
    assert [f for f in plan.findings if f.severity == "error"] == []
    assert "email-validator<3,>=2.1.0.post1" in plan.dependencies.requirements
    assert (plan.python, plan.python_source) == ("3.10", "Poetry's python in pyproject.toml")
    explicit = check_project(load_settings(tmp_path, {"python": "3.12"}))
    assert explicit.python == "3.12" and "SP253" not in {f.code for f in explicit.findings}


def test_standard_modules_of_a_newer_python_than_spacepacks_are_not_missing_dependencies(tmp_path: Path) -> None:
    from spacepack.check import check_project
    from spacepack.config import load_settings
    from tests.helpers import SAMPLE_APP

    build_file_tree(
        tmp_path,
        {
            ".python-version": "3.14\n",
            "requirements.txt": "fastapi\nuvicorn\n",
            "main.py": "import annotationlib\nfrom compression import zstd\nimport tomllib\n" + SAMPLE_APP,
        },
    )
    plan = check_project(load_settings(tmp_path))
    assert plan.python == "3.14"
    assert [f.message for f in plan.findings if f.code in {"SP203", "SP214"}] == []
