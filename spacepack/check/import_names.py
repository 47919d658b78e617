"""Which distribution provides an import, and which imports a module makes.

Data plus one AST walk. Import names map to distributions through pipreqs'
import -> PyPI map (vendored as a data file, about 1,150 names, read once per
process), spacepack's own additions and corrections on top, and the import's
own name (a distribution named like the import provides it). Several unrelated
projects may provide one import name (`jwt`, the `google` namespace): then no
single distribution is certain.
"""

from __future__ import annotations

import ast
import functools
import importlib.resources
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from spacepack.check.pyast import statement_children

# The broad source: pipreqs' import -> PyPI map, vendored as data (see its header for source and license).
VENDORED_MAP = "data/import_map.txt"
# Well-known imports named like their distribution (the vendored map lists only names that differ).
SAME_NAME_IMPORTS = "data/same_name_imports.txt"

# spacepack's own entries, each replacing the vendored one for its import name. All the
# distributions of an entry provide the same module (builds or forks of one project), so
# the import is certain whichever is declared; the first is the one to install when inferring.
HAND_ENTRIES: dict[str, tuple[str, ...]] = {
    # Missing from pipreqs 0.5.0 (cv2 and jose were added upstream after that release). Headless
    # first: a Space has no display, and the headless builds need no libGL in the image.
    "cv2": (
        "opencv-python-headless",
        "opencv-python",
        "opencv-contrib-python-headless",
        "opencv-contrib-python",
    ),
    "jose": ("python-jose", "python-jose-cryptodome"),  # missing; the cryptodome fork keeps the module name
    "argon2": ("argon2-cffi",),  # missing; the binding pwdlib and passlib[argon2] use
    "fastapi_cache": ("fastapi-cache2",),  # missing; fastapi-cache2 is the maintained fork with this module
    "psycopg2": ("psycopg2-binary", "psycopg2"),  # missing; the binary wheel needs no compiler in the image
    "docx": ("python-docx",),  # missing
    "pptx": ("python-pptx",),  # missing
    "nacl": ("PyNaCl",),  # missing
    "fitz": ("PyMuPDF",),  # missing; PyMuPDF's historical module name
    "attr": ("attrs",),  # missing; attrs ships both `attr` and `attrs`
    "skimage": ("scikit-image",),  # missing
    "faiss": ("faiss-cpu", "faiss-gpu"),  # missing; CPU first, a Space's default hardware
    "llama_cpp": ("llama-cpp-python",),  # missing
    "grpc": ("grpcio",),  # missing
    "kafka": ("kafka-python", "kafka-python-ng"),  # missing; -ng is the fork that kept the module
    "mpl_toolkits": ("matplotlib",),  # missing; shipped inside matplotlib's wheel
    "pkg_resources": ("setuptools",),  # missing; shipped inside setuptools
    "win32api": ("pywin32",),  # missing
    "win32com": ("pywin32",),  # missing
    "google.protobuf": ("protobuf",),  # pipreqs maps all of `google` to protobuf; only this part is
    "google.oauth2": ("google-auth",),  # missing; google-auth ships google.auth and google.oauth2
    "mysql.connector": ("mysql-connector-python",),  # pipreqs: mysql-connector-repackaged, an unofficial copy
    # Corrections: pipreqs names a Python 2 era, renamed or forked distribution.
    "PIL": ("Pillow", "pillow-simd"),  # adds the SIMD fork, which keeps the module name
    "MySQLdb": ("mysqlclient", "MySQL-python"),  # MySQL-python is Python 2 only; mysqlclient is its successor
    "Levenshtein": ("Levenshtein", "python-Levenshtein"),  # python-Levenshtein is now an alias of Levenshtein
    "bcrypt": ("bcrypt",),  # pipreqs: python-bcrypt, abandoned in 2013
    "docker": ("docker",),  # pipreqs: docker-py, renamed docker in 2016
    "msgpack": ("msgpack",),  # pipreqs: msgpack-python, renamed msgpack in 2018
    "locust": ("locust",),  # pipreqs: locustio, renamed locust in 2020
    "ephem": ("ephem", "pyephem"),  # pyephem is the old name of ephem
    "statsd": ("statsd",),  # pipreqs: dogstatsd-python, Datadog's retired client
    "asyncssh": ("asyncssh",),  # pipreqs: asyncssh-unofficial, a fork
    "autobahn": ("autobahn",),  # pipreqs: autobahn-rce, a fork
    "kazoo": ("kazoo",),  # pipreqs: asana-kazoo, a fork
    "flask_redis": ("flask-redis",),  # pipreqs: Flask-And-Redis, another project
    "devtools": ("devtools",),  # pipreqs: tg.devtools (TurboGears); devtools is the debug helper apps import
    "tortoise": ("tortoise-orm",),  # missing
}

