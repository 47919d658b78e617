"""The route a smoke test should probe: an explicit health route, else the docs page.

Routes are collected from the AST of the chosen app: decorators on the app
(`@app.get("/health")`), routers it includes across modules, with the
prefixes of `APIRouter(prefix=...)` and `include_router(..., prefix=...)`,
mounted sub-apps, and Starlette's `routes=[Route(...), Mount(...)]`. Paths and
prefixes that are constants are resolved across modules (`StaticStrings`):
module constants, f-strings of them, and settings-class defaults
(`prefix=settings.API_V1_STR` with `settings = Settings()`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from spacepack.check.apps import AppCandidate, AppFinder, AppSite
from spacepack.check.pyast import ProjectIndex, Symbol, Use, build_scope, const_str, dotted, keyword
from spacepack.findings import finding
from spacepack.plan import Finding

# Last path segments that mean "am I up?", best first.
HEALTH_WORDS: tuple[str, ...] = (
    "health",
    "healthz",
    "healthcheck",
    "health-check",
    "health_check",
    "_health",
    "livez",
    "live",
    "liveness",
    "alive",
    "readyz",
    "ready",
    "readiness",
    "ping",
    "heartbeat",
    "status",
)
_DEFAULT_METHODS = {
    "api_route": ("GET",),
    "route": ("GET",),
    "add_api_route": ("GET",),
    "add_route": ("GET",),
}
_HTTP_VERBS = {"get", "post", "put", "delete", "patch", "options", "head", "trace"}


@dataclass(frozen=True)
class Route:
    """One HTTP route of the app, with its full path."""

    path: str
    methods: tuple[str, ...]
    file: str
    line: int


@dataclass(frozen=True)
class HealthChoice:
    """The path to probe, and the findings explaining it."""

    path: str
    routes: tuple[Route, ...]
    findings: tuple[Finding, ...]


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path or "/"
    if not path:
        return prefix
    return prefix.rstrip("/") + "/" + path.lstrip("/")


_MAX_DEPTH = 8


class StaticStrings:
    """The value of a string expression when the code alone decides it, following names across modules.

    Understood: literals, module constants (imported or not), `module.CONST`,
    f-strings and `+` of those, and a settings object's field default:
    `settings.API_V1_STR` where `settings = Settings()` (or `get_settings()`
    returning `Settings()`) and the class, or a base, declares
    `API_V1_STR: str = "/api/v1"`. An env var can override such a default at
    run time; the default is what an unconfigured smoke test sees.
    """

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index

    def value(self, path: str, expr: ast.expr | None, depth: int = 0) -> str | None:
        """The string `expr` (in module `path`) always evaluates to, or None when the code does not say."""
        if expr is None or depth > _MAX_DEPTH:
            return None
        literal = const_str(expr)
        if literal is not None:
            return literal
        if isinstance(expr, ast.JoinedStr):
            return self._fstring(path, expr, depth)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left, right = self.value(path, expr.left, depth + 1), self.value(path, expr.right, depth + 1)
            return left + right if left is not None and right is not None else None
        if isinstance(expr, ast.Name):
            return self._bound(self.index.resolve_name(path, expr.id), depth)
        if isinstance(expr, ast.Attribute):
            owner = self.index.resolve(path, expr.value)
            if owner is not None and owner.name is None:  # module.CONST
                return self._bound(self.index.resolve_name(owner.path, expr.attr), depth)
            found = self._class_of(path, expr.value, depth + 1)
            return self._field_default(found[0], found[1], expr.attr, depth + 1) if found else None
        return None

    def _fstring(self, path: str, expr: ast.JoinedStr, depth: int) -> str | None:
        parts: list[str] = []
        for part in expr.values:
            if isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
                inner = self.value(path, part.value, depth + 1)
            else:
                inner = const_str(part)
            if inner is None:
                return None
            parts.append(inner)
        return "".join(parts)

    def _bound(self, symbol: Symbol | None, depth: int) -> str | None:
        """A module-level name's string value, when it is bound once."""
        if symbol is None or symbol.name is None:
            return None
        scope = self.index.scope(symbol.path)
        bound = scope.assigns.get(symbol.name) if scope else None
        if scope is None or bound is None or scope.first_assigns.get(symbol.name) != bound:
            return None  # rebound: which value wins depends on run time
        return self.value(symbol.path, bound[0], depth + 1)

    def _class_of(self, path: str, expr: ast.expr, depth: int) -> tuple[str, ast.ClassDef] | None:
        """The class an instance expression is made from: `Settings()`, `settings`, `get_settings()`."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Call):
            symbol = self.index.resolve(path, expr.func)
            scope = self.index.scope(symbol.path) if symbol is not None and symbol.name else None
            if symbol is None or symbol.name is None or scope is None:
                return None
            if symbol.name in scope.classes:
                return symbol.path, scope.classes[symbol.name]
            function = scope.functions.get(symbol.name)
            returns = build_scope(function.body).returns if function is not None else []
            return self._class_of(symbol.path, returns[0], depth + 1) if len(returns) == 1 else None
        symbol = self.index.resolve(path, expr)
        if symbol is None or symbol.name is None:
            return None
        scope = self.index.scope(symbol.path)
        bound = scope.assigns.get(symbol.name) if scope else None
        if bound is None or not isinstance(bound[0], ast.Call):
            return None
        return self._class_of(symbol.path, bound[0], depth + 1)

    def _field_default(self, path: str, cls: ast.ClassDef, attr: str, depth: int) -> str | None:
        """A class attribute's default (`X: str = "..."`, `X = "..."`, `X: str = Field("...")`), bases too."""
        if depth > _MAX_DEPTH:
            return None
        for statement in cls.body:
            target: ast.expr | None = statement.target if isinstance(statement, ast.AnnAssign) else None
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
            value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
            if not (isinstance(target, ast.Name) and target.id == attr) or value is None:
                continue
            if isinstance(value, ast.Call) and (dotted(value.func) or "").rpartition(".")[2] == "Field":
                value = value.args[0] if value.args else keyword(value, "default")
            return self.value(path, value, depth + 1)
        for base in cls.bases:
            found = self._class_of(path, ast.Call(func=base, args=[], keywords=[]), depth + 1)
            if found is not None:
                inherited = self._field_default(found[0], found[1], attr, depth + 1)
                if inherited is not None:
                    return inherited
        return None


