"""Registration, login, tokens and login rate limiting."""

from __future__ import annotations

from typing import Any

from tests.conftest import register


def test_register_login_me(client: Any) -> None:
    register(client, "Designer@Example.com", "s3cret-pass")
    r = client.post("/api/auth/login", json={"email": "designer@example.com", "password": "s3cret-pass"})
    assert r.status_code == 200
    token = r.json()["accessToken"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "Designer@Example.com"


def test_duplicate_email_and_weak_password(client: Any) -> None:
    register(client, "a@example.com")
    dup = client.post("/api/auth/register", json={"email": "A@example.com", "password": "another-pass"})
    assert dup.status_code == 409 and dup.json()["field"] == "email"
    weak = client.post("/api/auth/register", json={"email": "b@example.com", "password": "short"})
    assert weak.status_code == 422 and weak.json()["field"] == "password"


def test_bad_tokens_are_refused(client: Any) -> None:
    for header in ("Bearer nonsense", "Bearer dbff_notakey", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"):
        r = client.get("/api/auth/me", headers={"Authorization": header})
        assert r.status_code == 401, header
    assert client.get("/api/auth/me").json()["error"] == "unauthorized"


def test_login_attempts_are_rate_limited(client: Any) -> None:
    register(client, "c@example.com", "right-password")
    limit = client.app.state.container.settings.login_attempts_per_minute
    for _ in range(limit):
        r = client.post("/api/auth/login", json={"email": "c@example.com", "password": "wrong-password"})
        assert r.status_code == 401
    blocked = client.post("/api/auth/login", json={"email": "c@example.com", "password": "right-password"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    # another account from the same client is not affected
    register(client, "d@example.com", "right-password")
    ok = client.post("/api/auth/login", json={"email": "d@example.com", "password": "right-password"})
    assert ok.status_code == 200
