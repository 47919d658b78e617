"""Resolve once, install exactly: the plan's requirements pinned for the Space's Python and platform.

`uv pip compile` (uv is a Python dependency of spacepack: its binary comes with
the `uv` package, nothing is downloaded at run time) resolves the requirement
lines for the target Python on x86_64 manylinux, the platform of a Space. The
image then installs exactly that set, so the image Hugging Face builds gets the
versions the local smoke test proved.

- A lock (uv.lock, poetry.lock) is honoured as it is: its pins are exported,
  never re-resolved. What spacepack adds to a lock (the distribution of an
  import nothing declares) is resolved with the lock's pins as constraints and
  appended, so the lock's lines stay exact.
- Binary wheels are preferred: the first resolution forbids builds; only when
  some package has no wheel for the target is it resolved again with source
  builds allowed, and those packages are named (the image then needs a compiler).
- uv sees the index configuration pip would see on this machine (pip.conf,
  PIP_* variables; UV_* variables keep their meaning) and pip's certificate.
- A conflict stops with one line naming it (`ResolveFailed`, exit code 3); when
  a line spacepack added causes it, the line names that addition; a package the
  index does not have is named as such.
- When no package index can be reached, the requirements are left for the image
  to resolve, with a warning.
- Results are cached, keyed on every input (see `cache_key`).
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name

from spacepack.errors import ResolveFailed
from spacepack.plan import Plan

# The platform of a Space's image: x86_64, glibc of Debian bookworm (2.36) or newer (python:*-slim).
TARGET_PLATFORM = "x86_64-manylinux_2_36"
# Bumped when the way a resolution is made changes, so older cache entries are not reused.
_RECIPE = 1
_TIMEOUT_SECONDS = 180.0
_MAX_LINE = 400

ResolutionStatus = Literal["resolved", "locked", "deferred"]

# Environment variables uv may see: what it needs to reach an index, nothing else (no tokens of spacepack's).
_PASSED_ENV = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LANG",
        "LC_ALL",
        "TMPDIR",
        "SYSTEMROOT",
        "XDG_CACHE_HOME",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    }
)
_NETWORK_WORDS = (
    "Failed to fetch",
    "error sending request",
    "tcp connect error",
    "dns error",
    "Connection refused",
    "timed out",
    "Network is unreachable",
    "failed to lookup address",
)
_NO_WHEEL = re.compile(r"(?:Because |and )([A-Za-z0-9][A-Za-z0-9._-]*)(?:==\S+)? has no usable wheels")
_WHEELS_REQUIRED = re.compile(r"Wheels are required for `([^`]+)`")
_USERINFO = re.compile(r"(://)[^/@\s]+@")
_ONE_OF = re.compile(r"one of: ((?:\S+ )+?)(?=and |And |we )")
_NOT_FOUND = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the (?:package registry|provided package locations)"
)


@dataclass(frozen=True)
class IndexConfig:
    """Where packages come from, as pip on this machine would see it."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    cert: str | None = None
    constraints: tuple[str, ...] = ()  # constraint files named by pip's configuration

    def uv_arguments(self, environ: Mapping[str, str]) -> list[str]:
        """uv's flags for this configuration; uv's own UV_* settings are kept, not overridden."""
        args: list[str] = []
        if self.no_index:
            args.append("--no-index")
        elif self.index_url and not (environ.get("UV_INDEX_URL") or environ.get("UV_DEFAULT_INDEX")):
            args += ["--index-url", self.index_url]
        extras = [*self.extra_index_urls, *environ.get("UV_EXTRA_INDEX_URL", "").split()]
        for url in dict.fromkeys(extras):
            args += ["--extra-index-url", url]
        links = [*self.find_links, *environ.get("UV_FIND_LINKS", "").replace(",", " ").split()]
        for link in dict.fromkeys(links):
            args += ["--find-links", link]
        for constraint in self.constraints:
            args += ["--constraint", constraint]
        return args

    def to_json(self) -> dict[str, Any]:
        return {
            "index_url": self.index_url,
            "extra_index_urls": list(self.extra_index_urls),
            "find_links": list(self.find_links),
            "no_index": self.no_index,
            "constraints": list(self.constraints),
        }


