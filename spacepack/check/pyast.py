"""Reading Python modules without running them: scopes, imports, and where names come from.

The app finder, the route collector and the working-dir logic all ask the
same questions ("what is `router` in this module?", "which file does
`from .api import users` load?"); `ProjectIndex` answers them from the AST,
caching per module.

Three ideas every analysis shares live here, once:
- which files are app code (`non_app_reason`, `AppCode`): not tests, test
  helpers, tool scripts, migrations or example folders;
- what runs at import (`walk_runtime`): module level, class bodies, decorators
  and defaults run at import; function bodies when called; the main guard's
  body only as a script;
- what an imported name stands for (`module_imports`, `qualify`):
  `environ.get` is `os.environ.get` after `from os import environ`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from spacepack.check.facts import Json, ModuleFacts
from spacepack.check.tree import ProjectTree
from spacepack.plan import Finding

# Calls whose result is an ASGI application, by (top-level package, final name).
# Matching on both ends keeps `fastapi.applications.FastAPI` and `from fastapi import FastAPI` equal.
ASGI_APP_CALLS: dict[str, str] = {
    "FastAPI": "fastapi",
    "Starlette": "starlette",
    "Quart": "quart",
    "Litestar": "litestar",
    "Starlite": "starlite",
    "Sanic": "sanic",
    "ASGIApp": "socketio",
    "get_asgi_application": "django",
    "ProtocolTypeRouter": "channels",
    "FastHTML": "fasthtml",
    "BlackSheep": "blacksheep",
    "Application": "blacksheep",
    "App": "falcon",
    "AsyncApp": "connexion",
}
# Known packages for each name; a bare, unimported name is accepted only for the unambiguous ones.
_UNAMBIGUOUS_BARE = {"FastAPI", "Starlette", "Quart", "Litestar", "Sanic", "FastHTML"}
# Calls returning a tuple whose first item is the app: `app, rt = fast_app()`.
TUPLE_APP_CALLS: dict[str, str] = {"fast_app": "fasthtml"}
ROUTER_CALLS = {"APIRouter", "Router", "Blueprint"}
ROUTE_METHODS = {"get", "post", "put", "delete", "patch", "options", "head", "trace"}
ANY_ROUTE_METHODS = {"api_route", "route", "add_api_route", "add_route", "websocket", "websocket_route"}


def statement_children(node: ast.AST) -> Iterator[ast.stmt]:
    """The statements directly nested in a compound statement (bodies, branches, handlers, cases).

    Imports are statements: walking statements only finds every one of them
    without visiting the (far more numerous) expression nodes.
    """
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if isinstance(block, list):
            yield from (child for child in block if isinstance(child, ast.stmt))
    for handler in getattr(node, "handlers", None) or ():
        yield from handler.body
    for case in getattr(node, "cases", None) or ():
        yield from case.body


# Statements that hold no other statement: most of a module, so `iter_statements` does not look inside them.
_SIMPLE_STATEMENTS = frozenset(
    {
        ast.Expr,
        ast.Assign,
        ast.AnnAssign,
        ast.AugAssign,
        ast.Return,
        ast.Import,
        ast.ImportFrom,
        ast.Pass,
        ast.Raise,
        ast.Assert,
        ast.Delete,
        ast.Global,
        ast.Nonlocal,
        ast.Break,
        ast.Continue,
    }
)


def iter_statements(module: ast.Module) -> Iterator[ast.stmt]:
    """Every statement of a module, nested ones included (depth first, in source order)."""
    stack: list[ast.stmt] = list(reversed(module.body))
    while stack:
        node = stack.pop()
        yield node
        if type(node) not in _SIMPLE_STATEMENTS:
            stack.extend(reversed(list(statement_children(node))))


def shows_none_of(source: str | None, words: tuple[str, ...]) -> bool:
    """Whether a module's text is ASCII and holds none of `words`: then no keyword or name among them is in it.

    Only ASCII text counts: Python reads identifiers NFKC-normalised (`ｃｌａｓｓ_id` is `class_id`), so
    other text can name a word it does not spell. A check skips the walk that looks for them on such text.
    """
    return source is not None and source.isascii() and not any(word in source for word in words)


def dotted(expr: ast.expr) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    node: ast.expr = expr
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def const_str(expr: ast.expr | None) -> str | None:
    """The value of a string literal, else None."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    return None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The expression passed as keyword `name`, if any."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":` (its body runs only as a script, never under uvicorn)."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    names = [test.left, *test.comparators]
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in names) and any(
        const_str(n) == "__main__" for n in names
    )


