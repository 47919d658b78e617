"""The one way spacepack reads a file of the user's project: link-safe, size-bounded, never blocking.

Every file of a project is hostile input (see RELIABILITY.md). A project file is
read only when it is a regular file inside the project: a link is followed only
when its target is a regular file inside the project that may ship, FIFOs,
sockets and devices are refused without being opened for reading (a FIFO
named `.gitignore` would otherwise hang the read), and at most `max_bytes` are
read (a link to `/dev/zero` cannot exhaust memory). A refused file gets a
one-line reason instead of an exception, so callers can skip it with a note.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Manifests, templates, ignore files and READMEs are small; anything bigger is not a text file we need.
MAX_TEXT_BYTES = 2 * 1024 * 1024
# A bigger Python module is generated data, not code to check.
MAX_PYTHON_BYTES = 10 * 1024 * 1024

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class ReadResult:
    """The bytes of a project file, or why they were not read (never both)."""

    data: bytes | None
    refused: str = ""  # one line: "a symlink to a file outside the project", "a FIFO", "over 2 MB"...


def special_kind(mode: int) -> str:
    """What a file that is not a regular file is, for a one-line "not read" or "not shipped" message."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _target(root: Path, path: Path, may_follow: Callable[[str], bool] | None) -> tuple[Path | None, str]:
    """The file to open for `path`: itself, or the in-project target of a link that may be followed."""
    try:
        lexical = Path(os.path.abspath(path))  # noqa: PTH100 - lexical on purpose: resolve() would follow the link
        if not lexical.is_relative_to(root):
            return None, "outside the project"
        resolved = lexical.resolve()
    except (OSError, RuntimeError, ValueError):
        return None, "unreadable (a link loop or a bad name)"
    if resolved == lexical:
        return lexical, ""
    if not resolved.is_relative_to(root):
        return None, "a link to a file outside the project"
    if may_follow is None:
        return None, "a link (spacepack does not follow it)"
    if not may_follow(resolved.relative_to(root).as_posix()):
        return None, "a link to a file that never ships"
    return resolved, ""


@functools.lru_cache(maxsize=16)
def _resolved_root(root: str) -> Path:
    # The project folder is the user's choice, not a file of the project: resolved once per process
    # instead of once per file read (a check of 2,000 modules reads 2,000 files).
    return Path(root).resolve()


def read_project_bytes(
    root: Path,
    path: Path | str,
    *,
    max_bytes: int = MAX_TEXT_BYTES,
    may_follow: Callable[[str], bool] | None = None,
) -> ReadResult:
    """Read one file of the project, safely.

    Args:
        root: the project folder (resolved, absolute).
        path: the file, absolute or relative to `root`.
        max_bytes: a larger file is refused (nothing is read).
        may_follow: given the posix path (relative to `root`) of a link's target,
            whether that target may be read; None follows no link at all.
    """
    try:
        root = _resolved_root(str(root))
    except (OSError, RuntimeError, ValueError):
        return ReadResult(None, "the project folder is unreadable")
    plain = _read_if_plain(str(root), path, max_bytes)
    if plain is not None:
        return plain
    candidate = Path(path)
    candidate = candidate if candidate.is_absolute() else root / candidate
    target, refused = _target(root, candidate, may_follow)
    if target is None:
        return ReadResult(None, refused)
    return _read_regular(target, max_bytes, _OPEN_FLAGS)


def read_regular_file(path: Path, *, max_bytes: int = MAX_TEXT_BYTES) -> ReadResult:
    """Read a file the user named (a flag: trusted, links followed), still only a bounded regular file."""
    return _read_regular(path, max_bytes, _OPEN_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))


def _read_if_plain(root: str, path: Path | str, max_bytes: int) -> ReadResult | None:
    """The common case in one open: a file inside the project reached through no link at all, else None.

    The kernel names the file it opened (`/proc/self/fd`): when that is the
    lexical path, no component of it is a link, so the careful path's
    `resolve()` (a `lstat` per component) would find nothing to refuse. Anything
    else (a link anywhere, no `/proc`, a name that cannot be opened) is left to it.
    """
    # Plain strings: this runs once per file of a check, and Path objects cost more than the read itself.
    lexical = os.path.abspath(os.path.join(root, path))  # noqa: PTH100, PTH118 - lexical on purpose, as in `_target`
    if not lexical.startswith(root.rstrip("/") + "/"):
        return None
    try:
        descriptor = os.open(lexical, _OPEN_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        if os.readlink(f"/proc/self/fd/{descriptor}") != lexical:  # noqa: PTH115 - see above
            return None
        return _read_descriptor(descriptor, max_bytes)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _read_regular(target: Path, max_bytes: int, flags: int) -> ReadResult:
    try:
        descriptor = os.open(target, flags)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "a bad name"
        return ReadResult(None, f"unreadable ({reason.lower()})")
    try:
        return _read_descriptor(descriptor, max_bytes)
    finally:
        os.close(descriptor)


def _read_descriptor(descriptor: int, max_bytes: int) -> ReadResult:
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return ReadResult(None, special_kind(info.st_mode))
        if info.st_size > max_bytes:
            return ReadResult(None, f"over {max_bytes // (1024 * 1024) or 1} MB")
        os.set_blocking(descriptor, True)
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as error:
        return ReadResult(None, f"unreadable ({(error.strerror or 'error').lower()})")
    data = b"".join(chunks)
    if len(data) > max_bytes:  # grew while we read it
        return ReadResult(None, f"over {max_bytes // (1024 * 1024) or 1} MB")
    return ReadResult(data)


def decode_text(data: bytes) -> str | None:
    """Text from bytes: UTF-8 (a BOM stripped) or UTF-16 with a BOM; None for binary or another encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def read_project_text(
    root: Path,
    path: Path | str,
    *,
    max_bytes: int = MAX_TEXT_BYTES,
    may_follow: Callable[[str], bool] | None = None,
) -> tuple[str | None, str]:
    """Like `read_project_bytes`, decoded by `decode_text`: (text, "") or (None, why not)."""
    result = read_project_bytes(root, path, max_bytes=max_bytes, may_follow=may_follow)
    if result.data is None:
        return None, result.refused
    text = decode_text(result.data)
    if text is None:
        return None, "not UTF-8 text"
    return text, ""
