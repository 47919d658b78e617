"""Space hygiene: hardcoded secrets, `.env` files, pinned ports and server starts, huge files.

Everything here reads the kept files only (what would ship). No finding ever
holds a secret's value: at most its first 4 characters, through
`spacepack.masking.preview`.
"""

from __future__ import annotations

import ast
import io
import os
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from spacepack.check.envvars import EnvRead, find_env_reads
from spacepack.check.facts import Json, ModuleFacts
from spacepack.check.formats import lock_names
from spacepack.check.pyast import AppCode, ProjectIndex, app_code, qualify, walk_runtime
from spacepack.check.python_version import is_dockerfile
from spacepack.check.secrets_scan import (
    TokenHit,
    holds_secret_value,
    is_hardcoded_secret,
    is_placeholder,
    looks_random,
    scan_bytes,
    scan_file,
)
from spacepack.check.tree import ProjectTree
from spacepack.findings import finding
from spacepack.ignore import is_env_file
from spacepack.masking import preview
from spacepack.names import is_env_name
from spacepack.plan import Finding

BIG_FILE_BYTES = 10 * 1024 * 1024
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


def _scannable(path: str) -> bool:
    name = path.rpartition("/")[2]
    suffix = posixpath.splitext(name)[1].lower()
    return suffix not in _BINARY_SUFFIXES and name not in _LOCK_FILES and not name.endswith(".min.js")


# Folders whose files the running app never uses (tests, docs, examples); scripts and migrations may run.
_UNUSED_DIRS = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "example", "samples", "sample",
                          "notebooks", "demo", "demos", "benchmarks", ".github", ".gitlab", ".circleci"})  # fmt: skip
_DOC_SUFFIXES = (".md", ".markdown", ".rst", ".adoc")
_COMPOSE = re.compile(r"^(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$", re.IGNORECASE)


def unused_on_space(path: str, working_dir: str) -> str | None:
    """Why a file is never used by the app on the Space (so it can stay out of it), or None when it may be.

    Tests, docs, examples, CI configuration, compose files, Dockerfiles
    (spacepack renders its own) and everything outside the working folder
    (the build context) qualify. Scripts, migrations and config files do
    not: the app may read or run them at start-up.
    """
    working = "" if working_dir.strip("/") in {"", "."} else working_dir.strip("/") + "/"
    if working and not path.startswith(working):
        return "outside the app's folder, so it never ships"
    rel = path[len(working) :]
    parts = rel.split("/")
    name = parts[-1]
    lower = name.lower()
    folder = next((part for part in parts[:-1] if part.lower() in _UNUSED_DIRS), None)
    if folder is not None:
        return f"under {folder}/"
    if lower.startswith(("test_", "readme")) or lower.endswith(("_test.py", *_DOC_SUFFIXES)) or lower == "conftest.py":
        return "a test" if lower.endswith(".py") else "documentation"
    if _COMPOSE.match(name):
        return "a compose file (Spaces run the Dockerfile spacepack renders)"
    if is_dockerfile(name) or lower in {".gitlab-ci.yml", ".travis.yml"}:
        return "build or CI configuration spacepack does not use"
    return None


class _TokenLine(NamedTuple):
    """A credential found in a module, as its findings show it: never the value, only its preview."""

    kind: str
    line: int
    shown: str  # `preview` of the value
    plain_password: bool  # a password in a URL that does not look random (an example, in documentation)


def _shown_hits(hits: Iterable[TokenHit]) -> Json:
    """Credentials as their findings show them (placeholders left out): what a stored fact may hold."""
    return [
        [hit.kind, hit.line, preview(hit.value), hit.kind == "password in a URL" and not looks_random(hit.value)]
        for hit in hits
        if not hit.placeholder
    ]


def _module_token_lines(tree: ProjectTree, path: str) -> Json:
    # Bounded; UTF-16 and binary too; the walk vetted the path. A module's bytes were read once for the parse.
    # (A module the parse refused, e.g. over 10 MB, is still scanned from the file, as any other file.)
    data = tree.python_bytes(path)
    return _shown_hits(scan_bytes(data) if data else scan_file(tree.root / path))


