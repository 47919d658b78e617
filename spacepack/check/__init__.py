"""`check`: inspect a project folder and return a `Plan` (pure: AST only, user code never runs).

`check_project(settings)` walks the folder once (`tree`), finds and ranks the
ASGI apps (`apps`), decides the working dir and module name (`layout`), the
health path (`routes`), then asks the dependency, Python, environment and
hygiene checks for their part. Explicit settings win over detection, and
every decision is explained by a candidate reason or an info finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from spacepack.check.apps import AppCandidate, AppFeatures, AppFinder, AppSite, not_servable
from spacepack.check.deps import read_dependencies
from spacepack.check.envvars import scan_env
from spacepack.check.facts import FactStore, ModuleFacts
from spacepack.check.formats import PYPROJECT
from spacepack.check.hygiene import scan_hygiene
from spacepack.check.import_names import exact_distributions, stdlib_names
from spacepack.check.layout import Layout, as_dir, backend_dir_for, entry_layout, module_name, outside_needs
from spacepack.check.manifests import ManifestFiles
from spacepack.check.pyast import AppCode, ProjectIndex, app_code, non_app_reason
from spacepack.check.python_version import DEFAULT_PYTHON, detect_python, end_of_life_finding
from spacepack.check.routes import choose_health_path
from spacepack.check.secrets_scan import redact_url_credentials
from spacepack.check.shipping import decide_shipping, kept_outside
from spacepack.check.tree import ProjectTree, load_tree
from spacepack.config import Settings
from spacepack.errors import UsageError
from spacepack.findings import finding
from spacepack.ignore import IgnoreRules
from spacepack.names import display_name
from spacepack.plan import Candidate, Dependencies, EnvVar, Finding, Interface, Plan

_ENTRY = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")
_KIND_ORDER = {"instance": 0, "shim": 1, "factory": 2}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class _Ranked:
    """An app candidate with the layout that turns it into an entry."""

    app: AppCandidate
    layout: Layout
    backend_dir: str

    @property
    def entry(self) -> str:
        return f"{self.layout.module}:{self.app.attr}"


@dataclass(frozen=True)
class EntryDecision:
    """What runs and how: the part of the plan decided from the app's code alone."""

    backend_dir: str
    working_dir: str
    entry: str
    factory: bool
    health_path: str
    candidates: tuple[Candidate, ...]
    findings: tuple[Finding, ...]
    interface: Interface = "asgi"


def check_with_kept_facts(settings: Settings) -> Plan:
    """`check_project`, keeping what it learns of each module in the user's cache folder for the next run.

    What `spacepack check`, `build`, `render` and `release` run: after a one-line change,
    only the changed modules are read and parsed again (see `spacepack.check.facts`).
    """
    from spacepack.resolve import default_cache_dir  # the cache folder's one definition

    return check_project(settings, FactStore(default_cache_dir()))


