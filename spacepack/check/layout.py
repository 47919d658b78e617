"""Where uvicorn must run, and under which module name: the working dir and the backend folder.

Python finds modules from the working dir only (uvicorn puts it on sys.path),
so the working dir is decided by the imports: package-relative imports
(`from .config import settings`) need the module imported as part of its
package, absolute imports of project modules (`from app.core import db`) need
the folder they resolve from. CWD-relative resources (`StaticFiles(directory=
"static")`, `Jinja2Templates("templates")`, `env_file="../.env"`) must be found
from it too.
"""

from __future__ import annotations

import ast
import keyword as py_keyword
from collections.abc import Callable
from dataclasses import dataclass

from spacepack.check.facts import Json
from spacepack.check.formats import manifest_names
from spacepack.check.pyast import ProjectIndex, const_str, dotted, keyword
from spacepack.check.tree import PythonModule
from spacepack.findings import finding
from spacepack.plan import Finding

# What marks a backend's folder: any file a manifest reader reads, or a setuptools script.
MANIFESTS: tuple[str, ...] = (*manifest_names(), "setup.py", "setup.cfg")
# Folders holding this many Python files are not read further for import hints.
_MAX_MODULES = 300
_RESOURCE_CALLS = {"StaticFiles": "directory", "Jinja2Templates": "directory"}
_RESOURCE_WORDS = (*_RESOURCE_CALLS, "env_file")


@dataclass(frozen=True)
class Resource:
    """A path literal the app opens relative to the working dir."""

    kind: str  # "StaticFiles", "Jinja2Templates", "env_file"
    value: str
    file: str
    line: int


@dataclass(frozen=True)
class Layout:
    """How to import the app's module: from which folder, under which dotted name."""

    working_dir: str  # relative to the project root, "." for the root
    module: str  # dotted module name, as uvicorn takes it
    findings: tuple[Finding, ...] = ()
    reason: str = ""


def parent(rel: str) -> str:
    """The folder of a relative posix path ("" for the root)."""
    return rel.rpartition("/")[0]


def as_dir(rel: str) -> str:
    """A folder for Plan fields: "." for the root."""
    return rel or "."


def _parts_from(base: str, rel_file: str) -> list[str]:
    inner = rel_file[len(base) + 1 :] if base else rel_file
    parts = inner.removesuffix(".py").split("/")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return parts


def _valid_module(parts: list[str]) -> bool:
    return all(p.isidentifier() and not py_keyword.iskeyword(p) for p in parts)


def module_name(working_dir: str, rel_file: str) -> str:
    """The dotted name of `rel_file` imported with `working_dir` on sys.path."""
    return ".".join(_parts_from("" if working_dir in {"", "."} else working_dir, rel_file))


def _ancestors(directory: str, limit: str) -> list[str]:
    """`directory` and its parents up to `limit` (inclusive), nearest first."""
    result = [directory]
    while directory and directory != limit:
        directory = parent(directory)
        result.append(directory)
    if limit and limit not in result:
        return [d for d in result if d.startswith(limit + "/") or d == limit]
    return result


def _relative_level(index: ProjectIndex, rel_file: str) -> tuple[int, int | None]:
    """The deepest package-relative import of a module, and its line."""
    module = index.tree.python.get(rel_file)
    if module is None or module.tree is None:
        return 0, None
    level, line = 0, None
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom) and node.level > level:
            level, line = node.level, node.lineno
    return level, line


def _absolute_tops(index: ProjectIndex, files: list[str]) -> set[str]:
    tops: set[str] = set()
    for rel in files:
        for node in index.import_statements(rel):
            if node.module is None:
                tops.update(name.split(".")[0] for name, _as in node.names)
            elif node.level == 0 and node.module:
                tops.add(node.module.split(".")[0])
    return tops


def find_resources(index: ProjectIndex, files: list[str]) -> list[Resource]:
    """Relative path literals the app opens from the working dir.

    Each module's literals are one of its facts, so a module whose facts are kept is not read.
    """
    found: list[Resource] = []
    for rel in files:
        if not index.parses(rel):
            continue
        stored = index.facts.get("layout.resources", rel, _resources_fact(index, rel))
        found.extend(Resource(kind, value, rel, line) for kind, value, line in stored)
    return found


def _resources_fact(index: ProjectIndex, rel: str) -> Callable[[], Json]:
    return lambda: [[r.kind, r.value, r.line] for r in _module_resources(index.tree.python[rel])]


