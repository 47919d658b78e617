"""The environment variables a backend reads, and the folders it writes, from its AST.

Reads: `os.getenv`, `os.environ.get/setdefault`, `os.environ[...]` (through
any import alias), the config objects of python-decouple (`config("X")`),
starlette (`Config(".env")("X")`) and environs (`Env().str("X")`), pydantic `BaseSettings` fields (with `env_prefix`,
`case_sensitive`, `Field(alias=/validation_alias=)`, and `env_nested_delimiter`
expanding a field typed as a project model into one variable per sub-field),
and `.env.example` style templates. A read is *at import* when it runs while the module is
imported: at module level, in a class body, in a default argument, or in a
`BaseSettings` class instantiated at module level.
"""

from __future__ import annotations

import ast
import hashlib
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import astuple, dataclass, field, replace

from spacepack.check.facts import Json
from spacepack.check.pyast import (
    AppCode,
    ImportRef,
    Place,
    ProjectIndex,
    app_code,
    dotted,
    import_statements,
    iter_statements,
    module_imports,
    qualify,
    shows_none_of,
    statement_children,
    walk_runtime,
)
from spacepack.check.secrets_scan import is_secret_name
from spacepack.check.tree import ProjectTree
from spacepack.findings import finding
from spacepack.ignore import is_env_file
from spacepack.plan import EnvVar, Finding

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
    # A nested settings field's leaf: the group variable that also sets it, as one JSON value.
    group: str | None = None


@dataclass(frozen=True)
class EnvReport:
    """Env vars the backend reads (sorted by name), folders it writes, and findings."""

    env: tuple[EnvVar, ...] = ()
    writable_dirs: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    reads: tuple[EnvRead, ...] = ()  # every read, for the checks that look at defaults (hygiene)


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


@dataclass(frozen=True)
class _SettingsConfig:
    """A settings class's env naming: `env_prefix`, `case_sensitive`, pydantic v1 `Config.fields` envs."""

    prefix: str = ""
    case_sensitive: bool = False
    envs: Mapping[str, str] = field(default_factory=dict)  # field name -> env name
    nested_delimiter: str = ""  # `env_nested_delimiter`: a model-typed field is read sub-field by sub-field

    def updated(self, options: Mapping[str, ast.expr]) -> _SettingsConfig:
        config = self
        if "env_prefix" in options:
            config = replace(config, prefix=_const_str(options["env_prefix"]) or "")
        if "case_sensitive" in options:
            value = options["case_sensitive"]
            config = replace(config, case_sensitive=isinstance(value, ast.Constant) and value.value is True)
        if "fields" in options:
            config = replace(config, envs={**config.envs, **_config_field_envs(options["fields"])})
        if "env_nested_delimiter" in options:
            config = replace(config, nested_delimiter=_const_str(options["env_nested_delimiter"]) or "")
        return config


def _config_field_envs(value: ast.expr) -> dict[str, str]:
    """pydantic v1 `Config.fields = {"name": {"env": "ENV"}}` (or `{"name": "ENV"}`): field -> env name."""
    envs: dict[str, str] = {}
    for key, spec in _options(value).items():
        env = _const_str(spec) or _const_str(_options(spec).get("env"))
        if env:
            envs[key] = env
    return envs


def declared_classes(index: ProjectIndex, path: str) -> list[tuple[str, list[str | None]]]:
    """(name, base names) of each class a module defines, anywhere in it, in source order (a kept fact)."""

    def compute() -> Json:
        source = index.tree.python[path]
        module = source.tree
        if module is None or _names_no_class(source.source):
            return []
        classes = (n for n in iter_statements(module) if isinstance(n, ast.ClassDef))
        return [[node.name, [_name_of(base) for base in node.bases]] for node in classes]

    return [(name, list(bases)) for name, bases in index.facts.get("env.classes", path, compute)]


def _names_no_class(source: str | None) -> bool:
    """Whether a module's text cannot hold a class statement: ASCII with no `class` keyword anywhere."""
    return shows_none_of(source, ("class",))


def settings_classes(index: ProjectIndex, paths: Iterable[str]) -> _SettingsClasses:
    """Every settings class of the project by name: `BaseSettings` subclasses, through any module.

    Found from each module's declared classes (kept facts); a class's syntax is
    parsed only when a scan asks for it.
    """
    classes = [
        (path, position, name, set(bases))
        for path in paths
        for position, (name, bases) in enumerate(declared_classes(index, path))
    ]
    found: dict[str, tuple[str, int]] = {}
    changed = True
    while changed:  # subclasses of subclasses, across modules, in any order (the first class of a name wins)
        changed = False
        for path, position, name, bases in classes:
            if name not in found and bases & ({"BaseSettings"} | set(found)):
                found[name] = (path, position)
                changed = True
    return _SettingsClasses(index, found)


class _SettingsClasses(Mapping[str, ast.ClassDef]):
    """Settings classes by name, each parsed from its module only when its syntax is asked for."""

    def __init__(self, index: ProjectIndex, sites: Mapping[str, tuple[str, int]]) -> None:
        self.index = index
        self._sites = dict(sites)  # name -> (module, position among the module's classes)
        self._classes: dict[str, list[ast.ClassDef]] = {}

    def __getitem__(self, name: str) -> ast.ClassDef:
        path, position = self._sites[name]
        if path not in self._classes:
            module = self.index.tree.python[path].tree
            assert module is not None  # its classes were declared by a module that parses
            self._classes[path] = [n for n in iter_statements(module) if isinstance(n, ast.ClassDef)]
        return self._classes[path][position]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sites)

    def __len__(self) -> int:
        return len(self._sites)

    def names_key(self) -> str:
        """The names, as a short key: what a module's scan depends on besides its own syntax."""
        return hashlib.sha256("\n".join(sorted(self._sites)).encode("utf-8")).hexdigest()[:24]


