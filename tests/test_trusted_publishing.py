"""Trusted publishing: a CI's OIDC id token is exchanged for a short-lived, Space-scoped token."""

from __future__ import annotations

import pytest

from spacepack.errors import ExitCode
from tests.helpers import SAMPLE_APP, build_file_tree
from tests.helpers import run_cli as run

pytestmark = pytest.mark.hub

APP = SAMPLE_APP


def test_trusted_publishing_exchanges_the_ci_token_and_pushes(tmp_path, double, capsys, monkeypatch) -> None:
    project = build_file_tree(tmp_path / "svc", {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"})
    monkeypatch.setenv("HF_OIDC_RESOURCE", "spaces/alice/oidc")
    monkeypatch.setenv("HF_OIDC_ID_TOKEN", "ci-id-token-123")
    double.trust_publisher("ci-id-token-123", "spaces/alice/oidc")
    code, out, err = run(["push", str(project), "--space", "alice/oidc"], capsys)
    assert code == 0, err
    assert "main.py" in double.files("alice/oidc")
    assert "token from trusted publishing" in err  # the source is named, never the token
    assert "hf_oidc_" not in out + err


def test_trusted_publishing_for_another_space_is_refused(tmp_path, double, capsys, monkeypatch) -> None:
    project = build_file_tree(tmp_path / "svc", {"main.py": APP, "requirements.txt": "fastapi\nuvicorn\n"})
    monkeypatch.setenv("HF_OIDC_RESOURCE", "spaces/alice/oidc")
    monkeypatch.setenv("HF_OIDC_ID_TOKEN", "ci-id-token-456")
    double.trust_publisher("ci-id-token-456", "spaces/alice/other")
    code, out, err = run(["push", str(project), "--space", "alice/oidc"], capsys)
    assert code == ExitCode.AUTH
    assert "trusted publishing failed" in err
    assert "ci-id-token-456" not in err
    assert not double.exists("alice/oidc")
