"""Space hygiene: hardcoded secrets, `.env` files, pinned ports and server starts, huge files.

Everything here reads the kept files only (what would ship). No finding ever
holds a secret's value: at most its first 4 characters, through
`spacepack.masking.preview`.
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from spacepack.check.envvars import find_env_reads
from spacepack.check.formats import lock_names
from spacepack.check.secrets_scan import holds_secret_value, is_placeholder, looks_random, scan_text
from spacepack.check.tree import ProjectTree
from spacepack.ignore import is_env_file
from spacepack.masking import preview
from spacepack.plan import Finding

FINDING_CODES: dict[str, str] = {
    "SP310": "a known token format (or a password inside a URL) is hardcoded in a file that would ship",
    "SP311": "a random-looking literal is assigned to a secret-like name",
    "SP312": "a secret-like env var has a placeholder or weak literal default",
    "SP313": "a .env file exists; it never ships, so its variables must become Space secrets/variables",
    "SP320": "the code starts a server itself (uvicorn.run) on a pinned port or at import time",
    "SP321": "auto-reload is switched on (reload=True / --reload)",
    "SP322": "the server binds to localhost only (127.0.0.1), unreachable from outside the container",
    "SP323": "a Dockerfile pins a port (EXPOSE / --port); spacepack renders its own and uses $PORT",
    "SP324": "a Procfile or shell script pins a port; spacepack launches on $PORT itself",
    "SP330": "a file over 10 MB would ship; Spaces store those with LFS/Xet",
}

BIG_FILE_BYTES = 10 * 1024 * 1024
# Files bigger than this are not scanned for secrets (data and bundles, not code).
_MAX_SCAN_BYTES = 1024 * 1024
_BINARY_SUFFIXES = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".svgz", ".pdf", ".zip", ".gz", ".tgz",
        ".bz2", ".xz", ".7z", ".tar", ".whl", ".egg", ".so", ".dylib", ".dll", ".exe", ".bin", ".pt", ".pth",
        ".ckpt", ".safetensors", ".onnx", ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".h5", ".parquet",
        ".arrow", ".feather", ".db", ".sqlite", ".sqlite3", ".woff", ".woff2", ".ttf", ".otf", ".eot",
        ".mp3", ".mp4", ".wav", ".ogg", ".webm", ".mov", ".avi", ".pyc", ".jar", ".class",
    }
)  # fmt: skip
# Lock files hold hashes and URLs, never secrets: Python ones come from the manifest readers.
_LOCK_FILES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml"}) | lock_names()
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_SHELL_PORT = re.compile(r"(?:--port[=\s]+|--bind[=\s]+\S*:|\s-b\s+\S*:|\s-p\s+)(\d{2,5})\b")
_SHELL_LOOPBACK = re.compile(r"--host[=\s]+(?:127\.0\.0\.1|localhost)\b|--bind[=\s]+(?:127\.0\.0\.1|localhost):")
_EXPOSE = re.compile(r"^\s*EXPOSE\s+(\d+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class HygieneReport:
    """Findings about what would leak or break on a Space, and the files holding secrets."""

    findings: tuple[Finding, ...] = ()
    secret_files: tuple[str, ...] = ()  # relative to the root; never shipped or uploaded


def _scannable(tree: ProjectTree, path: str) -> bool:
    name = path.rpartition("/")[2]
    suffix = posixpath.splitext(name)[1].lower()
    return (
        suffix not in _BINARY_SUFFIXES
        and name not in _LOCK_FILES
        and tree.sizes.get(path, 0) <= _MAX_SCAN_BYTES
        and not name.endswith(".min.js")
    )


def _read_quickly(tree: ProjectTree, path: str) -> str | None:
    """A kept file's text, or None for binary: the walk already vetted the path, so no resolve() here."""
    try:
        data = (tree.root / path).read_bytes()
    except OSError:
        return None
    if b"\x00" in data:
        return None
    return data.decode("utf-8-sig", errors="replace")


