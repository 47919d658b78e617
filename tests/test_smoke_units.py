"""Smoke pieces that need no engine: /proc/net/tcp parsing, listener verdicts, env loading, reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacepack.envfile import container_env
from spacepack.errors import UsageError
from spacepack.smoke import (
    Listener,
    Probe,
    SmokeReport,
    _json_value,
    listener_problem,
    parse_expectations,
    parse_proc_net_tcp,
    pick_port,
)
from tests.helpers import build_file_tree

PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 100 0 0 10 0
   1: 0100007F:6069 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1 0 100 0 0 10 0
   2: 0100007F:6069 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0 100 0 0 10 0
"""
PROC_NET_TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue
   0: 00000000000000000000000000000000:1EB4 00000000000000000000000000000000:0000 0A 00000000:00000000
   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000
   2: 0000000000000000FFFF00000100007F:0051 00000000000000000000000000000000:0000 0A 00000000:00000000
"""


def test_parse_listeners_from_ipv4_and_ipv6_tables():
    listeners = parse_proc_net_tcp(PROC_NET_TCP + PROC_NET_TCP6)
    assert listeners == (
        Listener("0.0.0.0", 8000),
        Listener("127.0.0.1", 24681),
        Listener("::", 7860),
        Listener("::1", 80),
        Listener("127.0.0.1", 81),
    )
    assert [str(item) for item in listeners[2:4]] == ["[::]:7860", "[::1]:80"]


def test_parse_ignores_garbage_and_connected_sockets():
    assert parse_proc_net_tcp("nonsense\n 0: ZZZ:1F40 0 0A\n 1: 0100007F:6069 0100007F:C350 01 x") == ()


@pytest.mark.parametrize(
    ("listeners", "port", "problem"),
    [
        ((Listener("0.0.0.0", 24000),), 24000, None),
        ((Listener("::", 24000),), 24000, None),
        ((Listener("172.17.0.5", 24000),), 24000, None),
        ((), 24000, None),
        ((Listener("0.0.0.0", 8000),), 24000, "the app listens on 0.0.0.0:8000, not on the injected PORT=24000"),
        ((Listener("127.0.0.1", 24000),), 24000, "the app listens on 127.0.0.1:24000 only"),
        ((Listener("::1", 24000),), 24000, "the app listens on [::1]:24000 only"),
        ((Listener("127.0.0.1", 24000), Listener("0.0.0.0", 24000)), 24000, None),
    ],
)
def test_listener_problem(listeners, port, problem):
    verdict = listener_problem(listeners, port)
    if problem is None:
        assert verdict is None
    else:
        assert verdict is not None and verdict.startswith(problem)


def test_pick_port_never_returns_the_app_port():
    assert all(pick_port(20000 + i) != 20000 + i for i in range(200))


def test_json_value_follows_dotted_keys_and_prints_json_scalars():
    body = b'{"status": "ok", "db": {"ready": true, "n": 3}}'
    assert _json_value(body, "status") == (True, "ok")
    assert _json_value(body, "db.ready") == (True, "true")
    assert _json_value(body, "db.n") == (True, "3")
    assert _json_value(body, "db.missing") == (False, "")
    assert _json_value(b"not json", "status") == (False, "")


def test_parse_expectations():
    assert parse_expectations(["status=ok", "a.b=1=2"]) == {"status": "ok", "a.b": "1=2"}
    with pytest.raises(UsageError):
        parse_expectations(["status"])


def test_load_env_precedence_and_no_value_in_errors(tmp_path: Path):
    build_file_tree(tmp_path, {".env": "A=from-dotenv\nB=from-dotenv\n", "other.env": "B=from-file\nC=3\n"})
    assert container_env(["A=flag"], None, tmp_path / ".env") == {"A": "flag", "B": "from-dotenv"}
    assert container_env([], tmp_path / "other.env", tmp_path / ".env") == {"B": "from-file", "C": "3"}
    assert container_env([], None, tmp_path / "missing.env") == {}
    with pytest.raises(UsageError) as bad:
        container_env(["TOPSECRETVALUE"], None, None)
    assert "TOPSECRETVALUE" not in bad.value.message
    with pytest.raises(UsageError):
        container_env([], tmp_path / "nope.env", None)


def test_report_json_rounds_and_lists():
    report = SmokeReport(
        verdict="healthy",
        image="img",
        injected_port=23456,
        host_port=49153,
        time_to_healthy=1.23456,
        probes=(Probe("GET", "/health", 200, 12.345),),
        warnings=("w",),
    )
    document = report.to_json()
    assert document["time_to_healthy"] == 1.235
    assert document["probes"] == [{"method": "GET", "path": "/health", "status": 200, "ms": 12.3}]
    assert document["verdict"] == "healthy" and document["warnings"] == ["w"]
