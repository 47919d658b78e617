"""The README stays true: every finding code and exit code is documented, the Quickstart targets exist."""

from __future__ import annotations

import re

from spacepack.errors import ExitCode
from spacepack.findings import all_finding_codes, readme_table
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_finding_code_has_a_troubleshooting_row() -> None:
    codes = all_finding_codes()
    assert len(codes) > 30
    assert readme_table() in README  # the table is rendered from the registry, row for row
    rows = set(re.findall(r"^\| (SP\d{3}) \|", README, flags=re.MULTILINE))
    assert sorted(set(codes) - rows) == []
    assert sorted(rows - set(codes)) == []  # no row for a code that no longer exists


def test_every_exit_code_is_in_the_table() -> None:
    rows = {int(code) for code in re.findall(r"^\| (\d+) \| ", README, flags=re.MULTILINE)}
    assert {int(code) for code in ExitCode} <= rows


def test_quickstart_commands_are_make_targets() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^make (\w+)", quickstart, flags=re.MULTILINE)
    assert commands == ["demo", "test"]
    for target in commands:
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE)
