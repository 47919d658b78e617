"""What the image installs: manifests and locks read, imports checked against them.

`read_dependencies` finds the manifests of the backend (requirements.txt,
pyproject.toml, uv.lock - also one level up, for uv workspaces -, poetry.lock,
Pipfile), prefers a lock when there is one, and checks every import of the
backend's modules against what will be installed. Nothing is imported or run.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from packaging.utils import canonicalize_name

from spacepack.check.facts import Json
from spacepack.check.formats import PYPROJECT, declaration_readers, lock_readers
from spacepack.check.import_names import (
    BUNDLED_IMPORTS,
    ImportSite,
    certain_distribution,
    distribution_to_install,
    exact_distributions,
    expand_known,
    is_known_distribution,
    is_known_import,
    is_test_only,
    iter_imports,
    provider_by_name,
    shared_providers,
    stdlib_names,
)
from spacepack.check.manifests import (
    Declaration,
    DeclaredRequirement,
    Lock,
    LockRead,
    ManifestFiles,
    Pinned,
    Reader,
    join,
    resolve_closure,
)
from spacepack.check.pyast import AppCode, ImportStatement, ProjectIndex, app_code, shows_none_of
from spacepack.check.pydantic_v1 import (
    V1_BOUND,
    Allowed,
    V1Use,
    allowed_by_line,
    allowed_by_versions,
    find_v1_uses,
)
from spacepack.check.secrets_scan import redact_url_credentials, url_credentials
from spacepack.check.tree import ProjectTree
from spacepack.findings import finding
from spacepack.plan import Dependencies, DependencySource, Finding

# distribution -> (system packages, why); only for what a slim Debian image lacks.
NATIVE_NEEDS: dict[str, tuple[tuple[str, ...], str]] = {
    "psycopg2": (
        ("build-essential", "libpq-dev"),
        "psycopg2 builds from source: it needs a C compiler and the libpq headers",
    ),
    "mysqlclient": (
        ("build-essential", "default-libmysqlclient-dev", "pkg-config"),
        "mysqlclient builds from source: it needs a C compiler, the MySQL client headers and pkg-config",
    ),
    "python-ldap": (
        ("build-essential", "libldap2-dev", "libsasl2-dev"),
        "python-ldap builds against the OpenLDAP headers",
    ),
    "pycairo": (("build-essential", "libcairo2-dev", "pkg-config"), "pycairo builds against the cairo headers"),
    "pygraphviz": (("build-essential", "graphviz-dev"), "pygraphviz builds against the graphviz headers"),
    "mariadb": (("build-essential", "libmariadb-dev"), "the mariadb connector builds against MariaDB Connector/C"),
    "dlib": (("build-essential", "cmake"), "dlib compiles C++ with CMake at install time"),
    "uwsgi": (("build-essential",), "uWSGI compiles C at install time"),
    "opencv-python": (("libgl1", "libglib2.0-0"), "opencv-python loads libGL and GLib at import"),
    "opencv-contrib-python": (
        ("libgl1", "libglib2.0-0"),
        "opencv-contrib-python loads libGL and GLib at import",
    ),
}
_NATIVE_HINTS: dict[str, str] = {
    "psycopg2": "or depend on psycopg2-binary (a wheel, no build tools needed)",
    "opencv-python": "or depend on opencv-python-headless (no GUI libraries needed)",
    "opencv-contrib-python": "or depend on opencv-contrib-python-headless (no GUI libraries needed)",
}

# Module facts (see `spacepack.check.facts`): renamed whenever what they hold changes.
_SITES_FACT = "deps.import_sites"  # iter_imports of a module: [module, line, optional] each
_IMPLIED_FACT = "deps.implied_sites"  # imports libraries make for a module: [module, line, why] each


def _without_credentials(lines: list[str], install: _Install) -> list[str]:
    """Drop requirement lines carrying credentials: they would ship in the image and print in --json (SP314)."""
    kept: list[str] = []
    for line in lines:
        if not url_credentials(line):
            kept.append(line)
            continue
        install.findings.append(
            finding(
                "SP314",
                f"{install.manifest or 'a manifest'} has credentials in a URL "
                f"({redact_url_credentials(line)}); spacepack leaves that line out",
                path=install.manifest or None,
            )
        )
    return kept


@dataclass(frozen=True)
class DependencyReport:
    """What `check` decided about the install, and what it noticed on the way."""

    dependencies: Dependencies
    system_packages: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass
class _Install:
    """Mutable accumulator while deciding the install."""

    lines: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    direct: dict[str, DeclaredRequirement] = field(default_factory=dict)  # canonical name -> declaration
    available: set[str] = field(default_factory=set)  # every distribution that will be installed
    sources: list[DependencySource] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    local: set[str] = field(default_factory=set)  # workspace members: provided, never installed from an index
    vcs: bool = False
    locked: bool = False
    lock_path: str = ""
    lock_packages: frozenset[str] = frozenset()  # every package of the lock used, runtime closure or not
    manifest: str = ""  # where to tell the user to add a dependency
    lock: Lock | None = None
    # Requirement lines spacepack adds to what the project declares (import inference, the pydantic v1 bound).
    added: list[str] = field(default_factory=list)
    inferred: set[str] = field(default_factory=set)  # canonical names added from imports

    def add(self, req: DeclaredRequirement) -> None:
        if req.name is not None and req.name in self.direct:
            return
        if req.name is not None:
            self.direct[req.name] = req
        self.lines.append(req.line)
        self.vcs = self.vcs or req.vcs


def _ancestors(directory: str) -> list[str]:
    result: list[str] = []
    current = posixpath.normpath(directory) if directory not in {"", "."} else "."
    while current not in {".", ""}:
        result.append(current)
        current = posixpath.dirname(current) or "."
    result.append(".")
    return result


def _unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _manifest_dir(files: ManifestFiles, backend_dir: str, working_dir: str) -> str | None:
    """The first folder (backend, working dir, then upwards) that declares dependencies."""
    for directory in _unique([_norm(backend_dir), _norm(working_dir), *_ancestors(_norm(backend_dir))]):
        for reader in declaration_readers():
            declared = reader.declare(files, directory)
            if declared is not None and declared.declares:
                return directory
    return None


def _norm(directory: str) -> str:
    cleaned = directory.strip().strip("/")
    return posixpath.normpath(cleaned) if cleaned not in {"", "."} else "."


def _use_lock(install: _Install, reader: Reader, read: LockRead, declared: Declaration) -> None:
    """Install the pinned runtime closure of a lock; what it misses from the declaration is added, with SP212."""
    assert read.lock is not None
    pinned, missing = resolve_closure(read.lock, read.roots)
    local: list[Pinned] = []
    lines: list[str] = []
    for item in pinned:
        line = item.requirement_line()
        install.available.add(item.name)
        if line is None:
            local.append(item)
            install.local.add(item.name)  # provided by the workspace, not by an index
            continue
        lines.append(line)
        install.vcs = install.vcs or "git+" in line
    install.lines.extend(lines)
    install.locked = True
    install.lock_path = read.path
    install.lock_packages = frozenset(read.lock.packages)
    install.lock = read.lock
    for req in declared.requirements:
        if req.name is not None:
            install.direct.setdefault(req.name, req)
    for name in missing:
        missing_req = next((r for r in declared.requirements if r.name == name), None)
        if missing_req is None:
            continue
        install.lines.append(missing_req.line)
        install.available.add(name)
        install.findings.append(
            finding(
                "SP212",
                f"{read.path} does not have {name}, which "
                f"{missing_req.path or 'the project'} declares; the lock looks out of date",
                hint=f"run `{reader.relock}` and commit the lock file",
                path=read.path,
            )
        )
    for item in local:
        install.findings.append(
            finding(
                "SP207",
                f"{item.package.display_name or item.name} is a local package in {read.path} "
                "(a workspace member or path dependency); its dependencies are installed, the package is not",
                hint="keep its code inside the backend folder, or publish it to an index",
                path=read.path,
            )
        )
    install.sources.append(
        DependencySource(
            path=read.path,
            kind=reader.kind,
            install=f"pinned from {posixpath.basename(read.path)}: runtime closure of {read.what} "
            f"({len(lines)} packages, dev groups and optional extras excluded)",
        )
    )


def _apply_lock(install: _Install, files: ManifestFiles, directory: str, declared: dict[str, Declaration]) -> None:
    """Use the first lock (in reader order) that pins a present declaration and can be read."""
    for reader in lock_readers():
        declaration = declared.get(reader.locks)
        if declaration is None:
            continue
        read = reader.lock(files, directory, declaration)
        if read is None:
            continue
        install.findings.extend(read.findings)
        if read.lock is not None:
            _use_lock(install, reader, read, declaration)
            return


def _chosen_declarations(declared: dict[str, Declaration]) -> list[Declaration]:
    """The declarations to install: every one that lists something, else the one an empty file still makes."""
    primary = [d for d in declared.values() if not d.fallback]
    listing = [d for d in primary if d.requirements]
    if listing:
        return listing
    empty = [d for d in primary if d.listed_when_empty]
    if empty:
        return empty
    return [d for d in declared.values() if d.fallback][:1]


def _add_unlocked(install: _Install, chosen: list[Declaration]) -> None:
    """On top of a lock: what the declarations list and the lock does not pin (SP201)."""
    extra = [r for d in chosen for r in d.requirements if r.name is None or r.name not in install.available]
    for req in extra:
        install.lines.append(req.line)
        install.vcs = install.vcs or req.vcs
        if req.name:
            install.available.add(req.name)
    if not extra:
        return
    install.findings.append(
        finding(
            "SP201",
            f"{extra[0].path} declares packages the lock does not pin "
            f"({', '.join(r.name or r.line for r in extra)}); they are installed too, unpinned",
            hint="declare every dependency in pyproject.toml and re-lock",
            path=extra[0].path,
        )
    )
    kind = next((d.kind for d in chosen if extra[0] in d.requirements), chosen[0].kind)
    install.sources.append(DependencySource(path=extra[0].path, kind=kind, install="added on top of the lock"))


def _add_declared(install: _Install, chosen: list[Declaration]) -> None:
    """No lock: install the union of the chosen declarations, as declared."""
    for declaration in chosen:
        for req in declaration.requirements:
            install.add(req)
        words = declaration.words
        if len(declaration.files) > 1:
            words += f", with {', '.join(declaration.files[1:])}"
        others = [d.path for d in chosen if d is not declaration]
        if others:
            words += f"; union with {', '.join(others)}"
        install.sources.append(DependencySource(path=declaration.path, kind=declaration.kind, install=words))
    if len(chosen) > 1:
        install.findings.append(
            finding(
                "SP201",
                f"{chosen[0].path} and {chosen[1].path} each declare dependencies; "
                "spacepack installs the union of both",
                hint="keep one list of dependencies (pyproject [project].dependencies) to avoid drift",
                path=chosen[1].path,
            )
        )
    install.available |= expand_known((name, req.extras) for name, req in install.direct.items())


def _from_manifests(files: ManifestFiles, directory: str) -> _Install:
    install = _Install()
    declared: dict[str, Declaration] = {}
    for reader in declaration_readers():
        declaration = reader.declare(files, directory)
        if declaration is not None:
            declared[reader.kind] = declaration
            install.findings.extend(declaration.findings)
            install.options.extend(declaration.options)
    _apply_lock(install, files, directory, declared)
    chosen = _chosen_declarations(declared)
    if install.locked:
        _add_unlocked(install, [d for d in chosen if not d.fallback])
    else:
        _add_declared(install, chosen)
    for declaration in declared.values():
        if declaration.dropped_hashes:
            install.sources.append(
                DependencySource(
                    path=declaration.path, kind=declaration.kind, install="--hash options dropped (pip's hash mode)"
                )
            )
    where = next(iter(declared.values()), None)
    install.manifest = where.path if where is not None else join(directory, "requirements.txt")
    return install


def _local_names(code: AppCode, working_dir: str, project_name: str | None) -> set[str]:
    """Module names the project itself provides.

    Files and folders holding Python below the backend and working dirs, the
    folders on the way to them and at the repository's top (`backend.src.models`
    names the project's own code by its folder), and the project's name.
    """
    tree = code.index.tree
    names: set[str] = {tree.root.name}
    for directory in _unique([code.backend_dir, working_dir]):
        names.update(part for part in directory.split("/") if part not in {"", "."})
        prefix = "" if directory == "." else directory + "/"
        for path in tree.python_under(directory):
            parts = path[len(prefix) :].split("/")
            names.update(parts[:-1])
            names.add(parts[-1][:-3])
    names.update(path.split("/", 1)[0].removesuffix(".py") for path in tree.python)
    if project_name:
        names.add(project_name.replace("-", "_"))
    return names


def _third_party_imports(code: AppCode, working_dir: str, project_name: str | None) -> list[tuple[str, ImportSite]]:
    stdlib = stdlib_names()
    local = _local_names(code, working_dir, project_name)
    sites: list[tuple[str, ImportSite]] = []
    for path in code.modules:
        for site in _import_sites(code.index, path):
            top = site.module.split(".", 1)[0]
            if top in stdlib or top in local or top in BUNDLED_IMPORTS or not top.isidentifier():
                continue
            sites.append((path, site))
    return sites


def _import_sites(index: ProjectIndex, path: str) -> list[ImportSite]:
    """`iter_imports` of one module, kept as a module fact: [module, line, optional] per import."""

    def compute() -> Json:
        source = index.tree.python[path]
        if source.tree is None:
            return []
        if _no_guarded_imports(source.source):
            # Nothing for `iter_imports` to skip or mark optional: its sites are the module's absolute imports.
            return [
                [name, statement.line, False]
                for statement in index.import_statements(path)
                if statement.level == 0
                for name in _imported_modules(statement)
            ]
        return [[site.module, site.line, site.optional] for site in iter_imports(source.tree)]

    return [ImportSite(name, line, optional) for name, line, optional in index.facts.get(_SITES_FACT, path, compute)]


def _no_guarded_imports(source: str | None) -> bool:
    """Whether a module's text holds no `try` statement and no `TYPE_CHECKING` block (ASCII: names as written)."""
    return shows_none_of(source, ("try", "TYPE_CHECKING"))


