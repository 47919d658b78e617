"""The tasks API: CRUD, toggle, per-user isolation and input validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


def _create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/tasks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_returns_the_new_task(client: TestClient, auth_as: Headers) -> None:
    task = _create(client, auth_as("alice"), title="Buy milk", description="2 litres")
    assert task["title"] == "Buy milk"
    assert task["description"] == "2 litres"
    assert task["done"] is False
    assert isinstance(task["id"], int)
    assert "user_id" not in task
    assert {"created_at", "updated_at"} <= task.keys()


def test_list_returns_own_tasks_in_creation_order(
    client: TestClient, auth_as: Headers
) -> None:
    alice = auth_as("alice")
    first = _create(client, alice, title="one")
    second = _create(client, alice, title="two")
    _create(client, auth_as("bob"), title="bob's")

    response = client.get("/api/tasks", headers=alice)
    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [first["id"], second["id"]]


def test_list_filters_on_done(client: TestClient, auth_as: Headers) -> None:
    alice = auth_as("alice")
    open_task = _create(client, alice, title="open")
    closed = _create(client, alice, title="closed")
    client.post(f"/api/tasks/{closed['id']}/toggle", headers=alice)

    done = client.get("/api/tasks", params={"done": "true"}, headers=alice).json()
    not_done = client.get("/api/tasks", params={"done": "false"}, headers=alice).json()
    assert [t["id"] for t in done] == [closed["id"]]
    assert [t["id"] for t in not_done] == [open_task["id"]]


def test_get_returns_one_task(client: TestClient, auth_as: Headers) -> None:
    alice = auth_as("alice")
    task = _create(client, alice, title="read me")
    response = client.get(f"/api/tasks/{task['id']}", headers=alice)
    assert response.status_code == 200
    assert response.json() == task


def test_patch_changes_only_the_fields_sent(
    client: TestClient, auth_as: Headers
) -> None:
    alice = auth_as("alice")
    task = _create(client, alice, title="draft", description="keep me")

    response = client.patch(
        f"/api/tasks/{task['id']}", json={"title": "final"}, headers=alice
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["title"] == "final"
    assert updated["description"] == "keep me"
    assert updated["done"] is False
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).json() == updated


def test_patch_can_clear_the_description_and_set_done(
    client: TestClient, auth_as: Headers
) -> None:
    alice = auth_as("alice")
    task = _create(client, alice, title="t", description="old")
    response = client.patch(
        f"/api/tasks/{task['id']}",
        json={"description": None, "done": True},
        headers=alice,
    )
    assert response.status_code == 200
    assert response.json()["description"] is None
    assert response.json()["done"] is True


def test_toggle_flips_done_each_time(client: TestClient, auth_as: Headers) -> None:
    alice = auth_as("alice")
    task = _create(client, alice, title="flip")
    url = f"/api/tasks/{task['id']}/toggle"
    assert client.post(url, headers=alice).json()["done"] is True
    assert client.post(url, headers=alice).json()["done"] is False


def test_delete_removes_the_task(client: TestClient, auth_as: Headers) -> None:
    alice = auth_as("alice")
    task = _create(client, alice, title="bye")
    response = client.delete(f"/api/tasks/{task['id']}", headers=alice)
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).status_code == 404
    assert client.delete(f"/api/tasks/{task['id']}", headers=alice).status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"title": "mine now"}),
        ("POST", "/toggle", None),
        ("DELETE", "", None),
    ],
)
def test_another_users_task_is_404(
    client: TestClient,
    auth_as: Headers,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    alice = auth_as("alice")
    task = _create(client, alice, title="alice's")

    response = client.request(
        method, f"/api/tasks/{task['id']}{suffix}", json=body, headers=auth_as("bob")
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Task not found"}
    # Alice's task is untouched, and bob's list stays empty.
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).json() == task
    assert client.get("/api/tasks", headers=auth_as("bob")).json() == []


def test_missing_task_is_404(client: TestClient, auth_as: Headers) -> None:
    response = client.get("/api/tasks/999999", headers=auth_as("alice"))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "x" * 201},
        {"title": None},
        {"title": ["not", "a", "string"]},
        {"title": "ok", "description": "x" * 2001},
    ],
)
def test_bad_create_body_is_422(
    client: TestClient, auth_as: Headers, body: dict[str, Any]
) -> None:
    alice = auth_as("alice")
    response = client.post("/api/tasks", json=body, headers=alice)
    assert response.status_code == 422
    assert client.get("/api/tasks", headers=alice).json() == []


@pytest.mark.parametrize(
    "body",
    [{"title": ""}, {"title": None}, {"done": None}, {"done": "maybe"}],
)
def test_bad_patch_body_is_422(
    client: TestClient, auth_as: Headers, body: dict[str, Any]
) -> None:
    alice = auth_as("alice")
    task = _create(client, alice, title="stays")
    response = client.patch(f"/api/tasks/{task['id']}", json=body, headers=alice)
    assert response.status_code == 422
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).json() == task


def test_non_integer_id_is_422(client: TestClient, auth_as: Headers) -> None:
    response = client.get("/api/tasks/abc", headers=auth_as("alice"))
    assert response.status_code == 422


def test_bad_done_filter_is_422(client: TestClient, auth_as: Headers) -> None:
    response = client.get(
        "/api/tasks", params={"done": "perhaps"}, headers=auth_as("alice")
    )
    assert response.status_code == 422