def check_project(settings: Settings, facts: FactStore | None = None) -> Plan:
    """Inspect a project (a repository root or a backend folder) and decide how it runs on a Space.

    Pure: reads files, parses Python into ASTs, never imports or runs the
    user's code. Problems are findings in the plan; only unusable input
    (a missing folder, a malformed entry) raises.

    Args:
        settings: what the user said explicitly (see `spacepack.config`).
        facts: where each module's facts are kept across runs; None reads and parses every module.

    Returns:
        The plan: entry, working dir, Python, dependencies, env vars, health
        path, every app candidate with its verdict, and findings sorted by
        severity.

    Raises:
        UsageError: when the folder, `backend_dir` or `entry` given is unusable.
    """
    root = settings.project_dir.resolve()
    if not root.is_dir():
        raise UsageError(f"{settings.project_dir} is not a folder", hint="pass the path of your project or backend")
    # Check reads every file that may ship; `decide_shipping` then says what the defaults leave out.
    rules = IgnoreRules.for_shipping(root, include=settings.include, exclude=settings.exclude)
    tree = load_tree(root, rules.without_defaults())
    known = facts.open(root, tree.python_states) if facts is not None else ModuleFacts()
    index = ProjectIndex(tree, known)
    decision = decide_entry(tree, settings, index)
    findings = list(decision.findings)
    files = ManifestFiles(tree)
    chosen = next((c for c in decision.candidates if c.chosen), None)
    code = app_code(index, decision.backend_dir, chosen.path if chosen is not None else None)
    infer = settings.infer_dependencies is not False  # on unless the user turns it off
    parts = _dependency_env_and_hygiene_checks(files, code, decision.working_dir, infer)
    findings.extend(parts.findings)
    shipping = decide_shipping(tree, code, decision.working_dir, rules)
    findings.extend(shipping.findings)
    loaded = sorted(code.reachable) if code.reachable is not None else list(code.modules)
    outside = outside_needs(index, loaded, decision.working_dir, _provided(parts.dependencies))
    findings.extend(outside.findings)

    python, python_source = parts.python, parts.python_source
    if settings.python:
        python = settings.python
        python_source = settings.sources.get("python", "settings")
        # The detected choice, its reason and its end-of-life warning no longer apply; the explicit one's do.
        findings = [f for f in findings if f.code not in {"SP253", "SP254"}]
        findings.append(_explicit("python", settings.python, settings, None))
        old_python = end_of_life_finding(settings.python, f"python is set to it ({python_source})")
        findings.extend([old_python] if old_python else [])

    findings.extend(_parse_findings(index, decision.backend_dir))
    name, description = _project_metadata(tree, files, decision.backend_dir)
    findings.extend(tree.read_findings())  # after every check: the files they asked for and could not read
    system_packages = tuple(dict.fromkeys([*parts.system_packages, *settings.system_packages]))
    if facts is not None:
        facts.save(root, known)
    return Plan(
        root=root,
        backend_dir=decision.backend_dir,
        entry=decision.entry,
        factory=decision.factory,
        interface=decision.interface,
        working_dir=decision.working_dir,
        python=python,
        python_source=python_source,
        dependencies=parts.dependencies,
        system_packages=system_packages,
        env=parts.env,
        health_path=decision.health_path,
        candidates=decision.candidates,
        findings=sort_findings(findings),
        writable_dirs=parts.writable_dirs,
        secret_files=parts.secret_files,
        kept_anyway=tuple(dict.fromkeys([*shipping.kept, *kept_outside(rules, outside.paths)])),
        left_out=shipping.left_out,
        project_name=name,
        description=description,
        outside=outside.paths,
        python_path=outside.python_path,
    )


def _provided(dependencies: Dependencies) -> Callable[[str], bool]:
    """Whether a top-level import name is the standard library's or an installed distribution's."""
    stdlib = stdlib_names()
    installed = frozenset(dependencies.packages)

    def provided(top: str) -> bool:
        return top in stdlib or bool(exact_distributions(top) & installed)

    return provided


def decide_entry(tree: ProjectTree, settings: Settings, index: ProjectIndex | None = None) -> EntryDecision:
    """Find the app, its working dir, backend folder and health path (explicit settings win).

    Args:
        tree: the project, as loaded by `load_tree`.
        settings: the explicit settings (backend_dir, entry, factory, health_path are used).
        index: the check's module index (scopes and imports parsed once); made here when not given.

    Raises:
        UsageError: when `backend_dir` is not a folder of the project or `entry` is malformed.
    """
    search_dir = _search_dir(tree, settings)
    index = index if index is not None else ProjectIndex(tree)
    finder = AppFinder(index)
    findings: list[Finding] = []
    ranked = [_layout(index, app, search_dir) for app in finder.find(search_dir)]
    chosen, reasons = _choose(ranked, settings, index, search_dir, findings)

    interface: Interface = "asgi" if chosen is None else chosen.app.interface
    if chosen is None:
        backend_dir = working_dir = as_dir(search_dir)
        entry = settings.entry or ""
        factory = bool(settings.factory)
        health_path = settings.health_path or "/"
    else:
        backend_dir = chosen.backend_dir
        working_dir = chosen.layout.working_dir
        entry = settings.entry or chosen.entry
        factory = settings.factory if settings.factory is not None else chosen.app.factory
        findings.extend(chosen.layout.findings)
        health = choose_health_path(finder, chosen.app, settings.health_path)
        health_path = health.path
        findings.extend(health.findings)
        if settings.factory is not None and settings.factory != chosen.app.factory:
            findings.append(_explicit("factory", str(settings.factory).lower(), settings, chosen.app.path))
    if settings.health_path:
        findings.append(_explicit("health_path", settings.health_path, settings, None))
    if settings.backend_dir:
        backend_dir = as_dir(search_dir)
        findings.append(_explicit("backend_dir", backend_dir, settings, None))
    return EntryDecision(
        backend_dir=backend_dir,
        working_dir=working_dir,
        entry=entry,
        factory=factory,
        health_path=health_path,
        candidates=_candidates(ranked, chosen, reasons),
        findings=sort_findings(findings),
        interface=interface,
    )


