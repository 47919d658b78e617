"""Import name -> distribution: the vendored pipreqs map, spacepack's corrections, the declared names themselves."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from spacepack.check import check_project
from spacepack.check.import_names import (
    HAND_ENTRIES,
    VENDORED_MAP,
    distribution_to_install,
    exact_distributions,
    import_map,
    shared_providers,
)
from spacepack.config import Settings
from spacepack.plan import Finding, Plan
from tests.helpers import build_file_tree

APP = "from fastapi import FastAPI\napp = FastAPI()\n"

# Real import names whose distribution is named otherwise, as published on PyPI.
REAL_MAPPINGS = {
    "bs4": "beautifulsoup4",
    "yaml": "PyYAML",
    "cv2": "opencv-python",
    "argon2": "argon2-cffi",
    "bson": "pymongo",
    "fastapi_cache": "fastapi-cache2",
    "jose": "python-jose",
    "dotenv": "python-dotenv",
    "sklearn": "scikit-learn",
    "dateutil": "python-dateutil",
    "telegram": "python-telegram-bot",
}


def plan_of(tmp_path: Path, spec: dict[str, str], infer: bool = False) -> Plan:
    """The plan, by default with import inference off: these tests are about what SP203 and SP214 say."""
    build_file_tree(tmp_path, spec)
    return check_project(Settings(project_dir=tmp_path, infer_dependencies=infer))


def by_code(plan: Plan, code: str) -> list[Finding]:
    return [f for f in plan.findings if f.code == code]


def test_the_vendored_map_ships_with_its_source_and_license() -> None:
    data = importlib.resources.files("spacepack.check").joinpath(VENDORED_MAP)
    header = [line for line in data.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    assert any("pipreqs 0.5.0" in line for line in header)
    assert any("Apache License, Version 2.0" in line for line in header)
    license_text = importlib.resources.files("spacepack.check").joinpath("data/LICENSE.pipreqs").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    # Broad: the whole pipreqs table, not a hand list.
    assert len(import_map().providers) > 700


def test_the_map_is_read_once_per_process() -> None:
    assert import_map() is import_map()


@pytest.mark.parametrize(("module", "distribution"), sorted(REAL_MAPPINGS.items()))
def test_real_import_names_map_to_their_distribution(module: str, distribution: str) -> None:
    assert canonicalize_name(distribution) in exact_distributions(module)
    assert canonicalize_name(distribution) in exact_distributions(module + ".submodule")
    assert shared_providers(module) is None  # one project: an undeclared import is certain


@pytest.mark.parametrize("module", sorted(REAL_MAPPINGS))
def test_declaring_the_mapped_distribution_satisfies_the_import(tmp_path: Path, module: str) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": f"fastapi\nuvicorn\n{REAL_MAPPINGS[module]}==1.0\n",
            "main.py": APP + f"import {module}\n",
        },
    )
    assert by_code(plan, "SP203") == [] and by_code(plan, "SP214") == []


def test_an_undeclared_import_with_a_certain_mapping_is_an_error_naming_the_distribution(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\n",
            "main.py": APP + "import requests\nimport yaml\nfrom bs4 import BeautifulSoup\n",
        },
    )
    errors = by_code(plan, "SP203")
    assert {f.severity for f in errors} == {"error"}
    hints = sorted(f.hint.split()[1].lower() for f in errors)
    assert hints == ["beautifulsoup4", "pyyaml", "requests"]
    assert any(f.hint == "add requests to requirements.txt" for f in errors)  # the import's own spelling
    assert plan.errors


def test_an_ambiguous_import_is_satisfied_by_any_candidate(tmp_path: Path) -> None:
    # pipreqs lists two projects for `slugify`; either one declared is enough.
    for declared in ("python-slugify", "unicode-slugify"):
        root = tmp_path / declared
        plan = plan_of(
            root, {"requirements.txt": f"fastapi\nuvicorn\n{declared}\n", "main.py": APP + "import slugify\n"}
        )
        assert by_code(plan, "SP203") == [] and by_code(plan, "SP214") == [], declared


def test_an_undeclared_ambiguous_import_is_a_warning_not_an_error(tmp_path: Path) -> None:
    assert shared_providers("slugify") == ("python-slugify", "unicode-slugify")  # pipreqs' own choice first
    assert shared_providers("jwt") == ("PyJWT", "jwt")
    plan = plan_of(
        tmp_path,
        {"requirements.txt": "fastapi\nuvicorn\n", "main.py": APP + "import jwt\nfrom slugify import slugify\n"},
    )
    assert by_code(plan, "SP203") == []
    warnings = by_code(plan, "SP214")
    assert {f.severity for f in warnings} == {"warning"}
    jwt = next(f for f in warnings if "imports jwt" in f.message)
    assert "several distributions provide (PyJWT, jwt)" in jwt.message and "PyJWT" in jwt.hint
    assert any("python-slugify" in f.message for f in warnings)
    assert not plan.errors


def test_namespace_packages_are_certain_only_by_their_dotted_names(tmp_path: Path) -> None:
    assert distribution_to_install("google.cloud.storage") == "google-cloud-storage"
    assert distribution_to_install("google.protobuf.json_format") == "protobuf"
    assert distribution_to_install("azure.storage.blob") == "azure-storage-blob"
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\n",
            "main.py": APP + "from google import genai\nfrom google.protobuf import json_format\n",
        },
    )
    errors = by_code(plan, "SP203")
    assert [("google.protobuf" in f.message, "protobuf" in f.hint) for f in errors] == [(True, True)]
    (namespace,) = [f for f in by_code(plan, "SP214") if "imports google," in f.message]
    assert namespace.severity == "warning" and "namespace" in namespace.message and "google-*" in namespace.hint


def test_the_declared_names_themselves_provide_their_import(tmp_path: Path) -> None:
    # The map says bson -> pymongo and jwt -> PyJWT, but distributions named like the import provide it too.
    plan = plan_of(
        tmp_path,
        {
            "requirements.txt": "fastapi\nuvicorn\nbson\njwt\nMy_Tool\n",
            "main.py": APP + "import bson\nimport jwt\nimport my_tool.cli\n",
        },
    )
    assert by_code(plan, "SP203") == [] and by_code(plan, "SP214") == []


def test_corrections_replace_stale_vendored_entries() -> None:
    # pipreqs 0.5.0 names python-bcrypt (2013), docker-py (renamed 2016) and msgpack-python (renamed 2018).
    assert distribution_to_install("bcrypt") == "bcrypt"
    assert distribution_to_install("docker.errors") == "docker"
    assert distribution_to_install("msgpack") == "msgpack"
    assert distribution_to_install("MySQLdb") == "mysqlclient"
    assert distribution_to_install("cv2") == "opencv-python-headless"  # a Space has no display
    for name, distributions in HAND_ENTRIES.items():
        assert import_map().providers[name] == distributions
        assert shared_providers(name) is None


def test_inference_without_a_manifest_installs_the_mapped_distributions(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        {"main.py": APP + "import yaml\nfrom bs4 import BeautifulSoup\nimport bcrypt\nimport fastapi_cache\n"},
    )
    (inferred,) = by_code(plan, "SP202")
    for distribution in ("PyYAML", "beautifulsoup4", "bcrypt", "fastapi-cache2"):
        assert distribution in plan.dependencies.requirements
        assert distribution in inferred.message
    assert "python-bcrypt" not in inferred.message
