"""Which distribution provides an import, and which imports a module makes.

Pure data plus one AST walk. The maps cover the names that differ between
`import x` and `pip install y` in the usual web and ML stacks; anything not
listed is assumed to be installed under its own name.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from spacepack.check.pyast import statement_children

# import name -> distributions that provide it; the first is the one to install when inferring.
IMPORT_TO_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "jose": ("python-jose", "python-jose-cryptodome"),
    "jwt": ("PyJWT",),
    "dotenv": ("python-dotenv",),
    "yaml": ("PyYAML",),
    "PIL": ("Pillow", "pillow-simd"),
    "sklearn": ("scikit-learn",),
    "cv2": (
        "opencv-python-headless",
        "opencv-python",
        "opencv-contrib-python-headless",
        "opencv-contrib-python",
    ),
    "bs4": ("beautifulsoup4",),
    "psycopg2": ("psycopg2-binary", "psycopg2"),
    "psycopg": ("psycopg", "psycopg-binary"),
    "multipart": ("python-multipart",),
    "python_multipart": ("python-multipart",),
    "dateutil": ("python-dateutil",),
    "magic": ("python-magic",),
    "docx": ("python-docx",),
    "pptx": ("python-pptx",),
    "slugify": ("python-slugify",),
    "socketio": ("python-socketio",),
    "engineio": ("python-engineio",),
    "telegram": ("python-telegram-bot",),
    "ldap": ("python-ldap",),
    "MySQLdb": ("mysqlclient",),
    "pymysql": ("PyMySQL",),
    "Crypto": ("pycryptodome",),
    "Cryptodome": ("pycryptodomex",),
    "OpenSSL": ("pyOpenSSL",),
    "nacl": ("PyNaCl",),
    "fitz": ("PyMuPDF",),
    "pymupdf": ("PyMuPDF",),
    "pypdf": ("pypdf",),
    "PyPDF2": ("PyPDF2",),
    "git": ("GitPython",),
    "github": ("PyGithub",),
    "attr": ("attrs",),
    "google.protobuf": ("protobuf",),
    "google.generativeai": ("google-generativeai",),
    "google.genai": ("google-genai",),
    "google.cloud.storage": ("google-cloud-storage",),
    "google.cloud.firestore": ("google-cloud-firestore",),
    "google.auth": ("google-auth",),
    "google.oauth2": ("google-auth",),
    "googleapiclient": ("google-api-python-client",),
    "firebase_admin": ("firebase-admin",),
    "serial": ("pyserial",),
    "usb": ("pyusb",),
    "zmq": ("pyzmq",),
    "skimage": ("scikit-image",),
    "Levenshtein": ("python-Levenshtein", "Levenshtein"),
    "faiss": ("faiss-cpu", "faiss-gpu"),
    "sentence_transformers": ("sentence-transformers",),
    "llama_cpp": ("llama-cpp-python",),
    "email_validator": ("email-validator",),
    "pydantic_settings": ("pydantic-settings",),
    "huggingface_hub": ("huggingface-hub",),
    "websocket": ("websocket-client",),
    "markdown": ("Markdown",),
    "jinja2": ("Jinja2",),
    "mako": ("Mako",),
    "sqlalchemy": ("SQLAlchemy",),
    "redis": ("redis",),
    "grpc": ("grpcio",),
    "kafka": ("kafka-python",),
    "mpl_toolkits": ("matplotlib",),
    "pkg_resources": ("setuptools",),
    "setuptools": ("setuptools",),
    "tomli": ("tomli",),
    "typing_extensions": ("typing-extensions",),
    "uvloop": ("uvloop",),
    "passlib": ("passlib",),
    "bcrypt": ("bcrypt",),
    "jwcrypto": ("jwcrypto",),
    "sentry_sdk": ("sentry-sdk",),
    "opentelemetry": ("opentelemetry-api",),
    "prometheus_client": ("prometheus-client",),
    "starlette_exporter": ("starlette-exporter",),
    "slowapi": ("slowapi",),
    "fastapi_users": ("fastapi-users",),
    "langchain_community": ("langchain-community",),
    "langchain_core": ("langchain-core",),
    "langchain_openai": ("langchain-openai",),
    "tiktoken": ("tiktoken",),
    "win32api": ("pywin32",),
    "win32com": ("pywin32",),
}

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


def stdlib_names() -> frozenset[str]:
    """Top-level module names of the standard library (plus `__future__`)."""
    return frozenset(sys.stdlib_module_names) | {"__future__", "__main__"}


def exact_distributions(module: str) -> frozenset[str]:
    """Distributions (canonical) known to provide the import `module`: the table, and the import's own names.

    `google.cloud.storage` is provided by google-cloud-storage, google-cloud or
    google; `jose` by the table's python-jose.
    """
    parts = module.split(".")
    names = {canonicalize_name("-".join(parts[:end])) for end in range(1, len(parts) + 1)}
    for end in range(len(parts), 0, -1):
        known = IMPORT_TO_DISTRIBUTIONS.get(".".join(parts[:end]))
        if known:
            names.update(canonicalize_name(d) for d in known)
            break
    return frozenset(names)


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


def distribution_to_install(module: str) -> str:
    """The distribution to install for an import when nothing declares it (import inference)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        known = IMPORT_TO_DISTRIBUTIONS.get(".".join(parts[:end]))
        if known:
            return known[0]
    return parts[0].replace("_", "-")


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
