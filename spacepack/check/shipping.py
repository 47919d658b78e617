"""What ships: the folders spacepack leaves out by default, unless the app uses them.

Tests, docs, CI configuration and compose files never run on a Docker Space
(`spacepack.ignore.DEFAULT_LEFT_OUT`). A project can still serve `docs/` as
static files, or import a helper from `tests/`: such a folder keeps shipping,
with a finding that says why. The app's use is read from its code: the files
the entry module imports, the folders handed to `StaticFiles` / `Jinja2Templates`,
and path literals (`"docs/index.html"`, `Path(__file__).parent / "docs"`).
A bare name that only might be such a folder keeps it too, with a warning:
when unsure, it ships.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from spacepack.check.layout import find_resources
from spacepack.check.pyast import AppCode, const_str, dotted
from spacepack.check.tree import ProjectTree
from spacepack.findings import finding
from spacepack.ignore import IgnoreRules, LeftOut, left_out_by_default
from spacepack.plan import Finding

# Calls whose string arguments are paths (the last part of the callee's dotted name).
_PATH_CALLS = frozenset(
    {
        "Path", "PurePath", "PosixPath", "join", "open", "StaticFiles", "Jinja2Templates", "FileResponse",
        "listdir", "scandir", "glob", "iglob", "exists", "isdir", "isfile", "walk", "abspath", "realpath",
        "load_dotenv", "SimpleTemplateResponse", "mount", "send_from_directory",
    }
)  # fmt: skip
_PATH_KEYWORDS = frozenset({"directory", "path", "root", "folder", "dir", "static_folder", "template_folder"})
_PATH_LITERAL = re.compile(r"^[\w.\-/]{1,200}$")


@dataclass(frozen=True)
class Shipping:
    """What `check` decided ships: left-out-by-default paths the app uses, and what stays left out."""

    kept: tuple[str, ...]  # relative to the root; folders end with "/"
    left_out: tuple[LeftOut, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class _Use:
    path: str  # a path of the project the app uses, relative to the root ("" for the root)
    why: str  # "imports tests/helpers.py", "StaticFiles(directory='docs')"
    where: str  # "main.py:12"
    sure: bool
    whole: bool = False  # the app uses everything below `path` (a folder it serves or reads)


def decide_shipping(tree: ProjectTree, code: AppCode, working_dir: str, rules: IgnoreRules) -> Shipping:
    """Keep the left-out-by-default folders the app uses; report what stays left out.

    Args:
        tree: the project, walked with `rules.without_defaults()`.
        code: the app's modules and what its entry loads.
        working_dir: where uvicorn runs, relative to the root ("." for the root).
        rules: what ships (`IgnoreRules.for_shipping`).
    """
    working = "" if working_dir in {"", "."} else working_dir.strip("/") + "/"
    # Only the working folder ships (it is the build context): what lies elsewhere does not matter here.
    candidates = left_out_by_default(tree.root, rules, under=working, everything=tree.files)
    if not candidates:
        return Shipping((), (), ())
    kept: dict[str, _Use] = {}
    for use in _uses(tree, code, working_dir):
        for path in _left_out_chain(rules, use, candidates):
            if not (path.startswith(working) or working.startswith(path)):
                continue
            if path not in kept or (use.sure and not kept[path].sure):
                kept[path] = use
    if not kept:
        return Shipping((), candidates, ())
    left_out = left_out_by_default(tree.root, rules.keeping(kept), under=working, everything=tree.files)
    findings = [_kept_finding(path, use) for path, use in sorted(kept.items())]
    return Shipping(tuple(sorted(kept)), left_out, tuple(findings))


def _kept_finding(path: str, use: _Use) -> Finding:
    if use.sure:
        return finding(
            "SP111",
            f"{path} ships although spacepack leaves such paths out by default: the app uses it ({use.why})",
            hint=f'nothing to do; if the app does not need it, add "{path}" to `exclude`',
            path=use.where.split(":")[0] or None,
            line=_line(use.where),
        )
    return finding(
        "SP112",
        f"{path} may be used by the app ({use.why}), so it ships although spacepack leaves such paths out by default",
        hint=f'add "{path}" to `include` if the app reads it, or to `exclude` if it does not',
        path=use.where.split(":")[0] or None,
        line=_line(use.where),
    )


def _line(where: str) -> int | None:
    line = where.rpartition(":")[2]
    return int(line) if ":" in where and line.isdigit() else None


def _left_out_chain(rules: IgnoreRules, use: _Use, candidates: tuple[LeftOut, ...]) -> list[str]:
    """The left-out-by-default folders (and file) on the used path's way from the root, and those below it."""
    found: list[str] = []
    parts = [part for part in use.path.split("/") if part]
    for depth in range(1, len(parts) + 1):
        folder = "/".join(parts[:depth]) + "/"
        if rules.left_out_by_default(folder, is_dir=True):
            found.append(folder)
        elif depth == len(parts) and rules.left_out_by_default(folder.rstrip("/")):
            found.append(folder.rstrip("/"))
    # A folder the app serves whole (`StaticFiles(directory="site")`) ships the left-out folders inside it.
    prefix = "/".join(parts) + "/" if parts else ""
    if use.whole:
        found.extend(item.path for item in candidates if item.path.startswith(prefix))
    return found


