"""The build display in plain mode (CI=true or no terminal): one line per step."""

from __future__ import annotations

from spacepack.build import BuildProgress
from spacepack.cli._progress import BuildDisplay


def test_plain_display_prints_steps_not_output(capsys):
    with BuildDisplay(plain=True) as display:
        display.update(BuildProgress("step", 1, 2, "FROM python:3.11-slim", 0.0))
        display.update(BuildProgress("line", 1, 2, "FROM python:3.11-slim", 0.1, "noisy output"))
        display.update(BuildProgress("step", 2, 2, "RUN pip install -r requirements.txt", 1.5))
        display.update(BuildProgress("done", 2, 2, "RUN pip install -r requirements.txt", 9.25))
    err = capsys.readouterr().err
    assert "step 1/2: FROM python:3.11-slim" in err
    assert "[   1.5s] step 2/2: RUN pip install -r requirements.txt" in err
    assert "[   9.2s] image built" in err
    assert "noisy output" not in err


def test_plain_mode_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert BuildDisplay().plain is True