def _imported_modules(statement: ImportStatement) -> list[str]:
    """The modules an import statement names, as `iter_imports` reports them (`import a, b.c`; `from m import x`)."""
    if statement.module is None:
        return [name for name, _as in statement.names]
    return [statement.module] if statement.module else []


@dataclass(frozen=True)
class _Doubt:
    """Why an import no dependency surely provides is only a warning (SP214), with what to say."""

    dist: str
    message: str  # after "path:line imports module"
    hint: str


def _unsure_providers(install: _Install, module: str) -> list[str]:
    """Declared or locked distributions that might provide `module` although no table says so.

    With a lock, the installed set is exact: only a distribution whose imports
    spacepack does not know might ship an import no table knows. Without one, a
    distribution spacepack does not know also brings dependencies it cannot see.
    """
    if install.locked:
        if is_known_import(module):
            return []
        candidates = install.available - install.local
    else:
        candidates = set(install.direct)
    return sorted(name for name in candidates if not is_known_distribution(name))


def _doubt(install: _Install, path: str, module: str, loaded: bool) -> _Doubt | None:
    """None: the import is surely missing (SP203). A `_Doubt`: maybe provided, or maybe never imported."""
    dist = distribution_to_install(module)
    where = install.manifest or "requirements.txt"
    in_lock = sorted(exact_distributions(module) & install.lock_packages)
    if in_lock:
        return _Doubt(
            in_lock[0],
            f"; {install.lock_path} has {in_lock[0]}, but only for a dev group or an extra the project does not "
            "request, so it is not installed",
            f"declare {in_lock[0]} as a runtime dependency and re-lock",
        )
    guess = provider_by_name(module, install.available)
    if guess is not None:
        return _Doubt(
            guess,
            f"; only the name of {guess} suggests that it provides it",
            f"nothing if {guess} provides it (the import check in the built image confirms); else add {dist} "
            f"to {where}",
        )
    if not loaded:
        return _Doubt(
            dist,
            ", which no dependency provides; the app does not import this file when it starts",
            f"add {dist} to {where} if the app loads {path}",
        )
    shared = shared_providers(module)
    if shared is not None:  # several projects provide this import name: which one is missing is a guess
        if not shared:
            top = module.split(".", 1)[0]
            return _Doubt(
                dist,
                f", a namespace that many {top}-* distributions share, and none of them is declared",
                f"add the {top}-* distribution the app uses to {where}",
            )
        known = ", ".join(shared[:4]) + (", ..." if len(shared) > 4 else "")
        return _Doubt(
            dist,
            f", which several distributions provide ({known}), and none of them is declared",
            f"add the one the app uses (perhaps {dist}) to {where}",
        )
    unsure = _unsure_providers(install, module)
    if unsure:
        named = ", ".join(unsure[:3]) + (", ..." if len(unsure) > 3 else "")
        return _Doubt(
            dist,
            f", which no dependency spacepack knows provides; it cannot tell whether {named} "
            f"{'does' if len(unsure) == 1 else 'do'}",
            f"nothing if one of them provides it (the import check in the built image confirms); else add {dist} "
            f"to {where}",
        )
    return None


