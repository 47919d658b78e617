"""The environment variables a backend reads, and the folders it writes, from its AST.

Reads: `os.getenv`, `os.environ.get/setdefault`, `os.environ[...]` (through
any import alias), pydantic `BaseSettings` fields (with `env_prefix`,
`case_sensitive`, `Field(alias=/validation_alias=)`), and `.env.example`
style templates. A read is *at import* when it runs while the module is
imported: at module level, in a class body, in a default argument, or in a
`BaseSettings` class instantiated at module level.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from spacepack.check.pyast import iter_statements
from spacepack.check.secrets_scan import is_secret_name
from spacepack.check.tree import ProjectTree
from spacepack.ignore import is_env_file
from spacepack.plan import EnvVar, Finding

FINDING_CODES: dict[str, str] = {
    "SP301": "required env vars are read while the app is imported; the smoke test needs a value for each",
}

# Env vars spacepack (or the Space runtime) sets itself: never ask the user for them.
PROVIDED = frozenset({"PORT", "HOST", "SPACE_ID", "SPACE_HOST", "SPACE_AUTHOR_NAME", "SPACE_REPO_NAME", "SYSTEM"})
# Env vars naming a cache folder: a literal default is a folder the app writes.
CACHE_VARS = frozenset(
    {
        "HF_HOME",
        "HF_HUB_CACHE",
        "HUGGINGFACE_HUB_CACHE",
        "TRANSFORMERS_CACHE",
        "HF_DATASETS_CACHE",
        "SENTENCE_TRANSFORMERS_HOME",
        "TORCH_HOME",
        "XDG_CACHE_HOME",
        "MPLCONFIGDIR",
    }
)
_SQLITE_URL = re.compile(r"^sqlite(?:\+[a-z0-9_]+)?:///(?P<path>.+?)(?:\?.*)?$")
_TEMPLATE_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_SKIPPED_DIRS = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks"})


@dataclass(frozen=True)
class EnvRead:
    """One place the code reads an env var."""

    name: str
    path: str
    line: int
    required: bool
    at_import: bool
    default: str | None = None  # the default, when it is a string literal
    settings_field: bool = False


@dataclass(frozen=True)
class EnvReport:
    """Env vars the backend reads (sorted by name), folders it writes, and findings."""

    env: tuple[EnvVar, ...] = ()
    writable_dirs: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass
class _ModuleScan:
    reads: list[EnvRead] = field(default_factory=list)
    writable: list[str] = field(default_factory=list)
    # settings class name -> its fields (as reads, at_import False until instantiated)
    settings: dict[str, list[EnvRead]] = field(default_factory=dict)
    calls_at_import: set[str] = field(default_factory=set)  # names called while importing
    factories: dict[str, set[str]] = field(default_factory=dict)  # function -> names it calls


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    parts = [node.test.left, *node.test.comparators]
    return any(isinstance(p, ast.Name) and p.id == "__name__" for p in parts) and any(
        _const_str(p) == "__main__" for p in parts
    )


def _normalise_dir(raw: str) -> str | None:
    raw = raw.strip()
    if not raw or any(c in raw for c in "{}%$*?<>|\n") or raw.startswith("~"):
        return None
    if raw.startswith("/"):
        return posixpath.normpath(raw)
    return posixpath.normpath(raw)


def _sqlite_dir(value: str) -> str | None:
    match = _SQLITE_URL.match(value.strip())
    if not match:
        return None
    path = match.group("path")
    if path.startswith(":memory:") or path.startswith("file::memory:"):
        return None
    # sqlite:////abs/x.db -> path "/abs/x.db"; sqlite:///./data/x.db -> "./data/x.db".
    return _normalise_dir(posixpath.dirname(path) or ".")


class _Scanner:
    """Walks one module, tracking aliases of `os`, `os.environ` and `os.getenv`."""

    def __init__(self, path: str, module: ast.Module) -> None:
        self.path = path
        self.module = module
        self.os_names: set[str] = set()
        self.environ_names: set[str] = set()
        self.getenv_names: set[str] = set()
        self.path_names: set[str] = {"Path"}
        self.settings_bases: set[str] = {"BaseSettings"}
        self.result = _ModuleScan()
        self._function: str | None = None

    def run(self) -> _ModuleScan:
        for node in iter_statements(self.module):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "os":
                        self.os_names.add(alias.asname or "os")
                    if alias.name == "pathlib":
                        self.path_names.add(f"{alias.asname or 'pathlib'}.Path")
            elif isinstance(node, ast.ImportFrom) and node.module == "os":
                for alias in node.names:
                    if alias.name == "environ":
                        self.environ_names.add(alias.asname or "environ")
                    elif alias.name == "getenv":
                        self.getenv_names.add(alias.asname or "getenv")
            elif isinstance(node, ast.ImportFrom) and node.module == "pathlib":
                for alias in node.names:
                    if alias.name == "Path":
                        self.path_names.add(alias.asname or "Path")
        self._find_settings_classes()
        self._body(self.module.body, at_import=True)
        return self.result

    # --- aliases

    def _is_environ(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.environ_names
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "environ"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.os_names
        )

    def _is_getenv(self, func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return func.id in self.getenv_names
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "getenv"
            and isinstance(func.value, ast.Name)
            and func.value.id in self.os_names
        )

    def _is_os_call(self, func: ast.expr, names: set[str]) -> bool:
        return (
            isinstance(func, ast.Attribute)
            and func.attr in names
            and isinstance(func.value, ast.Name)
            and func.value.id in self.os_names
        )

    def _is_path_call(self, node: ast.expr) -> bool:
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in self.path_names
        return (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (f"{func.value.id}.{func.attr}" in self.path_names)
        )

    # --- walking with the at-import flag

    def _body(self, body: Iterable[ast.stmt], at_import: bool) -> None:
        for statement in body:
            if at_import and _is_main_guard(statement):
                assert isinstance(statement, ast.If)
                self._visit(statement.test, at_import)
                self._body(statement.body, at_import=False)
                self._body(statement.orelse, at_import)
            else:
                self._visit(statement, at_import)

    def _visit(self, node: ast.AST, at_import: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for expr in [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
                self._visit(expr, at_import)
            outer = self._function
            self._function = node.name if outer is None else outer
            self._body(node.body, at_import=False)
            self._function = outer
            return
        if isinstance(node, ast.Lambda):
            for expr in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
                self._visit(expr, at_import)
            self._visit(node.body, False)
            return
        if isinstance(node, ast.ClassDef) and node.name in self.result.settings:
            for expr in [*node.decorator_list, *node.bases]:
                self._visit(expr, at_import)
            return  # its fields were read by _find_settings_classes
        if isinstance(node, ast.Call):
            self._call(node, at_import)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and self._is_environ(node.value):
            name = _const_str(node.slice)
            if name:
                self._read(name, node.lineno, required=True, at_import=at_import)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and self._is_environ(target.value):
                    name = _const_str(target.slice)
                    value = _const_str(node.value)
                    if name in CACHE_VARS and value:
                        self._writable(value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("sqlite"):
            folder = _sqlite_dir(node.value)
            if folder:
                self.result.writable.append(folder)
        for child in ast.iter_child_nodes(node):
            self._visit(child, at_import)

    def _writable(self, raw: str) -> None:
        folder = _normalise_dir(raw)
        if folder:
            self.result.writable.append(folder)

    def _call(self, call: ast.Call, at_import: bool) -> None:
        func = call.func
        callee = _name_of(func)
        if callee:
            if at_import:
                self.result.calls_at_import.add(callee)
            elif self._function:
                self.result.factories.setdefault(self._function, set()).add(callee)
        default: ast.expr | None = None
        has_default = False
        name: str | None = None
        if self._is_getenv(func):
            name = _const_str(call.args[0]) if call.args else _const_str(_keyword(call, "key"))
            default = call.args[1] if len(call.args) > 1 else _keyword(call, "default")
            has_default = default is not None and not (isinstance(default, ast.Constant) and default.value is None)
        elif isinstance(func, ast.Attribute) and func.attr in {"get", "setdefault"} and self._is_environ(func.value):
            name = _const_str(call.args[0]) if call.args else None
            default = call.args[1] if len(call.args) > 1 else None
            has_default = default is not None and not (isinstance(default, ast.Constant) and default.value is None)
        elif self._is_os_call(func, {"makedirs", "mkdir"}) and call.args:
            raw = _const_str(call.args[0])
            if raw:
                self._writable(raw)
        elif isinstance(func, ast.Attribute) and func.attr == "mkdir" and self._is_path_call(func.value):
            assert isinstance(func.value, ast.Call)
            raw = _const_str(func.value.args[0]) if func.value.args else None
            if raw:
                self._writable(raw)
        if name:
            literal = _const_str(default)
            self._read(name, call.lineno, required=not has_default, at_import=at_import, default=literal)
            if name in CACHE_VARS and literal:
                self._writable(literal)

    def _read(self, name: str, line: int, required: bool, at_import: bool, default: str | None = None) -> None:
        self.result.reads.append(EnvRead(name, self.path, line, required, at_import, default))

    # --- pydantic settings

    def _find_settings_classes(self) -> None:
        classes = [n for n in iter_statements(self.module) if isinstance(n, ast.ClassDef)]
        changed = True
        while changed:  # subclasses of subclasses, in any order
            changed = False
            for node in classes:
                if node.name in self.result.settings:
                    continue
                bases = {_name_of(b) for b in node.bases}
                if bases & (self.settings_bases | set(self.result.settings)):
                    self.result.settings[node.name] = []
                    changed = True
        by_name = {n.name: n for n in classes}
        for name in list(self.result.settings):
            self.result.settings[name] = self._settings_fields(by_name[name], by_name)

    def _settings_config(self, node: ast.ClassDef, by_name: dict[str, ast.ClassDef]) -> tuple[str, bool]:
        prefix, case_sensitive = "", False
        for base in node.bases:  # inherited config first, overridden below
            base_name = _name_of(base)
            if base_name in self.result.settings and base_name in by_name and base_name != node.name:
                prefix, case_sensitive = self._settings_config(by_name[base_name], by_name)
        for statement in node.body:
            options: dict[str, ast.expr] = {}
            if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "model_config" for t in statement.targets
            ):
                options = _options(statement.value)
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                if statement.target.id == "model_config" and statement.value is not None:
                    options = _options(statement.value)
            elif isinstance(statement, ast.ClassDef) and statement.name == "Config":
                for inner in statement.body:
                    if isinstance(inner, ast.Assign) and isinstance(inner.targets[0], ast.Name):
                        options[inner.targets[0].id] = inner.value
            if "env_prefix" in options:
                prefix = _const_str(options["env_prefix"]) or ""
            if "case_sensitive" in options:
                value = options["case_sensitive"]
                case_sensitive = isinstance(value, ast.Constant) and value.value is True
        return prefix, case_sensitive

    def _settings_fields(self, node: ast.ClassDef, by_name: dict[str, ast.ClassDef]) -> list[EnvRead]:
        prefix, case_sensitive = self._settings_config(node, by_name)
        fields: list[EnvRead] = []
        for base in node.bases:
            base_name = _name_of(base)
            if base_name in by_name and base_name in self.result.settings and base_name != node.name:
                fields.extend(
                    f
                    for f in self._settings_fields(by_name[base_name], by_name)
                    if not any(s.name == f.name for s in fields)
                )
        for statement in node.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
                continue
            attr = statement.target.id
            if attr.startswith("_") or attr == "model_config" or _is_classvar(statement.annotation):
                continue
            value = statement.value
            required = value is None
            default = _const_str(value)
            env_name = (prefix + attr) if case_sensitive else (prefix + attr).upper()
            if isinstance(value, ast.Call) and _name_of(value.func) == "Field":
                first = value.args[0] if value.args else _keyword(value, "default")
                has_factory = _keyword(value, "default_factory") is not None
                required = not has_factory and (
                    first is None or (isinstance(first, ast.Constant) and first.value is ...)
                )
                default = _const_str(first)
                alias = _alias(value)
                if alias:
                    env_name = alias if case_sensitive else alias.upper()
            # Fields a subclass redeclares replace the inherited ones.
            fields = [f for f in fields if f.name != env_name]
            fields.append(EnvRead(env_name, self.path, statement.lineno, required, False, default, settings_field=True))
        return fields


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _options(value: ast.expr) -> dict[str, ast.expr]:
    if isinstance(value, ast.Call):
        return {kw.arg: kw.value for kw in value.keywords if kw.arg}
    if isinstance(value, ast.Dict):
        return {
            k.value: v
            for k, v in zip(value.keys, value.values, strict=False)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
    return {}


def _alias(field_call: ast.Call) -> str | None:
    for key in ("validation_alias", "alias", "env"):
        value = _keyword(field_call, key)
        if value is None:
            continue
        literal = _const_str(value)
        if literal:
            return literal
        if isinstance(value, ast.Call) and _name_of(value.func) == "AliasChoices" and value.args:
            first = _const_str(value.args[0])
            if first:
                return first
    return None


def _is_classvar(annotation: ast.expr) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return _name_of(target) == "ClassVar"


# --------------------------------------------------------------------------- project level


def _app_modules(tree: ProjectTree, backend_dir: str) -> Iterator[tuple[str, ast.Module]]:
    prefix = "" if backend_dir in {"", "."} else backend_dir.strip("/") + "/"
    for path in tree.python_under(backend_dir):
        parts = path[len(prefix) :].split("/")
        if any(p in _SKIPPED_DIRS for p in parts[:-1]) or parts[-1].startswith("test_") or parts[-1] == "conftest.py":
            continue
        module = tree.python[path]
        if module.tree is not None:
            yield path, module.tree


def find_env_reads(tree: ProjectTree, backend_dir: str) -> tuple[list[EnvRead], list[str]]:
    """Every env read of the backend's modules (settings fields resolved) and the folders it writes.

    Settings fields are at import when their class, or a function returning
    one, is called at module level anywhere in the backend.
    """
    cached = _CACHE.get((id(tree), backend_dir))
    if cached is not None and cached[0] is tree:
        return list(cached[1]), list(cached[2])
    reads, writable = _find_env_reads(tree, backend_dir)
    _CACHE[(id(tree), backend_dir)] = (tree, tuple(reads), tuple(writable))
    while len(_CACHE) > 4:  # only the last few trees: scan_env and scan_hygiene share one walk
        del _CACHE[next(iter(_CACHE))]
    return reads, writable


_CACHE: dict[tuple[int, str], tuple[ProjectTree, tuple[EnvRead, ...], tuple[str, ...]]] = {}


def _find_env_reads(tree: ProjectTree, backend_dir: str) -> tuple[list[EnvRead], list[str]]:
    scans = [_Scanner(path, module).run() for path, module in _app_modules(tree, backend_dir)]
    called_at_import = set().union(*(s.calls_at_import for s in scans)) if scans else set()
    factories: dict[str, set[str]] = {}
    for scan in scans:
        for name, callees in scan.factories.items():
            factories.setdefault(name, set()).update(callees)
    # A factory called at import instantiates what it calls (one level, e.g. an lru_cache'd get_settings()).
    for name in list(called_at_import):
        called_at_import |= factories.get(name, set())
    reads: list[EnvRead] = []
    writable: list[str] = []
    for scan in scans:
        reads.extend(scan.reads)
        writable.extend(scan.writable)
        for class_name, fields in scan.settings.items():
            instantiated = class_name in called_at_import
            for f in fields:
                reads.append(EnvRead(f.name, f.path, f.line, f.required, instantiated, f.default, settings_field=True))
                if f.name in CACHE_VARS and f.default:
                    folder = _normalise_dir(f.default)
                    if folder:
                        writable.append(folder)
                if f.default and f.default.startswith("sqlite"):
                    folder = _sqlite_dir(f.default)
                    if folder:
                        writable.append(folder)
    return reads, writable


def _template_files(tree: ProjectTree, backend_dir: str) -> list[str]:
    folders = {".", backend_dir.strip("/") or "."}
    result = []
    for path in tree.files:
        folder, _, name = path.rpartition("/")
        if (folder or ".") not in folders or is_env_file(name):
            continue
        if name.startswith(".env") or name.endswith(".env") or name in {"env.example", "env.sample"}:
            result.append(path)
    return result


def template_names(text: str) -> list[tuple[str, int]]:
    """(NAME, line) for each variable a dotenv template defines."""
    names: list[tuple[str, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _TEMPLATE_LINE.match(line)
        if match:
            names.append((match.group(1), number))
    return names


def scan_env(tree: ProjectTree, backend_dir: str) -> EnvReport:
    """The env vars the backend reads, merged by name, and the folders it writes.

    Args:
        tree: the project as `load_tree` read it.
        backend_dir: the backend folder, posix, relative to the root.

    Returns:
        Env vars sorted by name (where = sorted "path:line" places), writable
        folders relative to the working dir, and an SP301 finding naming the
        required vars read at import.
    """
    reads, writable = find_env_reads(tree, backend_dir)
    merged: dict[str, dict[str, object]] = {}
    for read in reads:
        entry = merged.setdefault(read.name, {"required": False, "at_import": False, "where": set()})
        entry["required"] = bool(entry["required"]) or read.required
        entry["at_import"] = bool(entry["at_import"]) or read.at_import
        where = entry["where"]
        assert isinstance(where, set)
        where.add(f"{read.path}:{read.line}")
    for path in _template_files(tree, backend_dir):
        text = tree.read_text(path)
        for name, _ in template_names(text or ""):
            entry = merged.setdefault(name, {"required": False, "at_import": False, "where": set()})
            where = entry["where"]
            assert isinstance(where, set)
            where.add(path)
    env = tuple(
        EnvVar(
            name=name,
            required=bool(entry["required"]),
            secret=is_secret_name(name),
            where=tuple(sorted(entry["where"], key=_place_key)),  # type: ignore[call-overload]
            at_import=bool(entry["at_import"]),
        )
        for name, entry in sorted(merged.items())
    )
    needed = [e.name for e in env if e.required and e.at_import and e.name not in PROVIDED]
    findings: list[Finding] = []
    if needed:
        first = next(r for r in reads if r.name == needed[0] and r.required and r.at_import)
        findings.append(
            Finding(
                code="SP301",
                severity="warning",
                message=f"the app reads {', '.join(needed)} while it is imported, with no default; "
                "it crashes at start-up without them",
                hint="give them defaults, or set them as Space secrets (push --secret NAME) and give the smoke "
                "test a value (--env NAME=..., --env-file, or the project .env)",
                path=first.path,
                line=first.line,
            )
        )
    folders = sorted({w for w in writable if w}, key=lambda w: (w.startswith("/"), w))
    return EnvReport(env=env, writable_dirs=tuple(folders), findings=tuple(findings))


def _place_key(place: str) -> tuple[str, int]:
    path, _, line = place.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return place, 0
