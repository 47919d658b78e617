"""A strict Hugging Face Hub test double, spoken to by the real huggingface_hub client.

Start it on 127.0.0.1 (a free port, a background thread) and point the client
at it with `HfApi(endpoint=double.url)` or `HF_ENDPOINT=double.url`::

    with HubDouble() as double:
        double.add_token("hf_write", user="alice", role="write")
        ...
        assert double.files("alice/demo") == {...}

Endpoints spoken (what huggingface_hub 2.4.0 sends), by route name, and how
strict each is:

- `oauth-token` — POST /oauth/token: trusted publishing; the RFC 8693 grant and
  id-token types are required (400); the id token must be registered with
  `trust_publisher(id_token, resource)` for that resource (401); answers a
  short-lived fine-grained token with repo.write.
- `whoami` — GET /api/whoami-v2: 401 (X-Error-Message "Invalid credentials in
  Authorization header") without a known token; body like the Hub's (name,
  orgs, auth.accessToken.role, fineGrained scopes).
- `create` — POST /api/repos/create: the token must write to the namespace
  (403); type must be "space" with an sdk among gradio/docker/static/streamlit
  (400); the name follows the Hub's rules (400); hardware must be a known
  flavor (400); 409 with `url` when it exists, 200 with `url`; a new Space
  holds one commit with `.gitattributes`.
- `info` — GET /api/spaces/{id} and /api/spaces/{id}/revision/{rev}: 404 with
  X-Error-Code RepoNotFound / RevisionNotFound; returns id, sha, private, sdk,
  subdomain, host, siblings, runtime.
- `tree` — GET /api/spaces/{id}/tree/{rev}[/path]: files with their git blob
  SHA-1 `oid` and `size`, and directories; no pagination; `recursive` honoured.
- `validate-yaml` — POST /api/validate-yaml: always JSON; 400 with
  `errors[].message` for: no front matter, YAML that is not a mapping, sdk
  missing or unknown, colorFrom/colorTo not among the 8 names,
  short_description over 60 chars, app_port not an int in 1..65535, title/
  emoji/license not strings, pinned/fullWidth/hf_oauth not booleans.
- `preupload` — POST /api/spaces/{id}/preupload/{rev}: write token; every
  entry has uploadMode "regular", `shouldIgnore` (root .gitignore, from the
  request's `gitIgnore` or the repo) and the current `oid` when the path exists.
- `commit` — POST /api/spaces/{id}/commit/{rev}: write token; Content-Type
  application/x-ndjson; the first line must be the header (400); `file` needs
  base64 content; `deletedFile` of a missing path → 404 EntryNotFound;
  `deletedFolder`; `lfsFile` → 400 (the double never asks for LFS); a stale
  `parentCommit` → 412; an empty commit → 400.
- `secrets` — GET/POST/DELETE /api/spaces/{id}/secrets: write token for
  POST/DELETE; the key must be a valid env name (400); values are kept in
  memory only for asserting; GET never returns values.
- `variables` — GET/POST/DELETE /api/spaces/{id}/variables: as secrets; GET
  returns values.
- `runtime` — GET /api/spaces/{id}/runtime: each call advances the scripted
  stage sequence (the last stage sticks; a commit restarts it);
  `errorMessage` when scripted; RUNNING by default; `gcTimeout` as set with
  `set_sleep_time`; hardware `current` only while RUNNING.
- `restart` — POST /api/spaces/{id}/restart[?factory=true]: write token;
  restarts the stage script.
- `hardware` — POST /api/spaces/{id}/hardware: write token; known flavor (400).
- `logs` — GET /api/spaces/{id}/logs/{build,run}: SSE `data: {"data",
  "timestamp"}` events of the scripted lines, each stamped with the time it
  was scripted (the client's no-follow mode stops at events newer than the
  response's Date). The stream then ends, unless the Space's logs are live
  (`set_logs(..., live=True)`): then it stays open, sends lines added with
  `append_logs` as they come and a keep-alive `data:` comment line every
  0.5 s, until the client hangs up or the double stops.
- `resolve` — GET /spaces/{id}/resolve/{rev}/{path}: the raw file with
  `ETag` (its git blob id) and `X-Repo-Commit`; 404 with X-Error-Code
  EntryNotFound for a missing file, RepoNotFound for a missing Space.

Anything else answers 404 JSON with `X-Error-Code: RouteNotFound`, so a client
call the double does not know about is visible instead of silently working.

Faults are scripted per route name: `fail_next(route, status, times=n)` (429,
5xx, 402 on `create`...), `drop_next_commit()` (the connection closes while the
commit body is being read; nothing is applied), `script_stages(...)`,
`set_logs(...)`. Every request is logged in `requests` (method, path, route,
body size, status) so tests can count bytes and calls.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

SPACE_SDKS = ("gradio", "docker", "static", "streamlit")
COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
HARDWARE = (
    "cpu-basic",
    "cpu-upgrade",
    "zero-a10g",
    "t4-small",
    "t4-medium",
    "l4x1",
    "l4x4",
    "l40sx1",
    "l40sx4",
    "l40sx8",
    "a10g-small",
    "a10g-large",
    "a10g-largex2",
    "a10g-largex4",
    "a100-large",
    "a100x4",
    "a100x8",
    "rtx-pro-6000",
    "rtx-pro-6000x2",
    "rtx-pro-6000x4",
    "rtx-pro-6000x8",
)
GITATTRIBUTES = b"*.bin filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
_NAME_RE = re.compile(r"^(?!.*(--|\.\.))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SPACE_ROUTE = re.compile(r"^/api/spaces/([^/]+)/([^/]+)(?:/(.*))?$")
_RESOLVE_ROUTE = re.compile(r"^/spaces/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)$")


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob, as the Hub reports it in `oid`."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class Commit:
    """One commit of a Space: its id, message and the full file set after it."""

    oid: str
    message: str
    files: Mapping[str, bytes]
    added: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """One request the double answered (or dropped)."""

    method: str
    path: str
    route: str
    body_size: int
    status: int


@dataclass
class _Token:
    user: str
    role: str  # "write", "read" or "fineGrained"
    orgs: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()  # fine-grained: permissions granted on the user's namespace


@dataclass
class _Space:
    repo_id: str
    private: bool
    hardware: str
    commits: list[Commit] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    stages: list[tuple[str, str | None]] = field(default_factory=lambda: [("RUNNING", None)])
    stage_cursor: int = 0
    build_logs: list[tuple[str, str]] = field(default_factory=list)  # (line, timestamp)
    run_logs: list[tuple[str, str]] = field(default_factory=list)
    live_logs: bool = False
    sleep_time: int | None = None

    @property
    def head(self) -> Commit:
        return self.commits[-1]


@dataclass
class _Fault:
    status: int
    times: int
    message: str
    headers: dict[str, str]


class _Reply(Exception):
    """Raised by handlers to answer with a status, a JSON body and headers."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class _Drop(Exception):
    """Close the connection without answering."""