def _more(count: int) -> str:
    return f" (and {count - 1} more place{'s' if count > 2 else ''})" if count > 1 else ""


def _to_infer(install: _Install, module: str) -> str | None:
    """The distribution to add for an import nothing provides, when it is certain; else None."""
    if provider_by_name(module, install.available) is not None:
        return None  # a declared distribution may provide it: the image's import check decides
    in_lock = sorted(exact_distributions(module) & install.lock_packages)
    if in_lock and install.lock is not None:
        package = install.lock.packages[in_lock[0]][0]
        return package.display_name or package.name  # locked outside the runtime closure: its name is certain
    dist = certain_distribution(module)
    if dist is None or canonicalize_name(dist) == "uvicorn":  # uvicorn: the SP204 rule adds it
        return None
    return dist


Places = list[tuple[str, ImportSite]]


def _add_inferred(install: _Install, inferred: dict[str, tuple[str, Places]], implied: Implied | None = None) -> None:
    """Add each inferred distribution to the image's requirements, with one SP215 warning each."""
    where = install.manifest or "requirements.txt"
    for name in sorted(inferred):
        dist, places = inferred[name]
        install.lines.append(dist)
        install.added.append(dist)
        install.inferred.add(name)
        install.available |= expand_known([(name, frozenset())])
        path, site = places[0]
        what = (implied or {}).get(places[0]) or f"imports {site.module}"
        install.findings.append(
            finding(
                "SP215",
                f"{path}:{site.line} {what}, which no dependency declares"
                f"{_more(len(places))}; spacepack adds {dist} to the image's requirements",
                hint=f"declare {dist} in {where}" + (" and re-lock" if install.locked else ""),
                path=path,
                line=site.line,
            )
        )