# Model bases whose subclasses pydantic-settings reads sub-field by sub-field under `env_nested_delimiter`.
_MODEL_BASES = frozenset({"BaseModel", "BaseSettings"})
_NESTED_DEPTH = 4  # levels of nested models expanded; deeper ones keep their group's name


@dataclass(frozen=True)
class _Model:
    """A pydantic model class of the project, and the module it is defined in."""

    path: str
    node: ast.ClassDef


class _Models:
    """The project model class a field annotation names, resolved statically (else None: never a guess)."""

    def __init__(self, index: ProjectIndex | None, home: str = "", outside: Callable[[], None] = lambda: None) -> None:
        self.index = index  # None: nothing resolves, every model-typed field keeps its group's name
        self._classes: dict[str, dict[str, ast.ClassDef]] = {}
        self.home = home  # the module being scanned
        self.outside = outside  # told whenever a resolution may look beyond `home` (another module, the file set)

    def resolve(self, path: str, annotation: ast.expr) -> _Model | None:
        """The model an annotation (`M`, `Optional[M]`, `M | None`, `Annotated[M, ...]`, `"M"`) names."""
        target = _annotated_class(annotation)
        found = self._class(path, target) if target is not None else None
        return found if found is not None and self._is_model(found, 0) else None

    def fields(self, model: _Model, depth: int = 0) -> list[tuple[str, ast.AnnAssign]]:
        """(module path, field statement) of a model, inherited fields first; a redeclared field replaces."""
        found: dict[str, tuple[str, ast.AnnAssign]] = {}
        for base in model.node.bases if depth < 8 else ():
            parent = self._class(model.path, base)
            if parent is not None:
                found.update((s.target.id, (p, s)) for p, s in self.fields(parent, depth + 1))  # type: ignore[union-attr]
        for statement in model.node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                name = statement.target.id
                if not (name.startswith("_") or name == "model_config" or _is_classvar(statement.annotation)):
                    found[name] = (model.path, statement)
        return list(found.values())

    def _is_model(self, model: _Model, depth: int) -> bool:
        for base in model.node.bases:
            if _name_of(base) in _MODEL_BASES:
                return True
            parent = self._class(model.path, base) if depth < 8 else None
            if parent is not None and parent.node is not model.node and self._is_model(parent, depth + 1):
                return True
        return False

    def _class(self, path: str, expr: ast.expr) -> _Model | None:
        if self.index is None:
            return None
        if not self._within_home(path, expr):
            self.outside()
        symbol = self.index.resolve(path, expr)
        source = self.index.tree.python.get(symbol.path) if symbol is not None and symbol.name else None
        if symbol is None or symbol.name is None or source is None or source.tree is None:
            return None
        node = self._classes_of(symbol.path, source.tree).get(symbol.name)
        return _Model(symbol.path, node) if node is not None else None

    def _within_home(self, path: str, expr: ast.expr) -> bool:
        """Whether `index.resolve(path, expr)` reads nothing but the home module: a name it binds or never imports.

        An imported name resolves through the project's files and another module's
        syntax; an attribute is counted as one without looking closer.
        """
        assert self.index is not None
        if path != self.home or not isinstance(expr, ast.Name):
            return False
        scope = self.index.scope(path)
        if scope is None:
            return True
        name = expr.id
        return name in scope.assigns or name in scope.functions or name in scope.classes or name not in scope.imports

    def _classes_of(self, path: str, module: ast.Module) -> dict[str, ast.ClassDef]:
        if path not in self._classes:
            self._classes[path] = {n.name: n for n in iter_statements(module) if isinstance(n, ast.ClassDef)}
        return self._classes[path]


def _annotated_class(annotation: ast.expr) -> ast.expr | None:
    """The one class an annotation names, through `Optional`, `Annotated`, `X | None` and quotes; else None."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str) and len(annotation.value) < 200:
        try:
            annotation = ast.parse(annotation.value.strip(), mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.Name | ast.Attribute):
        return annotation
    options: list[ast.expr] = []
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        options = [annotation.left, annotation.right]
    elif isinstance(annotation, ast.Subscript):
        wrapper = _name_of(annotation.value)
        elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        if wrapper == "Annotated":
            options = elements[:1]
        elif wrapper in {"Optional", "Union"}:
            options = elements
    named = [o for o in options if not (isinstance(o, ast.Constant) and o.value is None)]
    return _annotated_class(named[0]) if len(named) == 1 else None


@dataclass(frozen=True)
class _FieldSpec:
    """A settings or model field's declaration: required, its alias, its default expression."""

    required: bool
    alias: str | None
    default: ast.expr | None


def _field_spec(statement: ast.AnnAssign) -> _FieldSpec:
    value = statement.value
    if isinstance(value, ast.Call) and _name_of(value.func) == "Field":
        first = value.args[0] if value.args else _keyword(value, "default")
        has_factory = _keyword(value, "default_factory") is not None
        required = not has_factory and (first is None or (isinstance(first, ast.Constant) and first.value is ...))
        return _FieldSpec(required, _alias(value), None if required else first)
    return _FieldSpec(value is None, None, value)


@dataclass(frozen=True)
class _Group:
    """A model-typed settings field being expanded: its env name so far (uncased), and whether it is needed."""

    name: str
    required: bool
    top: str  # the settings field's own env name, cased: one JSON value there sets the whole group