# Folders whose files are never app code (relative to the backend folder): tests, docs, examples, tooling.
NON_APP_DIRS = frozenset(
    {
        "tests",
        "test",
        "testing",
        "docs",
        "doc",
        "examples",
        "example",
        "samples",
        "sample",
        "scripts",
        "benchmarks",
        "migrations",
        "alembic",
        "notebooks",
        "demo",
        "demos",
    }
)
# Files that configure tools or tests; they never run under uvicorn.
NON_APP_FILES = frozenset({"conftest.py", "noxfile.py", "setup.py"})


def non_app_reason(path: str, prefix: str = "") -> str | None:
    """Why a Python file is not app code (a test, a tool script, a decoy folder), or None when it is.

    Args:
        path: the file, relative to the project root.
        prefix: the backend folder with a trailing slash; folder names above it do not count.
    """
    rel = path[len(prefix) :] if prefix and path.startswith(prefix) else path
    parts = rel.split("/")
    for part in parts[:-1]:
        if part.lower() in NON_APP_DIRS:
            return f"under {part}/"
    name = parts[-1]
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return "a test module"
    if name in NON_APP_FILES:
        return f"a tool script ({name})"
    return None


Runs = Literal["import", "main", "call"]


class Place(NamedTuple):
    """When a node runs: at import, under the main guard (as a script only), or when its function is called."""

    runs: Runs
    function: str | None = None  # the outermost function around it


def walk_runtime(module: ast.Module, opaque: frozenset[str] = frozenset()) -> Iterator[tuple[ast.AST, Place]]:
    """Every node of a module with when it runs.

    Decorators, default values and class bodies run at import; function and
    lambda bodies when called; the body of a module-level
    `if __name__ == "__main__":` only when the file runs as a script.

    Args:
        module: the parsed module.
        opaque: class names whose bodies are not walked (their decorators and bases are).
    """
    stack: list[tuple[ast.AST, Place]] = [(module, Place("import"))]
    while stack:
        node, place = stack.pop()
        yield node, place
        kind = type(node)
        if kind in _SCOPE_CHANGES or (kind is ast.If and place.runs == "import"):
            stack.extend(reversed(list(_runtime_children(node, place, opaque))))
            continue
        # The common case, inlined: this walk visits every node of every module `check` reads.
        children: list[tuple[ast.AST, Place]] = []
        for name in kind._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                if not isinstance(value, ast.expr_context):  # Load/Store carry nothing a caller looks at
                    children.append((value, place))
            elif isinstance(value, list):
                children.extend((item, place) for item in value if isinstance(item, ast.AST))
        stack.extend(reversed(children))


# Nodes whose children run at another time than they do (or not at all, for an opaque class).
_SCOPE_CHANGES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})


def _runtime_children(node: ast.AST, place: Place, opaque: frozenset[str]) -> Iterator[tuple[ast.AST, Place]]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        args = node.args
        for expr in [*getattr(node, "decorator_list", ()), *args.defaults, *(d for d in args.kw_defaults if d)]:
            yield expr, place
        inner = Place("call", place.function or getattr(node, "name", None))
        body = node.body if isinstance(node.body, list) else [node.body]
        for child in body:
            yield child, inner
        return
    if isinstance(node, ast.ClassDef) and node.name in opaque:
        for expr in [*node.decorator_list, *node.bases, *(kw.value for kw in node.keywords)]:
            yield expr, place
        return
    if place.runs == "import" and isinstance(node, ast.stmt) and is_main_guard(node):
        assert isinstance(node, ast.If)
        yield node.test, place
        for child in node.body:
            yield child, Place("main")
        for child in node.orelse:
            yield child, place
        return
    for nested in ast.iter_child_nodes(node):
        yield nested, place


class ImportStatement(NamedTuple):
    """One import statement as data: what `check` keeps of it across runs (see `check.facts`)."""

    line: int
    names: tuple[tuple[str, str | None], ...]  # (name, asname) as written
    module: str | None = None  # `from <module> import ...` ("" for `from . import x`); None for `import a`
    level: int = 0  # the dots of a relative `from` import


