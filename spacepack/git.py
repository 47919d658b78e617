"""Read-only questions to git about the user's project (revision, remote, last commit, branch)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(folder: Path, *args: str) -> str | None:
    """Run a read-only git command in `folder`; its stripped output, or None outside a repository or without git."""
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    output = result.stdout.strip()
    return output if result.returncode == 0 and output else None