# The reverse direction, for well-known distributions that ship several top-level modules (or a
# module another distribution is named after): distribution -> the import names it provides
# besides its own name. A declared or locked distribution listed here provides these imports for
# certain, whatever the forward map names first (`bson` is pymongo's as much as the bson project's).
ALSO_PROVIDES: dict[str, tuple[str, ...]] = {
    "pymongo": ("bson", "gridfs", "pymongo"),
    "motor": ("motor",),
    "setuptools": ("pkg_resources", "setuptools", "_distutils_hack"),
    "attrs": ("attr", "attrs"),
    "protobuf": ("google.protobuf",),
    "google-auth": ("google.auth", "google.oauth2"),
    "googleapis-common-protos": ("google.api", "google.rpc", "google.type", "google.longrunning"),
    "pyyaml": ("yaml", "_yaml"),
    "python-dateutil": ("dateutil",),
    "pillow": ("PIL",),
    "beautifulsoup4": ("bs4",),
    "scikit-learn": ("sklearn",),
    "pyjwt": ("jwt",),
    "python-jose": ("jose",),
    "python-multipart": ("multipart", "python_multipart"),
    "matplotlib": ("matplotlib", "mpl_toolkits", "pylab"),
    "fastapi-cache2": ("fastapi_cache",),
    "grpcio": ("grpc",),
    "dnspython": ("dns",),
    "pycryptodome": ("Crypto",),
    "pycryptodomex": ("Cryptodome",),
    "pyopenssl": ("OpenSSL",),
    "websocket-client": ("websocket",),
    "python-socketio": ("socketio",),
    "python-engineio": ("engineio",),
    "pysocks": ("socks", "sockshandler"),
    "pyserial": ("serial",),
    "pywin32": ("win32api", "win32com", "win32con", "win32gui", "pythoncom", "pywintypes"),
    "opencv-python": ("cv2",),
    "opencv-python-headless": ("cv2",),
    "opencv-contrib-python": ("cv2",),
    "opencv-contrib-python-headless": ("cv2",),
    "psycopg2-binary": ("psycopg2",),
    "python-dotenv": ("dotenv",),
    "email-validator": ("email_validator",),
    "typing-extensions": ("typing_extensions",),
    "tortoise-orm": ("tortoise",),
    "uvicorn": ("uvicorn",),
    "passlib": ("passlib",),
    "sentry-sdk": ("sentry_sdk",),
    "huggingface-hub": ("huggingface_hub",),
    "pytest": ("pytest", "_pytest"),
    "ruamel-yaml": ("ruamel.yaml",),
    "pyzmq": ("zmq",),
    "msgpack": ("msgpack",),
    "python-magic": ("magic",),
    "faiss-cpu": ("faiss",),
    "pymupdf": ("fitz", "pymupdf"),
    "python-docx": ("docx",),
    "python-pptx": ("pptx",),
    "pynacl": ("nacl",),
    "argon2-cffi": ("argon2",),
    "mysqlclient": ("MySQLdb",),
    "mysql-connector-python": ("mysql.connector", "mysqlx"),
    "kafka-python": ("kafka",),
    "llama-cpp-python": ("llama_cpp",),
    "scikit-image": ("skimage",),
}