def _token_lines(tree: ProjectTree, path: str, facts: ModuleFacts) -> list[_TokenLine]:
    """A file's credentials: a module's are one of its kept facts, any other file is read and scanned."""
    if path in tree.python:
        stored = facts.get("hygiene.tokens", path, lambda: _module_token_lines(tree, path))
    else:
        stored = _shown_hits(scan_file(tree.root / path))
    return [_TokenLine(kind, line, shown, plain) for kind, line, shown, plain in stored]


def _token_findings(
    tree: ProjectTree, working_dir: str, facts: ModuleFacts | None = None
) -> tuple[list[Finding], set[str], set[tuple[str, int]]]:
    """SP310 for credentials in files the app may use; SP315 (a warning) in files it never uses.

    Either way the file goes into `secret_files`, so it never ships or is
    uploaded, except an example password in documentation (readable, not
    random), which nobody can log in with.
    """
    facts = facts if facts is not None else ModuleFacts()
    findings: list[Finding] = []
    files: set[str] = set()
    places: set[tuple[str, int]] = set()
    for path in tree.files:
        if not _scannable(path):
            continue
        unused = unused_on_space(path, working_dir)
        for hit in _token_lines(tree, path, facts):
            places.add((path, hit.line))
            example = unused == "documentation" and hit.plain_password
            if not example:
                files.add(path)
            if unused is None:
                findings.append(
                    finding(
                        "SP310",
                        f"{hit.kind} hardcoded in {path}:{hit.line} ({hit.shown})",
                        hint="remove it from the file (and from git history), revoke it, and read it from an "
                        "env var set as a Space secret",
                        path=path,
                        line=hit.line,
                    )
                )
                continue
            fate = "it reads like an example" if example else "spacepack leaves the file out of the Space"
            findings.append(
                finding(
                    "SP315",
                    f"{hit.kind} in {path}:{hit.line} ({hit.shown}), {unused}; {fate}",
                    hint="if it is real, revoke it and remove it from the repository (and its history)",
                    path=path,
                    line=hit.line,
                )
            )
    return findings, files, places


# A superset of the words `is_secret_name` looks for (its names are matched case-insensitively
# after camelCase is split), used to skip files that cannot hold a literal secret.
_SECRETISH_TEXT = re.compile(r"secret|token|passw|passphrase|key|credential|pwd|dsn|ur[li]", re.IGNORECASE)
# The same words for ASCII text, lowered: ten times faster than the case-blind pattern (which also matches a few
# letters beyond ASCII, such as the long s and the Kelvin sign, so other text keeps the pattern).
_SECRETISH_WORDS = ("secret", "token", "passw", "key", "credential", "pwd", "dsn", "url", "uri")


def _secretish(text: str) -> bool:
    """Whether `text` shows a secret-like word anywhere (any case): else no literal can be bound to such a name."""
    if text.isascii():
        lowered = text.lower()
        return any(word in lowered for word in _SECRETISH_WORDS)
    return _SECRETISH_TEXT.search(text) is not None


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


def _module_literal_secrets(index: ProjectIndex, path: str) -> Json:
    """[name, line, preview] of each hardcoded secret bound to a secret-like name in one module, by line."""
    module = index.tree.python[path]
    if module.tree is None or (module.source is not None and not _secretish(module.source)):
        return []  # no secret-like word anywhere in the file: no literal can be bound to such a name
    return [
        [name, line, preview(value)]
        for name, value, line in sorted(_assigned_literals(module.tree), key=lambda item: item[2])
        if holds_secret_value(name) and is_hardcoded_secret(name, value)
    ]


def _literal_secret_findings(code: AppCode, seen: set[tuple[str, int]]) -> tuple[list[Finding], set[str]]:
    """SP311 for random-looking literals bound to secret-like names in app code (tests hold fixtures, not secrets)."""
    findings: list[Finding] = []
    files: set[str] = set()
    index = code.index
    for path in code.modules:
        stored = index.facts.get("hygiene.literal_secrets", path, partial(_module_literal_secrets, index, path))
        for name, line, shown in stored:
            if (path, line) in seen:
                continue
            seen.add((path, line))
            files.add(path)
            findings.append(
                finding(
                    "SP311",
                    f"{name} is set to a hardcoded secret in {path}:{line} ({shown})",
                    hint=f"read {name} from an env var (set it as a Space secret) and rotate the value",
                    path=path,
                    line=line,
                )
            )
    return findings, files