def _token_findings(tree: ProjectTree) -> tuple[list[Finding], set[str], set[tuple[str, int]]]:
    findings: list[Finding] = []
    files: set[str] = set()
    places: set[tuple[str, int]] = set()
    for path in tree.files:
        if not _scannable(tree, path):
            continue
        text = _read_quickly(tree, path)
        if not text:
            continue
        for hit in scan_text(text):
            if hit.placeholder:
                continue
            files.add(path)
            places.add((path, hit.line))
            findings.append(
                Finding(
                    code="SP310",
                    severity="error",
                    message=f"{hit.kind} hardcoded in {path}:{hit.line} ({preview(hit.value)})",
                    hint="remove it from the file (and from git history), revoke it, and read it from an "
                    "env var set as a Space secret",
                    path=path,
                    line=hit.line,
                )
            )
    return findings, files, places


# A superset of the words `is_secret_name` looks for (its names are matched case-insensitively
# after camelCase is split), used to skip files that cannot hold a literal secret.
_SECRETISH_TEXT = re.compile(r"secret|token|passw|passphrase|key|credential|pwd|dsn|ur[li]", re.IGNORECASE)


def _assigned_literals(module: ast.Module) -> Iterator[tuple[str, str, int]]:
    """(name, literal, line) for str literals bound to a name, attribute, keyword or dict key."""
    for node in ast.walk(module):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
                if isinstance(name, str):
                    yield name, node.value.value, node.lineno
        elif isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Constant):
            target = node.target
            name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
            if isinstance(name, str) and isinstance(node.value.value, str):
                yield name, node.value.value, node.lineno
        elif isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    yield kw.arg, kw.value.value, kw.value.lineno
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=False):
                if (
                    isinstance(key, ast.Constant)
                    and isinstance(key.value, str)
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    yield key.value, value.value, value.lineno


def _literal_secret_findings(
    tree: ProjectTree, backend_dir: str, seen: set[tuple[str, int]]
) -> tuple[list[Finding], set[str]]:
    findings: list[Finding] = []
    files: set[str] = set()
    for path in tree.python_under(backend_dir):
        module = tree.python[path]
        if module.tree is None or (module.source is not None and not _SECRETISH_TEXT.search(module.source)):
            continue  # no secret-like word anywhere in the file: no literal can be bound to such a name
        for name, value, line in sorted(_assigned_literals(module.tree), key=lambda item: item[2]):
            if (path, line) in seen or not holds_secret_value(name) or not looks_random(value):
                continue
            seen.add((path, line))
            files.add(path)
            findings.append(
                Finding(
                    code="SP311",
                    severity="error",
                    message=f"{name} is set to a hardcoded secret in {path}:{line} ({preview(value)})",
                    hint=f"read {name} from an env var (set it as a Space secret) and rotate the value",
                    path=path,
                    line=line,
                )
            )
    return findings, files


def _default_findings(
    tree: ProjectTree, backend_dir: str, seen: set[tuple[str, int]]
) -> tuple[list[Finding], set[str]]:
    findings: list[Finding] = []
    files: set[str] = set()
    reads, _ = find_env_reads(tree, backend_dir)
    for read in reads:
        if read.default is None or not holds_secret_value(read.name) or (read.path, read.line) in seen:
            continue
        seen.add((read.path, read.line))
        if looks_random(read.default):
            files.add(read.path)
            findings.append(
                Finding(
                    code="SP311",
                    severity="error",
                    message=f"{read.name} defaults to a hardcoded secret in {read.path}:{read.line} "
                    f"({preview(read.default)})",
                    hint=f"drop the default, set {read.name} as a Space secret, and rotate the value",
                    path=read.path,
                    line=read.line,
                )
            )
        else:
            what = "a placeholder" if is_placeholder(read.default) else "a weak literal"
            findings.append(
                Finding(
                    code="SP312",
                    severity="warning",
                    message=f"{read.name} defaults to {what} in {read.path}:{read.line}; "
                    "the app would run with it if the secret is not set",
                    hint=f"set {read.name} as a Space secret, and make the app refuse to start without it",
                    path=read.path,
                    line=read.line,
                )
            )
    return findings, files


def _env_files(tree: ProjectTree, backend_dir: str) -> list[str]:
    found = set(getattr(tree, "env_files", ()) or ())
    for folder in {".", backend_dir.strip("/") or "."}:
        try:
            with os.scandir(tree.root / folder) as entries:
                for entry in entries:
                    if entry.is_file() and is_env_file(entry.name):
                        found.add(entry.name if folder == "." else f"{folder}/{entry.name}")
        except OSError:
            continue
    return sorted(found)


def _env_file_findings(tree: ProjectTree, backend_dir: str) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    files = _env_files(tree, backend_dir)
    for path in files:
        try:
            # Only the names are kept: the values are dropped with the mapping.
            names = sorted(dotenv_values(Path(tree.root, path), encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError):
            names = []
        listed = ", ".join(names) if names else "no variables spacepack could read"
        findings.append(
            Finding(
                code="SP313",
                severity="warning",
                message=f"{path} never ships (spacepack leaves .env files out); it defines {listed}",
                hint="set each as a Space secret (or variable, if not sensitive); "
                "`spacepack push` can do it from this file",
                path=path,
            )
        )
    return findings, files


def _uvicorn_names(module: ast.Module) -> tuple[set[str], set[str]]:
    modules: set[str] = set()
    runs: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name == "uvicorn")
        elif isinstance(node, ast.ImportFrom) and node.module == "uvicorn":
            runs.update(a.asname or a.name for a in node.names if a.name in {"run", "Config"})
    return modules, runs


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    parts = [node.test.left, *node.test.comparators]
    return any(isinstance(p, ast.Name) and p.id == "__name__" for p in parts) and any(
        isinstance(p, ast.Constant) and p.value == "__main__" for p in parts
    )


def _server_calls(module: ast.Module) -> Iterator[tuple[ast.Call, str]]:
    """uvicorn.run()/uvicorn.Config() calls with their context: "import", "main" or "function"."""
    modules, runs = _uvicorn_names(module)
    if not modules and not runs:
        return

    def is_server(call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Name):
            return func.id in runs
        return (
            isinstance(func, ast.Attribute)
            and func.attr in {"run", "Config"}
            and isinstance(func.value, ast.Name)
            and func.value.id in modules
        )

    def walk(node: ast.AST, context: str) -> Iterator[tuple[ast.Call, str]]:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            context = "function"
        if isinstance(node, ast.Call) and is_server(node):
            yield node, context
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt) and context == "import" and _is_main_guard(child):
                yield from walk(child, "main")
            else:
                yield from walk(child, context)

    yield from walk(module, "import")