class _Scanner:
    """Walks one module once, with when each node runs, resolving `os`/`environ`/`getenv` through its imports."""

    def __init__(
        self,
        path: str,
        module: ast.Module,
        imports: dict[str, ImportRef] | None = None,
        external: Mapping[str, ast.ClassDef] | None = None,
        index: ProjectIndex | None = None,
        configs: _ConfigObjects | None = None,
        as_fact: bool = False,
    ) -> None:
        """
        Args:
            as_fact: scan for a kept fact: a name imported from the project is assumed not to be a config
                object, its import recorded in `assumed` (the fact holds while none leads into the project).
        """
        self.path = path
        # Whether the scan looked at another module's syntax or resolved an import: then its result is not
        # the module's own fact. The names of `external` are the fact's key, not beyond the module.
        self.outside = False
        self.assumed: list[ImportRef] | None = [] if as_fact else None
        self.models = _Models(index, path, self._looked_outside)
        self.configs = configs if configs is not None else _ConfigObjects(index)
        self._locals: dict[int, frozenset[str]] | None = None  # names functions bind, by node id (lazily)
        self._prefixes: dict[int, str] | None = None  # environs `prefixed` blocks, by node id (lazily)
        # Settings classes of every module, by name: a subclass here is a settings class too.
        self.external: Mapping[str, ast.ClassDef] = external if external is not None else {}
        self.module = module
        self.imports = imports if imports is not None else module_imports(import_statements(module))
        self.result = _ModuleScan()
        self.fallbacks: dict[int, str | None] = {}  # env reads the code copes without, and their fallback

    def run(self, source: str | None = None) -> _ModuleScan:
        """Scan the module; `source` (its text) lets a module that names no env function skip the fallback pass."""
        self._find_settings_classes()
        # An env call qualifies to os.getenv / os.environ.*, so its module's text names one of them.
        if source is None or "getenv" in source or "environ" in source:
            self.fallbacks = _tolerated_reads(self.module, self._is_env_call)
        for node, place in walk_runtime(self.module, opaque=frozenset(self.result.settings)):
            self._visit(node, place)
        return self.result

    def _looked_outside(self) -> None:
        self.outside = True

    # --- what a name stands for

    def _qualified(self, node: ast.expr) -> str | None:
        return qualify(node, self.imports)

    def _is_environ(self, node: ast.expr) -> bool:
        return self._qualified(node) == "os.environ"

    def _is_env_call(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and self._qualified(node.func) in _ENV_CALLS

    def _is_path_call(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Call) and self._qualified(node.func) in {"pathlib.Path", "Path"}

    # --- one node, knowing when it runs

    def _visit(self, node: ast.AST, place: Place) -> None:
        at_import = place.runs == "import"
        if isinstance(node, ast.Call):
            self._call(node, place)
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

    def _writable(self, raw: str) -> None:
        folder = _normalise_dir(raw)
        if folder:
            self.result.writable.append(folder)

    def _call(self, call: ast.Call, place: Place) -> None:
        callee = _name_of(call.func)
        if callee:
            if place.runs == "import":
                self.result.calls_at_import.add(callee)
            elif place.runs == "call" and place.function:
                self.result.factories.setdefault(place.function, set()).add(callee)
        qualified = self._qualified(call.func)
        if qualified in _ENV_CALLS:
            self._env_call(call, qualified, place.runs == "import")
        elif qualified in {"os.makedirs", "os.mkdir"} and call.args:
            raw = _const_str(call.args[0])
            if raw:
                self._writable(raw)
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "mkdir" and self._is_path_call(call.func.value):
            assert isinstance(call.func.value, ast.Call)
            raw = _const_str(call.func.value.args[0]) if call.func.value.args else None
            if raw:
                self._writable(raw)
        else:
            self._config_call(call, place)

    def _env_call(self, call: ast.Call, qualified: str, at_import: bool) -> None:
        """`os.getenv(NAME, default)`, `os.environ.get(NAME, default)` or `.setdefault(...)`."""
        if qualified == "os.getenv":
            name = _const_str(call.args[0]) if call.args else _const_str(_keyword(call, "key"))
            default = call.args[1] if len(call.args) > 1 else _keyword(call, "default")
        else:
            name = _const_str(call.args[0]) if call.args else None
            default = call.args[1] if len(call.args) > 1 else None
        if not name:
            return
        has_default = default is not None and not (isinstance(default, ast.Constant) and default.value is None)
        literal = _const_str(default)
        if not has_default and id(call) in self.fallbacks:
            # The code copes with it unset: `... or "x"`, `if not X: X = "x"`, `if os.getenv("X"):`.
            has_default, literal = True, self.fallbacks[id(call)]
        self._read(name, call.lineno, required=not has_default, at_import=at_import, default=literal)
        if name in CACHE_VARS and literal:
            self._writable(literal)

    def _config_call(self, call: ast.Call, place: Place) -> bool:
        """A read through a library's config object: `config("X", default=...)`, `env.int("X", 5)`.

        The object must be tied to the library statically (built in this module, or
        imported from a project module that builds it); a name a function binds
        itself (a parameter, a local) is not the module's object.
        """
        library = self._config_object(call.func, place)
        if library is None and isinstance(call.func, ast.Attribute) and call.func.attr in _ENVIRONS_PARSERS:
            library = self._config_object(call.func.value, place)
            library = library if library == "environs" else None
        if library is None:
            return False
        name = _const_str(call.args[0]) if call.args else None
        name = name or next((_const_str(kw.value) for kw in call.keywords if kw.arg in _NAME_KEYWORDS), None)
        if not name:
            return True  # the library's call, but a name only known at run time: never counted
        if library == "environs":
            name = self._environs_prefixes(place).get(id(call), "") + name
        position = _DEFAULT_POSITION[library]
        default = call.args[position] if len(call.args) > position else _keyword(call, "default")
        # Any default, None included, is what the library returns when the variable is unset.
        literal = _const_str(default)
        self._read(name, call.lineno, required=default is None, at_import=place.runs == "import", default=literal)
        if name in CACHE_VARS and literal:
            self._writable(literal)
        return True

    def _config_object(self, expr: ast.expr, place: Place) -> str | None:
        """The library whose config object `expr` is (`decouple`, `starlette`, `environs`), else None."""
        head = dotted(expr)
        if head is None:
            return None
        library = self.configs.library_of(self.path, expr, self.imports, self.module, self.assumed)
        # Asked second: most calls name no config object, and a function's own names cost a walk of the module.
        if library is None or place.runs == "import":
            return library
        return None if head.partition(".")[0] in self._function_locals().get(id(expr), frozenset()) else library

    def _environs_prefixes(self, place: Place) -> dict[int, str]:
        """Node id -> the prefix `with env.prefixed("APP_"):` blocks around it add (nested ones join)."""
        if self._prefixes is None:
            self._prefixes = {}
            for node in ast.walk(self.module):
                if not isinstance(node, ast.With | ast.AsyncWith):
                    continue
                for item in node.items:
                    value = item.context_expr
                    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
                        continue
                    prefix = _const_str(value.args[0]) if value.args else None
                    is_prefixed = value.func.attr == "prefixed" and prefix
                    if is_prefixed and self._config_object(value.func.value, place) == "environs":
                        # ast.walk goes outer block first, so an inner prefix lands after its outer one.
                        for inner in (n for statement in node.body for n in ast.walk(statement)):
                            self._prefixes[id(inner)] = self._prefixes.get(id(inner), "") + str(prefix)
        return self._prefixes

    def _function_locals(self) -> dict[int, frozenset[str]]:
        if self._locals is None:
            self._locals = _function_locals(self.module)
        return self._locals

    def _read(self, name: str, line: int, required: bool, at_import: bool, default: str | None = None) -> None:
        self.result.reads.append(EnvRead(name, self.path, line, required, at_import, default))

    # --- pydantic settings

    def _find_settings_classes(self) -> None:
        classes = [n for n in iter_statements(self.module) if isinstance(n, ast.ClassDef)]
        external = frozenset(self.external)  # names only
        changed = True
        while changed:  # subclasses of subclasses, in any order
            changed = False
            for node in classes:
                if node.name in self.result.settings:
                    continue
                bases = {_name_of(b) for b in node.bases}
                if bases & ({"BaseSettings"} | set(self.result.settings) | external):
                    self.result.settings[node.name] = []
                    changed = True
        by_name = {n.name: n for n in classes}
        for name in list(self.result.settings):
            self.result.settings[name] = self._settings_fields(by_name[name], by_name)

    def _settings_config(
        self, node: ast.ClassDef, by_name: dict[str, ast.ClassDef], chain: frozenset[str] = frozenset()
    ) -> _SettingsConfig:
        """The env naming of a settings class, inherited through its bases (this module's classes first).

        `chain`: the classes below it; a base among them is a cycle (`class A(B)`, `class B(A)`), not followed.
        """
        config = _SettingsConfig()
        chain = chain | {node.name}
        for base in node.bases:  # inherited config first, overridden below
            base_name = _name_of(base)
            if base_name is None or base_name in chain:
                continue
            if base_name in self.result.settings or base_name in self.external:
                parent = by_name.get(base_name)
                if parent is None:  # another module's settings class: its syntax is beyond this module
                    self._looked_outside()
                    parent = self.external[base_name]
                config = self._settings_config(parent, by_name, chain)
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
            config = config.updated(options)
        return config

    def _settings_fields(
        self, node: ast.ClassDef, by_name: dict[str, ast.ClassDef], chain: frozenset[str] = frozenset()
    ) -> list[EnvRead]:
        config = self._settings_config(node, by_name)
        fields: list[EnvRead] = []
        chain = chain | {node.name}  # the classes below it: a base among them is a cycle, not followed
        for base in node.bases:
            base_name = _name_of(base)
            if base_name in by_name and base_name in self.result.settings and base_name not in chain:
                fields.extend(
                    f
                    for f in self._settings_fields(by_name[base_name], by_name, chain)
                    if not any(s.name == f.name for s in fields)
                )
        for statement in node.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
                continue
            attr = statement.target.id
            if attr.startswith("_") or attr == "model_config" or _is_classvar(statement.annotation):
                continue
            reads = self._field_reads(statement, config.prefix + attr, config, config.envs.get(attr))
            # Fields a subclass redeclares replace the inherited ones.
            fields = [f for f in fields if f.name not in {r.name for r in reads}]
            fields.extend(reads)
        return fields

    def _field_reads(
        self, statement: ast.AnnAssign, env_name: str, config: _SettingsConfig, config_env: str | None
    ) -> list[EnvRead]:
        """The env read(s) of one settings field: its own name, and an env var its default reads.

        Under `env_nested_delimiter`, a field typed as a project model is read
        as one variable per sub-field instead (`PREFIX_DB__URL`).
        """
        spec = _field_spec(statement)
        required, value = spec.required, spec.default
        env_name = config_env or spec.alias or env_name
        if config.nested_delimiter:
            group = _Group(env_name, required, _cased(env_name, config))
            leaves = self._nested_reads(self.path, statement.annotation, group, config, 0)
            if leaves:
                return leaves
        env_name = _cased(env_name, config)
        line = statement.lineno
        inner = self._env_read_default(value)
        if inner is None:
            return [EnvRead(env_name, self.path, line, required, False, _const_str(value), settings_field=True)]
        # `= os.getenv("X")` is None when X is unset: no default the app can start with. Either name sets it.
        inner_name, inner_required, inner_default = inner
        if inner_name == env_name:
            return [EnvRead(env_name, self.path, line, inner_required, False, inner_default, settings_field=True)]
        return [
            EnvRead(env_name, self.path, line, False, False, inner_default, settings_field=True),
            EnvRead(inner_name, self.path, line, inner_required, False, inner_default, settings_field=True),
        ]

    def _nested_reads(
        self, path: str, annotation: ast.expr, group: _Group, config: _SettingsConfig, depth: int
    ) -> list[EnvRead]:
        """The leaf env reads of a field typed as a project model ([] when it is not one, or too deep).

        A leaf is required when its own field has no default and no level above
        it has one (a default instance or `default_factory` makes the group optional).
        """
        model = self.models.resolve(path, annotation) if depth < _NESTED_DEPTH else None
        if model is None:
            return []
        reads: list[EnvRead] = []
        for leaf_path, statement in self.models.fields(model):
            assert isinstance(statement.target, ast.Name)
            spec = _field_spec(statement)
            leaf = _Group(
                f"{group.name}{config.nested_delimiter}{spec.alias or statement.target.id}",
                group.required and spec.required,
                group.top,
            )
            deeper = self._nested_reads(leaf_path, statement.annotation, leaf, config, depth + 1)
            if deeper:
                reads.extend(deeper)
                continue
            default = _const_str(spec.default)
            name = _cased(leaf.name, config)
            reads.append(EnvRead(name, leaf_path, statement.lineno, leaf.required, False, default, True, group.top))
        return reads

    def _env_read_default(self, value: ast.expr | None) -> tuple[str, bool, str | None] | None:
        """(name, required, literal fallback) when a field default is `os.getenv("X"[, d])`; else None."""
        if value is None or not self._is_env_call(value):
            return None
        assert isinstance(value, ast.Call)
        name = _const_str(value.args[0]) if value.args else _const_str(_keyword(value, "key"))
        if not name:
            return None
        fallback = value.args[1] if len(value.args) > 1 else _keyword(value, "default")
        unset = fallback is None or (isinstance(fallback, ast.Constant) and fallback.value is None)
        return name, unset, _const_str(fallback)


_ENV_CALLS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})