def _module_resources(module: PythonModule) -> list[Resource]:
    """The relative path literals of one parsed module."""
    if module.tree is None:
        return []
    # Every hit below names one of these in the module's text: most modules are skipped without a walk.
    if module.source is not None and not any(name in module.source for name in _RESOURCE_WORDS):
        return []
    found: list[Resource] = []
    rel = module.path
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call):
            kind = (dotted(node.func) or "").rpartition(".")[2]
            if kind in _RESOURCE_CALLS:
                value = const_str(keyword(node, _RESOURCE_CALLS[kind]))
                if value is None and node.args and kind == "Jinja2Templates":
                    value = const_str(node.args[0])
                if value is not None:
                    found.append(Resource(kind, value, rel, node.lineno))
            env_file = const_str(keyword(node, "env_file"))
            if env_file is not None:
                found.append(Resource("env_file", env_file, rel, node.lineno))
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "env_file" for t in node.targets):
            # pydantic v1 style: class Config: env_file = ".env"
            value = const_str(node.value)
            if value is not None:
                found.append(Resource("env_file", value, rel, node.lineno))
    return [r for r in found if r.value and not r.value.startswith(("/", "~")) and "://" not in r.value]


def _norm(base: str, rel: str) -> str | None:
    """`base/rel` normalised (".." resolved); None when it climbs above the project root."""
    parts = base.split("/") if base else []
    for piece in rel.replace("\\", "/").split("/"):
        if piece in {"", "."}:
            continue
        if piece == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(piece)
    return "/".join(parts)


def _resource_state(index: ProjectIndex, base: str, resource: Resource) -> str:
    """ "shipped", "ignored" (exists on disk, never ships) or "missing", seen from `base`."""
    target = _norm(base, resource.value)
    if target is None:
        return "missing"
    tree = index.tree
    if target in tree.sizes or tree.has_dir(target):
        return "shipped"
    if target in tree.env_files or (tree.root / target).exists():
        return "ignored"
    return "missing"


def entry_layout(index: ProjectIndex, rel_file: str, limit: str = "") -> Layout:
    """Decide the working dir and module name for the app defined in `rel_file`.

    Args:
        index: the project index.
        rel_file: the module holding the app (or the shim), relative to the root.
        limit: the highest folder allowed as working dir (the backend folder).
    """
    directory = parent(rel_file)
    options = _ancestors(directory, limit)
    level, level_line = _relative_level(index, rel_file)
    siblings = list(index.tree.python_under(directory or "."))[:_MAX_MODULES]
    if rel_file not in siblings:
        siblings.append(rel_file)
    tops = _absolute_tops(index, siblings)
    resources = find_resources(index, siblings)

    # With no other signal, a module inside packages (folders with __init__.py) is imported
    # as part of the outermost one, the way its author most likely runs it.
    preferred = directory
    while preferred and f"{preferred}/__init__.py" in index.tree.python:
        preferred = parent(preferred)

    def local_tops(base: str) -> set[str]:
        return {
            top
            for top in tops
            if index.module_file(top, base) is not None or index.tree.has_dir(f"{base}/{top}" if base else top)
        }

    scored = []
    for position, base in enumerate(options):
        parts = _parts_from(base, rel_file)
        valid = _valid_module(parts)
        package_depth = len(parts) - (0 if rel_file.endswith("/__init__.py") or rel_file == "__init__.py" else 1)
        relative_ok = package_depth >= level
        own_name = parts[0] if parts else ""
        resolved = local_tops(base) - {own_name} if len(parts) == 1 else local_tops(base)
        shipped = sum(1 for r in resources if r.kind != "env_file" and _resource_state(index, base, r) == "shipped")
        env_ok = sum(1 for r in resources if r.kind == "env_file" and _resource_state(index, base, r) != "missing")
        distance = abs(position - options.index(preferred)) if preferred in options else position
        scored.append(((valid, relative_ok, len(resolved), shipped, env_ok, -distance), base, parts, resolved))
    scored.sort(key=lambda item: item[0], reverse=True)
    key, base, parts, resolved = scored[0]
    valid, relative_ok = key[0], key[1]
    module = ".".join(parts)
    findings: list[Finding] = []
    if not valid or not relative_ok:
        bad = next((p for p in _parts_from("", rel_file)[:-1] if not _valid_module([p])), directory)
        findings.append(
            finding(
                "SP124",
                f"{rel_file} cannot be imported as a module: folder '{bad}' is not a valid package name",
                hint="rename the folder to a valid Python identifier (letters, digits, underscores)",
                path=rel_file,
                line=level_line,
            )
        )
    reason = ""
    if level and base != directory:
        reason = (
            f"{rel_file} uses package-relative imports (line {level_line}), "
            f"so it runs as `{module}` from {as_dir(base)}, not from {as_dir(directory)}"
        )
    elif resolved and base != directory:
        names = ", ".join(sorted(resolved))
        reason = f"its imports of project modules ({names}) resolve from {as_dir(base)}"
    if reason:
        findings.append(
            finding("SP120", f"working dir {as_dir(base)}: {reason}", path=rel_file, line=level_line if level else None)
        )
    findings.extend(_resource_findings(index, base, resources, [b for _, b, _, _ in scored]))
    return Layout(working_dir=as_dir(base), module=module, findings=tuple(findings), reason=reason)