def _without_url_credentials(finding: Finding) -> Finding:
    message, hint = redact_url_credentials(finding.message), redact_url_credentials(finding.hint)
    if (message, hint) == (finding.message, finding.hint):
        return finding
    return replace(finding, message=message, hint=hint)


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """Errors first, then warnings, then infos; by code, path and line within each; duplicates dropped.

    Credentials inside URLs (an index URL from a manifest) are masked in every message and hint.
    """
    unique = list(dict.fromkeys(_without_url_credentials(f) for f in findings))
    return tuple(
        sorted(
            unique,
            key=lambda f: (_SEVERITY_ORDER.get(f.severity, 3), f.code, f.path or "", f.line or 0, f.message),
        )
    )


def _search_dir(tree: ProjectTree, settings: Settings) -> str:
    if not settings.backend_dir:
        return ""
    cleaned = settings.backend_dir.strip().replace("\\", "/").strip("/")
    if cleaned.startswith("./"):
        cleaned = cleaned[2:]
    if cleaned in {"", "."}:
        return ""
    target = (tree.root / cleaned).resolve()
    if not target.is_dir() or not target.is_relative_to(tree.root):
        raise UsageError(
            f"backend_dir '{settings.backend_dir}' is not a folder inside {tree.root.name}",
            hint="pass --backend-dir relative to the project path, e.g. --backend-dir backend",
        )
    return target.relative_to(tree.root).as_posix()


def _layout(index: ProjectIndex, app: AppCandidate, search_dir: str) -> _Ranked:
    layout = entry_layout(index, app.path, search_dir)
    working = "" if layout.working_dir == "." else layout.working_dir
    return _Ranked(app, layout, backend_dir_for(index, working, search_dir))


def _rank_key(item: _Ranked) -> tuple[int, int, int, int, str, int]:
    app = item.app
    # On a tie ASGI wins over WSGI: Django's asgi.py over its wsgi.py.
    return (-app.score, _KIND_ORDER[app.kind], app.interface == "wsgi", app.path.count("/"), app.path, app.line)


def _choose(
    ranked: list[_Ranked],
    settings: Settings,
    index: ProjectIndex,
    search_dir: str,
    findings: list[Finding],
) -> tuple[_Ranked | None, dict[tuple[str, str], str]]:
    """Pick the app to run; returns it and a reason for every candidate."""
    reasons: dict[tuple[str, str], str] = {}
    if settings.entry:
        return _explicit_entry(ranked, settings, index, search_dir, findings), reasons
    eligible = sorted((r for r in ranked if not r.app.decoy), key=_rank_key)
    for item in ranked:
        if item.app.decoy:
            reasons[(item.app.path, item.app.attr)] = f"never chosen: {item.app.decoy}"
    if not eligible:
        # Say what the project is instead (a Gradio or Streamlit app, an app under a main guard), else SP100.
        instead = not_servable(index, search_dir)
        findings.extend(
            instead
            or [
                finding(
                    "SP100",
                    "no ASGI or WSGI app found"
                    + (f" in {search_dir}" if search_dir else "")
                    + " (looked for `app = FastAPI()`, Starlette and other ASGI apps, Flask, Django's "
                    "`application`, shims and factories)",
                    hint="add `app = FastAPI()` to your main module, or pass --entry module:attr (and --backend-dir)",
                )
            ]
        )
        return None, reasons
    chosen = eligible[0]
    top = f"{chosen.entry} ({chosen.app.path})"
    reasons[(chosen.app.path, chosen.app.attr)] = _chosen_reason(chosen, len(eligible))
    for item in eligible[1:]:
        if item.app.site == chosen.app.site:
            why = f"the same app as {top}; the original wins over its re-exports"
        elif item.backend_dir != chosen.backend_dir:
            why = f"in another backend folder ({item.backend_dir}); lower score than {top}"
        else:
            why = f"lower score than {top}"
        reasons[(item.app.path, item.app.attr)] = f"{why}: {item.app.features.describe()}"
    _ranking_findings(chosen, eligible, findings)
    return chosen, reasons