# Import names that several unrelated projects provide: no distribution is certain for them, so
# an undeclared one is a warning (SP214) and any one of these that is declared satisfies the import.
# Names the vendored map lists more than once (`slugify`, `azure`, `backports`...) are shared too.
SHARED_IMPORTS: dict[str, tuple[str, ...]] = {
    "jwt": ("PyJWT", "jwt"),  # `jwt` is also another JSON Web Token library, with this module
    "multipart": ("python-multipart", "multipart"),  # two projects; python-multipart now prefers python_multipart
    # Namespace packages that many distributions fill; their dotted names (google.cloud.storage ->
    # google-cloud-storage) are the certain part.
    "google": (),  # pipreqs maps it to protobuf, which is one of dozens
    "opentelemetry": ("opentelemetry-api",),
}


@dataclass(frozen=True)
class ImportMap:
    """Import name (top-level or dotted) -> distributions known to provide it, first to install."""

    providers: Mapping[str, tuple[str, ...]]
    shared: frozenset[str]  # import names several unrelated projects provide
    same_name: frozenset[str]  # well-known import names that are their distribution's name
    known: frozenset[str]  # canonical names of the distributions whose imports are known


def _plain(name: str) -> str:
    """canonicalize_name for the vendored file's names (no separator runs there), at a fraction of the cost."""
    return name.lower().replace("_", "-").replace(".", "-")


def _data_lines(name: str) -> Iterator[str]:
    text = importlib.resources.files("spacepack.check").joinpath(name).read_text(encoding="utf-8")
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line


def _read_vendored(lines: Iterable[str]) -> tuple[dict[str, list[str]], set[str]]:
    """(import -> distributions listed, import names that only respell their distribution)."""
    listed: dict[str, list[str]] = {}
    respelt: set[str] = set()
    for line in lines:
        name, sep, dist = line.partition(":")
        name, dist = name.strip(), dist.strip()
        if not (sep and name and dist):
            continue
        # An entry that only respells the import (requests:Requests) adds nothing to the map: the
        # import's own name is a source already, and its spelling is the one people write today.
        if _plain(dist) == _plain(name):
            respelt.add(name)
        else:
            # pipreqs writes underscores for dashes (scikit_learn); the same distribution for pip.
            listed.setdefault(name, []).append(dist.replace("_", "-"))
    return listed, respelt


@functools.cache
def import_map() -> ImportMap:
    """The vendored map with spacepack's entries on top; read once per process."""
    listed, respelt = _read_vendored(_data_lines(VENDORED_MAP))
    shared = {name for name, dists in listed.items() if len(set(dists)) > 1}
    # pipreqs keeps the last line of a repeated name, so its own choice goes first.
    providers = {name: tuple(dict.fromkeys(reversed(dists))) for name, dists in listed.items()}
    for name, dists in HAND_ENTRIES.items():
        providers[name] = dists
        shared.discard(name)
    for name, dists in SHARED_IMPORTS.items():
        providers[name] = dists
        shared.add(name)
    for dist, modules in ALSO_PROVIDES.items():
        for module in modules:
            known = providers.get(module, ())
            if _plain(module) == dist and not known:
                continue  # the import's own name provides it already
            if dist not in {canonicalize_name(d) for d in known}:
                providers[module] = (*known, dist)
    same_name = frozenset(respelt | set(_data_lines(SAME_NAME_IMPORTS)))
    known_dists: set[str] = {canonicalize_name(d) for dists in providers.values() for d in dists}
    known_dists |= {_plain(name) for name in same_name}
    known_dists |= {canonicalize_name(key.split("[", 1)[0]) for key in KNOWN_DEPENDENCIES}
    known_dists |= {canonicalize_name(d.split("[", 1)[0]) for deps in KNOWN_DEPENDENCIES.values() for d in deps}
    return ImportMap(providers=providers, shared=frozenset(shared), same_name=same_name, known=frozenset(known_dists))


@functools.lru_cache(maxsize=4096)
def _entry(module: str) -> tuple[str, tuple[str, ...]] | None:
    """The longest dotted prefix of `module` the map knows, with its distributions."""
    providers = import_map().providers
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        known = providers.get(name)
        if known is not None:
            return name, known
    return None


# Names that ship inside another distribution's wheel (never installed on their own).
BUNDLED_IMPORTS: frozenset[str] = frozenset({"_pytest", "pytest_asyncio", "typing_inspection", "pydantic_core"})

