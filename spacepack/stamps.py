"""When a file's recorded state may stand for its contents: the one rule every cache of spacepack keys on.

The plan cache, the render record and `check`'s module facts all trust a file
as long as its state (size, times, inode) is the one they recorded. A state
seen moments after a write is not trusted: a file system keeps coarse clocks,
so a second write in the same tick could leave the state unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

import spacepack

# Files modified this recently may change again within the file system's time stamp resolution.
RACY_NS = 2_000_000_000
RACY_SECONDS = RACY_NS / 1e9

FileState = tuple[str, int, int, int]  # path, size, mtime_ns, inode


def lstat_state(path: Path | str, rel: str) -> FileState | None:
    """(rel, size, mtime_ns, inode) of a file, not following a link; None when it is gone."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return (rel, info.st_size, info.st_mtime_ns, info.st_ino)


def is_recent(info: os.stat_result, now_ns: int) -> bool:
    """Whether a state is too fresh to stand for the contents (modified within `RACY_NS`).

    A write that restores an older modification time still changes the change time, which
    the recorded states include, so the modification time alone says how fresh the contents are.
    """
    return info.st_mtime_ns >= now_ns - RACY_NS


def own_files() -> list[FileState]:
    """The state of spacepack's own modules: a changed spacepack never reuses what an older one cached."""
    package = Path(spacepack.__file__).resolve().parent
    states = [lstat_state(path, path.relative_to(package).as_posix()) for path in sorted(package.rglob("*.py"))]
    return [state for state in states if state is not None]
