"""What `check` learns from one module alone, kept across runs so a one-line change re-reads one module.

A large backend is thousands of modules and an edit touches one of them. Each
analysis step that depends on nothing but one module's bytes and path (its
import statements, whether it parses, its resource literals, its credential
lines...) is a *fact*: computed once, kept in the user's cache folder under the
file's state as the project walk saw it, and used again while that state is
unchanged. The steps that look across modules (which app runs, which settings
class is built at import) still run every time, on facts instead of syntax
trees, so only the changed modules are read and parsed.

What keeps a stale fact from ever being used:
- the state (size, mtime, ctime, inode, device) is the walk's, taken before any
  read, so a write after it shows in the next walk's state;
- a state younger than `RACY_NS` is never stored;
- a fact is a function of the module's bytes and path, plus the `extra` key its
  caller gives for anything else it depends on (never another module's content);
- the store is keyed by spacepack's own files: another spacepack starts afresh;
- values are JSON's own types (lists, not tuples), so a stored fact equals the computed one.

The store lives in the user's cache folder (`SPACEPACK_CACHE_DIR`, else
`~/.cache/spacepack`), never in the project: a repository cannot bring its own.
A store that does not parse, or says anything unexpected, is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from spacepack.stamps import is_recent, own_files

# Bumped whenever a fact's meaning or the store's shape changes.
RECIPE = 1

Json = Any  # JSON's own types: None, bool, int, float, str, list, dict with str keys
_State = list[int]


def _state(info: os.stat_result) -> _State:
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]


class ModuleFacts:
    """The facts of one check: those still true from the store, and those this check computes."""

    def __init__(
        self,
        states: Mapping[str, os.stat_result] | None = None,
        known: Mapping[str, dict[str, Json]] | None = None,
    ) -> None:
        """
        Args:
            states: each module's state as the walk saw it (modules without one are never kept).
            known: facts from the store, by module, already checked against `states`.
        """
        self._states = dict(states or {})
        self._facts: dict[str, dict[str, Json]] = {path: dict(facts) for path, facts in (known or {}).items()}
        self.reused = 0  # facts taken from the store
        self.computed = 0  # facts computed by this check
        self._computed_in: set[str] = set()  # the modules they belong to

    def get(self, kind: str, path: str, compute: Callable[[], Json], extra: str = "") -> Json:
        """The fact `kind` of module `path`: the stored one, else `compute()` (JSON's own types only).

        Args:
            kind: which fact (one name per analysis step).
            path: the module, relative to the project root.
            compute: computes the fact from the module alone.
            extra: what else the fact depends on (e.g. the words a text search looks for).
        """
        slot = f"{kind}\0{extra}" if extra else kind
        facts = self._facts.setdefault(path, {})
        if slot in facts:
            self.reused += 1
            return facts[slot]
        value = compute()
        self.computed += 1
        self._computed_in.add(path)
        facts[slot] = value
        return value

    def has_news(self, now_ns: int) -> bool:
        """Whether this check computed a fact worth storing (one of a module whose state is not too fresh)."""
        for path in self._computed_in:
            info = self._states.get(path)
            if info is not None and not is_recent(info, now_ns):
                return True
        return False

    def keepable(self, now_ns: int) -> dict[str, list[Json]]:
        """The facts worth storing: those of modules with a state older than `RACY_NS`, with that state."""
        kept: dict[str, list[Json]] = {}
        for path, facts in self._facts.items():
            info = self._states.get(path)
            if facts and info is not None and not is_recent(info, now_ns):
                kept[path] = [_state(info), facts]
        return kept


class FactStore:
    """The module facts of each project, one JSON file per project in the user's cache folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "facts"

    def _file(self, root: Path) -> Path:
        return self.folder / (hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:40] + ".json")

    def open(self, root: Path, states: Mapping[str, os.stat_result]) -> ModuleFacts:
        """The stored facts of `root`'s modules whose state is still the walk's one."""
        known: dict[str, dict[str, Json]] = {}
        try:
            stored = json.loads(self._file(root).read_text(encoding="utf-8"))
            if stored.get("recipe") == RECIPE and stored.get("spacepack") == _spacepack_key():
                for path, (state, facts) in stored["files"].items():
                    info = states.get(path)
                    if info is not None and state == _state(info) and isinstance(facts, dict):
                        known[path] = facts
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            known = {}  # a store that does not parse costs one full check, nothing else
        return ModuleFacts(states, known)

    def save(self, root: Path, facts: ModuleFacts) -> None:
        """Keep what `facts` knows for the next check (written whole, then renamed into place)."""
        now_ns = time.time_ns()
        # After an edit, the edited module's facts are too fresh to keep: the store is then as it was.
        if not facts.has_news(now_ns):
            return
        document = {"recipe": RECIPE, "spacepack": _spacepack_key(), "files": facts.keepable(now_ns)}
        target = self._file(root)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent, delete=False) as handle:
                handle.write(json.dumps(document, separators=(",", ":")))  # C encoder: json.dump's is Python
            Path(handle.name).replace(target)
        except OSError:
            return  # an unwritable cache only costs the next check its speed


def _spacepack_key() -> str:
    return hashlib.sha256(json.dumps(own_files()).encode("utf-8")).hexdigest()