def _server_findings(tree: ProjectTree, backend_dir: str) -> list[Finding]:
    findings: list[Finding] = []
    for path in tree.python_under(backend_dir):
        module = tree.python[path]
        if module.tree is None or (module.source is not None and "uvicorn" not in module.source):
            continue
        for call, context in _server_calls(module.tree):
            keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
            port = keywords.get("port")
            port_value = port.value if isinstance(port, ast.Constant) and isinstance(port.value, int) else None
            where = f"{path}:{call.lineno}"
            if context == "import":
                findings.append(
                    Finding(
                        code="SP320",
                        severity="warning",
                        message=f"{where} starts uvicorn while the module is imported"
                        + (f" (port {port_value})" if port_value else "")
                        + "; spacepack's server imports this module, so a second server would start",
                        hint='move the call under `if __name__ == "__main__":` (spacepack launches the app '
                        "on $PORT itself)",
                        path=path,
                        line=call.lineno,
                    )
                )
            elif port_value is not None:
                findings.append(
                    Finding(
                        code="SP320",
                        severity="warning",
                        message=f"{where} starts uvicorn on port {port_value}; on a Space this is not used",
                        hint="spacepack launches the app on $PORT itself; to keep the script, read the port "
                        'with int(os.getenv("PORT", "8000"))',
                        path=path,
                        line=call.lineno,
                    )
                )
            reload = keywords.get("reload")
            if isinstance(reload, ast.Constant) and reload.value is True:
                findings.append(
                    Finding(
                        code="SP321",
                        severity="warning",
                        message=f"{where} turns on auto-reload (reload=True)",
                        hint="drop reload=True (or gate it on an env var); it is for development only",
                        path=path,
                        line=call.lineno,
                    )
                )
            host = keywords.get("host")
            if isinstance(host, ast.Constant) and host.value in _LOOPBACK:
                findings.append(
                    Finding(
                        code="SP322",
                        severity="warning",
                        message=f"{where} binds to {host.value}, which nothing outside the container reaches",
                        hint='bind to "0.0.0.0" (spacepack does when it launches the app)',
                        path=path,
                        line=call.lineno,
                    )
                )
    return findings


