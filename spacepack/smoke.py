"""Smoke-test an image the way a Space runs it: uid 1000, an injected PORT, probed over HTTP.

The container's port is published on 127.0.0.1 only (an ephemeral host
port), and every request goes there; spacepack never talks to a bridge
address. Readiness is polled, never slept for. When the app does not answer,
spacepack looks at the sockets listening inside the container
(`/proc/net/tcp{,6}`) to say why: the wrong port, 127.0.0.1 only, or nothing
at all. The container is removed whatever happens, Ctrl-C included.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from spacepack import engine
from spacepack.config import DEFAULT_APP_PORT, LOG_TAIL_LINES, SMOKE_TIMEOUT
from spacepack.database import DatabaseChoice, DatabasePlan, postgres_sidecar
from spacepack.envfile import container_env, parse_pairs
from spacepack.errors import SmokeFailed, UsageError
from spacepack.masking import Masker
from spacepack.names import HEALTH_PATH_LABEL

SMOKE_LABEL = "dev.spacepack.smoke"
# `HEALTH_PATH_LABEL`: the image label `build` writes with the detected health path, so `smoke IMAGE`
# probes the same path.
DEFAULT_HEALTH_PATH = "/health"
SPACE_UID = "1000"
# A listener check runs `cat` in the container; not on every 50 ms poll.
_LISTENER_CHECK_EVERY = 0.5
_REQUEST_TIMEOUT = 2.0
_BODY_LIMIT = 65536
_OPENAPI_LIMIT = 4 * 1024 * 1024
_HEALTH_WORDS = re.compile(
    r"^(health|healthz|healthcheck|health-check|health_check|ping|status|ready|readyz|live|livez)$"
)
_ALL_INTERFACES = ("0.0.0.0", "::")
# Docker's embedded DNS server listens here in every container on a user-defined network.
_ENGINE_DNS = "127.0.0.11"
# What a guessed path may answer while the app is up: not a route, behind a login, not a GET route.
_WRONG_GUESS = frozenset({401, 403, 404, 405})
# Tried after the app's own route list: FastAPI's docs page, then the root.
_FALLBACK_PATHS = ("/docs", "/")
_URL_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,200}$")

Verdict = Literal["healthy", "failed"]


@dataclass(frozen=True)
class SmokeOptions:
    """How to run and judge the container: the smoke flags of `build`, `smoke` and `release`, resolved.

    `spacepack.pipeline.ImageOptions.resolve` fills the plan's values in (the
    health path, app_port, the environment, the required variables); the
    other fields pass through as given.

    Attributes:
        health_path: the path that must answer 2xx (or `expect_status`); None: the image's
            `HEALTH_PATH_LABEL` (which `build` writes), else `DEFAULT_HEALTH_PATH`.
        port: the container-side PORT to inject; None picks one that differs from `app_port`,
            so an app that ignores PORT fails here and not on the Space.
        app_port: the Space's `app_port`.
        env_pairs: `--env` KEY=VALUE strings, not yet parsed (see `with_env`).
        env_file: `--env-file`; None: the default dotenv `with_env` is given.
        env: environment for the container; values never appear in any output.
        timeout: seconds to wait for the health path.
        expect_status: the exact status the health path must answer (default: any 2xx).
        expect_json: top-level (or dotted) keys of the health JSON body and their expected values.
        checks: more paths that must answer 2xx once healthy.
        required_env: names that must be in `env` (or the image) before the container starts.
        labels: more labels for the container (tests use them to find what they started).
        interval: seconds between readiness polls.
        database: `--database`: the guess (auto), a throwaway Postgres, none, or a URL to inject;
            `database.choose_database` turns it into the `database` argument of `run_smoke`.
    """

    health_path: str | None = None
    port: int | None = None
    app_port: int = DEFAULT_APP_PORT
    env_pairs: tuple[str, ...] = ()
    env_file: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = SMOKE_TIMEOUT
    expect_status: int | None = None
    expect_json: Mapping[str, str] = field(default_factory=dict)
    checks: tuple[str, ...] = ()
    required_env: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    interval: float = 0.05
    database: DatabaseChoice = field(default_factory=DatabaseChoice)

    def with_env(self, default_dotenv: Path | None, base: Mapping[str, str] | None = None) -> SmokeOptions:
        """`env` from `base`, `env`, the default dotenv (unless `env_file`), `env_file`, then `env_pairs`.

        Raises:
            UsageError: a malformed pair, an unreadable env file.
        """
        merged = {**(base or {}), **self.env}
        return replace(self, env=container_env(self.env_pairs, self.env_file, default_dotenv, base=merged))


@dataclass(frozen=True)
class Probe:
    """One HTTP request made to the container and what came back."""

    method: str
    path: str
    status: int | None
    ms: float

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "status": self.status, "ms": round(self.ms, 1)}


@dataclass(frozen=True)
class SmokeReport:
    """What the smoke test saw. `reason` says why it failed; `log_tail` is masked."""

    verdict: Verdict
    image: str
    injected_port: int
    host_port: int | None
    time_to_healthy: float | None
    probes: tuple[Probe, ...] = ()
    warnings: tuple[str, ...] = ()
    log_tail: tuple[str, ...] = ()
    reason: str = ""
    exit_code: int | None = None
    health_path: str | None = None  # the path that was judged (confirmed from the app's routes when it moved)
    database: Mapping[str, Any] | None = None  # what was done about a database (never a URL or password)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "image": self.image,
            "health_path": self.health_path,
            "database": None if self.database is None else dict(self.database),
            "injected_port": self.injected_port,
            "host_port": self.host_port,
            "time_to_healthy": None if self.time_to_healthy is None else round(self.time_to_healthy, 3),
            "probes": [p.to_json() for p in self.probes],
            "warnings": list(self.warnings),
            "reason": self.reason,
            "exit_code": self.exit_code,
            "log_tail": list(self.log_tail),
        }


class SmokeTestFailed(SmokeFailed):
    """The smoke test failed; `report` holds what was seen (log tail masked)."""

    def __init__(self, report: SmokeReport, hint: str) -> None:
        super().__init__(report.reason, hint=hint)
        self.report = report


@dataclass(frozen=True)
class Listener:
    """A TCP socket listening inside the container."""

    address: str
    port: int

    @property
    def all_interfaces(self) -> bool:
        return self.address in _ALL_INTERFACES

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.address).is_loopback

    def __str__(self) -> str:
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


def parse_proc_net_tcp(text: str) -> tuple[Listener, ...]:
    """The LISTEN sockets in the text of /proc/net/tcp and/or /proc/net/tcp6.

    Addresses are hex in host byte order (little-endian on amd64) per 32-bit
    word; ports are big-endian hex. State 0A is LISTEN.
    """
    listeners: list[Listener] = []
    for row in text.splitlines():
        fields = row.split()
        if len(fields) < 4 or fields[3] != "0A" or ":" not in fields[1]:
            continue
        hex_address, hex_port = fields[1].split(":")
        try:
            raw = bytes.fromhex(hex_address)
            port = int(hex_port, 16)
        except ValueError:
            continue
        if len(raw) not in (4, 16):
            continue
        words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
        address = ipaddress.ip_address(words)
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        listener = Listener(str(address), port)
        if listener not in listeners:
            listeners.append(listener)
    return tuple(listeners)


def listener_problem(listeners: tuple[Listener, ...], port: int) -> str | None:
    """Why the published port cannot reach the app, judged from its listeners; None if it can."""
    on_port = [listener for listener in listeners if listener.port == port]
    if any(not listener.loopback for listener in on_port):
        return None
    if on_port:
        return (
            f"the app listens on {', '.join(map(str, on_port))} only, which is unreachable from outside the container"
        )
    if listeners:
        return f"the app listens on {', '.join(map(str, listeners))}, not on the injected PORT={port}"
    return None


def pick_port(app_port: int) -> int:
    """A container-side port that differs from `app_port` (the container's network is its own)."""
    while True:
        port = random.randrange(20000, 30000)
        if port != app_port:
            return port


def labelled_health_path(image_attrs: Mapping[str, Any]) -> str:
    """The health path `build` wrote into the image's labels, else `DEFAULT_HEALTH_PATH`.

    The image may come from anywhere: a label that is not a plain URL path is ignored.
    """
    labels = (image_attrs.get("Config") or {}).get("Labels") or {}
    value = labels.get(HEALTH_PATH_LABEL) if isinstance(labels, Mapping) else None
    if isinstance(value, str) and _URL_PATH.match(value):
        return value
    return DEFAULT_HEALTH_PATH


def parse_expectations(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`KEY=VALUE` strings into a mapping.

    Raises:
        UsageError: when one has no `=`.
    """
    return parse_pairs(pairs, "--expect-json", "--expect-json status=ok")


def _json_value(body: bytes, dotted: str) -> tuple[bool, str]:
    """(found, value as text) of a dotted key in a JSON body; JSON scalars print as JSON does."""
    try:
        node: Any = json.loads(body)
    except ValueError:
        return False, ""
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, ""
        node = node[part]
    return True, node if isinstance(node, str) else json.dumps(node)


class _Session:
    """One container under test and the HTTP requests made to it."""

    def __init__(self, client: engine.DockerClient, container_id: str, host_port: int, mask: Masker) -> None:
        self.client = client
        self.container_id = container_id
        self.host_port = host_port
        self.mask = mask
        self.probes: list[Probe] = []
        # Guesses the run started without: named in the failure when the app then crashes.
        self.unset_env: tuple[str, ...] = ()
        self.health_guessed = False
        self.up_is_enough = False  # no route to judge: any answer below 500 means the app is up
        self.warnings: list[str] = []

    def request(
        self, method: str, path: str, timeout: float, record: bool = True, limit: int = _BODY_LIMIT
    ) -> tuple[int, bytes] | None:
        """One request to 127.0.0.1:<host port>; None when nothing answered (refused, reset, timeout)."""
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.host_port, timeout=timeout)
        try:
            connection.request(method, path, headers={"User-Agent": "spacepack-smoke"})
            response = connection.getresponse()
            body = response.read(limit) if method != "HEAD" else b""
            status = response.status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()
        if record:
            self.probes.append(Probe(method, path, status, (time.monotonic() - started) * 1000))
        return status, body

    def listeners(self) -> tuple[Listener, ...] | None:
        text = engine.exec_output(self.client, self.container_id, ["cat", "/proc/net/tcp", "/proc/net/tcp6"])
        if text is None:
            return None
        return tuple(listener for listener in parse_proc_net_tcp(text) if listener.address != _ENGINE_DNS)

    def log_tail(self) -> tuple[str, ...]:
        text = engine.container_logs(self.client, self.container_id, tail=LOG_TAIL_LINES)
        return tuple(self.mask(line) for line in text.splitlines())


def run_smoke(
    client: engine.DockerClient,
    image: str,
    options: SmokeOptions,
    on_event: Callable[[str], None] | None = None,
    *,
    database: DatabasePlan | None = None,
    health_guessed: bool | None = None,
) -> SmokeReport:
    """Run `image` like a Space would and check that it answers on the injected PORT.

    Args:
        client: from `engine.get_docker_client()`.
        image: an image id or reference that exists in the engine (it is never pulled).
        options: see `SmokeOptions`.
        on_event: called with one human line per milestone.
        database: from `database.choose_database`: a URL to inject, or a throwaway Postgres to
            start beside the container on a network of its own (removed afterwards).
        health_guessed: the health path is check's guess, not the user's: when it answers 404
            while the app is up, a route confirmed from the app's /openapi.json is probed instead.
            None: guessed when `options.health_path` is None (the image label's, or the default).

    Returns:
        The report of a healthy run (warnings may say the Space could stay "Starting").

    Raises:
        SmokeTestFailed: with a `report`, when the container exits (naming the required env vars
            that were not set), the app listens elsewhere, health answers non-2xx or the timeout passes.
        DatabaseFailed: when the throwaway database cannot be started.
        UsageError: when the image does not exist.
    """
    say = on_event or (lambda _line: None)
    port = options.port or pick_port(options.app_port)
    attrs = engine.image_attrs(client, image)
    if attrs is None:
        raise UsageError(f"image '{image}' does not exist in the engine", hint="build it with `spacepack build`")
    if health_guessed is None:
        health_guessed = options.health_path is None
    if options.health_path is None:
        options = replace(options, health_path=labelled_health_path(attrs))
    base = SmokeReport(
        verdict="failed",
        image=image,
        injected_port=port,
        host_port=None,
        time_to_healthy=None,
        health_path=options.health_path,
        database=database.to_json() if database else None,
    )
    image_env = {str(item).split("=", 1)[0] for item in (attrs.get("Config") or {}).get("Env") or []}
    injected = set(database.need.names) if database and database.sidecar else set(database.env if database else ())
    unset = tuple(
        name
        for name in options.required_env
        if name not in options.env and name not in image_env and name not in injected
    )
    if unset:
        # A guess never stops a start: the app may well cope without it.
        say(f"{', '.join(unset)} not set (check guessed the app needs it at start-up); starting anyway")
    start = _Start(image, port, unset, health_guessed, say)
    if database is None or not database.sidecar:
        env = {**options.env, **(database.env if database else {})}
        return _run_container(client, replace(options, env=env), base, start, network=None)
    labels = {SMOKE_LABEL: "1", **options.labels}
    with postgres_sidecar(client, database, labels=labels, on_event=say) as sidecar:
        env = {**options.env, **sidecar.env}
        return _run_container(client, replace(options, env=env), base, start, network=sidecar.network)


@dataclass(frozen=True)
class _Start:
    """How to start the container under test, beyond the user's options."""

    image: str
    port: int
    unset_env: tuple[str, ...]
    health_guessed: bool
    say: Callable[[str], None]


def _run_container(
    client: engine.DockerClient, options: SmokeOptions, base: SmokeReport, start: _Start, network: str | None
) -> SmokeReport:
    mask = Masker(options.env.values())
    name = f"spacepack-smoke-{uuid.uuid4().hex[:12]}"
    labels = {SMOKE_LABEL: "1", **options.labels}
    environment = {**options.env, "PORT": str(start.port)}
    start.say(f"starting {start.image} as uid {SPACE_UID} with PORT={start.port} (container {name})")
    container_id = engine.create_and_start(
        client,
        start.image,
        name=name,
        environment=environment,
        user=SPACE_UID,
        container_port=start.port,
        labels=labels,
        network=engine.NetworkAttachment(network) if network else None,
    )
    try:
        host_port = engine.published_port(client, container_id, start.port)
        session = _Session(client, container_id, host_port or 0, mask)
        session.unset_env = start.unset_env
        session.health_guessed = start.health_guessed
        if host_port is None:
            # A container that already exited has no port mapping any more: say why it exited.
            _fail_if_exited(session, base, options)
            raise SmokeTestFailed(
                replace(base, reason=f"the engine did not publish container port {start.port}"),
                hint="check the engine with `spacepack doctor`",
            )
        return _judge(session, replace(base, host_port=host_port), options, start.say)
    finally:
        engine.remove_container(client, container_id)


def _judge(session: _Session, base: SmokeReport, options: SmokeOptions, say: Callable[[str], None]) -> SmokeReport:
    """Wait for health, then probe the root and the extra checks."""
    port = base.injected_port
    started = time.monotonic()
    deadline = started + options.timeout
    next_listener_check = started + _LISTENER_CHECK_EVERY
    suspicious: str | None = None
    health_path = options.health_path or DEFAULT_HEALTH_PATH

    def fail(reason: str, hint: str) -> SmokeTestFailed:
        return SmokeTestFailed(
            replace(base, probes=tuple(session.probes), log_tail=session.log_tail(), reason=session.mask(reason)),
            hint=hint,
        )

    while True:
        _fail_if_exited(session, base, options)
        now = time.monotonic()
        answer = session.request("GET", health_path, timeout=min(_REQUEST_TIMEOUT, max(deadline - now, 0.1)))
        if answer is not None:
            status, body = answer
            expected = options.expect_status
            ok = status == expected if expected is not None else 200 <= status < 300
            ok = ok or (session.up_is_enough and status < 500)
            if ok:
                elapsed = time.monotonic() - started
                return _after_healthy(session, replace(base, time_to_healthy=elapsed), options, body)
            if status in _WRONG_GUESS and session.health_guessed:
                # The app is up; only the guessed path is wrong (absent, or behind a login). Its own route
                # list, the docs page or / say where to look.
                options, base = _moved_health(session, base, options, say, status)
                health_path = options.health_path or DEFAULT_HEALTH_PATH
                continue
            # 503 means "starting" to most apps and proxies: keep waiting for it.
            if status != 503:
                want = str(expected) if expected is not None else "a 2xx status"
                raise fail(
                    f"GET {health_path} answered {status}, expected {want}",
                    hint=f"make {health_path} answer {want} when the app is up (see the log lines above)",
                )
        now = time.monotonic()
        if now >= next_listener_check:
            next_listener_check = now + _LISTENER_CHECK_EVERY
            listeners = session.listeners()
            problem = listener_problem(listeners, port) if listeners is not None else None
            # Seen twice in a row: an app may open a side port before its main one.
            if problem is not None and problem == suspicious:
                raise fail(problem, hint=_port_hint(port))
            suspicious = problem
        if now >= deadline:
            listeners = session.listeners()
            raise fail(_timeout_reason(options, listeners, port), hint=_timeout_hint(options))
        time.sleep(options.interval)


def _fail_if_exited(session: _Session, base: SmokeReport, options: SmokeOptions) -> None:
    """Raise with the exit code and the log tail when the container no longer runs."""
    state = engine.container_state(session.client, session.container_id)
    if state.running:
        return
    code = state.exit_code
    why = " (killed: out of memory)" if state.oom_killed else ""
    reason = f"the container exited with code {code}{why} before {options.health_path} answered"
    hint = (
        "the server must keep running in the foreground (e.g. CMD uvicorn ...)"
        if code == 0
        else "read the log lines above: the app crashed while starting"
    )
    unset = session.unset_env
    if unset and code != 0:
        verb = "was" if len(unset) == 1 else "were"
        reason += f"; {', '.join(unset)} {verb} not set, and check says the app needs it at start-up"
        hint = f"pass it with --env {unset[0]}=... or put it in .env (on the Space: a secret)"
    raise SmokeTestFailed(
        replace(base, probes=tuple(session.probes), log_tail=session.log_tail(), reason=reason, exit_code=code),
        hint=hint,
    )


def _port_hint(port: int) -> str:
    return (
        f"listen on 0.0.0.0 and the port in $PORT (here {port}), e.g. CMD uvicorn main:app --host 0.0.0.0 "
        "--port ${PORT:-7860}; the Space routes traffic to app_port only"
    )


def _timeout_reason(options: SmokeOptions, listeners: tuple[Listener, ...] | None, port: int) -> str:
    waited = f"within {options.timeout:g} s"
    if listeners is not None and not listeners:
        return f"nothing listens on any port in the container {waited} (PORT={port})"
    problem = listener_problem(listeners, port) if listeners else None
    if problem:
        return f"{problem} ({waited})"
    return f"GET {options.health_path} did not answer {waited} (the app accepts connections on PORT={port})"


def _timeout_hint(options: SmokeOptions) -> str:
    return (
        f"check that {options.health_path} answers quickly and that startup finishes; "
        "raise --timeout if the app legitimately starts slowly"
    )


def _after_healthy(session: _Session, report: SmokeReport, options: SmokeOptions, body: bytes) -> SmokeReport:
    """Check the JSON expectations and extra paths, then probe `/` like the Spaces front end."""

    def fail(reason: str, hint: str) -> SmokeTestFailed:
        return SmokeTestFailed(
            replace(
                report,
                verdict="failed",
                probes=tuple(session.probes),
                log_tail=session.log_tail(),
                reason=session.mask(reason),
            ),
            hint=hint,
        )

    for key, wanted in options.expect_json.items():
        found, actual = _json_value(body, key)
        if not found:
            raise fail(f"the JSON body of {options.health_path} has no key '{key}'", hint="check --expect-json")
        if actual != wanted:
            raise fail(
                f"'{key}' in {options.health_path} is {session.mask(actual)!r}, expected {wanted!r}",
                hint="check --expect-json",
            )
    for path in options.checks:
        answer = session.request("GET", path, timeout=_REQUEST_TIMEOUT)
        if answer is None or not 200 <= answer[0] < 300:
            got = "no answer" if answer is None else str(answer[0])
            raise fail(f"GET {path} answered {got}, expected a 2xx status", hint=f"fix the route {path}")

    warnings = list(session.warnings)
    for method in ("GET", "HEAD"):
        answer = session.request(method, "/", timeout=_REQUEST_TIMEOUT)
        status = None if answer is None else answer[0]
        if status is None or status == 405 or status >= 500:
            got = "no answer" if status is None else str(status)
            warnings.append(
                f"{method} / answered {got}: the Spaces front end probes / and the Space may stay on "
                '"Starting"; fix: add a root route that answers GET and HEAD, e.g. '
                '@app.api_route("/", methods=["GET", "HEAD"])'
            )
    return replace(
        report,
        verdict="healthy",
        probes=tuple(session.probes),
        warnings=tuple(warnings),
        log_tail=session.log_tail(),
    )


def _moved_health(
    session: _Session, base: SmokeReport, options: SmokeOptions, say: Callable[[str], None], status: int = 404
) -> tuple[SmokeOptions, SmokeReport]:
    """After a 401/403/404/405 on a guessed health path: a route the app lists, else its docs page or /.

    When none of those answers 2xx, the app is still up (it answered HTTP): that is judged
    healthy with a warning, never a failure.
    """
    guessed = options.health_path or DEFAULT_HEALTH_PATH
    session.health_guessed = False  # once: a confirmed path that fails later is a real answer
    listed = _openapi_candidates(session, guessed)
    for path in [*listed, *(p for p in _FALLBACK_PATHS if p not in listed and p != guessed)]:
        answer = session.request("GET", path, timeout=_REQUEST_TIMEOUT)
        if answer is not None and 200 <= answer[0] < 300:
            source = "the app's /openapi.json lists" if path in listed else "the app answers"
            say(f"GET {guessed} answered {status}; {source} {path}, which answers: probing it")
            origin = "from its /openapi.json" if path in listed else "it answers"
            session.warnings.append(
                f"the guessed health path {guessed} answered {status}; {path} ({origin}) "
                f'was used: set health_path = "{path}" (or pass --health {path}) to say so'
            )
            return replace(options, health_path=path), replace(base, health_path=path)
    say(f"GET {guessed} answered {status} and the app lists no route that answers; the app is up")
    session.up_is_enough = True
    session.warnings.append(
        f"the guessed health path {guessed} answered {status} and the app publishes no health route that answers; "
        "the app is up (it answers HTTP): pass --health PATH (or set health_path) to check a route of the app"
    )
    return options, base


def _openapi_candidates(session: _Session, guessed: str) -> list[str]:
    """GET paths without parameters from the app's OpenAPI document, the likeliest health route first."""
    spec = _openapi(session, guessed)
    if spec is None:
        return []
    servers = spec.get("servers")
    prefix = ""
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = str(servers[0].get("url", ""))
        prefix = url.rstrip("/") if url.startswith("/") else ""
    paths = spec.get("paths")
    if not isinstance(paths, dict):
        return []
    wanted_last = guessed.rstrip("/").rsplit("/", 1)[-1]
    ranked: list[tuple[int, str]] = []
    for path, operations in paths.items():
        if not isinstance(path, str) or "{" in path or not isinstance(operations, dict) or "get" not in operations:
            continue
        last = path.rstrip("/").rsplit("/", 1)[-1]
        rank = 0 if last == wanted_last else 1 if _HEALTH_WORDS.match(last.lower()) else 2 if path == "/" else 3
        if rank < 3:
            ranked.append((rank, path))
    candidates: list[str] = []
    for _, path in sorted(ranked)[:3]:
        for full in (prefix + path, path) if prefix else (path,):
            if full not in candidates:
                candidates.append(full)
    return candidates


def _openapi(session: _Session, guessed: str) -> dict[str, Any] | None:
    """The app's OpenAPI document: /openapi.json, beside a prefix of the guessed path, or under /api(/v1)."""
    parts = [part for part in guessed.split("/") if part][:-1]
    folders = ["", *("/" + "/".join(parts[:end]) for end in range(len(parts), 0, -1)), "/api", "/api/v1"]
    for folder in list(dict.fromkeys(folders))[:5]:
        answer = session.request("GET", f"{folder}/openapi.json", timeout=_REQUEST_TIMEOUT, limit=_OPENAPI_LIMIT)
        if answer is None or answer[0] != 200:
            continue
        try:
            spec = json.loads(answer[1])
        except ValueError:
            continue
        if isinstance(spec, dict) and isinstance(spec.get("paths"), dict):
            return spec
    return None