# Distributions that pull in others, for checking imports when there is no lock
# file to read the real closure from. Conservative: only well-known, stable edges.
KNOWN_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "fastapi": ("starlette", "pydantic", "typing-extensions", "annotated-doc"),
    "fastapi[standard]": (
        "fastapi",
        "uvicorn[standard]",
        "httpx",
        "jinja2",
        "python-multipart",
        "email-validator",
        "fastapi-cli",
    ),
    "fastapi[all]": (
        "fastapi[standard]",
        "itsdangerous",
        "pyyaml",
        "ujson",
        "orjson",
        "pydantic-settings",
        "pydantic-extra-types",
    ),
    "starlette": ("anyio", "typing-extensions"),
    "anyio": ("idna", "sniffio"),
    "pydantic": ("pydantic-core", "typing-extensions", "annotated-types", "typing-inspection"),
    "pydantic[email]": ("pydantic", "email-validator"),
    "email-validator": ("dnspython", "idna"),
    "pydantic-settings": ("pydantic", "python-dotenv", "typing-inspection"),
    "sqlmodel": ("sqlalchemy", "pydantic"),
    "sqlalchemy": ("typing-extensions", "greenlet"),
    "sqlalchemy[asyncio]": ("sqlalchemy", "greenlet"),
    "alembic": ("sqlalchemy", "mako", "typing-extensions"),
    "mako": ("markupsafe",),
    "uvicorn": ("click", "h11"),
    "uvicorn[standard]": (
        "uvicorn",
        "httptools",
        "uvloop",
        "watchfiles",
        "websockets",
        "python-dotenv",
        "pyyaml",
    ),
    "gunicorn": ("packaging",),
    "python-jose": ("ecdsa", "rsa", "pyasn1"),
    "python-jose[cryptography]": ("python-jose", "cryptography"),
    "rsa": ("pyasn1",),
    "ecdsa": ("six",),
    "cryptography": ("cffi",),
    "cffi": ("pycparser",),
    "pyjwt[crypto]": ("pyjwt", "cryptography"),
    "passlib[bcrypt]": ("passlib", "bcrypt"),
    "httpx": ("httpcore", "anyio", "certifi", "idna"),
    "httpcore": ("h11", "certifi"),
    "requests": ("urllib3", "certifi", "idna", "charset-normalizer"),
    "jinja2": ("markupsafe",),
    "flask": ("werkzeug", "jinja2", "itsdangerous", "click", "blinker", "markupsafe"),
    "werkzeug": ("markupsafe",),
    "aiohttp": ("aiosignal", "attrs", "frozenlist", "multidict", "yarl", "aiohappyeyeballs"),
    "yarl": ("multidict", "idna", "propcache"),
    "celery": ("kombu", "billiard", "vine", "click", "python-dateutil"),
    "kombu": ("amqp", "vine"),
    "pandas": ("numpy", "python-dateutil", "pytz", "tzdata"),
    "python-dateutil": ("six",),
    "scikit-learn": ("numpy", "scipy", "joblib", "threadpoolctl"),
    "scipy": ("numpy",),
    "matplotlib": ("numpy", "pillow", "pyparsing", "packaging", "python-dateutil", "cycler", "kiwisolver"),
    "huggingface-hub": ("filelock", "fsspec", "packaging", "pyyaml", "tqdm", "typing-extensions", "httpx"),
    "transformers": (
        "huggingface-hub",
        "numpy",
        "packaging",
        "pyyaml",
        "regex",
        "requests",
        "tokenizers",
        "safetensors",
        "tqdm",
        "filelock",
    ),
    "tokenizers": ("huggingface-hub",),
    "sentence-transformers": (
        "transformers",
        "torch",
        "scikit-learn",
        "scipy",
        "huggingface-hub",
        "pillow",
        "tqdm",
    ),
    "torch": ("filelock", "typing-extensions", "sympy", "networkx", "jinja2", "fsspec"),
    "datasets": ("huggingface-hub", "numpy", "pandas", "pyarrow", "requests", "tqdm", "fsspec", "pyyaml"),
    "openai": ("httpx", "pydantic", "anyio", "distro", "jiter", "sniffio", "tqdm", "typing-extensions"),
    "anthropic": ("httpx", "pydantic", "anyio", "distro", "jiter", "sniffio", "typing-extensions"),
    "langchain": ("langchain-core", "pydantic", "sqlalchemy", "requests", "pyyaml"),
    "langchain-core": ("pydantic", "pyyaml", "packaging", "typing-extensions", "jsonpatch", "langsmith"),
    "gradio": (
        "fastapi",
        "uvicorn",
        "httpx",
        "huggingface-hub",
        "jinja2",
        "numpy",
        "pandas",
        "pillow",
        "pydantic",
        "python-multipart",
        "pyyaml",
        "orjson",
        "aiofiles",
        "gradio-client",
    ),
    "motor": ("pymongo",),
    "pymongo": ("dnspython",),
    "beanie": ("motor", "pydantic"),
    "asyncpg": (),
    "databases": ("sqlalchemy",),
    "tortoise-orm": ("pypika-tortoise", "iso8601", "aiosqlite", "pytz"),
    "sse-starlette": ("starlette", "anyio"),
    "fastapi-users": ("fastapi", "email-validator", "pyjwt", "python-multipart", "makefun", "pwdlib"),
    "google-generativeai": (
        "google-ai-generativelanguage",
        "google-api-core",
        "google-auth",
        "protobuf",
        "pydantic",
    ),
    "google-cloud-storage": ("google-auth", "google-api-core", "google-cloud-core", "requests", "protobuf"),
}