# SQLAlchemy URL drivers -> the module SQLAlchemy imports for them (`sqlite+aiosqlite://` imports aiosqlite).
_URL_DRIVERS: dict[str, str] = {
    "asyncpg": "asyncpg",
    "aiosqlite": "aiosqlite",
    "psycopg2": "psycopg2",
    "psycopg": "psycopg",
    "pymysql": "pymysql",
    "aiomysql": "aiomysql",
    "mysqldb": "MySQLdb",
    "mysqlconnector": "mysql.connector",
    "pg8000": "pg8000",
    "pyodbc": "pyodbc",
    "oracledb": "oracledb",
}
_DATABASE_URL = re.compile(r"^(?:postgresql|postgres|mysql|mariadb|sqlite|mssql|oracle)\+(\w+)://")


# pydantic names whose validation imports email_validator when a model using them is defined.
_EMAIL_TYPES = frozenset({"EmailStr", "NameEmail"})
# fastapi names that declare form or file parameters: FastAPI raises "Form data requires
# python-multipart" when a route using them is defined, so the app fails at import without it.
_FORM_NAMES = frozenset({"Form", "File", "UploadFile", "OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict"})
_FORM_MODULES = frozenset(
    {"fastapi", "fastapi.params", "fastapi.datastructures", "fastapi.security", "fastapi.security.oauth2"}
)

