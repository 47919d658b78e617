"""The manifest formats spacepack reads, in precedence order: one `Reader` each.

Like repo2docker's buildpacks, the order is the policy. Declarations come
first (requirements files, then pyproject.toml, then a Pipfile, which is used
only when neither lists anything); locks follow, and the first lock that pins
a present declaration wins. The dependency check, the Python-version check,
the layout's "this folder holds a manifest" test and hygiene's "lock files are
not scanned for secrets" rule all read this one list.
"""

from __future__ import annotations

from spacepack.check.formats.pipfile import PipfileReader
from spacepack.check.formats.pipfile_lock import PipfileLockReader
from spacepack.check.formats.poetry_lock import PoetryLockReader
from spacepack.check.formats.pyproject import PyprojectReader
from spacepack.check.formats.requirements import RequirementsReader
from spacepack.check.formats.uv_lock import UvLockReader
from spacepack.check.manifests import Reader

PYPROJECT = PyprojectReader()

READERS: tuple[Reader, ...] = (
    RequirementsReader(),
    PYPROJECT,
    PipfileReader(),
    UvLockReader(),
    PoetryLockReader(),
    PipfileLockReader(),
)


def declaration_readers() -> tuple[Reader, ...]:
    """Readers of files that declare dependencies, in precedence order."""
    return tuple(reader for reader in READERS if not reader.locks)


def lock_readers() -> tuple[Reader, ...]:
    """Readers of lock files, in precedence order."""
    return tuple(reader for reader in READERS if reader.locks)


def manifest_names() -> tuple[str, ...]:
    """Every file name (relative to a folder) that some reader reads."""
    return tuple(dict.fromkeys(name for reader in READERS for name in reader.names))


def lock_names() -> frozenset[str]:
    """The base names of the lock files the readers read."""
    return frozenset(name.rpartition("/")[2] for reader in lock_readers() for name in reader.names)