def _chosen_reason(chosen: _Ranked, count: int) -> str:
    what = {"instance": "app instance", "shim": "re-export", "factory": "app factory"}[chosen.app.kind]
    via = f" ({chosen.app.via})" if chosen.app.via else ""
    rank = "highest score" if count > 1 else "the only app"
    text = f"chosen: {rank}; {what}{via} with {chosen.app.features.describe()}"
    if chosen.layout.reason:
        text += f"; {chosen.layout.reason}"
    return text


def _ranking_findings(chosen: _Ranked, eligible: list[_Ranked], findings: list[Finding]) -> None:
    others = [r for r in eligible[1:] if r.app.site != chosen.app.site]
    tied = [r for r in others if r.app.score == chosen.app.score]
    if tied:
        names = ", ".join(f"{r.entry} ({r.app.path})" for r in tied)
        findings.append(
            finding(
                "SP103",
                f"{chosen.entry} and {names} rank the same; spacepack picked {chosen.entry}",
                hint=f"pass --entry {chosen.entry} (or the one you mean) to make the choice explicit",
                path=chosen.app.path,
                line=chosen.app.line,
            )
        )
    seen_sites: set[AppSite] = set()
    for other in others:
        if other.backend_dir != chosen.backend_dir or other.app.kind != "instance" or other.app.site in seen_sites:
            continue
        seen_sites.add(other.app.site)
        if other.app.score >= chosen.app.score:
            continue
        target_module = module_name(
            "" if other.layout.working_dir == "." else other.layout.working_dir, chosen.app.site.path
        )
        findings.append(
            finding(
                "SP104",
                f"{other.app.path} defines a separate, smaller app ({other.app.features.describe()}); "
                f"spacepack runs the full one, {chosen.entry}",
                hint=f"make {other.app.path} import the full app instead: "
                f"`from {target_module} import {chosen.app.site.name or chosen.app.attr}`",
                path=other.app.path,
                line=other.app.line,
            )
        )
    elsewhere = sorted({r.backend_dir for r in others if r.backend_dir != chosen.backend_dir})
    if elsewhere:
        findings.append(
            finding(
                "SP110",
                f"apps found in several backend folders; chose {chosen.backend_dir}, "
                f"also found: {', '.join(elsewhere)}",
                hint="pass --backend-dir to pick another one",
            )
        )


def _explicit_entry(
    ranked: list[_Ranked],
    settings: Settings,
    index: ProjectIndex,
    search_dir: str,
    findings: list[Finding],
) -> _Ranked | None:
    """The candidate for an entry the user gave; findings when the AST cannot confirm it."""
    entry = settings.entry or ""
    if not _ENTRY.match(entry):
        raise UsageError(
            f"entry '{entry}' is not in the form module:attribute",
            hint="pass it as uvicorn takes it, e.g. --entry src.main:app",
        )
    module, _, attr = entry.partition(":")
    source = settings.sources.get("entry", "settings")
    stem = module.replace(".", "/")
    prefix = f"{search_dir}/" if search_dir else ""
    matches: list[tuple[str, str]] = []  # (file, working dir)
    for path in index.tree.python:
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        for suffix in (f"{stem}.py", f"{stem}/__init__.py"):
            if rest == suffix or rest.endswith("/" + suffix):
                matches.append((path, path[: -len(suffix)].rstrip("/")))
    matches.sort(key=lambda m: (non_app_reason(m[0], prefix) is not None, m[0].count("/"), m[0]))
    findings.append(_explicit("entry", entry, settings, matches[0][0] if matches else None))
    if not matches:
        findings.append(
            finding(
                "SP106",
                f"entry {entry} (from {source}): there is no module {module} in {as_dir(search_dir)}",
                hint=f"check the module path: uvicorn imports it from the working dir, as {stem}.py",
            )
        )
        return None
    path, working = matches[0]
    layout = Layout(working_dir=as_dir(working), module=module)
    backend_dir = backend_dir_for(index, working, search_dir)
    for item in ranked:
        if item.app.path == path and item.app.attr == attr:
            return replace(item, layout=layout, backend_dir=backend_dir)
    scope = index.scope(path)
    defined = scope is not None and (
        attr in scope.assigns or attr in scope.functions or attr in scope.imports or attr in scope.classes
    )
    if not defined:
        findings.append(
            finding(
                "SP107",
                f"entry {entry}: {path} defines no `{attr}` that spacepack can see",
                hint="check the attribute name: uvicorn fails if it does not exist once the module is imported",
                path=path,
            )
        )
    is_function = scope is not None and attr in scope.functions
    line = scope.functions[attr].lineno if scope is not None and is_function else 1
    placeholder = AppCandidate(
        path=path,
        attr=attr,
        line=line,
        kind="factory" if is_function else "instance",
        framework="unknown",
        features=AppFeatures(),
        site=AppSite(path, attr),
    )
    return _Ranked(placeholder, layout, backend_dir)