# Development tools that do not belong in the runtime install.
TEST_ONLY = frozenset(
    {"pytest", "coverage", "mypy", "ruff", "black", "flake8", "tox", "nox", "isort", "pylint", "pre-commit"}
)


def is_test_only(name: str) -> bool:
    """Whether a distribution is a test or lint tool rather than a runtime dependency."""
    canonical = canonicalize_name(name)
    return canonical in TEST_ONLY or canonical.startswith("pytest-") or canonical.startswith("types-")


# Top-level standard modules of Pythons newer than the one spacepack may run on (3.10): the image's
# Python can be newer than spacepack's (3.11: tomllib; 3.14: annotationlib, compression).
_NEWER_STDLIB = frozenset({"tomllib", "annotationlib", "compression"})


def stdlib_names() -> frozenset[str]:
    """Top-level module names of the standard library (plus `__future__`), of this Python and newer ones."""
    return frozenset(sys.stdlib_module_names) | _NEWER_STDLIB | {"__future__", "__main__"}


@functools.lru_cache(maxsize=4096)
def exact_distributions(module: str) -> frozenset[str]:
    """Distributions (canonical) that provide the import `module`: the map's, and the import's own names.

    The declared names themselves count: `google.cloud.storage` is provided by
    google-cloud-storage, google-cloud or google; `jose` by python-jose (the map)
    or a distribution named jose.
    """
    parts = module.split(".")
    names = {canonicalize_name("-".join(parts[:end])) for end in range(1, len(parts) + 1)}
    entry = _entry(module)
    if entry is not None:
        names.update(canonicalize_name(d) for d in entry[1])
    return frozenset(names)


def shared_providers(module: str) -> tuple[str, ...] | None:
    """None when the import names one project for sure; else the distributions known to provide it.

    `jwt` is PyJWT's module and also the `jwt` distribution's; `google.x` belongs to
    whichever google-* distribution ships it. An empty tuple: a namespace, no list.
    """
    entry = _entry(module)
    if entry is None or entry[0] not in import_map().shared:
        return None
    return entry[1]


def provider_by_name(module: str, distributions: Iterable[str]) -> str | None:
    """A distribution whose name suggests it provides `module` (`openai-agents` for `agents`), else None.

    Only a guess from spellings: `python-x`, `pyx`, `x-python`, `x-binary`,
    `x-headless`, or `x` as one dash-separated word of the name. A guess is
    never enough for an error.
    """
    top = canonicalize_name(module.split(".", 1)[0])
    spellings = {f"python-{top}", f"py{top}", f"{top}-python", f"{top}-binary", f"{top}-headless"}
    for name in sorted(distributions):
        if name in spellings or top in name.split("-"):
            return name
    return None


