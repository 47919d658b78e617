"""Imports nothing declares: inferred into the image's requirements (SP215); pydantic v1 code (SP216-SP218).

Small fixtures, one per case seen on real backends: a module a declared multi-module distribution
provides, an undeclared package the app loads, a lock that lacks it, pydantic v1 settings with an
unbounded pydantic.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spacepack.check import check_project
from spacepack.check.import_names import certain_distribution, exact_distributions, is_known_distribution
from spacepack.check.pydantic_v1 import allowed_by_line, allowed_by_versions, v1_only_names
from spacepack.config import Settings, load_settings
from spacepack.plan import Finding, Plan
from tests.helpers import build_file_tree

APP = "from fastapi import FastAPI\napp = FastAPI()\n"
REQUIREMENTS = "fastapi\nuvicorn\n"


def plan_of(root: Path, spec: dict[str, str], infer: bool | None = None) -> Plan:
    build_file_tree(root, spec)
    return check_project(Settings(project_dir=root, infer_dependencies=infer))


def by_code(plan: Plan, code: str) -> list[Finding]:
    return [f for f in plan.findings if f.code == code]


# --- a module a declared or locked distribution provides is never an error ------------------------


@pytest.mark.parametrize("infer", [True, False])
def test_modules_a_declared_multi_module_distribution_ships_are_provided(tmp_path: Path, infer: bool) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\npymongo==4.11.1\nsetuptools\nattrs\n",
            "main.py": APP + "from bson import ObjectId\nimport gridfs\nimport pkg_resources\nimport attr\n",
        },
        infer,
    )
    assert [f for f in plan.findings if f.code in {"SP203", "SP214", "SP215"}] == []
    assert plan.dependencies.added == ()
    assert {"bson", "gridfs"} <= {m for m in ("bson", "gridfs") if "pymongo" in exact_distributions(m)}


def test_a_module_a_pipfile_lock_pins_is_provided(tmp_path: Path) -> None:
    lock = {
        "_meta": {"hash": {"sha256": "0" * 64}, "pipfile-spec": 6, "requires": {"python_version": "3.11"}},
        "default": {
            "fastapi": {"version": "==0.110.0"},
            "fastapi-cache2": {"version": "==0.2.1"},
            "uvicorn": {"version": "==0.29.0"},
        },
        "develop": {},
    }
    plan = plan_of(
        tmp_path,
        {
            "Pipfile": '[packages]\nfastapi = "*"\nfastapi-cache2 = "*"\nuvicorn = "*"\n',
            "Pipfile.lock": json.dumps(lock),
            "main.py": APP + "from fastapi_cache import FastAPICache\n",
        },
        infer=False,
    )
    assert plan.errors == () and by_code(plan, "SP214") == []


def test_an_unknown_import_beside_an_unknown_declared_distribution_is_a_warning(tmp_path: Path) -> None:
    # spacepack cannot tell what `acme-toolkit` ships: it might provide `acme_core`.
    assert not is_known_distribution("acme-toolkit")
    plan = plan_of(
        tmp_path,
        {"requirements.txt": REQUIREMENTS + "acme-toolkit\n", "main.py": APP + "import acme_core\n"},
        infer=False,
    )
    assert plan.errors == ()
    (warning,) = by_code(plan, "SP214")
    assert "acme-toolkit" in warning.message and warning.severity == "warning"


def test_an_unknown_import_beside_known_distributions_only_is_an_error(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, {"requirements.txt": REQUIREMENTS, "main.py": APP + "import acme_core\n"})
    (error,) = by_code(plan, "SP203")
    assert error.path == "main.py" and error.line == 3
    assert plan.dependencies.added == ()  # never a look-alike from the index


# --- inference ---------------------------------------------------------------------------------


def test_an_undeclared_import_the_app_loads_is_added_with_a_warning(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": REQUIREMENTS,
            "main.py": APP + "from services import hash_password\n",
            "services.py": "import bcrypt\nfrom PIL import Image\nimport httpx\n\n\ndef hash_password(p):\n"
            "    import bcrypt\n    return bcrypt.hashpw(p, bcrypt.gensalt())\n",
        },
    )
    assert plan.errors == ()
    added = by_code(plan, "SP215")
    assert sorted((f.path, f.line, f.severity) for f in added) == [
        ("services.py", 1, "warning"),
        ("services.py", 2, "warning"),
        ("services.py", 3, "warning"),
    ]
    bcrypt = next(f for f in added if f.line == 1)
    assert "imports bcrypt, which no dependency declares (and 1 more place)" in bcrypt.message
    assert bcrypt.hint == "declare bcrypt in requirements.txt"
    assert "adds Pillow" in next(f for f in added if f.line == 2).message
    deps = plan.dependencies
    assert deps.added == ("bcrypt", "httpx", "Pillow")
    assert set(deps.added) <= set(deps.requirements)
    assert {"bcrypt", "httpx", "pillow"} <= set(deps.packages)


def test_nothing_is_added_for_unloaded_optional_shared_or_unknown_imports(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": REQUIREMENTS,
            "main.py": APP + "import jwt\ntry:\n    import orjson\nexcept ImportError:\n    orjson = None\n",
            "seed.py": "import redis\n",  # nothing imports it
        },
    )
    assert plan.dependencies.added == ()
    assert by_code(plan, "SP215") == [] and plan.errors == ()
    assert {f.path for f in by_code(plan, "SP214")} == {"main.py", "seed.py"}
    assert certain_distribution("jwt") is None and certain_distribution("acme_core") is None


def test_a_lock_that_lacks_the_import_keeps_its_lines_and_gets_the_addition(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\ndependencies = ["fastapi", "uvicorn"]\n',
            "uv.lock": """\
                version = 1
                [[package]]
                name = "svc"
                version = "1"
                source = { editable = "." }
                dependencies = [{ name = "fastapi" }, { name = "uvicorn" }]
                [[package]]
                name = "fastapi"
                version = "0.115.0"
                [[package]]
                name = "uvicorn"
                version = "0.30.6"
                """,
            "main.py": APP + "import httpx\n",
        },
    )
    deps = plan.dependencies
    assert deps.requirements == ("fastapi==0.115.0", "uvicorn==0.30.6", "httpx")
    assert deps.added == ("httpx",)
    (added,) = by_code(plan, "SP215")
    assert added.hint == "declare httpx in pyproject.toml and re-lock"


def test_uvicorn_spacepack_adds_to_a_lock_is_an_addition_too(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\ndependencies = ["fastapi"]\n',
            "uv.lock": """\
                version = 1
                [[package]]
                name = "svc"
                version = "1"
                source = { editable = "." }
                dependencies = [{ name = "fastapi" }]
                [[package]]
                name = "fastapi"
                version = "0.115.0"
                """,
            "main.py": APP,
        },
    )
    assert plan.dependencies.requirements == ("fastapi==0.115.0", "uvicorn")
    assert plan.dependencies.added == ("uvicorn",)  # resolved beside the lock, which stays exact


def test_the_setting_turns_inference_off_from_the_config_and_the_environment(tmp_path: Path) -> None:
    spec = {"requirements.txt": REQUIREMENTS, "main.py": APP + "import bcrypt\n"}
    build_file_tree(tmp_path / "file", {**spec, "spacepack.toml": "infer_dependencies = false\n"})
    from_file = check_project(load_settings(tmp_path / "file"))
    build_file_tree(tmp_path / "env", spec)
    settings = load_settings(tmp_path / "env", environ={"SPACEPACK_INFER_DEPENDENCIES": "0"})
    assert settings.sources["infer_dependencies"] == "environment variable SPACEPACK_INFER_DEPENDENCIES"
    for plan in (from_file, check_project(settings)):
        assert [f.code for f in plan.errors] == ["SP203"]
        assert plan.dependencies.added == () and "bcrypt" not in plan.dependencies.requirements
    flag = load_settings(tmp_path / "file", flags={"infer_dependencies": True})
    assert check_project(flag).errors == ()  # the flag wins over the file


def test_a_driver_a_database_url_names_is_added_and_never_an_error(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": REQUIREMENTS + "sqlalchemy\n",
            "main.py": APP + "import db\n",
            "db.py": "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
            'URL = "sqlite+aiosqlite:///./app.db"\nOTHER = "mysql+asyncmy://u@h/db"\n'
            "engine = create_async_engine(URL)\n",
        },
    )
    (added,) = by_code(plan, "SP215")
    assert (added.path, added.line) == ("db.py", 3) and "database URL" in added.message
    assert plan.dependencies.added == ("aiosqlite",)
    assert plan.errors == () and by_code(plan, "SP214") == []  # asyncmy: not certain, not guessed, not an error


def test_pydantics_email_type_brings_the_email_validator(tmp_path: Path) -> None:
    spec = {
        "main.py": APP + "from pydantic import BaseModel, EmailStr\n\n\nclass User(BaseModel):\n    email: EmailStr\n"
    }
    plan = plan_of(tmp_path / "bare", {"requirements.txt": REQUIREMENTS, **spec})
    (added,) = by_code(plan, "SP215")
    assert "EmailStr" in added.message and plan.dependencies.added == ("email-validator",)
    declared = plan_of(tmp_path / "declared", {"requirements.txt": REQUIREMENTS + "pydantic[email]\n", **spec})
    assert by_code(declared, "SP215") == [] and declared.dependencies.added == ()


def test_the_command_line_flag_turns_inference_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from spacepack.errors import ExitCode
    from tests.helpers import run_cli

    build_file_tree(tmp_path, {"requirements.txt": REQUIREMENTS, "main.py": APP + "import bcrypt\n"})
    code, out, _ = run_cli(["check", str(tmp_path), "--json"], capsys)
    assert code == 0 and json.loads(out)["dependencies"]["added"] == ["bcrypt"]
    code, out, _ = run_cli(["check", str(tmp_path), "--no-infer-dependencies", "--json"], capsys)
    assert code == ExitCode.CHECK_FAILED
    document = json.loads(out)
    assert [f["code"] for f in document["findings"] if f["severity"] == "error"] == ["SP203"]
    assert document["dependencies"]["added"] == []


# --- pydantic v1 code --------------------------------------------------------------------------

SETTINGS_V1 = "from pydantic import BaseSettings\n\n\nclass Settings(BaseSettings):\n    name: str = 'x'\n"


def test_the_v1_only_list_is_precise() -> None:
    names = v1_only_names()
    assert {"pydantic:BaseSettings", "pydantic:ConstrainedStr", "pydantic.typing:get_args"} <= names
    # Deprecated but still served by pydantic 2: never listed.
    assert not {"pydantic:validator", "pydantic:parse_obj_as", "pydantic:root_validator"} & names
    assert allowed_by_line("pydantic>=1.8") == allowed_by_line("pydantic")
    assert not allowed_by_line("pydantic>=2.4").v1 and not allowed_by_line("pydantic==1.10.13").v2
    assert allowed_by_line("pydantic==2.9.2").v2 and not allowed_by_line("pydantic==2.9.2").v1
    assert allowed_by_line("pydantic~=1.10").v1 and not allowed_by_line("pydantic~=1.10").v2
    assert allowed_by_versions(["1.10.13"]).v2 is False and allowed_by_versions(["2.9.2"]).v1 is False


def test_v1_settings_with_an_unbounded_pydantic_resolve_with_pydantic_below_2(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": "fastapi[all]\n",
            "main.py": APP + "from config import Settings\n",
            "config.py": SETTINGS_V1,
        },
    )
    (bound,) = by_code(plan, "SP216")
    assert (bound.path, bound.line, bound.severity) == ("config.py", 1, "warning")
    assert "`from pydantic import BaseSettings`" in bound.message and "nothing bounds pydantic" in bound.message
    assert "pydantic<2" in plan.dependencies.requirements and plan.dependencies.added == ("pydantic<2",)
    assert plan.errors == ()


def test_a_project_pinning_pydantic_2_with_v1_code_at_import_is_an_error(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\npydantic>=2.4\n",
            "main.py": APP + "import pydantic as pd\n\n\nclass Settings(pd.BaseSettings):\n    pass\n",
        },
    )
    (error,) = by_code(plan, "SP217")
    assert error.severity == "error" and error.line == 6 and "requirements.txt pins pydantic 2" in error.message
    assert plan.dependencies.added == ()


def test_v1_code_that_runs_later_under_pydantic_2_is_a_warning(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\npydantic==2.9.2\n",
            "main.py": APP
            + "\n\ndef parse(raw):\n    from pydantic import parse_raw_as\n    return parse_raw_as(int, raw)\n",
        },
    )
    assert plan.errors == ()
    (warning,) = by_code(plan, "SP218")
    assert "parse_raw_as" in warning.message and "when that code runs" in warning.message


@pytest.mark.parametrize(
    "code",
    [
        "from pydantic_settings import BaseSettings\n",  # the pydantic 2 way
        "from pydantic.v1 import BaseSettings\n",  # pydantic 2's v1 copy
        "from pydantic import validator, BaseModel\n",  # deprecated, still served
        "try:\n    from pydantic import BaseSettings\n"
        "except ImportError:\n    from pydantic_settings import BaseSettings\n",
    ],
)
def test_code_that_works_under_pydantic_2_gets_no_bound(tmp_path: Path, code: str) -> None:
    plan = plan_of(tmp_path, {"requirements.txt": "fastapi[all]\n", "main.py": APP + code})
    assert [f for f in plan.findings if f.code in {"SP216", "SP217", "SP218"}] == []
    assert "pydantic<2" not in plan.dependencies.requirements


def test_a_project_pinning_pydantic_1_needs_nothing(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, {"requirements.txt": "fastapi<0.100\npydantic<2\nuvicorn\n", "main.py": APP + SETTINGS_V1})
    assert [f for f in plan.findings if f.code in {"SP216", "SP217", "SP218"}] == []
    assert plan.dependencies.added == ()


# --- on the real engine: the inferred package makes the app come up -----------------------------


@pytest.mark.docker
def test_an_app_importing_an_undeclared_package_builds_and_smokes_healthy(
    docker_client, docker_cleanup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import uuid

    from tests.helpers import run_cli

    project = build_file_tree(
        tmp_path / "signer",
        {
            "requirements.txt": REQUIREMENTS,  # itsdangerous is not declared
            "main.py": """
                from fastapi import FastAPI

                from signing import signed

                app = FastAPI()


                @app.get("/health")
                def health() -> dict[str, str]:
                    return {"status": "ok", "signed": signed("ok")}
            """,
            "signing.py": """
                from itsdangerous import Signer


                def signed(value: str) -> str:
                    return Signer("not-a-secret").sign(value).decode()
            """,
        },
    )
    code, out, err = run_cli(["check", str(project), "--json"], capsys)
    assert code == 0, err
    (added,) = [f for f in json.loads(out)["findings"] if f["code"] == "SP215"]
    assert (added["severity"], added["path"], added["line"]) == ("warning", "signing.py", 1)
    tag = f"spacepack-test/inferred-{uuid.uuid4().hex[:8]}:test"
    docker_cleanup["images"].append(tag)
    code, out, err = run_cli(["build", str(project), "--tag", tag, "--json"], capsys)  # no --force
    assert code == 0, err
    document = json.loads(out)
    assert document["smoke"]["verdict"] == "healthy", document["smoke"]
    assert document["smoke"]["probes"][0]["status"] == 200
    requirements = (project / ".spacepack" / "context" / "spacepack-requirements.txt").read_text().splitlines()
    assert any(line.startswith("itsdangerous==") for line in requirements)
    assert (project / "requirements.txt").read_text() == REQUIREMENTS  # the user's file is never edited
    assert document.get("imports", {}).get("missing", []) == []  # the image's import check agrees