# (path, site) -> what the app does that makes a library import the site's module.
Implied = dict[tuple[str, ImportSite], str]


def _implied_by_import(node: ast.ImportFrom) -> tuple[ImportSite, str] | None:
    names = [alias.name for alias in node.names]
    if node.module in _FORM_MODULES:
        form = next((name for name in names if name in _FORM_NAMES), None)
        if form is not None:
            why = f"uses fastapi's {form} (FastAPI imports python_multipart for form data)"
            return ImportSite("python_multipart", node.lineno, optional=False), why
    if (node.module or "").split(".")[0] == "pydantic" and node.module != "pydantic.v1":
        if any(name in _EMAIL_TYPES for name in names):
            return ImportSite("email_validator", node.lineno, optional=False), (
                "uses pydantic's EmailStr (it imports email_validator)"
            )
    return None


def _implied_site(node: ast.AST) -> tuple[ImportSite, str] | None:
    """An import a library makes on the app's behalf at this node, if any, with why."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and "+" in node.value[:20]:
        match = _DATABASE_URL.match(node.value)
        driver = _URL_DRIVERS.get(match.group(1).lower()) if match else None
        if driver is not None:
            why = f"has a database URL with the {driver} driver (SQLAlchemy imports it)"
            return ImportSite(driver, node.lineno, optional=False), why
    if isinstance(node, ast.ImportFrom) and node.level == 0:
        return _implied_by_import(node)
    return None


def _implied_sites(code: AppCode) -> Implied:
    """Imports libraries make for the app, in files it loads: the driver a SQLAlchemy URL names
    (`sqlite+aiosqlite://` imports aiosqlite), email_validator for pydantic's `EmailStr`,
    python_multipart for fastapi's `Form`, `File`, `UploadFile` and OAuth2 password forms."""
    implied: Implied = {}
    for path in code.modules:
        if code.loaded(path):
            for site, why in _implied_in(code.index, path):
                implied.setdefault((path, site), why)
    return implied


