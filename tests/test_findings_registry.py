"""The finding registry: every emitted code is registered with one severity; the README table comes from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spacepack.findings import CODES, REGISTRY, finding, readme_table
from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "spacepack"
_QUOTED_CODE = re.compile(r'"(SP\d{3})"')  # every code the package spells is a code it emits
_SPELLED = re.compile(r'code="(SP\d{3})",\s*severity="(\w+)"')


def _sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py") if path.name != "findings.py"}


def test_codes_are_unique_well_formed_and_complete() -> None:
    codes = [row.code for row in CODES]
    assert len(codes) == len(set(codes))
    for row in CODES:
        assert re.fullmatch(r"SP\d{3}", row.code)
        assert row.severity in {"error", "warning", "info"}
        assert row.summary and row.fix and "|" not in row.summary + row.fix


def test_every_emitted_code_is_registered_and_every_registered_code_is_emitted() -> None:
    emitted = {code for text in _sources().values() for code in _QUOTED_CODE.findall(text)}
    assert emitted - set(REGISTRY) == set()
    assert set(REGISTRY) - emitted == set()  # no row for a code nothing emits


def test_modules_that_still_spell_a_severity_agree_with_the_registry() -> None:
    for path, text in _sources().items():
        for code, severity in _SPELLED.findall(text):
            assert REGISTRY[code].severity == severity, f"{path.name}: {code}"


def test_finding_takes_its_severity_from_the_code() -> None:
    made = finding("SP203", "main.py:3 imports x", hint="add x", path="main.py", line=3)
    assert (made.code, made.severity, made.path, made.line, made.hint) == ("SP203", "error", "main.py", 3, "add x")
    assert finding("SP213", "uv.lock cannot be read").severity == "warning"
    with pytest.raises(KeyError):
        finding("SP999", "nobody registered this")


def test_the_readme_table_is_rendered_from_the_registry() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_table() in readme