def _resource_findings(index: ProjectIndex, base: str, resources: list[Resource], options: list[str]) -> list[Finding]:
    findings: list[Finding] = []
    for resource in resources:
        state = _resource_state(index, base, resource)
        shown = (
            f"{resource.kind}({resource.value!r})" if resource.kind != "env_file" else f"env_file={resource.value!r}"
        )
        if resource.kind == "env_file":
            if state != "missing":
                findings.append(
                    finding(
                        "SP121",
                        f"{shown} is read relative to the working dir {as_dir(base)}",
                        hint="the file never ships; on the Space set these values as secrets/variables",
                        path=resource.file,
                        line=resource.line,
                    )
                )
            continue
        if state == "shipped":
            findings.append(
                finding(
                    "SP121",
                    f"{shown} is relative to the working dir: it pins it to {as_dir(base)}",
                    hint="use a path built from __file__ to make the app start from any folder",
                    path=resource.file,
                    line=resource.line,
                )
            )
        elif state == "ignored":
            findings.append(
                finding(
                    "SP123",
                    f"{shown} points at a folder that never ships (ignored by .gitignore or a built-in rule)",
                    hint="commit the folder (remove it from .gitignore), or build it inside the image",
                    path=resource.file,
                    line=resource.line,
                )
            )
        else:
            elsewhere = [o for o in options if o != base and _resource_state(index, o, resource) == "shipped"]
            where = f"; it exists from {as_dir(elsewhere[0])}" if elsewhere else ""
            findings.append(
                finding(
                    "SP122",
                    f"{shown} is not found from the working dir {as_dir(base)}{where}",
                    hint='build the path from the module: Path(__file__).parent / "static"',
                    path=resource.file,
                    line=resource.line,
                )
            )
    return findings


def backend_dir_for(index: ProjectIndex, working_dir: str, limit: str = "") -> str:
    """The folder that holds the backend: the nearest folder at or above the working dir with a manifest."""
    start = "" if working_dir == "." else working_dir
    for folder in _ancestors(start, limit):
        if any((f"{folder}/{m}" if folder else m) in index.tree.sizes for m in MANIFESTS):
            return as_dir(folder)
    return as_dir(limit or start)


# A folder outside the working folder ships only within these bounds (a served frontend, not a data dump).
MAX_OUTSIDE_FILES = 5_000
MAX_OUTSIDE_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class Outside:
    """What the app needs from outside its working folder, shipped at the same place relative to it.

    A module imported as top-level from a folder above the working folder (that folder goes on the
    image's PYTHONPATH, as the project's own Dockerfile would set it), and a folder the app serves
    with a path that climbs out of it (`StaticFiles(directory="../frontend")`).
    """

    paths: tuple[str, ...] = ()  # relative to the root; folders end with "/"
    python_path: tuple[str, ...] = ()  # folders relative to the root ("." for the root)
    findings: tuple[Finding, ...] = ()


def _inside(path: str, folder: str) -> bool:
    return not folder or path == folder or path.startswith(folder + "/")


def _top_imports(index: ProjectIndex, rel: str) -> list[tuple[str, int]]:
    """The top-level names a module imports absolutely, with their lines (a module fact)."""
    if not index.parses(rel):
        return []
    stored = index.facts.get("layout.top_imports", rel, _top_imports_fact(index, rel))
    return [(top, line) for top, line in stored]


def _top_imports_fact(index: ProjectIndex, rel: str) -> Callable[[], Json]:
    return lambda: _module_top_imports(index.tree.python[rel].tree)