def _implied_in(index: ProjectIndex, path: str) -> list[tuple[ImportSite, str]]:
    """`_implied_site` over one module, in walk order, first why of each site, kept as a module fact."""

    def compute() -> Json:
        module = index.tree.python[path].tree
        found: dict[ImportSite, str] = {}
        for node in ast.walk(module) if module is not None else ():
            site = _implied_site(node)
            if site is not None:
                found.setdefault(site[0], site[1])
        return [[site.module, site.line, why] for site, why in found.items()]

    stored = index.facts.get(_IMPLIED_FACT, path, compute)
    return [(ImportSite(name, line, optional=False), why) for name, line, why in stored]


def _check_imports(install: _Install, sites: Places, code: AppCode | None, infer: bool) -> None:
    """SP215 for imports the app loads that spacepack adds; SP203 for the ones that surely fail; else SP214.

    Imports libraries make for the app (a SQLAlchemy URL's driver, pydantic's email validator,
    FastAPI's form parser) count for inference only: a URL may be a default the Space overrides, so
    one that cannot be added is never an error.
    """
    missing: dict[str, Places] = {}
    doubtful: dict[_Doubt, Places] = {}
    inferred: dict[str, tuple[str, Places]] = {}
    implied = _implied_sites(code) if infer and code is not None else {}
    for path, site in [*sites, *implied] if infer else ():
        if site.optional or exact_distributions(site.module) & install.available:
            continue
        dist = _to_infer(install, site.module) if code is None or code.loaded(path) else None
        if dist is not None:
            inferred.setdefault(canonicalize_name(dist), (dist, []))[1].append((path, site))
    _add_inferred(install, inferred, implied)  # first: what they add also provides the imports of other files
    for path, site in sites:
        if site.optional or exact_distributions(site.module) & install.available:
            continue
        loaded = code is None or code.loaded(path)
        doubt = _doubt(install, path, site.module, loaded)
        if doubt is None:
            missing.setdefault(distribution_to_install(site.module), []).append((path, site))
        else:
            doubtful.setdefault(doubt, []).append((path, site))
    for dist, places in sorted(missing.items(), key=lambda item: canonicalize_name(item[0])):
        if canonicalize_name(dist) == "uvicorn":
            continue  # handled by the uvicorn rule: render adds it
        path, site = places[0]
        install.findings.append(
            finding(
                "SP203",
                f"{path}:{site.line} imports {site.module}, but no dependency provides it{_more(len(places))}",
                hint=f"add {dist} to {install.manifest or 'requirements.txt'}"
                + (" and re-lock" if install.locked else ""),
                path=path,
                line=site.line,
            )
        )
    for doubt, places in doubtful.items():
        path, site = places[0]
        install.findings.append(
            finding(
                "SP214",
                f"{path}:{site.line} imports {site.module}{doubt.message}{_more(len(places))}",
                hint=doubt.hint,
                path=path,
                line=site.line,
            )
        )


