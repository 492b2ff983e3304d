"""Pick-up over OpenID4VCI from the real issuer (pre-authorized code + PIN, nonce, batch
proofs), verification before storage, listing with live status, revocation."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from core.jose import thumbprint
from keys.models import SigningKey
from tests.wallet.conftest import Env
from wallet.demo import DEMO_CLAIMS
from wallet.models import Copy


def agency(env: Env) -> dict[str, str]:
    r = env.http.post("/issuer/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "demo-psb",
        "client_secret": "demo-psb-secret"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def make_offer(env: Env, type_: str = "dog_license") -> dict[str, Any]:
    r = env.http.post("/issuer/v1/credentials", headers=agency(env), json={
        "type": type_, "claims": DEMO_CLAIMS[type_], "holder": {"offer": True}})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture
def env(issuer_env: Env) -> Env:
    return issuer_env


def test_pick_up_a_batch_and_list_it(env: Env) -> None:
    headers = env.citizen()
    issued = make_offer(env)
    offer = issued["offer"]
    r = env.http.post("/wallet/v1/offers", headers=headers, json={
        "credential_offer": offer["credential_offer"], "tx_code": offer["tx_code"]})
    assert r.status_code == 201, r.text
    [cred] = r.json()["credentials"]
    assert cred["type"] == "dog_license"
    assert cred["names"] == {"zh": "养犬登记证", "en": "Dog license"}
    assert cred["issuer"] == "http://testserver/issuer"
    assert cred["status"] == "valid" and cred["copies_remaining"] == 3
    assert cred["valid_until"] == "2027-03-01"
    listed = env.http.get("/wallet/v1/credentials", headers=headers).json()["credentials"]
    assert [c["id"] for c in listed] == [cred["id"]]
    with Session(env.engine) as db:
        copies = db.exec(select(Copy)).all()
        kids = {c.holder_kid for c in copies}
        salts = {c.sd_jwt.split("~")[1] for c in copies}
        assert len(kids) == 3 and len(salts) == 3  # own key, own salts per copy
        keys = db.exec(select(SigningKey).where(SigningKey.owner.startswith("wallet:"))).all()
        assert kids <= {k.kid for k in keys}
        assert all("\"d\"" not in k.public_jwk for k in keys)  # private half is encrypted
        import orjson

        for c in copies:
            payload = c.sd_jwt.split(".")[1]
            import base64

            claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            assert thumbprint(claims["cnf"]["jwk"]) == c.holder_kid


def test_offer_by_link(env: Env) -> None:
    headers = env.citizen()
    offer = make_offer(env)["offer"]
    r = env.http.post("/wallet/v1/offers", headers=headers, json={
        "credential_offer_uri": offer["credential_offer_url"], "tx_code": offer["tx_code"]})
    assert r.status_code == 201, r.text


def test_wrong_pin_missing_pin_and_reused_code(env: Env) -> None:
    headers = env.citizen()
    offer = make_offer(env)["offer"]
    body = {"credential_offer": offer["credential_offer"]}
    r = env.http.post("/wallet/v1/offers", headers=headers, json=body)
    assert r.status_code == 400 and r.json()["code"] == "tx_code_required"
    wrong = "000000" if offer["tx_code"] != "000000" else "111111"
    r = env.http.post("/wallet/v1/offers", headers=headers, json={**body, "tx_code": wrong})
    assert r.status_code == 400 and r.json()["code"] == "offer_rejected"
    ok = env.http.post("/wallet/v1/offers", headers=headers,
                       json={**body, "tx_code": offer["tx_code"]})
    assert ok.status_code == 201
    again = env.http.post("/wallet/v1/offers", headers=headers,
                          json={**body, "tx_code": offer["tx_code"]})
    assert again.status_code == 400 and again.json()["code"] == "offer_rejected"


def test_malformed_offer(env: Env) -> None:
    headers = env.citizen()
    for body in ({}, {"credential_offer": {"credential_issuer": "x"}},
                 {"credential_offer_uri": "openid-credential-offer://?credential_offer=%7B"}):
        r = env.http.post("/wallet/v1/offers", headers=headers, json=body)
        assert r.status_code == 400 and r.json()["code"] == "offer_invalid", body


def _picked(env: Env, headers: dict[str, str], type_: str) -> tuple[str, str]:
    issued = make_offer(env, type_)
    offer = issued["offer"]
    r = env.http.post("/wallet/v1/offers", headers=headers, json={
        "credential_offer": offer["credential_offer"], "tx_code": offer["tx_code"]})
    assert r.status_code == 201, r.text
    return r.json()["credentials"][0]["id"], issued["id"]


@pytest.mark.parametrize(("action", "code"), [("revoke", "credential_revoked"),
                                              ("suspend", "credential_suspended")])
def test_revoked_or_suspended_shows_no_qr(env: Env, action: str, code: str) -> None:
    headers = env.citizen()
    cred, issuer_id = _picked(env, headers, "dog_license")
    ok = env.http.post(f"/wallet/v1/credentials/{cred}/qr", headers=headers,
                       json={"scenario": "dog_license_check", "mode": "online"})
    assert ok.status_code == 200
    r = env.http.post(f"/issuer/v1/credentials/{issuer_id}/{action}", headers=agency(env),
                      json={"reason": "test"})
    assert r.status_code == 200, r.text
    env.clock.advance(env.settings.status_cache_s + 1)  # past the wallet's status cache
    listed = env.http.get("/wallet/v1/credentials", headers=headers).json()["credentials"]
    assert listed[0]["status"] == {"revoke": "revoked", "suspend": "suspended"}[action]
    r = env.http.post(f"/wallet/v1/credentials/{cred}/qr", headers=headers,
                      json={"scenario": "dog_license_check", "mode": "online"})
    assert r.status_code == 409 and r.json()["code"] == code


def test_eddsa_holder_keys(db_url: str, clock: Any) -> None:
    from core.credential import verify
    from core.qr import decode_offline
    from tests.wallet.conftest import build_env
    from wallet.issuers import issuer_keys
    from wallet.upstream import Upstream

    gen = build_env(db_url, clock, batch_size=2, holder_alg="EdDSA")
    env = next(gen)
    try:
        headers = env.citizen()
        offer = make_offer(env, "driving_license")["offer"]
        r = env.http.post("/wallet/v1/offers", headers=headers, json={
            "credential_offer": offer["credential_offer"], "tx_code": offer["tx_code"]})
        cred = r.json()["credentials"][0]
        assert cred["copies_remaining"] == 2
        qr = env.http.post(f"/wallet/v1/credentials/{cred['id']}/qr", headers=headers,
                           json={"scenario": "roadside_inspection", "mode": "offline"}).json()
        pres = decode_offline(qr["payload"])
        assert '"alg":"EdDSA"' in base64_json(pres.rsplit("~", 1)[1].split(".")[0])
        keys = issuer_keys(Upstream(env.http, env.clock), "http://testserver/issuer", ttl=0)
        from tests.wallet.test_qr import v_nonce

        v = verify(pres, keys=keys, key_binding=True, now=env.clock.now(),
                   aud="urn:elicense:offline:roadside_inspection", nonce=v_nonce(pres))
        assert v.holder_jwk is not None and v.holder_jwk["kty"] == "OKP"
    finally:
        gen.close()


def base64_json(segment: str) -> str:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode().replace(" ",
                                                                                           "")


def test_pick_up_show_and_redeem_on_each_backend(any_db_url: str, clock: Any) -> None:
    from tests.wallet.conftest import VERIFIER_SECRET, build_env

    gen = build_env(any_db_url, clock, batch_size=2)
    env = next(gen)
    try:
        headers = env.citizen()
        offer = make_offer(env, "dog_license")["offer"]
        r = env.http.post("/wallet/v1/offers", headers=headers, json={
            "credential_offer": offer["credential_offer"], "tx_code": offer["tx_code"]})
        assert r.status_code == 201, r.text
        cred = r.json()["credentials"][0]
        assert cred["status"] == "valid" and cred["copies_remaining"] == 2
        token = env.http.post(f"/wallet/v1/credentials/{cred['id']}/qr", headers=headers,
                              json={"scenario": "dog_license_check", "mode": "online"}
                              ).json()["payload"]
        r = env.http.post("/wallet/v1/presentations/redeem",
                          headers={"Authorization": f"Bearer {VERIFIER_SECRET}"},
                          json={"token": token, "nonce": "n", "aud": "urn:test",
                                "scenario": "dog_license_check"})
        assert r.status_code == 200, r.text
        listed = env.http.get("/wallet/v1/credentials", headers=headers).json()
        assert listed["credentials"][0]["copies_remaining"] == 1
    finally:
        gen.close()