def _error(status: int, message: str, code: str | None = None) -> _Reply:
    headers = {"X-Error-Message": message}
    if code:
        headers["X-Error-Code"] = code
    return _Reply(status, {"error": message}, headers)


class HubDouble:
    """The double: state, scripting helpers, and the HTTP server around them."""

    WRITE_TOKEN = "hf_double_write_token_0123456789"
    READ_TOKEN = "hf_double_read_token_0123456789"

    def __init__(self, user: str = "alice", orgs: Iterable[str] = ("acme",)) -> None:
        self.user = user
        self._lock = threading.RLock()
        self._tokens: dict[str, _Token] = {}
        self._publishers: dict[str, str] = {}  # CI id token -> the resource it may publish to
        self._spaces: dict[str, _Space] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._drop_commits = 0
        self._open_streams = 0
        self._stopping = threading.Event()
        self.requests: list[Request] = []
        self.add_token(self.WRITE_TOKEN, user=user, role="write", orgs=tuple(orgs))
        self.add_token(self.READ_TOKEN, user=user, role="read", orgs=tuple(orgs))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> HubDouble:
        """Listen on 127.0.0.1 on a free port, serving from a daemon thread."""
        double = self

        class Handler(_Handler):
            hub = double

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HubDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The endpoint to give huggingface_hub (`http://127.0.0.1:<port>`)."""
        assert self._server is not None, "start() the double first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- scripting -----------------------------------------------------------------------------

    def add_token(
        self,
        token: str,
        *,
        user: str | None = None,
        role: str = "write",
        orgs: Iterable[str] = (),
        scopes: Iterable[str] = (),
    ) -> str:
        """Register a token: role "write", "read" or "fineGrained" (with `scopes` like "repo.write")."""
        with self._lock:
            self._tokens[token] = _Token(user or self.user, role, tuple(orgs), tuple(scopes))
        return token

    def create_space(
        self,
        repo_id: str,
        files: Mapping[str, bytes] | None = None,
        *,
        private: bool = False,
        hardware: str = "cpu-basic",
    ) -> None:
        """Make a Space exist (with `.gitattributes` and `files`), as if created earlier."""
        with self._lock:
            space = _Space(repo_id, private, hardware)
            initial = {".gitattributes": GITATTRIBUTES}
            space.commits.append(Commit(_new_oid(), "initial commit", initial, added=(".gitattributes",)))
            if files:
                merged = {**initial, **files}
                space.commits.append(Commit(_new_oid(), "seed", merged, added=tuple(files)))
            self._spaces[repo_id] = space

    def trust_publisher(self, id_token: str, resource: str) -> None:
        """Accept `id_token` (a CI's OIDC token) for trusted publishing to `resource` ("spaces/owner/name")."""
        with self._lock:
            self._publishers[id_token] = resource

    def fail_next(
        self,
        route: str,
        status: int,
        *,
        times: int = 1,
        message: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests of `route` (see the module table) with `status`."""
        words = message or {402: "Payment required", 429: "Too many requests"}.get(status, "Internal Error")
        with self._lock:
            self._faults.setdefault(route, []).append(_Fault(status, times, words, dict(headers or {})))

    def drop_next_commit(self) -> None:
        """Close the connection while reading the next commit's body; the Space keeps its revision."""
        with self._lock:
            self._drop_commits += 1

    def script_stages(self, repo_id: str, *stages: str | tuple[str, str]) -> None:
        """The runtime stages successive GET runtime calls return; the last one sticks.

        Each item is a stage ("BUILDING") or (stage, errorMessage).
        """
        with self._lock:
            space = self._space(repo_id)
            space.stages = [(s, None) if isinstance(s, str) else (s[0], s[1]) for s in stages]
            space.stage_cursor = 0

    def set_logs(self, repo_id: str, *, build: Iterable[str] = (), run: Iterable[str] = (), live: bool = False) -> None:
        """The lines the build and run log streams return; `live` keeps streams open for `append_logs`."""
        stamp = _now()
        with self._lock:
            space = self._space(repo_id)
            space.build_logs = [(line, stamp) for line in build]
            space.run_logs = [(line, stamp) for line in run]
            space.live_logs = live

    def append_logs(self, repo_id: str, *, build: Iterable[str] = (), run: Iterable[str] = ()) -> None:
        """Lines printed now: open live streams send them."""
        stamp = _now()
        with self._lock:
            space = self._space(repo_id)
            space.build_logs += [(line, stamp) for line in build]
            space.run_logs += [(line, stamp) for line in run]

    def set_sleep_time(self, repo_id: str, seconds: int | None) -> None:
        """The sleep time (`gcTimeout`) the runtime reports."""
        with self._lock:
            self._space(repo_id).sleep_time = seconds

    def log_streams_open(self) -> int:
        """How many live log streams are being served now."""
        with self._lock:
            return self._open_streams

    # -- inspection ----------------------------------------------------------------------------

    def exists(self, repo_id: str) -> bool:
        with self._lock:
            return repo_id in self._spaces

    def files(self, repo_id: str) -> dict[str, bytes]:
        """The file set at the head of the Space."""
        with self._lock:
            return dict(self._space(repo_id).head.files)

    def commits(self, repo_id: str) -> list[Commit]:
        """Every commit, oldest first (the first is the Hub's initial commit)."""
        with self._lock:
            return list(self._space(repo_id).commits)

    def secrets(self, repo_id: str) -> dict[str, str]:
        """Secret values as received (kept only in memory, for asserting)."""
        with self._lock:
            return dict(self._space(repo_id).secrets)

    def variables(self, repo_id: str) -> dict[str, str]:
        with self._lock:
            return {key: str(entry["value"]) for key, entry in self._space(repo_id).variables.items()}

    def private(self, repo_id: str) -> bool:
        with self._lock:
            return self._space(repo_id).private

    def hardware(self, repo_id: str) -> str:
        with self._lock:
            return self._space(repo_id).hardware

    def requests_for(self, route: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.route == route]

    def _space(self, repo_id: str) -> _Space:
        if repo_id not in self._spaces:
            raise KeyError(f"no Space {repo_id} in the double")
        return self._spaces[repo_id]

    # -- request handling (called from server threads) -----------------------------------------

    def _take_fault(self, route: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(route, [])
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drop_commits:
                self._drop_commits -= 1
                return True
            return False

    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


def _new_oid() -> str:
    return hashlib.sha1(uuid.uuid4().bytes).hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class _Handler(BaseHTTPRequestHandler):
    hub: HubDouble
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the request log is `hub.requests`."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    # -- plumbing ------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        self.route_path = unquote(split.path)
        route, handler = self._route()
        length = int(self.headers.get("Content-Length") or 0)
        status = 0
        try:
            fault = self.hub._take_fault(route)
            if route == "commit" and self.command == "POST" and self.hub._take_drop():
                self.rfile.read(length // 2)
                raise _Drop()
            self.body = self.rfile.read(length) if length else b""
            if fault is not None:
                raise _Reply(
                    fault.status,
                    {"error": fault.message},
                    {"X-Error-Message": fault.message, **fault.headers},
                )
            if handler is None:
                raise _error(404, f"{self.command} {self.route_path} is not a route the double knows", "RouteNotFound")
            handler()
        except _Reply as reply:
            status = reply.status
            self._send_json(reply.status, reply.body, reply.headers)
        except _Drop:
            status = -1
            self.close_connection = True
            self.connection.shutdown(2)
        except _Stream as stream:
            status = 200
            self._send_stream(stream.space, stream.build)
        except _Raw as raw:
            status = 200
            self._send_raw(raw.data, raw.headers)
        except Exception as error:  # a bug in the double: make it loud
            status = 500
            self._send_json(500, {"error": f"double crashed: {type(error).__name__}: {error}"}, {})
        finally:
            self.hub._log(Request(self.command, self.path, route, length, status))

    def _send_json(self, status: int, body: Any, headers: Mapping[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_raw(self, data: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    @staticmethod
    def _events(lines: list[tuple[str, str]]) -> bytes:
        return b"".join(
            b"data: " + json.dumps({"data": line + "\n", "timestamp": stamp}).encode() + b"\n\n"
            for line, stamp in lines
        )

    def _lines(self, space: _Space, build: bool) -> list[tuple[str, str]]:
        with self.hub._lock:
            return list(space.build_logs if build else space.run_logs)

    def _send_stream(self, space: _Space, build: bool) -> None:
        lines = self._lines(space, build)
        if not space.live_logs:
            payload = self._events(lines)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with self.hub._lock:
            self.hub._open_streams += 1
        try:
            self._stream_live(space, build, lines)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client hung up: that is how a follow ends
        finally:
            with self.hub._lock:
                self.hub._open_streams -= 1
            self.close_connection = True

    def _stream_live(self, space: _Space, build: bool, lines: list[tuple[str, str]]) -> None:
        sent = 0
        last_write = 0.0
        while not self.hub._stopping.is_set():
            fresh = lines[sent:]
            chunk = self._events(fresh) if fresh else (b"data:\n\n" if time.monotonic() - last_write > 0.5 else b"")
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                last_write = time.monotonic()
            sent = len(lines)
            time.sleep(0.05)
            lines = self._lines(space, build)

    def _json_body(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            raise _error(400, "Request body is not valid JSON") from None

    def _route(self) -> tuple[str, Any]:
        path, method = self.route_path, self.command
        if path == "/api/whoami-v2" and method == "GET":
            return "whoami", self._whoami
        if path == "/api/repos/create" and method == "POST":
            return "create", self._create
        if path == "/api/validate-yaml" and method == "POST":
            return "validate-yaml", self._validate_yaml
        if path == "/oauth/token" and method == "POST":
            return "oauth-token", self._oauth_token
        resolve = _RESOLVE_ROUTE.match(path)
        if resolve and method in ("GET", "HEAD"):
            self.repo_id = f"{resolve.group(1)}/{resolve.group(2)}"
            self.rest = f"{resolve.group(3)}/{resolve.group(4)}"
            return "resolve", self._resolve
        match = _SPACE_ROUTE.match(path)
        if not match:
            return "unknown", None
        self.repo_id = f"{match.group(1)}/{match.group(2)}"
        rest = match.group(3) or ""
        head, _, tail = rest.partition("/")
        self.rest = tail
        table: dict[tuple[str, str], tuple[str, Any]] = {
            ("", "GET"): ("info", self._info),
            ("revision", "GET"): ("info", self._info),
            ("tree", "GET"): ("tree", self._tree),
            ("preupload", "POST"): ("preupload", self._preupload),
            ("commit", "POST"): ("commit", self._commit),
            ("secrets", "GET"): ("secrets", self._secrets),
            ("secrets", "POST"): ("secrets", self._secrets),
            ("secrets", "DELETE"): ("secrets", self._secrets),
            ("variables", "GET"): ("variables", self._variables),
            ("variables", "POST"): ("variables", self._variables),
            ("variables", "DELETE"): ("variables", self._variables),
            ("runtime", "GET"): ("runtime", self._runtime),
            ("restart", "POST"): ("restart", self._restart),
            ("hardware", "POST"): ("hardware", self._hardware),
            ("logs", "GET"): ("logs", self._logs),
        }
        return table.get((head, method), ("unknown", None))

    # -- auth ----------------------------------------------------------------------------------

    def _token(self) -> _Token:
        header = self.headers.get("authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        found = self.hub._tokens.get(token)
        if found is None:
            raise _error(401, "Invalid credentials in Authorization header")
        return found

    def _can_write(self, token: _Token, namespace: str) -> bool:
        if namespace != token.user and namespace not in token.orgs:
            return False
        if token.role == "fineGrained":
            return "repo.write" in token.scopes
        return token.role in ("write", "admin")

    def _require_write(self, namespace: str) -> None:
        token = self._token()
        if not self._can_write(token, namespace):
            raise _error(403, f"You don't have the rights to write to {namespace}: the token is {token.role}")

    def _existing(self) -> _Space:
        token = self._token()
        space = self.hub._spaces.get(self.repo_id)
        owner = self.repo_id.split("/")[0]
        visible = space is not None and (not space.private or owner == token.user or owner in token.orgs)
        if space is None or not visible:
            raise _error(404, "Repository not found", "RepoNotFound")
        return space

    # -- handlers ------------------------------------------------------------------------------

    def _whoami(self) -> None:
        token = self._token()
        access: dict[str, Any] = {"displayName": "double", "role": token.role, "createdAt": _now()}
        if token.role == "fineGrained":
            access["fineGrained"] = {
                "canReadGatedRepos": False,
                "global": [],
                "scoped": [
                    {
                        "entity": {"_id": "1", "type": "user", "name": token.user},
                        "permissions": list(token.scopes),
                    }
                ],
            }
        raise _Reply(
            200,
            {
                "type": "user",
                "id": "0" * 24,
                "name": token.user,
                "fullname": token.user.title(),
                "isPro": True,
                "orgs": [{"type": "org", "name": org, "fullname": org} for org in token.orgs],
                "auth": {"type": "access_token", "accessToken": access},
            },
        )

    def _oauth_token(self) -> None:
        """Trusted publishing: exchange a CI id token for a short-lived token scoped to one repo."""
        body = self._json_body()
        expected = {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        }
        if not isinstance(body, dict) or any(body.get(k) != v for k, v in expected.items()):
            raise _error(400, "unsupported grant or subject token type")
        resource = str(body.get("resource") or "")
        subject = str(body.get("subject_token") or "")
        with self.hub._lock:
            publisher = self.hub._publishers.get(subject)
        if publisher is None or publisher != resource:
            raise _error(401, "the id token is not a trusted publisher of this resource")
        _, _, repo_id = resource.partition("/")
        token = "hf_oidc_" + _new_oid()[:24]
        self.hub.add_token(token, user=repo_id.split("/")[0], role="fineGrained", scopes=("repo.write",))
        raise _Reply(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})

    def _create(self) -> None:
        token = self._token()
        body = self._json_body()
        name, organization = body.get("name"), body.get("organization")
        namespace = organization or token.user
        if not isinstance(name, str) or not _NAME_RE.match(name) or name.endswith(".git"):
            raise _error(400, f"Invalid repo name: {name!r}: use letters, digits, '-', '_' or '.', at most 96")
        if not self._can_write(token, namespace):
            raise _error(403, f'You don\'t have the rights to create a space under the namespace "{namespace}"')
        if body.get("type") != "space":
            raise _error(400, "The double only creates spaces (type must be 'space')")
        if body.get("sdk") not in SPACE_SDKS:
            raise _error(400, f"Invalid sdk {body.get('sdk')!r}: must be one of {', '.join(SPACE_SDKS)}")
        hardware = body.get("hardware") or "cpu-basic"
        if hardware not in HARDWARE:
            raise _error(400, f"Invalid hardware {hardware!r}")
        repo_id = f"{namespace}/{name}"
        url = f"{self.hub.url}/spaces/{repo_id}"
        with self.hub._lock:
            if repo_id in self.hub._spaces:
                raise _Reply(409, {"error": "You already created this space repo", "url": url})
            self.hub.create_space(repo_id, private=body.get("visibility") == "private", hardware=hardware)
        raise _Reply(200, {"url": url, "name": repo_id, "id": repo_id})

    def _info(self) -> None:
        space = self._existing()
        if self.rest and unquote(self.rest) != "main":
            raise _error(404, f"Revision Not Found: {self.rest}", "RevisionNotFound")
        owner, name = self.repo_id.split("/")
        subdomain = re.sub(r"[^a-z0-9-]", "-", f"{owner}-{name}".lower())
        stage, _ = space.stages[min(space.stage_cursor, len(space.stages) - 1)]
        raise _Reply(
            200,
            {
                "_id": "0" * 24,
                "id": self.repo_id,
                "author": owner,
                "sha": space.head.oid,
                "private": space.private,
                "sdk": "docker",
                "subdomain": subdomain,
                "host": f"https://{subdomain}.hf.space",
                "lastModified": _now(),
                "createdAt": _now(),
                "likes": 0,
                "tags": ["docker"],
                "siblings": [{"rfilename": path} for path in sorted(space.head.files)],
                "runtime": {
                    "stage": stage,
                    "hardware": {"current": space.hardware, "requested": space.hardware},
                },
            },
        )

    def _tree(self) -> None:
        space = self._existing()
        revision, _, prefix = self.rest.partition("/")
        if unquote(revision) != "main":
            raise _error(404, f"Revision Not Found: {revision}", "RevisionNotFound")
        recursive = self.query.get("recursive", "false").lower() in ("1", "true")
        prefix = prefix.strip("/")
        entries: dict[str, dict[str, Any]] = {}
        for path, data in sorted(space.head.files.items()):
            if prefix and not path.startswith(prefix + "/"):
                continue
            rel = path[len(prefix) + 1 :] if prefix else path
            parts = rel.split("/")
            base = f"{prefix}/" if prefix else ""
            for depth in range(1, len(parts)):
                if not recursive and depth > 1:
                    break
                folder = base + "/".join(parts[:depth])
                entries.setdefault(folder, {"type": "directory", "path": folder, "oid": _new_oid(), "size": 0})
            if recursive or len(parts) == 1:
                entries[path] = {"type": "file", "path": path, "oid": git_blob_sha1(data), "size": len(data)}
        if prefix and not entries:
            raise _error(404, f"Entry Not Found: {prefix}", "EntryNotFound")
        raise _Reply(200, list(entries.values()))

    def _validate_yaml(self) -> None:
        self._token()
        body = self._json_body()
        errors = validate_space_readme(str(body.get("content", "")))
        if errors:
            raise _Reply(400, {"errors": [{"message": message} for message in errors]})
        raise _Reply(200, {"warnings": []})

    def _preupload(self) -> None:
        space = self._existing()
        self._require_write(self.repo_id.split("/")[0])
        body = self._json_body()
        files = body.get("files")
        if not isinstance(files, list) or len(files) > 256:
            raise _error(400, "files must be a list of at most 256 entries")
        gitignore = body.get("gitIgnore")
        if gitignore is None:
            gitignore = space.head.files.get(".gitignore", b"").decode("utf-8", "replace")
        patterns = [line.strip() for line in gitignore.splitlines() if line.strip() and not line.startswith("#")]
        answer = []
        for entry in files:
            path = entry.get("path")
            if not isinstance(path, str) or "size" not in entry or "sample" not in entry:
                raise _error(400, "each file needs path, size and sample")
            ignored = any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path.split("/")[-1], p) for p in patterns)
            item: dict[str, Any] = {"path": path, "uploadMode": "regular", "shouldIgnore": ignored}
            if path in space.head.files:
                item["oid"] = git_blob_sha1(space.head.files[path])
            answer.append(item)
        raise _Reply(200, {"files": answer, "commitOid": space.head.oid})

    def _commit(self) -> None:
        space = self._existing()
        self._require_write(self.repo_id.split("/")[0])
        if unquote(self.rest) != "main":
            raise _error(404, f"Revision Not Found: {self.rest}", "RevisionNotFound")
        header, operations = self._commit_lines()
        summary = header.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            raise _error(400, "commit summary is required")
        with self.hub._lock:
            parent = header.get("parentCommit")
            if parent is not None and parent != space.head.oid:
                raise _error(412, "A commit has happened since. Please refresh and try again.")
            files = dict(space.head.files)
            added: list[str] = []
            deleted: list[str] = []
            for line in operations:
                _apply_commit_operation(line, files, added, deleted)
            if not added and not deleted:
                raise _error(400, "No files have been modified since last commit")
            oid = _new_oid()
            space.commits.append(Commit(oid, summary, files, tuple(added), tuple(deleted)))
            space.stage_cursor = 0
        url = f"{self.hub.url}/spaces/{self.repo_id}/commit/{oid}"
        raise _Reply(200, {"success": True, "commitOid": oid, "commitUrl": url, "commitMessage": summary})

    def _commit_lines(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The commit body's header and its operations, or the Hub's 400 for a malformed body."""
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/x-ndjson":
            raise _error(400, "commit body must be application/x-ndjson")
        try:
            lines = [json.loads(line) for line in self.body.splitlines() if line.strip()]
        except ValueError:
            raise _error(400, "commit body is not valid NDJSON") from None
        if not lines or lines[0].get("key") != "header":
            raise _error(400, "the first NDJSON line must be the header")
        return lines[0].get("value") or {}, lines[1:]

    def _settings(self, store: str) -> None:
        space = self._existing()
        if self.command == "GET":
            self._token()
            if store == "secrets":
                raise _Reply(200, {k: {"key": k, "updatedAt": _now()} for k in space.secrets})
            raise _Reply(200, space.variables)
        self._require_write(self.repo_id.split("/")[0])
        body = self._json_body()
        key = body.get("key")
        if not isinstance(key, str) or not _ENV_NAME_RE.match(key):
            raise _error(400, f"Invalid key {key!r}: use letters, digits and underscores")
        with self.hub._lock:
            if self.command == "DELETE":
                (space.secrets if store == "secrets" else space.variables).pop(key, None)
            else:
                value = body.get("value")
                if not isinstance(value, str):
                    raise _error(400, "value must be a string")
                if store == "secrets":
                    space.secrets[key] = value
                else:
                    entry: dict[str, Any] = {"value": value, "updatedAt": _now()}
                    if body.get("description"):
                        entry["description"] = body["description"]
                    space.variables[key] = entry
        if store == "secrets":
            raise _Reply(200, {})
        raise _Reply(200, space.variables)

    def _secrets(self) -> None:
        self._settings("secrets")

    def _variables(self) -> None:
        self._settings("variables")

    def _runtime_json(self, space: _Space, advance: bool) -> dict[str, Any]:
        with self.hub._lock:
            index = min(space.stage_cursor, len(space.stages) - 1)
            if advance:
                space.stage_cursor += 1
            stage, message = space.stages[index]
        body: dict[str, Any] = {
            "stage": stage,
            "hardware": {
                "current": space.hardware if stage == "RUNNING" else None,
                "requested": space.hardware,
            },
            "gcTimeout": space.sleep_time,
            "storage": None,
            "replicas": {"current": 1, "requested": 1},
        }
        if message:
            body["errorMessage"] = message
        return body

    def _runtime(self) -> None:
        space = self._existing()
        raise _Reply(200, self._runtime_json(space, advance=True))

    def _restart(self) -> None:
        space = self._existing()
        self._require_write(self.repo_id.split("/")[0])
        with self.hub._lock:
            space.stage_cursor = 0
        raise _Reply(200, self._runtime_json(space, advance=False))

    def _hardware(self) -> None:
        space = self._existing()
        self._require_write(self.repo_id.split("/")[0])
        flavor = self._json_body().get("flavor")
        if flavor not in HARDWARE:
            raise _error(400, f"Invalid hardware {flavor!r}")
        with self.hub._lock:
            space.hardware = flavor
        raise _Reply(200, self._runtime_json(space, advance=False))

    def _logs(self) -> None:
        space = self._existing()
        if self.rest not in ("build", "run"):
            raise _error(404, f"unknown log kind {self.rest!r}", "RouteNotFound")
        raise _Stream(space, build=self.rest == "build")

    def _resolve(self) -> None:
        space = self._existing()
        revision, _, path = self.rest.partition("/")
        if unquote(revision) != "main":
            raise _error(404, f"Revision Not Found: {revision}", "RevisionNotFound")
        with self.hub._lock:
            data = space.head.files.get(path)
            head = space.head.oid
        if data is None:
            raise _error(404, f"Entry not found: {path}", "EntryNotFound")
        raise _Raw(data, {"ETag": f'"{git_blob_sha1(data)}"', "X-Repo-Commit": head})


class _Stream(Exception):
    def __init__(self, space: _Space, *, build: bool) -> None:
        super().__init__("stream")
        self.space = space
        self.build = build


class _Raw(Exception):
    def __init__(self, data: bytes, headers: Mapping[str, str]) -> None:
        super().__init__("raw")
        self.data = data
        self.headers = dict(headers)


def validate_space_readme(content: str) -> list[str]:
    """The errors the Hub reports for a Space README's YAML front matter (empty list: valid)."""
    if not content.startswith("---"):
        return ["README.md has no YAML metadata block (---) at the top"]
    parts = content.split("---", 2)
    if len(parts) < 3:
        return ["README.md YAML metadata block is not closed with ---"]
    try:
        meta = yaml.safe_load(parts[1])
    except yaml.YAMLError as error:
        return [f"YAML is invalid: {error}"]
    if not isinstance(meta, dict):
        return ["YAML metadata must be a mapping"]
    errors: list[str] = []
    sdk = meta.get("sdk")
    if sdk is None:
        errors.append('"sdk" is required')
    elif sdk not in SPACE_SDKS:
        errors.append(f'"sdk" must be one of [{", ".join(SPACE_SDKS)}]')
    for key in ("colorFrom", "colorTo"):
        if key in meta and meta[key] not in COLORS:
            errors.append(f'"{key}" must be one of [{", ".join(COLORS)}]')
    short = meta.get("short_description")
    if short is not None and (not isinstance(short, str) or len(short) > 60):
        errors.append('"short_description" length must be less than or equal to 60 characters long')
    port = meta.get("app_port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535):
        errors.append('"app_port" must be a number between 1 and 65535')
    for key in ("title", "emoji", "license"):
        if key in meta and not isinstance(meta[key], str):
            errors.append(f'"{key}" must be a string')
    for key in ("pinned", "fullWidth", "hf_oauth", "disable_embedding"):
        if key in meta and not isinstance(meta[key], bool):
            errors.append(f'"{key}" must be a boolean')
    return errors


__all__ = ["Commit", "HubDouble", "Request", "git_blob_sha1", "validate_space_readme"]


def _apply_commit_operation(
    line: dict[str, Any], files: dict[str, bytes], added: list[str], deleted: list[str]
) -> None:
    """One NDJSON commit operation applied to the new tree, as the Hub does (or its 4xx)."""
    key, value = line.get("key"), line.get("value") or {}
    path = value.get("path")
    if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
        raise _error(400, f"invalid path in commit: {path!r}")
    if key == "file":
        if value.get("encoding") != "base64":
            raise _error(400, "file content must be base64")
        try:
            files[path] = base64.b64decode(value.get("content", ""), validate=True)
        except ValueError:
            raise _error(400, f"invalid base64 for {path}") from None
        added.append(path)
    elif key == "deletedFile":
        if path not in files:
            raise _error(404, f"Entry Not Found: {path}", "EntryNotFound")
        del files[path]
        deleted.append(path)
    elif key == "deletedFolder":
        folder = path.rstrip("/") + "/"
        gone = [p for p in files if p.startswith(folder)]
        if not gone:
            raise _error(404, f"Entry Not Found: {path}", "EntryNotFound")
        for p in gone:
            del files[p]
        deleted.extend(gone)
    elif key == "lfsFile":
        raise _error(400, "the double never asks for LFS uploads")
    else:
        raise _error(400, f"unknown commit operation {key!r}")
