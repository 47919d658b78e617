"""Finding the app to run: instances, re-export shims and factories, ranked by what they carry.

ASGI apps (FastAPI, Starlette...) and WSGI apps (Flask, Django's
`get_wsgi_application()`, Bottle, Falcon's `falcon.App`) both count; uvicorn
serves the WSGI ones with `--interface wsgi`. Gradio and Streamlit apps, and
apps created under `if __name__ == "__main__":`, are recognised only to say
what to do instead (`not_servable`).

Everything is read from the AST: the user's code is never imported. An app
that carries routes, routers, middleware and mounts outranks a minimal one
(a root `main.py` with only `/health`), and apps in tests, docs or examples
are listed but never chosen.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from spacepack.check.facts import Json
from spacepack.check.pyast import (
    ANY_ROUTE_METHODS,
    ROUTE_METHODS,
    TUPLE_APP_CALLS,
    ProjectIndex,
    Scope,
    Symbol,
    app_framework,
    build_scope,
    is_main_guard,
    keyword,
    non_app_reason,
)
from spacepack.findings import finding
from spacepack.plan import CandidateKind, Finding, Interface

_MIDDLEWARE_METHODS = {"add_middleware", "middleware"}
_MOUNT_METHODS = {"mount", "host"}
_OTHER_METHODS = {"exception_handler", "add_exception_handler", "on_event", "add_event_handler", "state"}
# Cheap byte markers: a file without any of these cannot create an app, so it is not parsed.
_APP_MARKERS: tuple[bytes, ...] = tuple(
    name.encode()
    for name in (
        "FastAPI",
        "Starlette",
        "ASGIApp",
        "get_asgi_application",
        "Quart",
        "Litestar",
        "Starlite",
        "Sanic",
        "ProtocolTypeRouter",
        "FastHTML",
        "fast_app",
        "falcon",
        "blacksheep",
        "AsyncApp",
        "Flask",
        "get_wsgi_application",
        "Bottle",
    )
)
# WSGI app constructors, by qualified name; uvicorn serves them through its WSGI interface.
WSGI_APP_CALLS: dict[str, str] = {
    "flask.Flask": "flask",
    "flask.app.Flask": "flask",
    "django.core.wsgi.get_wsgi_application": "django-wsgi",
    "bottle.Bottle": "bottle",
    "bottle.default_app": "bottle",
    "falcon.App": "falcon-wsgi",
    "falcon.API": "falcon-wsgi",
}
WSGI_FRAMEWORKS = frozenset(WSGI_APP_CALLS.values())


def wsgi_framework(qualified_name: str | None) -> str | None:
    """The WSGI framework a qualified callee builds an app of (`flask.Flask` -> "flask"), else None."""
    return WSGI_APP_CALLS.get((qualified_name or "").lstrip("."))


def framework_of(qualified_name: str | None) -> str | None:
    """The framework (WSGI first: `falcon.App` is WSGI, `falcon.asgi.App` ASGI) a callee builds an app of."""
    return wsgi_framework(qualified_name) or app_framework(qualified_name)


@dataclass(frozen=True)
class AppFeatures:
    """What an app carries; the ranking counts these."""

    routes: int = 0
    routers: int = 0
    router_routes: int = 0
    middleware: int = 0
    mounts: int = 0
    other: int = 0

    def score(self) -> int:
        return (
            10
            + 3 * self.routes
            + 5 * self.routers
            + 2 * self.router_routes
            + 4 * self.middleware
            + 3 * self.mounts
            + self.other
        )

    def describe(self) -> str:
        parts = [
            _plural(self.routes + self.router_routes, "route"),
            _plural(self.routers, "router"),
            _plural(self.middleware, "middleware", "middleware"),
            _plural(self.mounts, "mount"),
        ]
        shown = [p for p in parts if not p.startswith("0 ")]
        return ", ".join(shown) if shown else "no routes"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


@dataclass(frozen=True)
class AppSite:
    """Where an app object is built and configured: a module scope, or a factory's body."""

    path: str  # module file
    name: str  # the variable holding the app in that scope
    function: str | None = None  # the factory function, when the app is built inside one