def _default_findings(reads: tuple[EnvRead, ...], seen: set[tuple[str, int]]) -> tuple[list[Finding], set[str]]:
    findings: list[Finding] = []
    files: set[str] = set()
    for read in reads:
        if read.default is None or not holds_secret_value(read.name) or (read.path, read.line) in seen:
            continue
        seen.add((read.path, read.line))
        if is_hardcoded_secret(read.name, read.default):
            files.add(read.path)
            findings.append(
                finding(
                    "SP311",
                    f"{read.name} defaults to a hardcoded secret in {read.path}:{read.line} ({preview(read.default)})",
                    hint=f"drop the default, set {read.name} as a Space secret, and rotate the value",
                    path=read.path,
                    line=read.line,
                )
            )
        else:
            what = "a placeholder" if is_placeholder(read.default) else "a weak literal"
            findings.append(
                finding(
                    "SP312",
                    f"{read.name} defaults to {what} in {read.path}:{read.line}; "
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
        # Imported here, not at the top: most projects have no .env file, and check's start-up skips it.
        from dotenv import dotenv_values

        try:
            # Only the names are kept: the values are dropped with the mapping. A line with no `=` is
            # not a name (it may be a token pasted alone), and neither is anything outside the env grammar.
            text = tree.read_text(path)  # bounded and link-safe: a FIFO named .env must not hang check
            values = dotenv_values(stream=io.StringIO(text)) if text is not None else {}
            names = sorted(name for name, value in values.items() if value is not None and is_env_name(name))
        except (OSError, UnicodeDecodeError, ValueError):
            names = []
        listed = ", ".join(names) if names else "no variables spacepack could read"
        findings.append(
            finding(
                "SP313",
                f"{path} never ships (spacepack leaves .env files out); it defines {listed}",
                hint="set each as a Space secret (or variable, if not sensitive); "
                "`spacepack push` can do it from this file",
                path=path,
            )
        )
    return findings, files


_SERVER_CALLS = frozenset({"uvicorn.run", "uvicorn.Config"})


class _ServerCall(NamedTuple):
    """A uvicorn.run()/uvicorn.Config() call of one module: what the findings about it look at."""

    line: int
    runs: str  # when it runs: at "import", under the "main" guard, or when its function is "call"ed
    port: int | None  # the literal port, if any
    reload: bool  # reload=True
    loopback_host: str | None  # the literal loopback host it binds to, if any


def _module_server_calls(index: ProjectIndex, path: str) -> Json:
    """[line, runs, port, reload, loopback host] of each uvicorn.run()/uvicorn.Config() call in one module."""
    module = index.tree.python[path]
    if module.tree is None or (module.source is not None and "uvicorn" not in module.source):
        return []
    imports = index.imports(path)
    if not any(ref.module.split(".")[0] == "uvicorn" for ref in imports.values()):
        return []
    calls: list[Json] = []
    for node, place in walk_runtime(module.tree):
        if not (isinstance(node, ast.Call) and qualify(node.func, imports) in _SERVER_CALLS):
            continue
        keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        port, reload, host = keywords.get("port"), keywords.get("reload"), keywords.get("host")
        port_value = port.value if isinstance(port, ast.Constant) and isinstance(port.value, int) else None
        reload_on = isinstance(reload, ast.Constant) and reload.value is True
        loopback = host.value if isinstance(host, ast.Constant) and host.value in _LOOPBACK else None
        calls.append([node.lineno, place.runs, port_value, reload_on, loopback])
    return calls


def _server_call_findings(path: str, call: _ServerCall) -> Iterator[Finding]:
    where = f"{path}:{call.line}"
    if call.runs == "import":
        yield finding(
            "SP320",
            f"{where} starts uvicorn while the module is imported"
            + (f" (port {call.port})" if call.port else "")
            + "; spacepack's server imports this module, so a second server would start",
            hint='move the call under `if __name__ == "__main__":` (spacepack launches the app on $PORT itself)',
            path=path,
            line=call.line,
        )
    elif call.port is not None:
        yield finding(
            "SP320",
            f"{where} starts uvicorn on port {call.port}; on a Space this is not used",
            hint="spacepack launches the app on $PORT itself; to keep the script, read the port "
            'with int(os.getenv("PORT", "8000"))',
            path=path,
            line=call.line,
        )
    if call.reload:
        yield finding(
            "SP321",
            f"{where} turns on auto-reload (reload=True)",
            hint="drop reload=True (or gate it on an env var); it is for development only",
            path=path,
            line=call.line,
        )
    if call.loopback_host is not None:
        yield finding(
            "SP322",
            f"{where} binds to {call.loopback_host}, which nothing outside the container reaches",
            hint='bind to "0.0.0.0" (spacepack does when it launches the app)',
            path=path,
            line=call.line,
        )


def _server_findings(code: AppCode) -> list[Finding]:
    findings: list[Finding] = []
    index = code.index
    for path in code.modules:
        stored = index.facts.get("hygiene.server_calls", path, partial(_module_server_calls, index, path))
        for line, runs, port, reload, host in stored:
            findings.extend(_server_call_findings(path, _ServerCall(line, runs, port, reload, host)))
    return findings


def _script_findings(tree: ProjectTree) -> list[Finding]:
    findings: list[Finding] = []
    for path in tree.files:
        name = path.rpartition("/")[2]
        dockerfile = is_dockerfile(name)
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
                    finding(
                        "SP323" if dockerfile else "SP324",
                        f"{path}:{number} pins port {value}"
                        + ("; spacepack renders its own Dockerfile, so this one is not used" if dockerfile else ""),
                        hint="spacepack launches the app on $PORT itself; "
                        + ("nothing to change for the Space" if dockerfile else "use --port ${PORT:-8000} here"),
                        path=path,
                        line=number,
                    )
                )
            if "--reload" in line:
                findings.append(
                    finding(
                        "SP321",
                        f"{path}:{number} starts the server with --reload",
                        hint="drop --reload outside development",
                        path=path,
                        line=number,
                    )
                )
            if _SHELL_LOOPBACK.search(line):
                findings.append(
                    finding(
                        "SP322",
                        f"{path}:{number} binds to localhost, which nothing outside the container reaches",
                        hint="bind to 0.0.0.0",
                        path=path,
                        line=number,
                    )
                )
    return findings


def _big_file_findings(tree: ProjectTree) -> list[Finding]:
    return [
        finding(
            "SP330",
            f"{path} is {size / (1024 * 1024):.1f} MB; Spaces store files over 10 MB with LFS/Xet",
            hint="keep it out of the Space (.gitignore) and download it at start-up, or push it to a model "
            "or dataset repository",
            path=path,
        )
        for path, size in sorted(tree.sizes.items())
        if size > BIG_FILE_BYTES
    ]


def scan_hygiene(
    tree: ProjectTree,
    backend_dir: str,
    code: AppCode | None = None,
    env_reads: tuple[EnvRead, ...] | None = None,
    working_dir: str | None = None,
) -> HygieneReport:
    """Look for what would leak or misbehave on a Space.

    Args:
        tree: the project as `load_tree` read it.
        backend_dir: the backend folder, posix, relative to the root.
        code: the check's app modules (computed once per check); made here when not given.
        env_reads: the env reads `scan_env` found in `code`; found here when not given.
        working_dir: the folder the image is built from (files outside it never ship); the backend folder
            when not given.

    Returns:
        Findings (hardcoded secrets, placeholder secret defaults, .env files,
        pinned ports and server starts, big files) and the files holding secrets.
    """
    code = code if code is not None else app_code(ProjectIndex(tree), backend_dir)
    if env_reads is None:
        env_reads = tuple(find_env_reads(code)[0])
    working = backend_dir if working_dir is None else working_dir
    findings, secret_files, seen = _token_findings(tree, working, code.index.facts)
    literal, literal_files = _literal_secret_findings(code, seen)
    defaults, default_files = _default_findings(env_reads, seen)
    env_findings, env_files = _env_file_findings(tree, backend_dir)
    all_findings = [
        *findings,
        *literal,
        *defaults,
        *env_findings,
        *_server_findings(code),
        *_script_findings(tree),
        *_big_file_findings(tree),
    ]
    files = sorted(secret_files | literal_files | default_files | set(env_files))
    return HygieneReport(findings=tuple(all_findings), secret_files=tuple(files))
