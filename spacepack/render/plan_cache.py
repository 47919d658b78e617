"""The plan cache: reuse the last `check` (and its rendered context) when nothing it reads changed.

`check` parses every module of the backend; on a large backend that is most of
a code-free rebuild. The cache skips it, and `render` too, when the cache key
is the one stored last time. The key (`plan_key`) is explicit:

- every file `check` may read: each file the project walk keeps or sees and
  skips (so `.gitignore`, `.env.example`, manifests, every module), by path,
  size, modification time (ns) and inode, plus the manifests one folder up
  (a uv workspace's lock);
- the settings (flags, environment, config file: the whole `Settings` value);
- the output folder, the package index configuration (it decides the pins),
  and spacepack itself (its version and the size and time of its own files, so
  a changed spacepack never reuses an old plan).

Any change to one of them is another key: the plan is made again. A file
modified in the last 2 seconds is not trusted to show its change in its time
stamp (file systems keep coarse clocks), so nothing is stored then. A context
is reused only when its files are still exactly as written (same listing,
sizes, times and inodes); otherwise it is rendered again from the plan.

The cache lives in the user's cache folder (`SPACEPACK_CACHE_DIR`, else
`~/.cache/spacepack`), never in the project: a repository cannot bring its own.
Entries are JSON, read back into the same frozen values.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import spacepack
from spacepack.config import Settings
from spacepack.ignore import IgnoreRules, LeftOut, walk_with_skipped
from spacepack.plan import Candidate, Dependencies, DependencySource, EnvVar, Finding, Plan
from spacepack.render.context import Context, ContextFile
from spacepack.resolve import default_cache_dir, index_config
from spacepack.stamps import RACY_SECONDS, FileState, lstat_state, own_files

# Bumped whenever an entry's shape or the key's material changes.
RECIPE = 1
_PARENT_MANIFESTS = ("uv.lock", "pyproject.toml", "poetry.lock", "requirements.txt", "Pipfile", "Pipfile.lock")


def tree_files(root: Path, include: tuple[str, ...] = ()) -> list[FileState]:
    """What `check` may read in a project: every walked file (kept or skipped) and the manifests one level up.

    `include` is the setting's patterns: files it brings back from `.gitignore` may be read too.
    """
    root = root.resolve()
    kept, skipped = walk_with_skipped(root, IgnoreRules.for_shipping(root, include=include).without_defaults())
    names = sorted({rel for rel, _size in kept} | set(skipped))
    base = f"{root}{os.sep}"  # plain strings: a Path per file costs more than the stat itself
    states = [lstat_state(base + rel, rel) for rel in names]
    states += [lstat_state(root.parent / name, f"../{name}") for name in _PARENT_MANIFESTS]
    return [state for state in states if state is not None]


def _uv_version() -> str:
    try:
        return importlib_metadata.version("uv")
    except importlib_metadata.PackageNotFoundError:
        return "none"


def plan_key(settings: Settings, out_dir: Path, files: Iterable[FileState]) -> str:
    """The cache key: a digest of the project files' state, the settings, the output and spacepack itself."""
    material = {
        "recipe": RECIPE,
        "spacepack": spacepack.__version__,
        "spacepack_files": own_files(),
        "uv": _uv_version(),
        "settings": repr(settings),
        "out_dir": str(out_dir),
        "index": index_config().to_json(),
        "files": list(files),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _racy(files: Iterable[FileState], now_ns: int) -> bool:
    limit = now_ns - int(RACY_SECONDS * 1e9)
    return any(mtime >= limit for _rel, _size, mtime, _ino in files)


# --- plans and contexts as JSON, and back -----------------------------------------------------


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    """The `Plan` that `Plan.to_json()` described."""
    deps = data["dependencies"]
    return Plan(
        root=Path(data["root"]),
        backend_dir=data["backend_dir"],
        entry=data["entry"],
        factory=bool(data["factory"]),
        interface="wsgi" if data.get("interface") == "wsgi" else "asgi",
        working_dir=data["working_dir"],
        python=data["python"],
        python_source=data["python_source"],
        dependencies=Dependencies(
            sources=tuple(DependencySource(s["path"], s["kind"], s["install"]) for s in deps["sources"]),
            packages=tuple(deps["packages"]),
            requirements=tuple(deps["requirements"]),
            added=tuple(deps.get("added", ())),
        ),
        system_packages=tuple(data["system_packages"]),
        env=tuple(
            EnvVar(e["name"], e["required"], e["secret"], tuple(e["where"]), e["at_import"], e.get("group"))
            for e in data["env"]
        ),
        health_path=data["health_path"],
        candidates=tuple(
            Candidate(
                entry=c["entry"],
                path=c["path"],
                line=c["line"],
                kind=c["kind"],
                factory=c["factory"],
                score=c["score"],
                chosen=c["chosen"],
                reason=c["reason"],
                working_dir=c["working_dir"],
            )
            for c in data["candidates"]
        ),
        findings=tuple(
            Finding(f["code"], f["severity"], f["message"], f["hint"], f["path"], f["line"], f.get("blocks"))
            for f in data["findings"]
        ),
        writable_dirs=tuple(data["writable_dirs"]),
        secret_files=tuple(data["secret_files"]),
        kept_anyway=tuple(data["kept_anyway"]),
        left_out=tuple(LeftOut(item["path"], item["files"]) for item in data["left_out"]),
        project_name=data["project_name"],
        description=data["description"],
        outside=tuple(data.get("outside", ())),
        python_path=tuple(data.get("python_path", ())),
    )


def context_from_json(data: Mapping[str, Any]) -> Context:
    """The `Context` that `Context.to_json()` described."""
    return Context(
        path=Path(data["path"]),
        files=tuple(ContextFile(f["path"], f["size"], f["sha256"]) for f in data["files"]),
        dockerfile=data["dockerfile"],
        readme=data["readme"],
        metadata=dict(data["metadata"]),
        notes=tuple(data["notes"]),
        left_out=tuple(LeftOut(item["path"], item["files"]) for item in data["left_out"]),
    )


def _round_trips(plan: Plan, context: Context | None) -> bool:
    """Whether the JSON form keeps every field (a field added to a value later must not be lost silently)."""
    try:
        same_plan = plan_from_json(json.loads(json.dumps(plan.to_json()))) == plan
        same_context = context is None or context_from_json(json.loads(json.dumps(context.to_json()))) == context
    except (KeyError, TypeError, ValueError):
        return False
    return same_plan and same_context


def context_files(folder: Path) -> list[FileState]:
    """The state of every file in a context folder (to tell whether it is still as written)."""
    states: list[FileState] = []
    for current, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(current) / name
            state = lstat_state(path, path.relative_to(folder).as_posix())
            if state is not None:
                states.append(state)
    return states


# --- the cache ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheLookup:
    """What the cache knew for this key: the plan, and the context when it is still on disk as written."""

    key: str
    files: tuple[FileState, ...]
    plan: Plan | None = None
    context: Context | None = None


class PlanCache:
    """One entry per project and output folder, in the user's cache folder."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = (folder if folder is not None else default_cache_dir()) / "plans"

    def _entry_path(self, root: Path, out_dir: Path) -> Path:
        name = hashlib.sha256(f"{root.resolve()}\0{out_dir.resolve()}".encode()).hexdigest()[:40]
        return self.folder / f"{name}.json"

    def lookup(self, settings: Settings, out_dir: Path) -> CacheLookup:
        """The cached plan (and context) when the key is unchanged; else only the key."""
        files = tuple(tree_files(settings.project_dir, settings.include))
        key = plan_key(settings, out_dir, files)
        try:
            entry = json.loads(self._entry_path(settings.project_dir, out_dir).read_text(encoding="utf-8"))
            if entry.get("key") != key:
                return CacheLookup(key, files)
            plan = plan_from_json(entry["plan"])
            context = None
            if entry.get("context") is not None:
                written = [tuple(state) for state in entry["context_files"]]
                if written == [tuple(state) for state in context_files(out_dir)]:
                    context = context_from_json(entry["context"])
        except (OSError, ValueError, KeyError, TypeError):
            return CacheLookup(key, files)
        return CacheLookup(key, files, plan, context)

    def store(
        self, lookup: CacheLookup, settings: Settings, out_dir: Path, plan: Plan, context: Context | None
    ) -> bool:
        """Keep the plan (and context) under the lookup's key; False when it is not safe to (see RACY_SECONDS)."""
        if _racy(lookup.files, time.time_ns()) or not _round_trips(plan, context):
            return False
        entry: dict[str, Any] = {"key": lookup.key, "plan": plan.to_json(), "context": None}
        if context is not None:
            entry["context"] = context.to_json()
            entry["context_files"] = context_files(out_dir)
        path = self._entry_path(settings.project_dir, out_dir)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as handle:
                json.dump(entry, handle)
            Path(handle.name).replace(path)
        except OSError:
            return False  # an unwritable cache only costs the next check
        return True


def cached_plan(settings: Settings, out_dir: Path, check: Callable[[Settings], Plan]) -> tuple[Plan, bool]:
    """`check(settings)`, or the cached plan when nothing it reads changed; and whether it came from the cache."""
    cache = PlanCache()
    found = cache.lookup(settings, out_dir)
    if found.plan is not None:
        return found.plan, True
    plan = check(settings)
    cache.store(found, settings, out_dir, plan, None)
    return plan, False


def cached_check_and_render(
    settings: Settings,
    out_dir: Path,
    check: Callable[[Settings], Plan],
    render: Callable[[Plan], Context],
    before_render: Callable[[Plan], None],
) -> tuple[Plan, Context, bool]:
    """check → `before_render(plan)` (it may raise) → render, each step skipped when the cache holds its result.

    Returns:
        The plan, the context, and whether both came from the cache.
    """
    cache = PlanCache()
    found = cache.lookup(settings, out_dir)
    plan = found.plan
    if plan is None:
        plan = check(settings)
        cache.store(found, settings, out_dir, plan, None)  # kept even when `before_render` stops here
    before_render(plan)
    if found.context is not None:
        return plan, found.context, True
    context = render(plan)
    cache.store(found, settings, out_dir, plan, context)
    return plan, context, False