def _is_namespace(name: str, providers: tuple[str, ...]) -> bool:
    """Whether `name` is shared and every known provider is named under it (azure-storage for `azure`)."""
    prefix = canonicalize_name(name) + "-"
    return name in import_map().shared and all(canonicalize_name(d).startswith(prefix) for d in providers)


def distribution_to_install(module: str) -> str:
    """The distribution to install for an import when nothing declares it (import inference)."""
    entry = _entry(module)
    if entry is None:
        return module.split(".", 1)[0].replace("_", "-")
    name, providers = entry
    if name != module and _is_namespace(name, providers):
        # A deeper module of a namespace package: its dotted name (azure.storage.blob -> azure-storage-blob).
        return module.replace(".", "-").replace("_", "-")
    return providers[0] if providers else name.replace(".", "-").replace("_", "-")


def is_known_import(module: str) -> bool:
    """Whether the distributions providing `module` are known: the map names them, or it is a well-known name."""
    return _entry(module) is not None or module.split(".", 1)[0] in import_map().same_name


def certain_distribution(module: str) -> str | None:
    """The one distribution to add for an import nothing declares, or None when that would be a guess.

    Certain: the map (vendored or spacepack's) names it, or the import is a well-known
    package's own name. Not certain: a name no table knows (installing a look-alike
    from PyPI is never right), or one that several projects share (`jwt`, `google`).
    """
    if not is_known_import(module) or shared_providers(module) is not None:
        return None
    return distribution_to_install(module)


def is_known_distribution(name: str) -> bool:
    """Whether spacepack knows which imports a distribution provides (else it might provide any)."""
    return canonicalize_name(name) in import_map().known


def expand_known(requirements: Iterable[tuple[str, frozenset[str]]]) -> frozenset[str]:
    """Close a set of (canonical name, extras) over KNOWN_DEPENDENCIES.

    Returns:
        Canonical names of the distributions and everything they are known to pull in.
    """
    seen: set[str] = set()
    names: set[str] = set()
    stack: list[str] = []
    for name, extras in requirements:
        stack.append(name)
        stack.extend(f"{name}[{extra}]" for extra in sorted(extras))
    while stack:
        key = stack.pop()
        if key in seen:
            continue
        seen.add(key)
        base = key.split("[", 1)[0]
        names.add(canonicalize_name(base))
        for child in KNOWN_DEPENDENCIES.get(key, ()):
            child_base, _, rest = child.partition("[")
            stack.append(canonicalize_name(child_base) + ("[" + rest if rest else ""))
    return frozenset(names)


@dataclass(frozen=True)
class ImportSite:
    """One absolute import of a module outside the project, with where it happens."""

    module: str  # dotted, e.g. "google.cloud.storage"
    line: int
    optional: bool  # inside `try: ... except ImportError`, so the app copes without it


_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for node in types:
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
        if name in _IMPORT_ERRORS:
            return True
    return False


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def iter_imports(module: ast.Module) -> Iterator[ImportSite]:
    """Every absolute import in a module, skipping `if TYPE_CHECKING:` blocks.

    Relative imports (`from . import x`) are local by definition and skipped.
    """

    def walk(nodes: Iterable[ast.AST], optional: bool) -> Iterator[ImportSite]:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield ImportSite(alias.name, node.lineno, optional)
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0 and node.module:
                    yield ImportSite(node.module, node.lineno, optional)
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from walk(node.orelse, optional)
            elif isinstance(node, ast.Try) or (sys.version_info >= (3, 11) and isinstance(node, ast.TryStar)):
                guarded = optional or any(_catches_import_error(h) for h in node.handlers)
                yield from walk(node.body, guarded)
                for handler in node.handlers:
                    yield from walk(handler.body, optional)
                yield from walk(node.orelse, optional)
                yield from walk(node.finalbody, optional)
            else:
                yield from walk(statement_children(node), optional)

    yield from walk(module.body, False)
