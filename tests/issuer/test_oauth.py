"""POST /issuer/oauth/token, client credentials (RFC 6749 §4.4): Basic and form client auth,
scopes limited to the agency's types, short-lived tokens, secrets argon2id-hashed."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.clock import FixedClock
from core.db import make_engine
from issuer.models import Client, Token
from issuer.oauth import hash_token
from issuer.settings import IssuerSettings

from .conftest import TestClient, bearer


def test_basic_and_form_client_auth(client: TestClient) -> None:
    r = client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                    auth=("demo-amr", "demo-amr-secret"))
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert set(body["scope"].split()) == {
        f"credential:{a}:{t}" for a in ("issue", "revoke", "read")
        for t in ("business_license", "food_business_permit")}
    assert r.headers["cache-control"] == "no-store"
    r = client.post("/issuer/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "demo-hc",
        "client_secret": "demo-hc-secret"})
    assert r.status_code == 200


def test_wrong_secret_unknown_client_and_no_auth(client: TestClient) -> None:
    for auth in (("demo-psb", "wrong"), ("nobody", "demo-psb-secret")):
        r = client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                        auth=auth)
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_client" and r.json()["error"] == "invalid_client"
    r = client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_client"
    r = client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                    headers={"Authorization": "Basic !!!"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_client"


def test_scope_narrowing_and_refusal(client: TestClient) -> None:
    r = client.post("/issuer/oauth/token", auth=("demo-psb", "demo-psb-secret"), data={
        "grant_type": "client_credentials", "scope": "credential:issue:dog_license"})
    assert r.status_code == 200 and r.json()["scope"] == "credential:issue:dog_license"
    r = client.post("/issuer/oauth/token", auth=("demo-psb", "demo-psb-secret"), data={
        "grant_type": "client_credentials", "scope": "credential:issue:business_license"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_scope"


def test_unsupported_grant(client: TestClient) -> None:
    r = client.post("/issuer/oauth/token", data={"grant_type": "password"},
                    auth=("demo-psb", "demo-psb-secret"))
    assert r.status_code == 400 and r.json()["code"] == "unsupported_grant_type"


def test_token_expires(client: TestClient, clock: FixedClock) -> None:
    r = client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                    auth=("demo-psb", "demo-psb-secret"))
    h = bearer(r.json()["access_token"])
    assert client.get("/issuer/v1/credentials", headers=h).status_code == 200
    clock.advance(600)
    r = client.get("/issuer/v1/credentials", headers=h)
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_disabled_client_token_stops_working(client: TestClient,
                                             settings: IssuerSettings) -> None:
    r = client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                    auth=("demo-psb", "demo-psb-secret"))
    h = bearer(r.json()["access_token"])
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        c = s.get(Client, "demo-psb")
        assert c is not None
        c.disabled = True
        s.add(c)
        s.commit()
    engine.dispose()
    assert client.get("/issuer/v1/credentials", headers=h).json()["code"] == "invalid_token"
    r = client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                    auth=("demo-psb", "demo-psb-secret"))
    assert r.json()["code"] == "invalid_client"


def test_secrets_and_tokens_are_hashed_at_rest(client: TestClient,
                                               settings: IssuerSettings) -> None:
    r = client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                    auth=("demo-psb", "demo-psb-secret"))
    token = r.json()["access_token"]
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        c = s.get(Client, "demo-psb")
        assert c is not None and c.secret_hash.startswith("$argon2id$")
        assert "demo-psb-secret" not in c.secret_hash
        hashes = [t.token_hash for t in s.exec(select(Token)).all()]
        assert hash_token(token) in hashes and token not in hashes
    engine.dispose()


def test_expired_tokens_are_dropped(client: TestClient, clock: FixedClock,
                                    settings: IssuerSettings) -> None:
    first = client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                        auth=("demo-psb", "demo-psb-secret")).json()["access_token"]
    clock.advance(601)
    client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                auth=("demo-psb", "demo-psb-secret"))
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        assert s.get(Token, hash_token(first)) is None
        assert len(s.exec(select(Token)).all()) == 1
    engine.dispose()


def test_cli_creates_a_client(client: TestClient, settings: IssuerSettings,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from issuer.cli import app as issuer_cli

    monkeypatch.setenv("ELICENSE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ELICENSE_ARGON2_MEMORY_KIB", "1024")
    res = CliRunner().invoke(issuer_cli, ["client", "create", "--agency", "hc",
                                          "--client-id", "hc-batch"])
    assert res.exit_code == 0, res.output
    secret = res.output.split("client_secret=")[1].strip()
    r = client.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                    auth=("hc-batch", secret))
    assert r.status_code == 200 and "credential:issue:birth_certificate" in r.json()["scope"]
    res = CliRunner().invoke(issuer_cli, ["client", "create", "--agency", "hc",
                                          "--client-id", "hc-batch"])
    assert res.exit_code == 1