def pip_config_files(environ: Mapping[str, str]) -> list[Path]:
    """pip's configuration files in the order pip reads them (a later file overrides an earlier one)."""
    named = environ.get("PIP_CONFIG_FILE")
    if named == os.devnull:
        return []  # pip's documented way to load no configuration file at all
    home = Path(environ.get("HOME") or Path.home())
    xdg_dirs = (environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep)
    files = [Path(folder) / "pip" / "pip.conf" for folder in xdg_dirs if folder]
    files.append(Path("/etc/pip.conf"))
    files.append(home / ".pip" / "pip.conf")
    files.append(Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "pip" / "pip.conf")
    files.append(Path(sys.prefix) / "pip.conf")
    if named:
        files.append(Path(named))
    return files


def _read_pip_files(files: Iterable[Path]) -> dict[str, str]:
    values: dict[str, str] = {}
    for path in files:
        parser = configparser.RawConfigParser()
        try:
            if not path.is_file():
                continue
            parser.read(path, encoding="utf-8")
        except (OSError, UnicodeDecodeError, configparser.Error):
            continue  # pip would warn and go on; so does the resolution
        for section in ("global", "install"):
            if parser.has_section(section):
                values.update({key.replace("_", "-"): value for key, value in parser.items(section)})
    return values


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def index_config(environ: Mapping[str, str] | None = None) -> IndexConfig:
    """The index configuration pip would use here: its config files, then PIP_* variables over them."""
    env = os.environ if environ is None else environ
    values = _read_pip_files(pip_config_files(env))
    for key in ("index-url", "extra-index-url", "find-links", "no-index", "cert", "constraint"):
        variable = "PIP_" + key.upper().replace("-", "_")
        if env.get(variable):
            values[key] = env[variable]
    return IndexConfig(
        index_url=values.get("index-url") or None,
        extra_index_urls=tuple(values.get("extra-index-url", "").split()),
        find_links=tuple(values.get("find-links", "").split()),
        no_index=_truthy(values.get("no-index")),
        cert=values.get("cert") or None,
        constraints=tuple(path for path in values.get("constraint", "").split() if Path(path).is_file()),
    )


@dataclass(frozen=True)
class Resolution:
    """The requirements file the image installs, and how it was made."""

    text: str  # the file's content
    status: (
        ResolutionStatus  # "resolved": fully pinned by uv; "locked": a lock's pins; "deferred": resolved in the image
    )
    python: str
    platform: str = TARGET_PLATFORM
    needs_build: tuple[str, ...] = ()  # packages with no wheel for the target: built from source in the image
    notes: tuple[str, ...] = ()  # what to tell the user (a deferred resolution says why)
    cached: bool = False
    added: tuple[str, ...] = ()  # spacepack's additions resolved beside a lock

    @property
    def exact(self) -> bool:
        """Whether the file is the complete set to install (the image may skip dependency resolution)."""
        return self.status == "resolved"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "python": self.python,
            "platform": self.platform,
            "needs_build": list(self.needs_build),
            "notes": list(self.notes),
            "cached": self.cached,
        }


@dataclass(frozen=True)
class ResolveRequest:
    """What to resolve: the plan's requirement lines, for one Python."""

    lines: tuple[str, ...]
    python: str
    locked: bool = False  # the lines are a lock's exported pins
    platform: str = TARGET_PLATFORM
    added: tuple[str, ...] = ()  # lines spacepack added to the project's own (see Dependencies.added)
    index: IndexConfig = field(default_factory=IndexConfig)


def uv_binary() -> str | None:
    """The uv binary shipped by the `uv` Python package (a dependency of spacepack); None if it is missing."""
    try:
        import uv  # the package only locates its bundled binary

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        return None


def _uv_version(binary: str) -> str:
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown"