def _explicit(key: str, value: str, settings: Settings, path: str | None) -> Finding:
    source = settings.sources.get(key, "settings")
    return finding("SP105", f"{key} = {value} from {source} (explicit settings win over detection)", path=path)


@dataclass(frozen=True)
class _Parts:
    """What the dependency, Python, environment and hygiene checks found."""

    dependencies: Dependencies
    system_packages: tuple[str, ...]
    python: str
    python_source: str
    env: tuple[EnvVar, ...]
    writable_dirs: tuple[str, ...]
    secret_files: tuple[str, ...]
    findings: tuple[Finding, ...]


def _dependency_env_and_hygiene_checks(
    files: ManifestFiles, code: AppCode, working_dir: str, infer_dependencies: bool = True
) -> _Parts:
    """The checks that read the app's code and manifests, sharing one parse of each."""
    tree, backend_dir = files.tree, code.backend_dir
    deps = read_dependencies(tree, backend_dir, working_dir, files, code, infer=infer_dependencies)
    python = detect_python(tree, backend_dir, files)
    env = scan_env(tree, backend_dir, code)
    hygiene = scan_hygiene(tree, backend_dir, code, env.reads, working_dir)
    return _Parts(
        dependencies=deps.dependencies,
        system_packages=tuple(deps.system_packages),
        python=python.version or DEFAULT_PYTHON,
        python_source=python.source or "default",
        env=tuple(env.env),
        writable_dirs=tuple(env.writable_dirs),
        secret_files=tuple(hygiene.secret_files),
        findings=(*deps.findings, *python.findings, *env.findings, *hygiene.findings),
    )


def _parse_findings(index: ProjectIndex, backend_dir: str) -> list[Finding]:
    """Syntax and decoding problems of the backend's Python files (each a warning, never a crash)."""
    errors = (index.parse_error(path) for path in index.tree.python_under(backend_dir))
    return [error for error in errors if error is not None]


def _project_metadata(tree: ProjectTree, files: ManifestFiles, backend_dir: str) -> tuple[str, str]:
    """(name, description) from pyproject [project] in the backend folder or the root, else the folder name."""
    folders = ["."] if backend_dir in {".", ""} else [backend_dir, "."]
    for folder in folders:
        project = PYPROJECT.read(files, folder)
        if project is not None and project.display_name:
            return display_name(project.display_name), project.description
    folder_name = (tree.root / backend_dir).resolve().name if backend_dir not in {".", ""} else tree.root.name
    return display_name(folder_name or "app"), ""  # a name with a newline must not reach a Dockerfile


def _candidates(
    ranked: list[_Ranked], chosen: _Ranked | None, reasons: dict[tuple[str, str], str]
) -> tuple[Candidate, ...]:
    """Plan candidates: the chosen one first, then by score, with the reason for each verdict."""
    items = list(ranked)
    if chosen is not None and all((r.app.path, r.app.attr) != (chosen.app.path, chosen.app.attr) for r in items):
        items.append(chosen)
    result: list[Candidate] = []
    for item in items:
        key = (item.app.path, item.app.attr)
        is_chosen = chosen is not None and key == (chosen.app.path, chosen.app.attr)
        if is_chosen and chosen is not None:
            item = chosen
        reason = reasons.get(
            key, "chosen: explicit entry" if is_chosen else "not chosen: an entry was given explicitly"
        )
        result.append(
            Candidate(
                entry=item.entry,
                path=item.app.path,
                line=item.app.line,
                kind=item.app.kind,
                factory=item.app.factory,
                score=item.app.score,
                chosen=is_chosen,
                reason=reason,
                working_dir=item.layout.working_dir,
            )
        )
    result.sort(key=lambda c: (not c.chosen, -c.score, c.path, c.line, c.entry))
    return tuple(result)