def _infer_from_imports(install: _Install, sites: list[tuple[str, ImportSite]]) -> None:
    wanted: dict[str, str] = {}
    for _, site in sites:
        if site.optional:
            continue
        dist = distribution_to_install(site.module)
        wanted.setdefault(canonicalize_name(dist), dist)
    for name in sorted(wanted):
        install.add(DeclaredRequirement(line=wanted[name], name=name))
    install.available |= expand_known((name, frozenset()) for name in wanted)
    install.sources.append(DependencySource(path="", kind="imports", install="inferred from imports, unpinned"))
    install.findings.append(
        finding(
            "SP202",
            "no requirements.txt or pyproject.toml declares the dependencies; inferred from imports: "
            + (", ".join(wanted[n] for n in sorted(wanted)) or "none"),
            hint="add a requirements.txt (or pyproject [project].dependencies) with pinned versions",
        )
    )


def _pydantic_pins(install: _Install) -> tuple[Allowed, str | None, bool]:
    """What the project itself allows for pydantic, who says so, and whether a lock says it."""
    if install.locked and install.lock is not None and "pydantic" in install.available:
        locked = install.lock.packages.get("pydantic", ())
        if locked:
            return allowed_by_versions(p.version for p in locked), install.lock_path, True
    declared = install.direct.get("pydantic")
    if declared is not None:
        return allowed_by_line(declared.line), declared.path or install.manifest or None, False
    return Allowed(v1=True, v2=True), None, False


def _pydantic_v1_rule(install: _Install, uses: list[V1Use]) -> None:
    """pydantic v1-only code: bound pydantic to <2 when the project leaves it open; say so when it pins 2."""
    if not uses:
        return
    allowed, pinned_by, locked = _pydantic_pins(install)
    if not allowed.v2 or (locked and allowed.v1):
        return  # pydantic 1 is what the project installs (or its lock decides per platform)
    where = install.manifest or "requirements.txt"
    more = _more(len(uses))
    if allowed.v1:
        first = uses[0]
        install.lines.append(V1_BOUND)
        install.added.append(V1_BOUND)
        install.findings.append(
            finding(
                "SP216",
                f"{first.path}:{first.line} uses {first.shown}, a pydantic v1 API that pydantic 2 removed{more}; "
                f"{f'{pinned_by} allows pydantic 2' if pinned_by else 'nothing bounds pydantic'}, "
                f"so spacepack resolves with {V1_BOUND}",
                hint=f"declare {V1_BOUND} in {where}, or move the code to pydantic 2 "
                "(BaseSettings lives in pydantic-settings)",
                path=first.path,
                line=first.line,
            )
        )
        return
    at_start = [use for use in uses if use.at_import]
    use = at_start[0] if at_start else uses[0]
    when = f"when the app loads {use.path}" if at_start else "when that code runs"
    install.findings.append(
        finding(
            "SP217" if at_start else "SP218",
            f"{use.path}:{use.line} uses {use.shown}, a pydantic v1 API that pydantic 2 removed{more}, and "
            f"{pinned_by} pins pydantic 2: it raises PydanticImportError {when}",
            hint="import it from pydantic.v1 (BaseSettings: from pydantic_settings), or pin pydantic<2"
            + (" and re-lock" if locked else ""),
            path=use.path,
            line=use.line,
        )
    )