def _is_dockerfile(name: str) -> bool:
    lower = name.lower()
    return lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile")


def _script_findings(tree: ProjectTree) -> list[Finding]:
    findings: list[Finding] = []
    for path in tree.files:
        name = path.rpartition("/")[2]
        dockerfile = _is_dockerfile(name)
        if not (dockerfile or name == "Procfile" or name.endswith((".sh", ".bash"))):
            continue
        text = tree.read_text(path)
        if not text:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("#"):
                continue
            expose = _EXPOSE.match(line) if dockerfile else None
            port = _SHELL_PORT.search(" " + line)
            if expose or port:
                value = expose.group(1) if expose else port.group(1) if port else ""
                findings.append(
                    Finding(
                        code="SP323" if dockerfile else "SP324",
                        severity="warning",
                        message=f"{path}:{number} pins port {value}"
                        + ("; spacepack renders its own Dockerfile, so this one is not used" if dockerfile else ""),
                        hint="spacepack launches the app on $PORT itself; "
                        + ("nothing to change for the Space" if dockerfile else "use --port ${PORT:-8000} here"),
                        path=path,
                        line=number,
                    )
                )
            if "--reload" in line:
                findings.append(
                    Finding(
                        code="SP321",
                        severity="warning",
                        message=f"{path}:{number} starts the server with --reload",
                        hint="drop --reload outside development",
                        path=path,
                        line=number,
                    )
                )
            if _SHELL_LOOPBACK.search(line):
                findings.append(
                    Finding(
                        code="SP322",
                        severity="warning",
                        message=f"{path}:{number} binds to localhost, which nothing outside the container reaches",
                        hint="bind to 0.0.0.0",
                        path=path,
                        line=number,
                    )
                )
    return findings


def _big_file_findings(tree: ProjectTree) -> list[Finding]:
    return [
        Finding(
            code="SP330",
            severity="warning",
            message=f"{path} is {size / (1024 * 1024):.1f} MB; Spaces store files over 10 MB with LFS/Xet",
            hint="keep it out of the Space (.gitignore) and download it at start-up, or push it to a model "
            "or dataset repository",
            path=path,
        )
        for path, size in sorted(tree.sizes.items())
        if size > BIG_FILE_BYTES
    ]


def scan_hygiene(tree: ProjectTree, backend_dir: str) -> HygieneReport:
    """Look for what would leak or misbehave on a Space.

    Args:
        tree: the project as `load_tree` read it.
        backend_dir: the backend folder, posix, relative to the root.

    Returns:
        Findings (hardcoded secrets, placeholder secret defaults, .env files,
        pinned ports and server starts, big files) and the files holding secrets.
    """
    findings, secret_files, seen = _token_findings(tree)
    literal, literal_files = _literal_secret_findings(tree, backend_dir, seen)
    defaults, default_files = _default_findings(tree, backend_dir, seen)
    env_findings, env_files = _env_file_findings(tree, backend_dir)
    all_findings = [
        *findings,
        *literal,
        *defaults,
        *env_findings,
        *_server_findings(tree, backend_dir),
        *_script_findings(tree),
        *_big_file_findings(tree),
    ]
    files = sorted(secret_files | literal_files | default_files | set(env_files))
    return HygieneReport(findings=tuple(all_findings), secret_files=tuple(files))