class RouteCollector:
    """Walks an app's configuration (and everything it includes) collecting routes."""

    def __init__(self, finder: AppFinder) -> None:
        self.finder = finder
        self.index = finder.index
        self.strings = StaticStrings(finder.index)
        self._seen: set[tuple[str, str, str]] = set()

    def app_routes(self, site: AppSite, prefix: str = "", depth: int = 0) -> list[Route]:
        """Routes of an app (module-level instance or factory body), under `prefix`."""
        key = (site.path, site.function or "", site.name)
        if depth > 6 or key in self._seen:
            return []
        self._seen.add(key)
        scope = self.finder.site_scope(site)
        if scope is None:
            return []
        routes = self._routes_of(site.path, scope.uses_of(site.name), prefix, depth)
        constructor = scope.first_assigns.get(site.name)
        if constructor is not None and isinstance(constructor[0], ast.Call):
            routes_kw = keyword(constructor[0], "routes")
            if routes_kw is not None:
                routes.extend(self._starlette_routes(site.path, routes_kw, prefix, depth))
        return routes

    def _routes_of(self, path: str, uses: list[Use], prefix: str, depth: int) -> list[Route]:
        routes: list[Route] = []
        for use in uses:
            call = use.call
            if call is None:
                continue
            if use.method in _HTTP_VERBS or use.method in _DEFAULT_METHODS:
                route_path = self.strings.value(path, call.args[0] if call.args else keyword(call, "path"))
                if route_path is None:
                    continue
                methods: tuple[str, ...]
                if use.method in _HTTP_VERBS:
                    methods = (use.method.upper(),)
                else:
                    methods = _literal_methods(keyword(call, "methods")) or _DEFAULT_METHODS[use.method]
                routes.append(Route(_join(prefix, route_path), methods, path, use.line))
            elif use.method == "include_router" and call.args:
                include_prefix = self.strings.value(path, keyword(call, "prefix")) or ""
                routes.extend(self.router_routes(path, call.args[0], _join(prefix, include_prefix), depth + 1))
            elif use.method == "mount" and call.args:
                mount_path = self.strings.value(path, call.args[0]) or self.strings.value(path, keyword(call, "path"))
                target = call.args[1] if len(call.args) > 1 else keyword(call, "app")
                if mount_path is None or target is None:
                    continue
                app = self.finder.app_at(self.index.resolve(path, target))
                if app is not None:
                    routes.extend(self.app_routes(app.site, _join(prefix, mount_path), depth + 1))
        return routes

    def router_routes(self, path: str, expr: ast.expr, prefix: str, depth: int) -> list[Route]:
        """Routes of a router expression used in module `path`, under `prefix` (plus its own prefix)."""
        if depth > 6:
            return []
        symbol = self.index.resolve(path, expr)
        if symbol is None:
            return []
        if symbol.name is None:
            symbol = Symbol(symbol.path, "router")
        name = symbol.name or "router"
        key = (symbol.path, "router", name + "@" + prefix)
        if key in self._seen:
            return []
        self._seen.add(key)
        scope = self.index.scope(symbol.path)
        if scope is None:
            return []
        own_prefix = ""
        constructor = scope.first_assigns.get(name)
        if constructor is not None and isinstance(constructor[0], ast.Call):
            own_prefix = self.strings.value(symbol.path, keyword(constructor[0], "prefix")) or ""
        return self._routes_of(symbol.path, scope.uses_of(name), _join(prefix, own_prefix), depth)

    def _starlette_routes(self, path: str, expr: ast.expr, prefix: str, depth: int) -> list[Route]:
        if isinstance(expr, ast.Name):
            scope = self.index.scope(path)
            bound = scope.assigns.get(expr.id) if scope else None
            if bound is None:
                return []
            expr = bound[0]
        if not isinstance(expr, ast.List | ast.Tuple):
            return []
        routes: list[Route] = []
        for item in expr.elts:
            if not isinstance(item, ast.Call):
                continue
            kind = (dotted(item.func) or "").rpartition(".")[2]
            route_path = self.strings.value(path, item.args[0] if item.args else keyword(item, "path"))
            if route_path is None:
                continue
            if kind == "Route":
                methods = _literal_methods(keyword(item, "methods")) or ("GET",)
                routes.append(Route(_join(prefix, route_path), methods, path, item.lineno))
            elif kind == "Mount" and depth < 6:
                inner = keyword(item, "routes")
                if inner is not None:
                    routes.extend(self._starlette_routes(path, inner, _join(prefix, route_path), depth + 1))
        return routes


