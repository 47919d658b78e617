"""Health answers without auth; every task route demands a valid Bearer token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

MakeToken = Callable[..., str]
Headers = Callable[[str], dict[str, str]]


def test_health_needs_no_token(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_missing_token_is_401_with_bearer_challenge(client: TestClient) -> None:
    response = client.get("/api/tasks")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-jwt", "Basic YWxpY2U6c2VjcmV0", "Bearer ", "alice"],
)
def test_malformed_authorization_is_401(client: TestClient, authorization: str) -> None:
    response = client.get("/api/tasks", headers={"Authorization": authorization})
    assert response.status_code == 401


def test_token_signed_with_another_secret_is_401(
    client: TestClient, make_token: MakeToken
) -> None:
    token = make_token("alice", secret="some-other-secret")
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or expired token"}


def test_expired_token_is_401(client: TestClient, make_token: MakeToken) -> None:
    token = make_token("alice", expires_in=-60)
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_token_without_sub_is_401(client: TestClient, make_token: MakeToken) -> None:
    token = make_token(None)
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_token_without_expiry_is_401(client: TestClient, make_token: MakeToken) -> None:
    # Right secret, but a token that never expires is refused.
    token = make_token("alice", expires_in=None)
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_other_algorithm_is_401(client: TestClient, make_token: MakeToken) -> None:
    token = make_token("alice", algorithm="HS512")
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_valid_token_is_accepted(client: TestClient, auth_as: Headers) -> None:
    response = client.get("/api/tasks", headers=auth_as("alice"))
    assert response.status_code == 200
    assert response.json() == []


def test_cors_allows_configured_origin_only(
    client: TestClient, allowed_origin: str
) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = client.options(
        "/api/tasks", headers={"Origin": allowed_origin, **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == allowed_origin

    refused = client.options(
        "/api/tasks", headers={"Origin": "https://evil.example.com", **preflight}
    )
    assert "access-control-allow-origin" not in refused.headers