@dataclass(frozen=True)
class AppCandidate:
    """An ASGI app found in the project, before a working dir turns it into an entry."""

    path: str  # file, relative to the project root
    attr: str  # the module attribute uvicorn loads
    line: int
    kind: CandidateKind
    framework: str
    features: AppFeatures
    site: AppSite  # where the real app is built (the target, for shims)
    via: str = ""  # for shims: "re-exports src/main.py:app", "calls create_app() from app/factory.py"
    decoy: str | None = None  # why it can never be chosen ("under tests/"), else None

    @property
    def factory(self) -> bool:
        return self.kind == "factory"

    @property
    def interface(self) -> Interface:
        return "wsgi" if self.framework in WSGI_FRAMEWORKS else "asgi"

    @property
    def score(self) -> int:
        return 0 if self.decoy else self.features.score()


class AppFinder:
    """Finds the apps of a project's modules, following shims to what they re-export."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self._apps: dict[str, dict[str, AppCandidate]] = {}
        self._in_progress: set[str] = set()
        self._factory_scopes: dict[tuple[str, str], Scope] = {}

    # -- public -----------------------------------------------------------------

    def find(self, search_dir: str = "") -> list[AppCandidate]:
        """Every app candidate in Python files below `search_dir` ("" = the whole project).

        Files are pre-filtered by bytes (a file naming no app class cannot build
        an app; a shim must name both an app and its module), so only a handful
        of modules are ever parsed. What the filters see of each module is one of
        its facts, so a module whose facts are kept is not even read.
        """
        prefix = f"{search_dir.strip('/')}/" if search_dir.strip("/.") else ""
        paths = [p for p in self.index.tree.python if p.startswith(prefix)]
        markers = {p: self._markers(p) for p in paths}
        found: dict[tuple[str, str], AppCandidate] = {}
        first = [p for p in paths if markers[p][0]]
        for path in first:
            for candidate in self.module_apps(path).values():
                found[(candidate.path, candidate.attr)] = candidate
        # Shims: modules that mention an app's attribute and its module by name.
        words: set[bytes] = set()
        for candidate in list(found.values()):
            words.add(candidate.attr.encode())
            words.add(candidate.path.rpartition("/")[2].removesuffix(".py").encode())
        if words:
            searched = sorted(words)
            pattern = re.compile(rb"\b(" + b"|".join(re.escape(w) for w in searched) + rb")\b")
            extra = json.dumps([w.decode() for w in searched])
            for path in paths:
                if path in first or not markers[path][1]:
                    continue
                if len(self._shim_words(path, pattern, extra)) < 2:
                    continue
                for candidate in self.module_apps(path).values():
                    found[(candidate.path, candidate.attr)] = candidate
        result = []
        for candidate in found.values():
            decoy = non_app_reason(candidate.path, prefix)
            if decoy:
                candidate = _with_decoy(candidate, decoy)
            result.append(candidate)
        return sorted(result, key=lambda c: (c.path, c.line, c.attr))

    def module_apps(self, path: str) -> dict[str, AppCandidate]:
        """The apps a module exposes at module level, by attribute name."""
        cached = self._apps.get(path)
        if cached is not None:
            return cached
        if path in self._in_progress:
            return {}
        self._in_progress.add(path)
        try:
            apps = self._analyse(path)
        finally:
            self._in_progress.discard(path)
        self._apps[path] = apps
        return apps

    def app_at(self, symbol: Symbol | None) -> AppCandidate | None:
        """The app a symbol refers to, if any."""
        if symbol is None or symbol.name is None:
            return None
        return self.module_apps(symbol.path).get(symbol.name)

    def site_scope(self, site: AppSite) -> Scope | None:
        """The scope holding the app's configuration calls (module or factory body)."""
        if site.function is None:
            return self.index.scope(site.path)
        return self._factory_scope(site.path, site.function)

    # -- analysis ----------------------------------------------------------------

    def _bytes(self, path: str) -> bytes:
        # The tree's own bounded, link-safe read (a FIFO or a huge file is no app), shared with its parse.
        return self.index.tree.python_bytes(path)

    def _markers(self, path: str) -> tuple[bool, bool]:
        """(names an app class, says `import`): a module fact, so a kept module is not read."""

        def compute() -> Json:
            data = self._bytes(path)
            return [any(marker in data for marker in _APP_MARKERS), b"import" in data]

        has_marker, has_import = self.index.facts.get("apps.markers", path, compute)
        return bool(has_marker), bool(has_import)

    def _shim_words(self, path: str, pattern: re.Pattern[bytes], extra: str) -> list[str]:
        """The distinct words of `pattern` a module names; `extra` (the searched words) keys the fact."""

        def compute() -> Json:
            return sorted({word.decode() for word in pattern.findall(self._bytes(path))})

        words: list[str] = self.index.facts.get("apps.shim_words", path, compute, extra=extra)
        return words

    def _factory_scope(self, path: str, function: str) -> Scope | None:
        key = (path, function)
        if key not in self._factory_scopes:
            module_scope = self.index.scope(path)
            node = module_scope.functions.get(function) if module_scope else None
            if node is None:
                return None
            self._factory_scopes[key] = build_scope(node.body)
        return self._factory_scopes[key]

    def _framework_of_call(self, path: str, value: ast.expr, local_classes: dict[str, str]) -> str | None:
        """The framework when `value` builds an app (`FastAPI(...)`, `MyApp()`, `fast_app()[0]`)."""
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Call):
            qualified = self.index.qualified(path, value.value.func)
            last = (qualified or "").rpartition(".")[2]
            return TUPLE_APP_CALLS.get(last)
        if not isinstance(value, ast.Call):
            return None
        if isinstance(value.func, ast.Name) and value.func.id in local_classes:
            return local_classes[value.func.id]
        return framework_of(self.index.qualified(path, value.func))

    def _local_app_classes(self, path: str, scope: Scope) -> dict[str, str]:
        classes: dict[str, str] = {}
        for name, node in scope.classes.items():
            for base in node.bases:
                framework = framework_of(self.index.qualified(path, base))
                if framework:
                    classes[name] = framework
        return classes

    def _analyse(self, path: str) -> dict[str, AppCandidate]:
        scope = self.index.scope(path)
        if scope is None:
            return {}
        local_classes = self._local_app_classes(path, scope)
        apps: dict[str, AppCandidate] = {}
        shim_calls: set[str] = set()

        # 1. Instances: NAME = FastAPI(...) (the first or the last binding builds the app,
        #    later ones may wrap it in middleware).
        for name in scope.assigns:
            for value, line in (scope.first_assigns[name], scope.assigns[name]):
                framework = self._framework_of_call(path, value, local_classes)
                if framework:
                    site = AppSite(path, name)
                    features = self._features(scope, site, value)
                    apps[name] = AppCandidate(path, name, line, "instance", framework, features, site)
                    break

        # 2. Shims: NAME = create_app() / NAME = other.app, and `from x import app`.
        for name, (value, line) in scope.assigns.items():
            if name in apps:
                continue
            target = self._shim_target(path, value) or self._local_factory_call(path, scope, value, local_classes)
            if target is None:
                continue
            app, how = target
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                shim_calls.add(value.func.id)
            apps[name] = _shim(path, name, line, app, how)
        for name, ref in scope.imports.items():
            if name in apps or ref.name is None or "." in name:
                continue
            imported = self.app_at(self.index.resolve_name(path, name))
            if imported is None or imported.kind == "factory":
                continue
            apps[name] = _shim(path, name, ref.line, imported, f"re-exports {imported.path}:{imported.attr}")

        # 3. Factories: a function that builds an app and returns it, when no module-level app calls it.
        for name, node in scope.functions.items():
            if name in apps or name in shim_calls:
                continue
            factory = self._factory(path, name, node, local_classes)
            if factory is not None:
                apps[name] = factory
        return apps

    def _local_factory_call(
        self, path: str, scope: Scope, value: ast.expr, local_classes: dict[str, str]
    ) -> tuple[AppCandidate, str] | None:
        """`app = create_app()` with `create_app` defined in the same module: the instance uvicorn can load."""
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
            return None
        node = scope.functions.get(value.func.id)
        factory = self._factory(path, value.func.id, node, local_classes) if node is not None else None
        return (factory, f"calls the factory {value.func.id}()") if factory is not None else None

    def _shim_target(self, path: str, value: ast.expr) -> tuple[AppCandidate, str] | None:
        if isinstance(value, ast.Call):
            symbol = self.index.resolve(path, value.func)
            app = self.app_at(symbol)
            if app is not None and app.kind == "factory" and symbol is not None:
                where = "" if symbol.path == path else f" from {symbol.path}"
                return app, f"calls the factory {symbol.name}(){where}"
            return None
        if isinstance(value, ast.Name | ast.Attribute):
            symbol = self.index.resolve(path, value)
            if symbol is not None and symbol.path == path and isinstance(value, ast.Name):
                return None  # `application = app` is the same app under two names; the first is enough
            app = self.app_at(symbol)
            if app is not None and app.kind != "factory":
                return app, f"re-exports {app.path}:{app.attr}"
        return None

    def _factory(
        self,
        path: str,
        name: str,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        local_classes: dict[str, str],
    ) -> AppCandidate | None:
        body = self._factory_scope(path, name)
        if body is None:
            return None
        for returned in body.returns:
            framework = self._framework_of_call(path, returned, local_classes)
            if framework:
                site = AppSite(path, "", name)
                return AppCandidate(path, name, node.lineno, "factory", framework, AppFeatures(), site)
            if isinstance(returned, ast.Name) and returned.id in body.assigns:
                value = body.first_assigns[returned.id][0]
                framework = self._framework_of_call(path, value, local_classes)
                if framework:
                    site = AppSite(path, returned.id, name)
                    features = self._features(body, site, value)
                    return AppCandidate(path, name, node.lineno, "factory", framework, features, site)
        return None

    def _features(self, scope: Scope, site: AppSite, constructor: ast.expr) -> AppFeatures:
        routes = routers = router_routes = middleware = mounts = other = 0
        for use in scope.uses_of(site.name):
            if use.method in ROUTE_METHODS or use.method in ANY_ROUTE_METHODS:
                routes += 1
            elif use.method == "include_router" and use.call is not None and use.call.args:
                routers += 1
                router_routes += self.router_route_count(site.path, use.call.args[0])
            elif use.method in _MIDDLEWARE_METHODS:
                middleware += 1
            elif use.method in _MOUNT_METHODS:
                mounts += 1
            elif use.method in _OTHER_METHODS:
                other += 1
        if isinstance(constructor, ast.Call):
            for kw_name, counter in (
                ("routes", "routes"),
                ("route_handlers", "routes"),
                ("middleware", "middleware"),
            ):
                value = keyword(constructor, kw_name)
                if isinstance(value, ast.List | ast.Tuple):
                    if counter == "routes":
                        routes += len(value.elts)
                    else:
                        middleware += len(value.elts)
        return AppFeatures(routes, routers, router_routes, middleware, mounts, other)

    def router_route_count(self, path: str, expr: ast.expr, depth: int = 0) -> int:
        """Routes registered on a router (and the routers it includes), wherever it is defined."""
        if depth > 6:
            return 0
        symbol = self.index.resolve(path, expr)
        if symbol is None:
            return 0
        if symbol.name is None:
            # `include_router(users)` where users is a module: its `router` attribute.
            symbol = Symbol(symbol.path, "router")
        scope = self.index.scope(symbol.path)
        if scope is None or symbol.name is None:
            return 0
        count = 0
        for use in scope.uses_of(symbol.name):
            if use.method in ROUTE_METHODS or use.method in ANY_ROUTE_METHODS:
                count += 1
            elif use.method == "include_router" and use.call is not None and use.call.args:
                count += self.router_route_count(symbol.path, use.call.args[0], depth + 1)
        return count