def _system_packages(install: _Install) -> tuple[str, ...]:
    packages: list[str] = []
    for name in sorted(install.available | set(install.direct)):
        need = NATIVE_NEEDS.get(name)
        if need is None:
            continue
        system, why = need
        packages.extend(system)
        hint = "spacepack installs them in the image"
        if name in _NATIVE_HINTS:
            hint += "; " + _NATIVE_HINTS[name]
        install.findings.append(finding("SP206", f"{why}: adding {', '.join(system)}", hint=hint))
    if install.vcs:
        packages.append("git")
        install.findings.append(
            finding(
                "SP206",
                "a dependency installs from a git URL: adding git",
                hint="spacepack installs it in the image; a release on an index builds faster",
            )
        )
    return tuple(_unique(packages))


def read_dependencies(
    tree: ProjectTree,
    backend_dir: str,
    working_dir: str,
    files: ManifestFiles | None = None,
    code: AppCode | None = None,
    infer: bool = True,
) -> DependencyReport:
    """Decide what the image installs, and check the backend's imports against it.

    Args:
        tree: the project as `load_tree` read it.
        backend_dir: the backend folder, posix, relative to the root ("." allowed).
        working_dir: where uvicorn runs, posix, relative to the root.
        files: the check's manifests (read and parsed once); made here when not given.
        code: the check's app modules (computed once per check); made here when not given.
        infer: add the distribution of an import the app loads and nothing declares (SP215);
            off, such an import is SP203 when it surely fails.

    Returns:
        The dependencies (sources, canonical package names, the exact requirement
        lines to pip-install, deterministic order), system packages and findings.
    """
    backend_dir, working_dir = _norm(backend_dir), _norm(working_dir)
    files = files if files is not None else ManifestFiles(tree)
    directory = _manifest_dir(files, backend_dir, working_dir)
    project_name: str | None = None
    if directory is not None:
        install = _from_manifests(files, directory)
        project = PYPROJECT.read(files, directory)
        project_name = project.name if project is not None else None
    else:
        install = _Install()
    code = code if code is not None else app_code(ProjectIndex(tree), backend_dir)
    sites = _third_party_imports(code, working_dir, project_name)
    if directory is None:  # everything is inferred; also what libraries import for the app
        _infer_from_imports(install, [*sites, *(_implied_sites(code) if infer else ())])
    else:
        _check_imports(install, sites, code, infer)
    _pydantic_v1_rule(install, find_v1_uses(code))

    if "uvicorn" not in install.available and "uvicorn" not in install.direct:
        install.lines.append("uvicorn")
        install.added.append("uvicorn")  # beside a lock, resolved with its pins as constraints
        install.available.add("uvicorn")
        install.findings.append(
            finding(
                "SP204",
                "uvicorn is not declared; spacepack adds it to the install to serve the app",
                hint=f"declare uvicorn in {install.manifest or 'requirements.txt'} to pin its version",
                path=install.manifest or None,
            )
        )

    tools = sorted(name for name in install.direct if is_test_only(name))
    if tools:
        first = install.direct[tools[0]]
        install.findings.append(
            finding(
                "SP205",
                f"test and lint tools are declared as runtime dependencies: {', '.join(tools)}",
                hint="move them to a dev group ([dependency-groups] or optional-dependencies) "
                "or requirements-dev.txt; they make the image bigger",
                path=first.path or None,
                line=first.lineno,
            )
        )
    system = _system_packages(install)
    if install.locked:
        packages = sorted(install.available - install.local)
    else:
        packages = sorted(set(install.direct) | install.inferred | ({"uvicorn"} & install.available))
    requirements = _without_credentials(_unique([*install.options, *install.lines]), install)
    dependencies = Dependencies(
        sources=tuple(install.sources),
        packages=tuple(packages),
        requirements=tuple(requirements),
        added=tuple(line for line in _unique(install.added) if line in requirements),
    )
    return DependencyReport(dependencies=dependencies, system_packages=system, findings=tuple(install.findings))
