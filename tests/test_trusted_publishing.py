"""Trusted publishing: a CI's OIDC id token is exchanged for a short-lived, Space-scoped token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spacepack.cli import main
from spacepack.errors import ExitCode
from tests.helpers import build_file_tree
from tests.hub_double import HubDouble

pytestmark = pytest.mark.hub

APP = """
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}
    """


@pytest.fixture
def double(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubDouble]:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    with HubDouble() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        yield hub


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


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