def import_statements(module: ast.Module) -> list[ImportStatement]:
    """Every import statement of a module, anywhere in it, in source order."""
    found: list[ImportStatement] = []
    for node in iter_statements(module):
        if isinstance(node, ast.Import):
            found.append(ImportStatement(node.lineno, tuple((a.name, a.asname) for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            names = tuple((a.name, a.asname) for a in node.names)
            found.append(ImportStatement(node.lineno, names, node.module or "", node.level))
    return found


def import_refs(statements: list[ImportStatement]) -> list[ImportRef]:
    """Every import of a module's statements, anywhere in it (a function's lazy import runs when it is called)."""
    refs: list[ImportRef] = []
    for node in statements:
        if node.module is None:
            refs.extend(ImportRef(name, 0, None, node.line) for name, _as in node.names)
        else:
            refs.extend(ImportRef(node.module, node.level, name, node.line) for name, _as in node.names)
    return refs


def module_imports(statements: list[ImportStatement]) -> dict[str, ImportRef]:
    """Every name a module's import statements bind, anywhere in it (functions and branches too), to what it imports."""
    refs: dict[str, ImportRef] = {}
    for node in statements:
        if node.module is None:
            for name, asname in node.names:
                local = asname or name.split(".")[0]
                refs.setdefault(local, ImportRef(name if asname else local, 0, None, node.line))
                if not asname and "." in name:
                    refs.setdefault(name, ImportRef(name, 0, None, node.line))
        else:
            for name, asname in node.names:
                if name != "*":
                    ref = ImportRef(node.module, node.level, name, node.line)
                    refs.setdefault(asname or name, ref)
    return refs


def qualify(expr: ast.expr, imports: Mapping[str, ImportRef]) -> str | None:
    """The dotted name of an expression as imported (`F` -> `fastapi.FastAPI`, `environ` -> `os.environ`).

    Relative imports keep their dots (`.settings.get`); a name nobody imported stays as written.
    """
    name = dotted(expr)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    ref = imports.get(head)
    if ref is None:
        return name
    base = ref.module if ref.name is None else (f"{ref.module}.{ref.name}" if ref.module else ref.name)
    if ref.level:
        base = "." * ref.level + base
    return f"{base}.{rest}" if rest else base


@dataclass(frozen=True)
class ImportRef:
    """Where a local name comes from: `from <module> import <name>` or `import <module>`."""

    module: str  # dotted, may be "" for `from . import x`
    level: int  # 0 absolute, >0 relative
    name: str | None  # None for `import module` (the local name is the module)
    line: int


@dataclass(frozen=True)
class Use:
    """`receiver.method(...)` as a call or a decorator, in one scope."""

    receiver: str
    method: str
    call: ast.Call | None  # None for a bare decorator `@app.middleware`
    line: int
    decorated: str | None = None  # the decorated function's name, for decorators


@dataclass
class Scope:
    """What a block of statements binds and does, without descending into other functions."""

    assigns: dict[str, tuple[ast.expr, int]] = field(default_factory=dict)
    first_assigns: dict[str, tuple[ast.expr, int]] = field(default_factory=dict)
    uses: list[Use] = field(default_factory=list)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    imports: dict[str, ImportRef] = field(default_factory=dict)
    returns: list[ast.expr] = field(default_factory=list)
    star_imports: list[ImportRef] = field(default_factory=list)

    def uses_of(self, name: str) -> list[Use]:
        return [use for use in self.uses if use.receiver == name]


def _bind(scope: Scope, name: str, value: ast.expr, line: int) -> None:
    scope.assigns[name] = (value, line)
    scope.first_assigns.setdefault(name, (value, line))


def _collect_use(scope: Scope, expr: ast.expr, line: int, decorated: str | None = None) -> None:
    call = expr if isinstance(expr, ast.Call) else None
    func = call.func if call is not None else expr
    if isinstance(func, ast.Attribute):
        receiver = dotted(func.value)
        if receiver is not None:
            scope.uses.append(Use(receiver, func.attr, call, line, decorated))


def build_scope(body: list[ast.stmt], scope: Scope | None = None) -> Scope:
    """Analyse a list of statements (a module or a function body).

    Descends into if/try/with/for blocks (not `if __name__ == "__main__"`),
    records decorated nested functions' decorators, but not their bodies.
    """
    scope = scope if scope is not None else Scope()
    for stmt in body:
        if is_main_guard(stmt):
            continue
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            _scope_assignment(scope, stmt)
        elif isinstance(stmt, ast.Expr):
            _collect_expr_uses(scope, stmt.value, stmt.lineno)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            scope.functions[stmt.name] = stmt
            for decorator in stmt.decorator_list:
                _collect_use(scope, decorator, decorator.lineno, stmt.name)
        elif isinstance(stmt, ast.ClassDef):
            scope.classes[stmt.name] = stmt
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            _scope_import(scope, stmt)
        elif isinstance(stmt, ast.Return) and stmt.value is not None:
            scope.returns.append(stmt.value)
        else:
            for block in _blocks(stmt):
                build_scope(block, scope)
    return scope


def _blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    """The nested statement lists of if/for/while/with/try that run in the same scope."""
    if isinstance(stmt, ast.If | ast.For | ast.AsyncFor | ast.While):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, ast.With | ast.AsyncWith):
        return [stmt.body]
    if isinstance(stmt, ast.Try):
        return [stmt.body, *(handler.body for handler in stmt.handlers), stmt.orelse, stmt.finalbody]
    return []


def _scope_assignment(scope: Scope, stmt: ast.Assign | ast.AnnAssign) -> None:
    if isinstance(stmt, ast.AnnAssign):
        if stmt.value is None:
            return
        if isinstance(stmt.target, ast.Name):
            _bind(scope, stmt.target.id, stmt.value, stmt.lineno)
        _collect_expr_uses(scope, stmt.value, stmt.lineno)
        return
    for target in stmt.targets:
        if isinstance(target, ast.Name):
            _bind(scope, target.id, stmt.value, stmt.lineno)
        elif isinstance(target, ast.Tuple) and target.elts and isinstance(target.elts[0], ast.Name):
            # `app, rt = fast_app()`: remember the first name against the whole call.
            subscript = ast.Subscript(value=stmt.value, slice=ast.Constant(0))
            _bind(scope, target.elts[0].id, subscript, stmt.lineno)
    _collect_expr_uses(scope, stmt.value, stmt.lineno)


def _scope_import(scope: Scope, stmt: ast.Import | ast.ImportFrom) -> None:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                scope.imports[alias.asname] = ImportRef(alias.name, 0, None, stmt.lineno)
                continue
            top = alias.name.split(".")[0]
            scope.imports.setdefault(top, ImportRef(top, 0, None, stmt.lineno))
            if "." in alias.name:
                # `import a.b` binds `a` but makes `a.b` reachable: keep the full name too.
                scope.imports[alias.name] = ImportRef(alias.name, 0, None, stmt.lineno)
        return
    for alias in stmt.names:
        ref = ImportRef(stmt.module or "", stmt.level, alias.name, stmt.lineno)
        if alias.name == "*":
            scope.star_imports.append(ref)
        else:
            scope.imports[alias.asname or alias.name] = ref


def _collect_expr_uses(scope: Scope, expr: ast.expr, line: int) -> None:
    """Record `x.method(...)` calls in an expression statement or an assignment's value."""
    if isinstance(expr, ast.Await):
        expr = expr.value
    if isinstance(expr, ast.Call):
        _collect_use(scope, expr, line)
        # `app.get("/x")(handler)` registers a route too.
        if isinstance(expr.func, ast.Call):
            _collect_use(scope, expr.func, line)


@dataclass(frozen=True)
class Symbol:
    """What a name refers to: a module file, or a name bound in a module file."""

    path: str  # the module's file, relative to the project root
    name: str | None  # None: the module itself


class ProjectIndex:
    """Module-scope analysis and import resolution over a `ProjectTree`, cached.

    What is known from one module alone comes from `facts` (kept across runs by a
    `FactStore`), so an unchanged module is neither read nor parsed again.
    """

    def __init__(self, tree: ProjectTree, facts: ModuleFacts | None = None) -> None:
        self.tree = tree
        self.facts = facts if facts is not None else ModuleFacts()
        self._scopes: dict[str, Scope | None] = {}
        self._imports: dict[str, dict[str, ImportRef]] = {}
        self._statements: dict[str, list[ImportStatement]] = {}
        self._project_imports: dict[str, tuple[Symbol, ...]] = {}

    def parse_error(self, path: str) -> Finding | None:
        """Why a kept Python file cannot be read, decoded or parsed (a warning finding), or None when it parses."""

        def compute() -> Json:
            error = self.tree.python[path].error
            return None if error is None else [error.code, error.severity, error.message, error.hint, error.line]

        value = self.facts.get("parse", path, compute)
        if value is None:
            return None
        code, severity, message, hint, line = value
        return Finding(code=code, severity=severity, message=message, hint=hint, path=path, line=line)

    def parses(self, path: str) -> bool:
        """Whether a kept Python file parses (known without a parse when its facts are kept)."""
        return path in self.tree.python and self.parse_error(path) is None

    def import_statements(self, path: str) -> list[ImportStatement]:
        """The import statements of a Python file, anywhere in it (none when missing or unparsable), cached."""
        if path not in self._statements:
            if not self.parses(path):
                self._statements[path] = []
            else:
                stored = self.facts.get("imports", path, lambda: _statements_json(self.tree.python[path].tree))
                self._statements[path] = [
                    ImportStatement(line, tuple((name, asname) for name, asname in names), module, level)
                    for line, names, module, level in stored
                ]
        return self._statements[path]

    def imports(self, path: str) -> dict[str, ImportRef]:
        """`module_imports` of a Python file (empty when missing or unparsable), cached."""
        if path not in self._imports:
            statements = self.import_statements(path)
            self._imports[path] = module_imports(statements)
        return self._imports[path]

    def project_imports(self, path: str) -> tuple[Symbol, ...]:
        """What a file's imports (anywhere in it) refer to inside the project, in source order, cached."""
        if path not in self._project_imports:
            refs = import_refs(self.import_statements(path))
            targets = (self.resolve_import(path, ref) for ref in refs)
            self._project_imports[path] = tuple(target for target in targets if target is not None)
        return self._project_imports[path]

    def scope(self, path: str) -> Scope | None:
        """The module scope of a Python file, or None when it is missing or unparsable."""
        if path not in self._scopes:
            module = self.tree.python.get(path)
            self._scopes[path] = build_scope(module.tree.body) if module and module.tree else None
        return self._scopes[path]

    def module_file(self, dotted_name: str, base_dir: str) -> str | None:
        """The file for a dotted module name imported with `base_dir` on sys.path."""
        parts = [p for p in dotted_name.split(".") if p]
        if not parts:
            init = _join(base_dir, "__init__.py")
            return init if init in self.tree.python else None
        stem = _join(base_dir, "/".join(parts))
        for candidate in (stem + ".py", stem + "/__init__.py"):
            if candidate in self.tree.python:
                return candidate
        return None

    def resolve_import(self, importer: str, ref: ImportRef) -> Symbol | None:
        """The module (or the name in a module) an import refers to, if it is in the project."""
        for base in self._import_bases(importer, ref.level):
            if ref.name is None:
                found = self.module_file(ref.module, base)
                if found:
                    return Symbol(found, None)
                continue
            # `from pkg import sub` may import a submodule...
            submodule = self.module_file(f"{ref.module}.{ref.name}" if ref.module else ref.name, base)
            if submodule:
                return Symbol(submodule, None)
            # ...or a name bound in pkg.
            owner = self.module_file(ref.module, base)
            if owner:
                return Symbol(owner, ref.name)
        return None

    def _import_bases(self, importer: str, level: int) -> list[str]:
        directory = importer.rpartition("/")[0]
        if level > 0:
            parts = directory.split("/") if directory else []
            if level - 1 > len(parts):
                return []
            return ["/".join(parts[: len(parts) - (level - 1)])]
        # Absolute: try every ancestor folder as a sys.path entry, nearest first.
        bases: list[str] = []
        parts = directory.split("/") if directory else []
        for depth in range(len(parts), -1, -1):
            bases.append("/".join(parts[:depth]))
        return bases

    def resolve(self, path: str, expr: ast.expr, depth: int = 0) -> Symbol | None:
        """What an expression (a name or `module.attr`) in module `path` refers to, following re-exports."""
        if depth > 8:
            return None
        if isinstance(expr, ast.Name):
            return self.resolve_name(path, expr.id, depth)
        if isinstance(expr, ast.Attribute):
            owner = self.resolve(path, expr.value, depth + 1)
            if owner is None:
                return None
            if owner.name is None:
                return self.resolve_name(owner.path, expr.attr, depth + 1)
            return None
        return None

    def resolve_name(self, path: str, name: str, depth: int = 0) -> Symbol | None:
        """Follow a name bound in a module to where it is really defined (through imports)."""
        if depth > 8:
            return None
        scope = self.scope(path)
        if scope is None:
            return None
        if name in scope.assigns or name in scope.functions or name in scope.classes:
            return Symbol(path, name)
        ref = scope.imports.get(name)
        if ref is None:
            return None
        target = self.resolve_import(path, ref)
        if target is None or target.name is None:
            return target
        return self.resolve_name(target.path, target.name, depth + 1) or target

    def qualified(self, path: str, expr: ast.expr) -> str | None:
        """The dotted name of a callee as imported (`F` -> `fastapi.FastAPI`), for library calls."""
        scope = self.scope(path)
        return qualify(expr, scope.imports if scope else {})


def _statements_json(module: ast.Module | None) -> Json:
    if module is None:
        return []
    return [[s.line, [list(pair) for pair in s.names], s.module, s.level] for s in import_statements(module)]


def _join(base: str, rel: str) -> str:
    return f"{base}/{rel}" if base else rel


def app_framework(qualified_name: str | None, bare_ok: bool = True) -> str | None:
    """The framework whose app class/constructor a qualified callee is, else None."""
    if not qualified_name:
        return None
    parts = qualified_name.lstrip(".").split(".")
    last, top = parts[-1], parts[0]
    package = ASGI_APP_CALLS.get(last)
    if package is None:
        return None
    if len(parts) == 1:
        return package if bare_ok and last in _UNAMBIGUOUS_BARE else None
    return package if top == package else None


@dataclass(frozen=True)
class AppCode:
    """The backend's app code, decided once per check and shared by every analysis.

    A module is app code when it is below the backend folder, parses, and
    `non_app_reason` has nothing against it.
    """

    index: ProjectIndex
    backend_dir: str
    modules: tuple[str, ...]  # paths relative to the root, sorted
    members: frozenset[str]
    # Files the entry module imports, directly or not (itself included); None when there is no entry.
    reachable: frozenset[str] | None = None

    def __contains__(self, path: object) -> bool:
        return path in self.members

    def loaded(self, path: str) -> bool:
        """Whether the app loads this file when it starts (True when there is no entry to start from)."""
        return self.reachable is None or path in self.reachable

    def parsed(self) -> Iterator[tuple[str, ast.Module]]:
        """(path, module) for every app module, in path order."""
        for path in self.modules:
            module = self.index.tree.python[path].tree
            if module is not None:
                yield path, module


def app_code(index: ProjectIndex, backend_dir: str, entry_file: str | None = None) -> AppCode:
    """The app modules of a backend folder ("." or "" for the root), and what the entry module loads.

    Args:
        index: the check's module index.
        backend_dir: the backend folder.
        entry_file: the file of the module uvicorn imports; None when no app was found.
    """
    directory = backend_dir.strip().strip("/")
    directory = "" if directory in {"", "."} else directory
    prefix = f"{directory}/" if directory else ""
    modules = tuple(
        path
        for path in index.tree.python_under(directory or ".")
        if non_app_reason(path, prefix) is None and index.parses(path)
    )
    reachable = loaded_modules(index, entry_file) if entry_file else None
    return AppCode(
        index=index, backend_dir=directory or ".", modules=modules, members=frozenset(modules), reachable=reachable
    )


def loaded_modules(index: ProjectIndex, entry_file: str) -> frozenset[str]:
    """The project files importing `entry_file` loads: its imports, theirs, and their packages' `__init__.py`.

    Imports by string (`importlib.import_module(name)`, plugin entry points)
    are not followed, so a file outside this set may still be loaded: callers
    warn about such files rather than fail.
    """
    seen: set[str] = set()
    stack = [entry_file]
    while stack and len(seen) < 20_000:
        path = stack.pop()
        if path in seen or path not in index.tree.python:
            continue
        seen.add(path)
        stack.extend(_packages_of(index, path))
        stack.extend(target.path for target in index.project_imports(path))
    return frozenset(seen)


def _packages_of(index: ProjectIndex, path: str) -> list[str]:
    """The `__init__.py` files of the folders above a module, nearest first, while they exist."""
    found: list[str] = []
    folder = path.rpartition("/")[0]
    while folder:
        init = f"{folder}/__init__.py"
        if init not in index.tree.python:
            break
        found.append(init)
        folder = folder.rpartition("/")[0]
    return found