def _module_top_imports(tree: ast.Module | None) -> list[Json]:
    # In `ast.walk`'s order (outer statements first): the first line seen of a name is the one reported.
    found: list[Json] = []
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append([node.module.split(".")[0], node.lineno])
        elif isinstance(node, ast.Import):
            found.extend([alias.name.split(".")[0], node.lineno] for alias in node.names)
    return found


def _outer_module(index: ProjectIndex, top: str, working: str) -> tuple[str, str] | None:
    """(file, folder it resolves from) for a top-level name found in a folder above the working folder."""
    if index.module_file(top, working) is not None or index.tree.has_dir(f"{working}/{top}" if working else top):
        return None
    folder = working
    while folder:
        folder = parent(folder)
        found = index.module_file(top, folder)
        if found is not None:
            return found, folder
    return None


def _outer_imports(
    index: ProjectIndex, loaded: list[str], working: str, provided: Callable[[str], bool]
) -> tuple[list[str], list[str], list[Finding]]:
    paths: list[str] = []
    folders: list[str] = []
    findings: list[Finding] = []
    seen: set[str] = set()
    for rel in loaded:
        for top, line in _top_imports(index, rel):
            if top in seen or provided(top):
                continue
            seen.add(top)
            outer = _outer_module(index, top, working)
            if outer is None:
                continue
            file, folder = outer
            shipped = file.removesuffix("__init__.py") if file.endswith("/__init__.py") else file
            if not _inside(shipped.rstrip("/"), working):
                paths.append(shipped)
            folders.append(as_dir(folder))
            findings.append(
                finding(
                    "SP125",
                    f"{rel}:{line} imports {top}, which is {shipped} in {as_dir(folder)}, above the working folder "
                    f"{as_dir(working)}: it ships, and the image puts {as_dir(folder)} on PYTHONPATH",
                    path=rel,
                    line=line,
                )
            )
    return paths, folders, findings


def _served_folder_finding(resource: Resource, target: str, why: str) -> Finding:
    shown = f"{resource.kind}(directory={resource.value!r})"
    if why:
        return finding(
            "SP126",
            f"{shown} serves {target}/, outside the working folder, and it does not ship: {why}",
            hint=f"move {target}/ into the backend folder (or build it there), or pass --backend-dir to a folder "
            "that holds both",
            path=resource.file,
            line=resource.line,
        )
    return finding(
        "SP125",
        f"{shown} serves {target}/, outside the working folder: it ships at the same place relative to it",
        path=resource.file,
        line=resource.line,
    )


def _served_folders(index: ProjectIndex, loaded: list[str], working: str) -> tuple[list[str], list[Finding]]:
    paths: list[str] = []
    findings: list[Finding] = []
    for resource in find_resources(index, loaded):
        if resource.kind == "env_file":
            continue
        target = _norm(working, resource.value)
        # Inside the project, outside the working folder, and not a folder that holds it.
        if target is None or not target or _inside(target, working) or _inside(working, target):
            continue
        if not index.tree.has_dir(target) or target + "/" in paths:
            continue
        files = [size for rel, size in index.tree.sizes.items() if rel.startswith(target + "/")]
        why = ""
        if len(files) > MAX_OUTSIDE_FILES or sum(files) > MAX_OUTSIDE_BYTES:
            why = f"it holds {len(files)} files, {sum(files) // (1024 * 1024)} MB (the bound is "
            why += f"{MAX_OUTSIDE_FILES} files, {MAX_OUTSIDE_BYTES // (1024 * 1024)} MB)"
        else:
            paths.append(target + "/")
        findings.append(_served_folder_finding(resource, target, why))
    return paths, findings


def outside_needs(index: ProjectIndex, loaded: list[str], working_dir: str, provided: Callable[[str], bool]) -> Outside:
    """What the app's loaded modules need from outside the working folder (see `Outside`).

    Args:
        index: the project index.
        loaded: the modules the app loads, relative to the root.
        working_dir: where uvicorn runs ("." for the root).
        provided: whether a top-level import name is the standard library's or an installed distribution's
            (never shadowed by a project file put on the path).
    """
    working = "" if working_dir in {"", "."} else working_dir.strip("/")
    paths, folders, findings = _outer_imports(index, loaded, working, provided)
    served, served_findings = _served_folders(index, loaded, working)
    return Outside(
        paths=tuple(dict.fromkeys([*paths, *served])),
        python_path=tuple(dict.fromkeys(folders)),
        findings=(*findings, *served_findings),
    )