# Classes whose instances read env vars when called, and the library whose call rules they follow.
_CONFIG_CLASSES = {
    "decouple.AutoConfig": "decouple",
    "decouple.Config": "decouple",
    "starlette.config.Config": "starlette",
    "environs.Env": "environs",
}
_LIBRARIES = frozenset(name.partition(".")[0] for name in _CONFIG_CLASSES)
# Ready-made instances the libraries export: decouple's `config`, environs' `env`.
_CONFIG_INSTANCES = {"decouple.config": "decouple", "environs.env": "environs"}
# environs' typed parsers: `env.int("X")` reads X (`read_env`, `prefixed`, `dump` do not read one).
_ENVIRONS_PARSERS = frozenset(
    {
        "str",
        "int",
        "bool",
        "float",
        "decimal",
        "list",
        "dict",
        "json",
        "datetime",
        "date",
        "time",
        "timedelta",
        "path",
        "log_level",
        "uuid",
        "url",
        "enum",
        "db",
        "dj_db_url",
        "dj_email_url",
        "dj_cache_url",
    }
)
# Where the default goes when passed by position: decouple `config(option, default, cast)`,
# starlette `config(key, cast, default)`, environs `env.str(name, default)`.
_DEFAULT_POSITION = {"decouple": 1, "starlette": 2, "environs": 1}
_NAME_KEYWORDS = frozenset({"option", "key", "name"})


