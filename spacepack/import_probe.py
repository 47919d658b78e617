"""Prove the app's imports in the built image, before the smoke test.

`check` guesses from manifests which distributions provide which imports; the
image is the truth. `app_imports` takes check's walk of the modules the entry module
loads (what the app really imports, not every file of the repository) and
collects the third-party top-level names with where they are imported.
`probe_imports` then runs a short-lived container of the built image (uid 1000,
no network, bounded time) that asks `importlib.util.find_spec` for each name,
in the image's working folder, without importing the app or the packages.

A name missing from the image that the app imports at import time fails the
build stage (exit code 5) with `path:line` and the distribution to add; one
imported only inside a function is a warning (that route would fail, the app
would start). Imports guarded by `try: ... except ImportError` are not checked.
"""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from spacepack import engine
from spacepack.check.import_names import distribution_to_install, iter_imports, stdlib_names
from spacepack.check.pyast import ProjectIndex, loaded_modules, walk_runtime
from spacepack.check.tree import ProjectTree, load_tree
from spacepack.errors import BuildFailed
from spacepack.plan import Plan

PROBE_LABEL = "dev.spacepack.import-probe"
PROBE_TIMEOUT = 30.0
# find_spec on a top-level name locates it without running it (a dotted name would import its parents).
_PROBE_SCRIPT = (
    "import importlib.util, json, sys\n"
    "missing = []\n"
    "for name in sys.argv[1:]:\n"
    "    try:\n"
    "        found = importlib.util.find_spec(name) is not None\n"
    "    except (ImportError, ValueError):\n"
    "        found = False\n"
    "    if not found:\n"
    "        missing.append(name)\n"
    "print(json.dumps(missing))\n"
)


@dataclass(frozen=True)
class ImportUse:
    """One import of a third-party module by the app."""

    name: str  # top-level module name, what the probe looks for
    module: str  # as written ("jose.jwt")
    path: str  # relative to the project root
    line: int
    in_function: bool  # imported when a function runs, not when the module is imported
    own_folder: bool = False  # the name is a folder of the project above the image's working folder
    local_path: str = ""  # a module or package of the project by that name, outside the image's import path

    @property
    def distribution(self) -> str:
        """The distribution to add when the module is missing."""
        return distribution_to_install(self.module)

    @property
    def fix(self) -> str:
        """What to do when the image lacks it."""
        if self.own_folder:
            return f"{self.name} is this project's own folder, not on the image's import path: import relative to it"
        if self.local_path:
            return (
                f"{self.name} is this project's own {self.local_path}, outside the image's import path: "
                "move it under the working folder"
            )
        return f"add {self.distribution}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "path": self.path,
            "line": self.line,
            "in_function": self.in_function,
            "distribution": self.distribution,
            "own_folder": self.own_folder,
            "local_path": self.local_path or None,
        }


@dataclass(frozen=True)
class ImportReport:
    """What the probe found: every name checked, and the uses whose module the image lacks."""

    checked: tuple[str, ...]
    missing: tuple[ImportUse, ...]
    seconds: float
    warning: str = ""  # the probe itself could not run: nothing was proven either way

    @property
    def fatal(self) -> tuple[ImportUse, ...]:
        return tuple(use for use in self.missing if not use.in_function)

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": list(self.checked),
            "missing": [use.to_json() for use in self.missing],
            "seconds": round(self.seconds, 3),
            "warning": self.warning or None,
        }


class ImportsMissing(BuildFailed):
    """The built image lacks modules the app imports at import time."""

    def __init__(self, report: ImportReport, manifest: str) -> None:
        fatal = report.fatal
        first = fatal[0]
        more = f" and {len(fatal) - 1} more" if len(fatal) > 1 else ""
        to_add = sorted({use.distribution for use in fatal if not (use.own_folder or use.local_path)})
        hint = f"add {', '.join(to_add)} to {manifest}, then build again" if to_add else ""
        if any(use.own_folder for use in fatal):
            folders = ", ".join(sorted({use.name for use in fatal if use.own_folder}))
            own = f"import the app's own modules relative to its working folder, not through {folders}"
            hint = f"{hint}; {own}" if hint else own
        local = sorted({use.local_path for use in fatal if use.local_path and not use.own_folder})
        if local:
            own = f"move {', '.join(local)} under the app's working folder (a project module, not a dependency)"
            hint = f"{hint}; {own}" if hint else own
        super().__init__(
            f"the image cannot import {first.module} ({first.path}:{first.line}){more}: nothing in it provides it",
            hint=hint,
            details=tuple(missing_lines(fatal)),
        )
        self.report = report


def missing_lines(uses: tuple[ImportUse, ...]) -> Iterator[str]:
    """One line per missing import: where, what, and the distribution to add."""
    for use in uses:
        when = " (inside a function)" if use.in_function else ""
        yield f"{use.path}:{use.line}: import {use.module}{when}: not in the image; {use.fix}"