def _literal_methods(expr: ast.expr | None) -> tuple[str, ...]:
    if not isinstance(expr, ast.List | ast.Tuple | ast.Set):
        return ()
    return tuple(value.upper() for value in (const_str(e) for e in expr.elts) if value)


def health_rank(route_path: str) -> int | None:
    """How health-like a path is (lower is better), or None when it is not a health route."""
    if "{" in route_path or "<" in route_path:
        return None
    segments = [s for s in route_path.lower().split("/") if s]
    if not segments:
        return None
    try:
        return HEALTH_WORDS.index(segments[-1])
    except ValueError:
        return None


def _constructor_kw(finder: AppFinder, site: AppSite, name: str) -> tuple[bool, ast.expr | None]:
    """(given?, expression) for a keyword of the app's constructor call."""
    scope = finder.site_scope(site)
    bound = scope.first_assigns.get(site.name) if scope else None
    if bound is None or not isinstance(bound[0], ast.Call):
        return False, None
    for kw in bound[0].keywords:
        if kw.arg == name:
            return True, kw.value
    return False, None


def docs_path(finder: AppFinder, candidate: AppCandidate) -> tuple[str | None, str]:
    """The docs (or OpenAPI) URL the app serves, and how it was decided; None when it serves none."""
    if candidate.framework == "litestar":
        return "/schema", "Litestar serves its OpenAPI docs at /schema"
    if candidate.framework != "fastapi":
        return None, f"{candidate.framework} apps serve no docs page"
    given_docs, docs = _constructor_kw(finder, candidate.site, "docs_url")
    given_openapi, openapi = _constructor_kw(finder, candidate.site, "openapi_url")
    strings = StaticStrings(finder.index)
    openapi_on = not (given_openapi and _is_none(openapi))
    # None while on: computed in a way the code does not show (the docs page still works).
    openapi_url = strings.value(candidate.site.path, openapi) if given_openapi else "/openapi.json"
    if not given_docs:
        if not openapi_on:
            return None, "openapi_url=None disables the docs page"
        return "/docs", "FastAPI's default docs page"
    if _is_none(docs):
        if openapi_on and openapi_url:
            return openapi_url, "docs_url=None, so the OpenAPI schema URL"
        return None, "docs_url=None and openapi_url=None" if not openapi_on else "docs_url=None"
    literal = strings.value(candidate.site.path, docs)
    if literal is not None and openapi_on:
        return literal, f"the custom docs_url={literal!r}"
    if openapi_on and openapi_url:
        return openapi_url, "docs_url is computed at run time, so the OpenAPI schema URL"
    return None, "the docs URLs are computed at run time"


