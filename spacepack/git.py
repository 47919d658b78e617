"""Read-only questions to git about the user's project (revision, remote, last commit, branch).

A remote URL may carry a token (`https://ghp_...@github.com/...`): every
answer has URL credentials replaced by `****` before anyone can print it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from spacepack.check.secrets_scan import redact_url_credentials


def git(folder: Path, *args: str) -> str | None:
    """Run a read-only git command in `folder`; its stripped output, or None outside a repository or without git."""
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=10,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},  # never wait for a password
        )
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    output = redact_url_credentials(result.stdout.strip())
    return output if result.returncode == 0 and output else None