# --- what the app imports --------------------------------------------------------------------


def _local_tops(tree: ProjectTree, working_dir: str) -> set[str]:
    """The top-level module names the working folder (the image's sys.path) provides."""
    prefix = "" if working_dir in ("", ".") else working_dir.strip("/") + "/"
    tops: set[str] = set()
    for path in tree.python_under(working_dir):
        top = path[len(prefix) :].split("/")[0].removesuffix(".py")
        if top.isidentifier() and top != "__init__":
            tops.add(top)
    return tops


def _project_modules(tree: ProjectTree) -> dict[str, str]:
    """Top-level-importable names the project holds anywhere -> the module file or package folder."""
    found: dict[str, str] = {}
    for path in sorted(tree.python):
        parts = path.split("/")
        for depth, part in enumerate(parts[:-1], start=1):
            if f"{'/'.join(parts[:depth])}/__init__.py" in tree.python:
                found.setdefault(part, "/".join(parts[:depth]) + "/")
        stem = parts[-1].removesuffix(".py")
        if stem != "__init__":
            found.setdefault(stem, path)
    return found


def _function_import_lines(module: ast.Module) -> set[int]:
    """Lines of the imports that run when a function is called, not when the module is imported."""
    return {
        node.lineno
        for node, place in walk_runtime(module)
        if place.runs == "call" and isinstance(node, ast.Import | ast.ImportFrom)
    }


def app_imports(plan: Plan, tree: ProjectTree | None = None) -> tuple[ImportUse, ...]:
    """The third-party imports of the modules the entry module loads (check's walk, link-safe via the tree).

    Args:
        plan: from `check_project`; its entry and working folder say where the walk starts.
        tree: the project as `load_tree` read it (read again when not given).
    """
    tree = tree or load_tree(plan.root)
    index = ProjectIndex(tree)
    base = "" if plan.working_dir in ("", ".") else plan.working_dir.strip("/")
    entry_file = index.module_file(plan.entry.split(":", 1)[0], base)
    if entry_file is None:
        return ()
    # `from backend.app import x` run from backend/: the repository's folder name, not a package.
    own_folders = {plan.root.name, *(part for part in plan.working_dir.split("/") if part not in ("", "."))}
    local_tops = _local_tops(tree, plan.working_dir)
    on_path = set(tree.python_under(plan.working_dir))
    for outside in plan.outside:  # shipped beside the working folder, on the image's PYTHONPATH
        on_path |= {path for path in tree.python if path == outside or path.startswith(outside)}
    project_modules = _project_modules(tree)
    stdlib = stdlib_names()
    uses: list[ImportUse] = []
    for path in sorted(loaded_modules(index, entry_file) & on_path, key=lambda name: (name != entry_file, name)):
        parsed = tree.python[path].tree
        if parsed is None:
            continue
        in_function = _function_import_lines(parsed)
        for site in iter_imports(parsed):
            top = site.module.split(".")[0]
            if site.optional or top in local_tops or top in stdlib or not top.isidentifier():
                continue
            own = top in own_folders
            local = "" if own else project_modules.get(top, "")
            uses.append(ImportUse(top, site.module, path, site.line, site.line in in_function, own, local))
    return tuple(uses)


# --- in the image ------------------------------------------------------------------------------


def probe_imports(
    client: engine.DockerClient,
    image: str,
    uses: tuple[ImportUse, ...],
    *,
    timeout: float = PROBE_TIMEOUT,
    on_event: Callable[[str], None] | None = None,
) -> ImportReport:
    """Ask the image whether it can find each imported top-level module (uid 1000, no network).

    Returns:
        The report; `missing` lists every use of a module the image lacks. When the probe
        itself cannot run (no python in the image, timeout), `warning` says so and nothing is missing.
    """
    say = on_event or (lambda _line: None)
    names = tuple(sorted({use.name for use in uses}))
    started = time.monotonic()
    if not names:
        return ImportReport(checked=(), missing=(), seconds=0.0)
    say(f"checking in the image that {len(names)} imported module(s) can be found")
    code, out, err = engine.run_to_completion(
        client,
        image,
        command=["python", "-c", _PROBE_SCRIPT, *names],
        user="1000",
        labels={PROBE_LABEL: "1"},
        timeout=timeout,
    )
    seconds = time.monotonic() - started
    found_missing = _parse_output(code, out)
    if found_missing is None:
        why = "it did not finish in time" if code is None else f"it exited with code {code}"
        last = err.strip().splitlines()[-1:] or ["no output"]
        warning = f"could not check the imports in the image ({why}: {last[0][:200]}); the smoke test will tell"
        return ImportReport(checked=names, missing=(), seconds=seconds, warning=warning)
    missing = tuple(use for use in uses if use.name in found_missing)
    return ImportReport(checked=names, missing=missing, seconds=seconds)


def _parse_output(code: int | None, out: str) -> set[str] | None:
    if code != 0:
        return None
    try:
        listed = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        return None
    return set(listed)