def _is_none(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def choose_health_path(finder: AppFinder, candidate: AppCandidate, explicit: str | None = None) -> HealthChoice:
    """The route a smoke test should probe for the chosen app.

    Args:
        finder: the app finder (with its index) that found `candidate`.
        candidate: the chosen app.
        explicit: a health path from the settings; it wins, with a warning
            when no route spacepack can see matches it.
    """
    routes = tuple(RouteCollector(finder).app_routes(candidate.site))
    docs, docs_reason = docs_path(finder, candidate)
    if explicit:
        findings: list[Finding] = []
        known = {r.path for r in routes} | ({docs} if docs else set())
        if routes and explicit not in known and explicit.rstrip("/") not in known:
            findings.append(
                finding(
                    "SP132",
                    f"health_path {explicit} matches no route spacepack found in the app",
                    hint="check the path, or leave health_path unset to let spacepack pick one",
                    path=candidate.site.path,
                )
            )
        return HealthChoice(explicit, routes, tuple(findings))
    ranked = sorted(
        (rank, len(r.path), r.path, r.file, r.line, index)
        for index, r in enumerate(routes)
        if "GET" in r.methods and (rank := health_rank(r.path)) is not None
    )
    if ranked:
        best = routes[ranked[0][5]]
        why = finding(
            "SP130", f"health path {best.path}: a GET route at {best.file}:{best.line}", path=best.file, line=best.line
        )
        return HealthChoice(best.path, routes, (why,))
    if docs:
        why = finding(
            "SP130",
            f"no health route found; the smoke test will probe {docs} ({docs_reason})",
            hint='add a cheap `@app.get("/health")` route that returns {"status": "ok"}',
            path=candidate.site.path,
        )
        return HealthChoice(docs, routes, (why,))
    why = finding(
        "SP131",
        f"no health route and no docs page ({docs_reason}); the smoke test will probe /",
        hint='add a cheap `@app.get("/health")` route, or set health_path in the config',
        path=candidate.site.path,
    )
    return HealthChoice("/", routes, (why,))