def _uses(tree: ProjectTree, code: AppCode, working_dir: str) -> Iterator[_Use]:
    working = "" if working_dir in {"", "."} else working_dir.strip("/")
    yield _Use(working, "its working folder", "", True)
    loaded = sorted(code.reachable) if code.reachable is not None else list(code.modules)
    for path in loaded:
        yield _Use(path, f"the app imports {path}", path, True)
    for resource in find_resources(code.index, loaded):
        if resource.kind != "env_file":
            target = _join(working, resource.value)
            if target is not None:
                where = f"{resource.file}:{resource.line}"
                yield _Use(target, f"{resource.kind}({resource.value!r}) in {where}", where, True, whole=True)
    for path in loaded:
        module = tree.python[path].tree if path in tree.python else None
        if module is not None:
            yield from _literal_uses(tree, module, path, working)


def _literal_uses(tree: ProjectTree, module: ast.Module, path: str, working: str) -> Iterator[_Use]:
    """Path literals of one module: `"docs/index.html"` anywhere, a bare `"docs"` where a path is expected."""
    folder = path.rpartition("/")[0]
    for literal, line, path_context in _literals(module):
        if not _PATH_LITERAL.match(literal) or literal.startswith("/"):
            continue
        if "/" not in literal.strip("/").removeprefix("./") and not path_context:
            continue
        where = f"{path}:{line}"
        targets = {t for t in (_join(working, literal), _join(folder, literal)) if t is not None}
        # The working folder itself (`Path(".")`) is not a use of everything in it.
        existing = [t for t in sorted(targets) if t not in {"", working} and _exists(tree, t)]
        for target in existing:
            yield _Use(target, f"{literal!r} in {where}", where, True, whole=True)
        if not existing and path_context:
            # Built from another folder (`Path(__file__).parents[2] / "docs"`): any folder of that name.
            name = literal.strip("/").rpartition("/")[2]
            for folder_path in _folders_named(tree, name):
                yield _Use(folder_path, f"{literal!r} in {where}", where, False, whole=True)


def _literals(module: ast.Module) -> Iterator[tuple[str, int, bool]]:
    """(string, line, whether it sits where a path is expected) for each string literal but docstrings."""
    docstrings: set[int] = set()
    in_path_context: set[int] = set()
    strings: list[ast.Constant] = []
    for node in ast.walk(module):  # one walk: every set is complete before a literal is judged below
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                strings.append(node)
            continue
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and const_str(first.value) is not None:
                docstrings.add(id(first.value))
        if isinstance(node, ast.Call) and (dotted(node.func) or "").rpartition(".")[2] in _PATH_CALLS:
            in_path_context.update(id(arg) for arg in node.args)
            in_path_context.update(id(kw.value) for kw in node.keywords)
        elif isinstance(node, ast.Call):
            in_path_context.update(id(kw.value) for kw in node.keywords if kw.arg in _PATH_KEYWORDS)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            in_path_context.update({id(node.left), id(node.right)})
    for node in strings:
        if id(node) not in docstrings:
            yield str(node.value), node.lineno, id(node) in in_path_context


def _join(base: str, literal: str) -> str | None:
    """`literal` relative to `base`, normalised; None when it leaves the project."""
    joined = posixpath.normpath(posixpath.join(base or ".", literal))
    if joined == ".":
        return ""
    if joined.startswith("../") or joined == ".." or joined.startswith("/"):
        return None
    return joined


def _exists(tree: ProjectTree, rel: str) -> bool:
    return tree.exists(rel) or tree.has_dir(rel)


def _folders_named(tree: ProjectTree, name: str) -> list[str]:
    if not name or name in {".", ".."}:
        return []
    lowered = name.lower()
    folders: set[str] = set()
    for rel in tree.files:
        parts = rel.split("/")[:-1]
        for depth, part in enumerate(parts, start=1):
            if part.lower() == lowered:
                folders.add("/".join(parts[:depth]))
    return sorted(folders)


def kept_outside(rules: IgnoreRules, paths: tuple[str, ...]) -> tuple[str, ...]:
    """The left-out-by-default folders on the way to what ships from outside the working folder.

    A served `../docs` is what the app needs, whatever the default tier says about docs folders
    (the project's `.gitignore` and `exclude`, and secrets, still leave it out).
    """
    kept: list[str] = []
    for path in paths:
        parts = [part for part in path.split("/") if part]
        for depth in range(1, len(parts) + 1):
            is_dir = depth < len(parts) or path.endswith("/")
            candidate = "/".join(parts[:depth]) + ("/" if is_dir else "")
            if rules.left_out_by_default(candidate, is_dir=is_dir) and candidate not in kept:
                kept.append(candidate)
    return tuple(kept)
