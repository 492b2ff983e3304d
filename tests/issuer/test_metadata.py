"""Issuer metadata and keys: /.well-known/jwt-vc-issuer with inline jwks, /jwks.json,
rotation without downtime (credentials signed by the retired key keep verifying), the
root-level well-known path for a parent app, bootstrap idempotence."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlmodel import Session, func, select

from core.clock import FixedClock
from core.credential import StaticKeys, verify
from core.db import make_engine
from issuer.app import bootstrap, well_known_router
from issuer.models import Agency, Client
from issuer.settings import IssuerSettings
from keys import service as keys_service
from keys.models import SigningKey
from keys.software import SoftwareSigner

from .conftest import ISS, TestClient, issue_id_card


def test_jwt_vc_issuer_metadata(client: TestClient, settings: IssuerSettings) -> None:
    meta = client.get("/issuer/.well-known/jwt-vc-issuer").json()
    assert meta["issuer"] == ISS
    [key] = meta["jwks"]["keys"]
    assert key["alg"] == settings.issuer_alg == "EdDSA" and "d" not in key
    assert client.get("/issuer/jwks.json").json() == meta["jwks"]


def test_root_well_known_router(settings: IssuerSettings, clock: FixedClock,
                                client: TestClient) -> None:
    parent = FastAPI()
    parent.include_router(well_known_router(settings, clock=clock))
    with TestClient(parent) as c:
        meta = c.get("/.well-known/jwt-vc-issuer/issuer").json()
    assert meta == client.get("/issuer/.well-known/jwt-vc-issuer").json()


def test_rotation_keeps_old_credentials_verifying(client: TestClient, psb: dict[str, str],
                                                  holder: SoftwareSigner,
                                                  settings: IssuerSettings,
                                                  clock: FixedClock) -> None:
    before = issue_id_card(client, psb, holder)
    old_kid = client.get("/issuer/jwks.json").json()["keys"][0]["kid"]
    client.get(before["status"]["uri"])  # a token signed by the old key
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        keys_service.rotate(session=s, owner="issuer", settings=settings, clock=clock,
                            retain_s=10 * 365 * 86_400)
    engine.dispose()
    after = issue_id_card(client, psb, holder)
    jwks = client.get("/issuer/jwks.json").json()
    assert {k["kid"] for k in jwks["keys"]} >= {old_kid} and len(jwks["keys"]) == 2
    keys = StaticKeys({ISS: jwks})
    v_before = verify(before["credential"], keys=keys, key_binding=False, now=clock.now())
    v_after = verify(after["credential"], keys=keys, key_binding=False, now=clock.now())
    assert v_before.header["kid"] == old_kid and v_after.header["kid"] != old_kid
    # status lists are re-signed by the new key after the rotation (same shard as before)
    assert after["status"]["uri"] == before["status"]["uri"]
    tok = client.get(after["status"]["uri"]).text
    import base64
    import json

    header = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
    assert header["kid"] == v_after.header["kid"]


def test_bootstrap_is_idempotent(settings: IssuerSettings, clock: FixedClock,
                                 client: TestClient) -> None:
    bootstrap(settings, clock=clock)
    bootstrap(settings, clock=clock)
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Agency)).one() == 4
        assert set(s.exec(select(Client.client_id)).all()) == {
            "demo-psb", "demo-amr", "demo-hc", "demo-plr"}
        assert s.exec(select(func.count()).select_from(SigningKey)
                      .where(SigningKey.owner == "issuer")).one() == 1
    engine.dispose()


def test_prod_mode_has_no_demo_clients(any_db_url: str, clock: FixedClock) -> None:
    s = IssuerSettings(database_url=any_db_url, mode="prod",
                       key_encryption_secret="x" * 40)  # type: ignore[arg-type]
    bootstrap(s, clock=clock)
    engine = make_engine(any_db_url)
    with Session(engine) as sess:
        assert sess.exec(select(func.count()).select_from(Client)).one() == 0
        assert sess.exec(select(func.count()).select_from(Agency)).one() == 4
    engine.dispose()


def test_rotation_with_the_keys_cli(client: TestClient, psb: dict[str, str],
                                    holder: SoftwareSigner, settings: IssuerSettings,
                                    clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from keys.cli import app as keys_cli

    before = issue_id_card(client, psb, holder)
    monkeypatch.setenv("ELICENSE_DATABASE_URL", settings.database_url)
    res = CliRunner().invoke(keys_cli, ["rotate", "--owner", "issuer", "--retain-days", "3650"])
    assert res.exit_code == 0, res.output
    new_kid = res.output.split()[0]
    after = issue_id_card(client, psb, holder)
    keys = StaticKeys({ISS: client.get("/issuer/jwks.json").json()})
    assert verify(after["credential"], keys=keys, key_binding=False,
                  now=clock.now()).header["kid"] == new_kid
    assert verify(before["credential"], keys=keys, key_binding=False,
                  now=clock.now()).header["kid"] != new_kid