class _ConfigObjects:
    """Which module-level names are config objects of decouple, starlette or environs, per module, cached.

    A name counts when every module-level binding of it builds one (`config = Config(".env")`
    in a `try` and `config = Config()` in its `except` both do); a function or class of that
    name, or any other value, makes it not one.
    """

    def __init__(self, index: ProjectIndex | None) -> None:
        self.index = index
        self._by_module: dict[str, dict[str, str]] = {}
        self._resolved: dict[tuple[str, str], str | None] = {}

    def library_of(
        self,
        path: str,
        expr: ast.expr,
        imports: Mapping[str, ImportRef],
        module: ast.Module,
        assumed: list[ImportRef] | None = None,
    ) -> str | None:
        """The library of the config object `expr` names in module `path`, else None.

        With `assumed`, a name imported from elsewhere is taken to lead out of the project
        (so not to a config object) without resolving it, and its import is added to `assumed`.
        """
        library = _CONFIG_INSTANCES.get(qualify(expr, imports) or "")
        if library is not None:
            return library
        name = dotted(expr)
        if name is None:
            return None
        if isinstance(expr, ast.Name) and expr.id in self.instances(path, module, imports):
            return self.instances(path, module, imports)[expr.id]
        if self.index is None or name.partition(".")[0] not in imports:
            return None
        if assumed is not None:
            ref = self._import_of(path, name.partition(".")[0])
            assumed.extend([ref] if ref is not None else [])
            return None
        if not self.index.project_imports(path):
            return None
        # Imported from a project module: `from app.settings import config`, `settings.config`.
        key = (path, name)
        if key not in self._resolved:
            self._resolved[key] = self._project_instance(path, expr)
        return self._resolved[key]

    def _import_of(self, path: str, name: str) -> ImportRef | None:
        """The import `index.resolve` follows for a name of module `path` (None: the name resolves to nothing
        beyond the module, as one it binds itself or never imports does)."""
        assert self.index is not None
        scope = self.index.scope(path)
        if scope is None or name in scope.assigns or name in scope.functions or name in scope.classes:
            return None
        return scope.imports.get(name)

    def _project_instance(self, path: str, expr: ast.expr) -> str | None:
        assert self.index is not None
        symbol = self.index.resolve(path, expr)
        if symbol is None or symbol.name is None or symbol.path == path:
            return None
        source = self.index.tree.python.get(symbol.path)
        if source is None or source.tree is None:
            return None
        return self.instances(symbol.path, source.tree, self.index.imports(symbol.path)).get(symbol.name)

    def instances(self, path: str, module: ast.Module, imports: Mapping[str, ImportRef]) -> dict[str, str]:
        if path not in self._by_module:
            self._by_module[path] = _module_instances(module, imports)
        return self._by_module[path]


def _imports_a_config_library(imports: Mapping[str, ImportRef]) -> bool:
    """Whether a module imports decouple, starlette or environs: no other module builds a config object.

    Only a name imported from one of the libraries can build one (`qualify` keeps an unimported name as written).
    """
    return any(
        ref.level == 0 and (ref.module or ref.name or "").partition(".")[0] in _LIBRARIES for ref in imports.values()
    )