def cache_key(request: ResolveRequest, uv_version: str) -> str:
    """The resolution cache key: every input that can change the result.

    The requirement lines (order kept: the file is installed as written), the
    Python, the platform, the index configuration (and the content of the
    constraint files it names), uv's version and this module's recipe.
    """
    constraints: list[str] = []
    for path in request.index.constraints:
        try:
            constraints.append(hashlib.sha256(Path(path).read_bytes()).hexdigest())
        except OSError:
            constraints.append("unreadable")
    material = {
        "recipe": _RECIPE,
        "lines": list(request.lines),
        "added": list(request.added),
        "python": request.python,
        "platform": request.platform,
        "index": request.index.to_json(),
        "constraint_contents": constraints,
        "uv": uv_version,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$SPACEPACK_CACHE_DIR`, else `$XDG_CACHE_HOME/spacepack`, else `~/.cache/spacepack`."""
    env = os.environ if environ is None else environ
    if env.get("SPACEPACK_CACHE_DIR"):
        return Path(env["SPACEPACK_CACHE_DIR"])
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "spacepack"


def _is_option(line: str) -> bool:
    return line.lstrip().startswith("-") and not line.lstrip().startswith(("-e ", "--editable"))


def _is_local(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("-e", "--editable", ".", "/", "file:")) or " @ file:" in stripped


def _is_pinned(line: str) -> bool:
    head = line.split(";", 1)[0]
    return "==" in head or " @ " in head


def _masked(text: str) -> str:
    return _USERINFO.sub(r"\1****@", text)


def _one_line(stderr: str) -> str:
    """uv's explanation condensed to one line: causes joined, long "one of" lists cut to first … last."""
    body = stderr.split("cause:", 1)[1] if "cause:" in stderr else stderr
    body = body.split("hint:", 1)[0].replace("cause:", "")
    flat = " ".join(body.split())

    def _cut(match: re.Match[str]) -> str:
        items = match.group(1).split()
        return "one of: " + (" ".join(items) if len(items) <= 2 else f"{items[0]} … {items[-1]}") + " "

    flat = _ONE_OF.sub(_cut, flat)
    flat = _masked(flat)
    return flat if len(flat) <= _MAX_LINE else flat[: _MAX_LINE - 1] + "…"


def _uv_env(environ: Mapping[str, str], index: IndexConfig) -> dict[str, str]:
    env = {key: value for key, value in environ.items() if key in _PASSED_ENV or key.startswith("UV_")}
    env.pop("UV_PUBLISH_TOKEN", None)
    env.pop("UV_PUBLISH_PASSWORD", None)
    if index.cert and not env.get("SSL_CERT_FILE"):
        env["SSL_CERT_FILE"] = index.cert  # uv reads pip's certificate from here
    env.setdefault("UV_HTTP_RETRIES", "1")  # an unreachable index is known in about a second
    env.update({"UV_NO_PROGRESS": "1", "NO_COLOR": "1", "UV_PYTHON_DOWNLOADS": "never"})
    return env


@dataclass(frozen=True)
class _Run:
    ok: bool
    stdout: str
    stderr: str


def _own_lines(request: ResolveRequest) -> list[str]:
    """The project's lines: the request's, without what spacepack added."""
    added = set(request.added)
    return [line for line in request.lines if line not in added]


def _beside_lock(request: ResolveRequest) -> bool:
    """A lock with additions: only the additions are resolved, the lock's pins are their constraints."""
    return request.locked and bool(request.added)


def _compile(binary: str, request: ResolveRequest, workdir: Path, env: Mapping[str, str], *, build: bool) -> _Run:
    source = workdir / "requirements.in"
    constraints: list[str] = []
    if _beside_lock(request):
        options = [line for line in request.lines if _is_option(line)]
        source.write_text("".join(f"{line}\n" for line in [*options, *request.added]), encoding="utf-8")
        pins = workdir / "lock-constraints.txt"
        pins.write_text("".join(f"{line}\n" for line in _own_lines(request) if not _is_option(line)), "utf-8")
        constraints = ["--constraint", str(pins)]
    else:
        source.write_text("".join(f"{line}\n" for line in request.lines), encoding="utf-8")
    command = [
        binary,
        "pip",
        "compile",
        str(source),
        "--python-version",
        request.python,
        "--python-platform",
        request.platform,
        "--no-header",
        "--no-annotate",
        "--no-config",
        "--index-strategy",
        "unsafe-best-match",  # pip looks at every index for the best version; so must the resolution
        *request.index.uv_arguments(env),
        *constraints,
    ]
    if not build:
        command.append("--no-build")
    try:
        done = subprocess.run(
            command,
            cwd=workdir,  # never the project: no pyproject or uv.toml of the user's is read
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _Run(False, "", f"error: timed out after {_TIMEOUT_SECONDS:.0f} s")
    except OSError as error:
        return _Run(False, "", f"error: cannot run uv: {error.strerror or error}")
    return _Run(done.returncode == 0, done.stdout, done.stderr)


def _line_name(line: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return canonicalize_name(match.group(1)) if match else ""


def _pinned_text(request: ResolveRequest, compiled: str) -> str:
    # The project's own index options (e.g. a PyTorch index) stay: the image's pip needs them too.
    # The machine's pip configuration does not ship: it is this computer's, not the Space's.
    pins = [line for line in compiled.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if _beside_lock(request):
        # The lock's lines as they are (markers and extras kept), then what the additions bring that it lacks.
        own = _own_lines(request)
        locked = {_line_name(line) for line in own if not _is_option(line)}
        return "".join(f"{line}\n" for line in [*own, *(pin for pin in pins if _line_name(pin) not in locked)])
    options = [line for line in request.lines if _is_option(line)]
    return "".join(f"{line}\n" for line in [*options, *pins])


def _deferred(request: ResolveRequest, why: str) -> Resolution:
    return Resolution(
        text="".join(f"{line}\n" for line in request.lines),
        status="deferred",
        python=request.python,
        platform=request.platform,
        notes=(why,),
    )


def _is_network_failure(stderr: str) -> bool:
    return any(word in stderr for word in _NETWORK_WORDS) and "No solution found" not in stderr


def _no_wheels(stderr: str) -> tuple[str, ...]:
    names = [*_NO_WHEEL.findall(stderr), *_WHEELS_REQUIRED.findall(stderr)]
    return tuple(dict.fromkeys(names))


def _run_uv(request: ResolveRequest, binary: str, environ: Mapping[str, str]) -> Resolution:
    env = _uv_env(environ, request.index)
    with tempfile.TemporaryDirectory(prefix="spacepack-resolve-") as scratch:
        workdir = Path(scratch)
        first = _compile(binary, request, workdir, env, build=False)
        needs_build: tuple[str, ...] = ()
        final = first
        if not first.ok and not _is_network_failure(first.stderr) and "No solution found" in first.stderr:
            without_wheels = _no_wheels(first.stderr)
            if without_wheels:
                # Some package has no wheel for the target: resolve again, source builds allowed.
                final = _compile(binary, request, workdir, env, build=True)
                needs_build = without_wheels
    if final.ok:
        return Resolution(
            text=_pinned_text(request, final.stdout),
            status="locked" if _beside_lock(request) else "resolved",
            python=request.python,
            platform=request.platform,
            needs_build=needs_build,
            added=request.added if _beside_lock(request) else (),
        )
    if _is_network_failure(final.stderr):
        return _deferred(
            request,
            "no package index could be reached to resolve the dependencies; the image resolves them "
            f"when it is built ({_one_line(final.stderr)})",
        )
    if "No solution found" in final.stderr:
        raise _conflict(request, final.stderr, binary, env)
    # Anything else (a source package whose metadata needs a build that fails here...): when unsure, warn.
    return _deferred(
        request,
        f"the dependencies could not be resolved here; the image resolves them when it is built "
        f"({_one_line(final.stderr)})",
    )


def _index_words(index: IndexConfig) -> str:
    # uv's default index is PyPI; extra find-links folders do not change that.
    return "PyPI" if not (index.index_url or index.no_index) else "the package index"


def _conflict(request: ResolveRequest, stderr: str, binary: str, env: Mapping[str, str]) -> ResolveFailed:
    """The one-line failure: what the index lacks, or the conflict, naming spacepack's additions when they cause it."""
    why = _one_line(stderr)
    missing = list(dict.fromkeys(_NOT_FOUND.findall(stderr)))
    if missing:
        names = ", ".join(missing)
        return ResolveFailed(
            f"the dependencies do not resolve for Python {request.python}: {names} "
            f"{'is' if len(missing) == 1 else 'are'} not on {_index_words(request.index)} ({why})",
            hint=f"remove {names} from your requirements (not a Python package?) or fix the name",
        )
    if request.added and (request.locked or _resolves_without_additions(request, binary, env)):
        added = ", ".join(request.added)
        return ResolveFailed(
            f"the dependencies do not resolve for Python {request.python} once spacepack adds {added} "
            f"(see the check findings): {why}",
            hint="declare a version that fits in your manifest, or turn the addition off "
            "(`infer_dependencies = false`; for pydantic<2, bound pydantic yourself)",
        )
    return ResolveFailed(
        f"the dependencies do not resolve for Python {request.python}: {why}",
        hint="loosen or change the conflicting pins in your requirements, then build again",
    )


def _resolves_without_additions(request: ResolveRequest, binary: str, env: Mapping[str, str]) -> bool:
    without = replace(request, lines=tuple(_own_lines(request)), added=())
    with tempfile.TemporaryDirectory(prefix="spacepack-resolve-") as scratch:
        return _compile(binary, without, Path(scratch), env, build=True).ok


def resolve(
    request: ResolveRequest,
    *,
    cache_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Resolution:
    """Pin the requirement lines for the target Python and platform.

    Args:
        request: the lines (as `check` decided them), the Python, whether they come from a lock.
        cache_dir: where resolutions are kept (default `default_cache_dir()`).
        environ: the environment to take pip's and uv's settings from (default os.environ).

    Returns:
        A `Resolution`: "resolved" (uv's full pinned set), "locked" (a lock's pins, as they
        are) or "deferred" (no index reachable, or a local path: left to the image, with a note).

    Raises:
        ResolveFailed: the requirements conflict (the message names the conflict in one line).
    """
    env = os.environ if environ is None else environ
    requirement_lines = [line for line in _own_lines(request) if not _is_option(line)]
    if request.locked and not request.added and all(_is_pinned(line) for line in requirement_lines):
        text = "".join(f"{line}\n" for line in request.lines)
        return Resolution(text=text, status="locked", python=request.python, platform=request.platform)
    local = [line for line in requirement_lines if _is_local(line)]
    if local:
        return _deferred(request, f"{local[0]} is a local path: the dependencies are resolved in the image")
    binary = uv_binary()
    if binary is None:
        return _deferred(request, "uv is not installed beside spacepack: the dependencies are resolved in the image")
    key = cache_key(request, _uv_version(binary))
    folder = (cache_dir if cache_dir is not None else default_cache_dir(env)) / "resolve"
    if request.locked and not all(_is_pinned(line) for line in requirement_lines):
        request = replace(request, locked=False)  # a lock with loose lines: resolve everything, as before
    cached = _load(folder / f"{key}.json", request)
    if cached is not None:
        return cached
    result = _run_uv(request, binary, env)
    if result.status != "deferred":
        _store(folder / f"{key}.json", result)
    return result


def _load(path: Path, request: ResolveRequest) -> Resolution | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Resolution(
            text=str(data["text"]),
            status="locked" if data.get("status") == "locked" else "resolved",
            python=request.python,
            platform=request.platform,
            needs_build=tuple(str(name) for name in data["needs_build"]),
            cached=True,
            added=request.added if data.get("status") == "locked" else (),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(path: Path, result: Resolution) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as handle:
            json.dump({"text": result.text, "status": result.status, "needs_build": list(result.needs_build)}, handle)
        Path(handle.name).replace(path)
    except OSError:
        pass  # a cache that cannot be written only costs the next resolution


_LOCK_KINDS = frozenset({"uv.lock", "poetry.lock"})


def request_for(plan: Plan, lines: Iterable[str], environ: Mapping[str, str] | None = None) -> ResolveRequest:
    """The resolution a plan asks for: its requirement lines, its Python, whether a lock made them."""
    lines_kept = tuple(line for line in (raw.strip() for raw in lines) if line)
    return ResolveRequest(
        lines=lines_kept,
        python=plan.python,
        locked=any(source.kind in _LOCK_KINDS for source in plan.dependencies.sources),
        index=index_config(environ),
        added=tuple(line for line in plan.dependencies.added if line in lines_kept),
    )


def describe(resolution: Resolution) -> str:
    """One line for the render notes: what the image installs and why it can trust it."""
    count = sum(1 for line in resolution.text.splitlines() if line.strip() and not line.startswith("-"))
    where = f"Python {resolution.python} on {resolution.platform}"
    if resolution.status == "locked" and resolution.added:
        return (
            f"dependencies: the lock's pins, exported as they are (markers and extras kept), and "
            f"{', '.join(resolution.added)} resolved beside them for {where}"
        )
    if resolution.status == "locked":
        return f"dependencies: the lock's {count} pins, exported as they are (markers and extras kept)"
    if resolution.status == "deferred":
        return "dependencies: not resolved here; the image resolves them when it is built"
    built = f"; built from source in the image: {', '.join(resolution.needs_build)}" if resolution.needs_build else ""
    cached = " (cached)" if resolution.cached else ""
    return f"dependencies: {count} packages resolved once for {where}{cached}, installed exactly{built}"