def _shim(path: str, name: str, line: int, target: AppCandidate, how: str) -> AppCandidate:
    return AppCandidate(path, name, line, "shim", target.framework, target.features, target.site, via=how)


def _with_decoy(candidate: AppCandidate, reason: str) -> AppCandidate:
    return AppCandidate(
        candidate.path,
        candidate.attr,
        candidate.line,
        candidate.kind,
        candidate.framework,
        candidate.features,
        candidate.site,
        candidate.via,
        reason,
    )


# --------------------------------------------------------------------------- what cannot be served, and why

_UI_SDKS: dict[str, tuple[str, str]] = {
    "gradio": (
        "a Gradio app",
        "push it as a Gradio Space (`sdk: gradio`, `app_file: app.py`), or serve it from FastAPI: "
        '`app = gr.mount_gradio_app(FastAPI(), demo, path="/")`, and spacepack ships that',
    ),
    "streamlit": (
        "a Streamlit app",
        "Streamlit serves itself: use a Docker Space with "
        "`streamlit run app.py --server.port $PORT --server.address 0.0.0.0` (Hugging Face's Streamlit template)",
    ),
}


def not_servable(index: ProjectIndex, search_dir: str = "") -> list[Finding]:
    """Why a project with no servable app has none: a Gradio or Streamlit app, or an app made under a main guard.

    Called when no ASGI or WSGI app was found, so that `check` names what it
    did find instead of only "no app".
    """
    prefix = f"{search_dir.strip('/')}/" if search_dir.strip("/.") else ""
    findings: list[Finding] = []
    seen_sdks: set[str] = set()
    for path in sorted(p for p in index.tree.python if p.startswith(prefix) and non_app_reason(p, prefix) is None):
        module = index.tree.python[path].tree
        if module is None:
            continue
        imports = index.imports(path)
        for sdk, (what, fix) in _UI_SDKS.items():
            ref = next((r for r in imports.values() if r.module.split(".")[0] == sdk), None)
            if ref is not None and sdk not in seen_sdks:
                seen_sdks.add(sdk)
                findings.append(
                    finding(
                        "SP140",
                        f"{path} is {what}, not an ASGI or WSGI app; spacepack builds Docker Spaces that run one",
                        hint=fix,
                        path=path,
                        line=ref.line,
                    )
                )
        findings.extend(_main_guard_apps(index, path, module))
    return findings


def _main_guard_apps(index: ProjectIndex, path: str, module: ast.Module) -> list[Finding]:
    """SP141 for `app = FastAPI()` (or Flask...) written inside `if __name__ == "__main__":`."""
    found: list[Finding] = []
    for statement in module.body:
        if not is_main_guard(statement):
            continue
        for node in ast.walk(statement):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            framework = framework_of(index.qualified(path, node.value.func))
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if framework and names:
                found.append(
                    finding(
                        "SP141",
                        f'{path}:{node.lineno} creates the app `{names[0]}` inside `if __name__ == "__main__":`; '
                        "uvicorn imports the module, so that block never runs on a Space",
                        hint=f"move `{names[0]} = ...` (and its routes) to module level, above the "
                        '`if __name__ == "__main__":` block',
                        path=path,
                        line=node.lineno,
                    )
                )
    return found