def _module_instances(module: ast.Module, imports: Mapping[str, ImportRef]) -> dict[str, str]:
    """Module-level names bound only to config objects (name -> library)."""
    if not _imports_a_config_library(imports):
        return {}
    bound: dict[str, set[str | None]] = {}
    stack: list[ast.stmt] = list(module.body)
    while stack:
        statement = stack.pop()
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.setdefault(statement.name, set()).add(None)
            continue
        values: list[tuple[ast.expr, ast.expr | None]] = []
        if isinstance(statement, ast.Assign):
            values = [(target, statement.value) for target in statement.targets]
        elif isinstance(statement, ast.AnnAssign):
            values = [(statement.target, statement.value)]
        elif isinstance(statement, ast.AugAssign | ast.For | ast.AsyncFor | ast.With | ast.AsyncWith):
            values = [(target, None) for target in _rebound(statement)]  # rebinds to something else
        for target, value in values:
            for name in (n.id for n in ast.walk(target) if isinstance(n, ast.Name)):
                single = isinstance(target, ast.Name) and value is not None
                bound.setdefault(name, set()).add(_built_config(value, imports) if single else None)
        stack.extend(statement_children(statement))
    found: dict[str, str] = {}
    for name, libraries in bound.items():
        library = libraries.pop() if len(libraries) == 1 else None
        if library is not None:
            found[name] = library
    return found


def _rebound(statement: ast.AugAssign | ast.For | ast.AsyncFor | ast.With | ast.AsyncWith) -> list[ast.expr]:
    if isinstance(statement, ast.AugAssign | ast.For | ast.AsyncFor):
        return [statement.target]
    return [item.optional_vars for item in statement.items if item.optional_vars is not None]


def _built_config(value: ast.expr | None, imports: Mapping[str, ImportRef]) -> str | None:
    """The library when `value` builds a config object (`Config(".env")`, `Env()`) or names a ready one."""
    if isinstance(value, ast.Call):
        return _CONFIG_CLASSES.get(qualify(value.func, imports) or "")
    if value is not None:
        return _CONFIG_INSTANCES.get(qualify(value, imports) or "")
    return None


def _function_locals(module: ast.Module) -> dict[int, frozenset[str]]:
    """Node id -> the names the functions around it bind themselves (parameters, assignments, defs)."""
    found: dict[int, set[str]] = {}
    for function in ast.walk(module):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        args = function.args
        names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
        body = function.body if isinstance(function.body, list) else [function.body]
        nodes = [node for statement in body for node in ast.walk(statement)]
        declared_global: set[str] = set()
        for node in nodes:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Global | ast.Nonlocal):
                declared_global.update(node.names)
        names -= declared_global
        for node in nodes:
            found.setdefault(id(node), set()).update(names)
    return {key: frozenset(value) for key, value in found.items()}


def _tolerated_reads(module: ast.Module, is_env_call: Callable[[ast.AST], bool]) -> dict[int, str | None]:
    """Env reads (by node id) whose code copes with an unset variable, with the literal it falls back to.

    An unset `os.getenv("X")` is None, which crashes only where it is used as a
    string. These uses cope with it: the left side of `or`/`and`, a test
    (`if os.getenv("X"):`, `not ...`, a comparison), and a name read once and
    then replaced when empty (`if not X: X = "..."`, `X = X or "..."`).
    """
    found: dict[int, str | None] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.BoolOp):
            for index, value in enumerate(node.values):
                if is_env_call(value):
                    later = node.values[index + 1 :]
                    found[id(value)] = _const_str(later[-1]) if later and isinstance(node.op, ast.Or) else None
        elif isinstance(node, ast.If | ast.While | ast.IfExp):
            _tolerate_test(node.test, is_env_call, found)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and is_env_call(node.operand):
            found[id(node.operand)] = None
        elif isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                if is_env_call(side):
                    found[id(side)] = None
        body_lists = [getattr(node, key, None) for key in ("body", "orelse", "finalbody")]
        for body in body_lists:
            if isinstance(body, list):
                _tolerate_replaced_names(body, is_env_call, found)
    return found


def _tolerate_test(test: ast.expr, is_env_call: Callable[[ast.AST], bool], found: dict[int, str | None]) -> None:
    if is_env_call(test):
        found[id(test)] = None


def _tolerate_replaced_names(
    body: list[ast.stmt], is_env_call: Callable[[ast.AST], bool], found: dict[int, str | None]
) -> None:
    """`X = os.getenv("X")` followed, in the same block, by `if not X: X = "..."` or `X = X or "..."`."""
    for index, statement in enumerate(body):
        if not (isinstance(statement, ast.Assign) and is_env_call(statement.value)):
            continue
        names = {t.id for t in statement.targets if isinstance(t, ast.Name)}
        for later in body[index + 1 :]:
            fallback = _replacement(later, names)
            if fallback is not False:
                found[id(statement.value)] = fallback if isinstance(fallback, str) else None
                break


def _replacement(statement: ast.stmt, names: set[str]) -> str | None | bool:
    """The literal a statement replaces an empty `names` with (None: not a literal), or False when it does not."""
    if isinstance(statement, ast.If) and _mentions(statement.test, names):
        for inner in statement.body:
            if isinstance(inner, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in inner.targets):
                return _const_str(inner.value)
        return False
    if (
        isinstance(statement, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id in names for t in statement.targets)
        and isinstance(statement.value, ast.BoolOp)
        and isinstance(statement.value.op, ast.Or)
        and _mentions(statement.value.values[0], names)
    ):
        return _const_str(statement.value.values[-1])
    return False


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


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


def _cased(env_name: str, config: _SettingsConfig) -> str:
    """The name as reported: pydantic-settings matches names case-insensitively unless `case_sensitive`."""
    return env_name if config.case_sensitive else env_name.upper()


def _is_classvar(annotation: ast.expr) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return _name_of(target) == "ClassVar"


# --------------------------------------------------------------------------- project level


