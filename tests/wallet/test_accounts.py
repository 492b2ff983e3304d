"""Citizen accounts: register, login (argon2id), bearer sessions; typed errors."""

from __future__ import annotations

from sqlmodel import Session, select

from tests.wallet.conftest import Env
from wallet.models import Session as WalletSession
from wallet.models import User


def test_register_login_and_use_the_token(env: Env) -> None:
    headers = env.citizen("alice", "correct horse")
    r = env.http.get("/wallet/v1/credentials", headers=headers)
    assert r.status_code == 200
    assert r.json() == {"credentials": []}


def test_password_is_stored_as_argon2id_and_token_hashed(env: Env) -> None:
    headers = env.citizen("alice", "correct horse")
    token = headers["Authorization"].split()[1]
    with Session(env.engine) as db:
        user = db.exec(select(User)).one()
        assert user.password_hash.startswith("$argon2id$")
        assert "correct horse" not in user.password_hash
        rows = db.exec(select(WalletSession)).all()
        assert [r.token_hash for r in rows] != [token]
        assert all(token not in r.token_hash for r in rows)


def test_wrong_password_and_unknown_user_same_code(env: Env) -> None:
    env.citizen("alice", "correct horse")
    for body in ({"username": "alice", "password": "wrong password"},
                 {"username": "nobody", "password": "correct horse"}):
        r = env.http.post("/wallet/v1/login", json=body)
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_credentials"


def test_register_twice_and_short_password(env: Env) -> None:
    env.citizen("alice", "correct horse")
    r = env.http.post("/wallet/v1/register", json={"username": "alice", "password": "x" * 12})
    assert r.status_code == 409 and r.json()["code"] == "username_taken"
    r = env.http.post("/wallet/v1/register", json={"username": "bob", "password": "short"})
    assert r.status_code == 422 and r.json()["code"] == "password_too_short"


def test_no_token_bad_token_expired_token(env: Env) -> None:
    assert env.http.get("/wallet/v1/credentials").json()["code"] == "unauthenticated"
    r = env.http.get("/wallet/v1/credentials", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
    headers = env.citizen()
    env.clock.advance(env.settings.session_ttl_s)
    r = env.http.get("/wallet/v1/credentials", headers=headers)
    assert r.status_code == 401


def test_logout_ends_the_session(env: Env) -> None:
    headers = env.citizen()
    assert env.http.post("/wallet/v1/logout", headers=headers).status_code == 204
    assert env.http.get("/wallet/v1/credentials", headers=headers).status_code == 401