def find_env_reads(code: AppCode) -> tuple[list[EnvRead], list[str]]:
    """Every env read of the app's modules (settings fields resolved) and the folders it writes.

    Settings fields are at import when their class, or a function returning
    one, is called at import time anywhere in the app.
    """
    index = code.index
    external = settings_classes(index, code.modules)
    shared = _Shared(index, external, _ConfigObjects(index), external.names_key(), _module_names(index))
    by_path = _module_scans(shared, code.modules)
    paths_and_scans = [(path, by_path[path]) for path in code.modules]
    scans = [scan for _, scan in paths_and_scans]
    # Only modules the app loads run their module-level calls when it starts.
    called_at_import: set[str] = set()
    for path, scan in paths_and_scans:
        if code.loaded(path):
            called_at_import |= scan.calls_at_import
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
        reads.extend(read if code.loaded(read.path) else replace(read, at_import=False) for read in scan.reads)
        writable.extend(scan.writable)
        for class_name, fields in scan.settings.items():
            instantiated = class_name in called_at_import
            for f in fields:
                reads.append(replace(f, at_import=instantiated))
                writable.extend(_field_folders(f))
    return reads, writable


@dataclass
class _Shared:
    """What the scans of one check share."""

    index: ProjectIndex
    external: _SettingsClasses
    configs: _ConfigObjects
    names_key: str  # the names of the settings classes, as a key
    module_names: frozenset[str]  # every folder name and file stem of the project's Python files
    config_modules: list[str] | None = None  # the modules that import a config library (once asked)
    config_objects: bool | None = None  # whether any module binds a config object at module level (once asked)

    def holds(self, path: str, assumed: Iterable[ImportRef]) -> bool:
        """Whether a kept scan of `path` is its scan now: what it assumed of its imports is still true.

        It assumed none leads to a config object: true when each leads out of the project,
        or when no module of the project imports a config library (none builds one).
        """
        return all(_leads_out(self, path, ref) for ref in assumed) or not self._any_config_library()

    def binds_config_objects(self) -> bool:
        """Whether a module of the project binds a config object (`_module_instances`), from kept facts."""
        if self.config_objects is None:
            self.config_objects = any(self._binds_config_object(p) for p in self._config_library_modules())
        return self.config_objects

    def _config_library_modules(self) -> list[str]:
        """The project's modules that import decouple, starlette or environs (only they can build a config object)."""
        if self.config_modules is None:
            paths = self.index.tree.python
            self.config_modules = [p for p in paths if _imports_a_config_library(self.index.imports(p))]
        return self.config_modules

    def _binds_config_object(self, path: str) -> bool:
        def compute() -> Json:
            module = self.index.tree.python[path].tree
            return module is not None and bool(_module_instances(module, self.index.imports(path)))

        return bool(self.index.facts.get("env.binds_config", path, compute))

    def _any_config_library(self) -> bool:
        return bool(self._config_library_modules())


# What a module's text shows when its scan can find an env read or a written folder of its own: the names of
# the env functions (`os.getenv`, `os.environ...`, decouple's `config`, environs' `env`: a qualified name is made
# of the module's own words), `sqlite` (a URL literal), the folder makers; a literal that is a start of "sqlite"
# (implicit concatenation: `"sq" "lite:///x.db"`), and the escapes and line joins that spell a letter otherwise.
_SCAN_WORDS = re.compile(
    r"getenv|environ|decouple|sqlite|mkdir|makedirs"
    r"|['\"](?:s|sq|sql|sqli|sqlit)['\"]"
    r"|\\[xuUN0-7\r\n]"
)


def _module_scans(shared: _Shared, paths: Iterable[str]) -> dict[str, _ModuleScan]:
    """Each module's scan, by path; a *silent* module is not walked: its scan is empty.

    A module is silent when its own scan would find nothing that counts: it reads no
    env var and writes no folder (`_reads_nothing`), and no name it calls is a settings
    class or a function that calls one. Its other calls (at import, or in a function)
    are what a scan records for settings classes only, so leaving them out changes no
    result. A settings class or such a function is called by a name its text shows:
    the settings class names are known first, the functions calling them from the
    other modules' scans, then a silent module whose text shows one is scanned after all.
    """
    scans: dict[str, _ModuleScan] = {}
    quiet: list[str] = []
    for path in paths:
        if _reads_nothing(shared, path):
            quiet.append(path)
        else:
            scans[path] = _module_scan(shared, path)
    settings = frozenset(shared.external)
    quiet = _not_mentioning(shared, quiet, sorted(settings), "env.mentions_settings", scans)
    callers = {name for scan in scans.values() for name, callees in scan.factories.items() if callees & settings}
    quiet = _not_mentioning(shared, quiet, sorted(callers), "env.mentions_callers", scans)
    scans.update((path, _ModuleScan()) for path in quiet)
    return scans


def _not_mentioning(
    shared: _Shared, paths: list[str], words: list[str], kind: str, scans: dict[str, _ModuleScan]
) -> list[str]:
    """The modules whose text shows none of `words` (a kept fact, keyed by the words); the others are scanned."""
    if not words:
        return paths
    key = hashlib.sha256("\n".join(words).encode("utf-8")).hexdigest()[:24]
    silent = []
    for path in paths:

        def compute(path: str = path) -> Json:
            source = shared.index.tree.python[path].source or ""
            return any(word in source for word in words)

        if shared.index.facts.get(kind, path, compute, key):
            scans[path] = _module_scan(shared, path)
        else:
            silent.append(path)
    return silent


def _reads_nothing(shared: _Shared, path: str) -> bool:
    """Whether a scan of module `path` finds no env read and no written folder of its own.

    Its text (ASCII: an identifier is then spelled as written) shows none of `_SCAN_WORDS`
    (a kept fact), and no module of the project binds a config object (an imported name
    could be one). Its settings classes are not asked about here: a module declaring one
    shows the class's name, a settings class name, so `_module_scans` scans it anyway.
    """

    def compute() -> Json:
        source = shared.index.tree.python[path].source or ""
        return source.isascii() and _SCAN_WORDS.search(source) is None

    return bool(shared.index.facts.get("env.plain", path, compute)) and not shared.binds_config_objects()


def _module_names(index: ProjectIndex) -> frozenset[str]:
    return frozenset(part.removesuffix(".py") for path in index.tree.python for part in path.split("/"))


def _leads_out(shared: _Shared, path: str, ref: ImportRef) -> bool:
    """Whether an import of module `path` resolves to no project module (`ProjectIndex.resolve_import`).

    An absolute import can only resolve to a file whose path has the import's first
    name as a folder or file stem: when no project file has it, resolving is not needed.
    """
    head = next((part for part in ref.module.split(".") if part), None)
    if not ref.level and head is not None and head not in shared.module_names:
        return True
    return shared.index.resolve_import(path, ref) is None


def _module_scan(shared: _Shared, path: str) -> _ModuleScan:
    """One module's scan: its kept fact when that still holds, else scanned now.

    The fact is the scan assuming the names the module imports lead out of the project
    (none is a config object of a project module), with the imports it assumed that of,
    keyed by the names of the project's settings classes. It holds while those imports
    still lead out of the project; a scan that looked at another module's syntax (a
    settings class it subclasses, a nested model) is kept as None: scanned every time.
    """
    index = shared.index
    this_check: list[_ModuleScan] = []

    def scanned(as_fact: bool) -> _Scanner:
        source = index.tree.python[path]
        assert source.tree is not None  # app modules parse
        scanner = _Scanner(path, source.tree, index.imports(path), shared.external, index, shared.configs, as_fact)
        scanner.run(source.source)
        return scanner

    def compute() -> Json:
        scanner = scanned(as_fact=True)
        assumed = list(dict.fromkeys(scanner.assumed or ()))
        if shared.holds(path, assumed):
            this_check.append(scanner.result)  # what it assumed is true: this is the module's scan now
        if scanner.outside:
            return None
        return {"scan": _scan_json(scanner.result), "assumed": [[r.module, r.level, r.name, r.line] for r in assumed]}

    stored = index.facts.get("env.scan", path, compute, shared.names_key)
    if this_check:
        return this_check[0]
    if stored is not None and shared.holds(path, (ImportRef(*ref) for ref in stored["assumed"])):
        return _scan_from_json(stored["scan"])
    return scanned(as_fact=False).result


def _read_json(read: EnvRead) -> Json:
    return list(astuple(read))


def _read_from_json(value: Json) -> EnvRead:
    return EnvRead(*value)


def _scan_json(scan: _ModuleScan) -> Json:
    return {
        "reads": [_read_json(read) for read in scan.reads],
        "writable": list(scan.writable),
        "settings": [[name, [_read_json(f) for f in fields]] for name, fields in scan.settings.items()],
        "calls_at_import": sorted(scan.calls_at_import),
        "factories": [[name, sorted(callees)] for name, callees in scan.factories.items()],
    }


def _scan_from_json(value: Json) -> _ModuleScan:
    return _ModuleScan(
        reads=[_read_from_json(read) for read in value["reads"]],
        writable=list(value["writable"]),
        settings={name: [_read_from_json(f) for f in fields] for name, fields in value["settings"]},
        calls_at_import=set(value["calls_at_import"]),
        factories={name: set(callees) for name, callees in value["factories"]},
    )


def _field_folders(field_read: EnvRead) -> list[str]:
    """Folders a settings field's literal default names (a cache folder, a SQLite file's folder)."""
    folders: list[str] = []
    default = field_read.default
    if field_read.name in CACHE_VARS and default:
        folder = _normalise_dir(default)
        if folder:
            folders.append(folder)
    if default and default.startswith("sqlite"):
        folder = _sqlite_dir(default)
        if folder:
            folders.append(folder)
    return folders


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


def scan_env(tree: ProjectTree, backend_dir: str, code: AppCode | None = None) -> EnvReport:
    """The env vars the backend reads, merged by name, and the folders it writes.

    Args:
        tree: the project as `load_tree` read it.
        backend_dir: the backend folder, posix, relative to the root.
        code: the check's app modules (computed once per check); made here when not given.

    Returns:
        Env vars sorted by name (where = sorted "path:line" places), writable
        folders relative to the working dir, and an SP301 finding naming the
        required vars read at import.
    """
    code = code if code is not None else app_code(ProjectIndex(tree), backend_dir)
    reads, writable = find_env_reads(code)
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
    group_of = {read.name: read.group for read in reads if read.group}
    env = tuple(
        EnvVar(
            name=name,
            required=bool(entry["required"]),
            secret=is_secret_name(name),
            where=tuple(sorted(entry["where"], key=_place_key)),  # type: ignore[call-overload]
            at_import=bool(entry["at_import"]),
            group=group_of.get(name),
        )
        for name, entry in sorted(merged.items())
    )
    needed = [e.name for e in env if e.required and e.at_import and e.name not in PROVIDED]
    findings: list[Finding] = []
    if needed:
        first = next(r for r in reads if r.name == needed[0] and r.required and r.at_import)
        groups = sorted({r.group for r in reads if r.group and r.name in needed and r.required and r.at_import})
        findings.append(
            finding(
                "SP301",
                f"the app reads {', '.join(needed)} while it is imported, with no default; "
                "it crashes at start-up without them",
                hint="give them defaults, or set them as Space secrets (push --secret NAME) and give the smoke "
                "test a value (--env NAME=..., --env-file, or the project .env)" + _group_hint(groups),
                path=first.path,
                line=first.line,
            )
        )
    folders = sorted({w for w in writable if w}, key=lambda w: (w.startswith("/"), w))
    return EnvReport(env=env, writable_dirs=tuple(folders), findings=tuple(findings), reads=tuple(reads))


def _group_hint(groups: list[str]) -> str:
    """pydantic-settings also reads a nested group as one JSON value under the group's own name."""
    if not groups:
        return ""
    return f"; a nested group can also be one JSON value instead ({groups[0]}='{{...}}')" + (
        f", as can {', '.join(groups[1:])}" if len(groups) > 1 else ""
    )


def _place_key(place: str) -> tuple[str, int]:
    path, _, line = place.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return place, 0
