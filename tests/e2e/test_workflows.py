"""Government workflows end to end (issue 8), issuer + wallet + verifier + a receiving
agency in one process over one ``TestClient``:

- barbershop: amr adds "理发" (barbershop) to a company's business scope; the health
  commission's subscription receives the signed event, verifies it against the issuer's
  JWKS and opens a task; it then asks the company's wallet for the business license
  (consent) and verifies what it gets against the issuer's JWKS — no paper copy;
- consent with the real issuer: the demo citizen approves (agency verifies) and refuses;
- access log: an online QR checked by the real verifier shows in the citizen's log.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from sqlmodel import Session

from core.clock import FixedClock
from core.credential import StaticKeys, verify
from core.db import make_engine
from core.oid4vp import build_dcql_query, verify_vp_token
from issuer import events_delivery
from issuer.settings import IssuerSettings
from tests.issuer.events_receiver import Receiver
from tests.wallet.conftest import PUBLIC_URL, Env, demo_world
from wallet.consent import VP_CREDENTIAL_ID, agency_aud
from wallet.demo import DEMO_PASSWORD, DEMO_USER

ISS = f"{PUBLIC_URL}/issuer"
HC_WALLET = {"Authorization": "Bearer demo-hc-wallet-secret"}


@pytest.fixture
def world(db_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
          ) -> Generator[Env, None, None]:
    monkeypatch.setenv("ELICENSE_EVENTS_POLL_S", "0")  # the test drives deliveries itself
    with demo_world(db_url, clock) as env:
        yield env


def _login(env: Env, user: str, password: str) -> dict[str, str]:
    r = env.http.post("/wallet/v1/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _agency(env: Env, code: str) -> dict[str, str]:
    r = env.http.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(f"demo-{code}", f"demo-{code}-secret"))
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _pick_up(env: Env, citizen: dict[str, str], issued: dict[str, Any]) -> str:
    offer = issued["offer"]
    r = env.http.post("/wallet/v1/offers", headers=citizen, json={
        "credential_offer": offer["credential_offer"], "tx_code": offer["tx_code"]})
    assert r.status_code == 201, r.text
    return str(r.json()["credentials"][0]["id"])


def _issuer_keys(env: Env) -> StaticKeys:
    return StaticKeys({ISS: env.http.get("/issuer/jwks.json").json()})


def test_barbershop(world: Env) -> None:
    env = world
    receiver = Receiver(jwks=env.http.get("/issuer/jwks.json").json(), iss=ISS)
    env.app.mount("/hc-hooks", receiver.app())
    amr, hc = _agency(env, "amr"), _agency(env, "hc")
    barber = env.citizen("barber")
    r = env.http.post("/issuer/v1/subscriptions", headers=hc, json={
        "type": "business_license", "events": ["changed"], "field": "business_scope",
        "contains": "理发", "fields": ["company_name", "unified_social_credit_code",
                                     "business_scope", "address"],
        "url": f"{PUBLIC_URL}/hc-hooks/hooks"})
    assert r.status_code == 201, r.text
    claims = {"company_name": "某某美发有限公司",
              "unified_social_credit_code": "91110105MA01ABCD1X",
              "legal_representative": "李四", "business_scope": ["美发用品零售"],
              "address": "北京市朝阳区2号"}
    r = env.http.post("/issuer/v1/credentials", headers=amr, json={
        "type": "business_license", "claims": claims, "holder": {"offer": True}})
    assert r.status_code == 201, r.text
    _pick_up(env, barber, r.json())
    r = env.http.post(f"/issuer/v1/credentials/{r.json()['id']}/amend", headers=amr,
                      json={"claims": {"business_scope": ["美发用品零售", "理发服务"]}})
    assert r.status_code == 201, r.text
    # the company's wallet holds the amended license (beside the old, now revoked one)
    amended = _pick_up(env, barber, r.json())
    isettings = IssuerSettings(database_url=env.settings.database_url, public_url=PUBLIC_URL)
    engine = make_engine(isettings.database_url)
    try:
        with Session(engine) as s:
            run = events_delivery.deliver_due(session=s, http=env.http, clock=env.clock,
                                              settings=isettings)
    finally:
        engine.dispose()
    assert run.delivered == 1 and receiver.rejected == []
    [task] = receiver.tasks.values()
    assert task["todo"] == "public_health_permit" and task["company"] == "某某美发有限公司"
    assert "legal_representative" not in task["event"]["claims"]
    # hc asks the company for its business license: consent, no paper copy
    r = env.http.post("/wallet/v1/consent-requests", headers=HC_WALLET, json={
        "username": "barber", "purpose": f"public health permit (event {task['event']['id']})",
        "credential_type": "business_license",
        "claims": ["company_name", "business_scope", "address"]})
    assert r.status_code == 201, r.text
    req = r.json()
    mine = env.http.get("/wallet/v1/consent-requests", headers=barber).json()["requests"]
    assert mine[0]["id"] == req["id"]
    # The citizen picks the license to share (the page offers the matching ones); with a
    # fixed clock the old and the amended license tie on every timestamp.
    r = env.http.post(f"/wallet/v1/consent-requests/{req['id']}/approve", headers=barber,
                      json={"credential_id": amended})
    assert r.status_code == 200, r.text
    got = env.http.get(f"/wallet/v1/consent-requests/{req['id']}", headers=HC_WALLET).json()
    v = verify(got["presentation"], keys=_issuer_keys(env), key_binding=True,
               now=env.clock.now(), nonce=req["nonce"], aud=agency_aud("hc"))
    assert v.claims["business_scope"] == ["美发用品零售", "理发服务"]
    assert v.disclosed == frozenset({"company_name", "business_scope", "address"})


def test_consent_with_the_real_issuer_approve_and_refuse(world: Env) -> None:
    env = world
    citizen = _login(env, DEMO_USER, DEMO_PASSWORD)
    asks = []
    for _ in range(2):
        r = env.http.post("/wallet/v1/consent-requests", headers=HC_WALLET, json={
            "username": DEMO_USER, "purpose": "birth registration / 出生登记",
            "credential_type": "id_card", "claims": ["name", "document_number"]})
        assert r.status_code == 201, r.text
        asks.append(r.json())
    ok, no = asks
    assert env.http.post(f"/wallet/v1/consent-requests/{ok['id']}/approve",
                         headers=citizen).status_code == 200
    assert env.http.post(f"/wallet/v1/consent-requests/{no['id']}/refuse",
                         headers=citizen).json()["state"] == "refused"
    got = env.http.get(f"/wallet/v1/consent-requests/{ok['id']}", headers=HC_WALLET).json()
    v = verify(got["presentation"], keys=_issuer_keys(env), key_binding=True,
               now=env.clock.now(), nonce=ok["nonce"], aud=agency_aud("hc"))
    assert v.issuer == ISS and v.disclosed == frozenset({"name", "document_number"})
    # the same answer as an OpenID4VP VP Token, checked against the agency's own DCQL query
    query = build_dcql_query(credential_id=VP_CREDENTIAL_ID, vcts=[f"{ISS}/vct/id_card"],
                             claims=["name", "document_number"])
    by_id = verify_vp_token(got["vp_token"], dcql_query=query, keys=_issuer_keys(env),
                            nonce=ok["nonce"], client_id=agency_aud("hc"), now=env.clock.now())
    assert by_id[VP_CREDENTIAL_ID].claims["name"] == v.claims["name"]
    refused = env.http.get(f"/wallet/v1/consent-requests/{no['id']}",
                           headers=HC_WALLET).json()
    assert refused["state"] == "refused" and refused["presentation"] is None
    log = env.http.get("/wallet/v1/access-log", headers=citizen).json()["entries"]
    assert [(e["mode"], e["who"], e["purpose"]) for e in log] == [
        ("consent", "hc", "birth registration / 出生登记")]


def test_consent_without_a_choice_skips_a_suspended_license(world: Env) -> None:
    """The citizen holds two business licenses; the newer one is suspended. Approving
    without naming one shares the older, valid one rather than refusing or sharing the
    suspended one."""
    env = world
    amr = _agency(env, "amr")
    owner = env.citizen("owner2")
    ids = []
    for name in ("甲公司", "乙公司"):
        r = env.http.post("/issuer/v1/credentials", headers=amr, json={
            "type": "business_license", "holder": {"offer": True},
            "claims": {"company_name": name, "unified_social_credit_code": "91110105MA01ABCD1X",
                       "legal_representative": "王五", "business_scope": ["零售"],
                       "address": "北京市朝阳区3号"}})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
        _pick_up(env, owner, r.json())
        env.clock.advance(1)  # the second license is the newer one
    r = env.http.post(f"/issuer/v1/credentials/{ids[1]}/suspend", headers=amr)
    assert r.status_code == 200, r.text
    env.clock.advance(600)  # past the wallet's status cache and the issuer's coalescing
    r = env.http.post("/wallet/v1/consent-requests", headers=HC_WALLET, json={
        "username": "owner2", "purpose": "public health permit",
        "credential_type": "business_license", "claims": ["company_name"]})
    assert r.status_code == 201, r.text
    req = r.json()
    r = env.http.post(f"/wallet/v1/consent-requests/{req['id']}/approve", headers=owner)
    assert r.status_code == 200, r.text
    got = env.http.get(f"/wallet/v1/consent-requests/{req['id']}", headers=HC_WALLET).json()
    v = verify(got["presentation"], keys=_issuer_keys(env), key_binding=True,
               now=env.clock.now(), nonce=req["nonce"], aud=agency_aud("hc"))
    assert v.claims["company_name"] == "甲公司"


def test_access_log_after_an_online_qr_check(world: Env) -> None:
    env = world
    citizen = _login(env, DEMO_USER, DEMO_PASSWORD)
    creds = env.http.get("/wallet/v1/credentials", headers=citizen).json()["credentials"]
    id_card = next(c["id"] for c in creds if c["type"] == "id_card")
    qr = env.http.post(f"/wallet/v1/credentials/{id_card}/qr", headers=citizen,
                       json={"scenario": "hotel_checkin", "mode": "online"})
    assert qr.status_code == 200, qr.text
    r = env.http.post("/verifier/v1/verify", headers={"Authorization": "Bearer demo-hotel-key"},
                      json={"scenario": "hotel_checkin", "qr": qr.json()["payload"]})
    assert r.status_code == 200 and r.json()["valid"] is True, r.text
    [entry] = env.http.get("/wallet/v1/access-log", headers=citizen).json()["entries"]
    assert entry["credential_id"] == id_card and entry["credential_type"] == "id_card"
    assert (entry["mode"], entry["scenario"], entry["who"]) == (
        "online", "hotel_checkin", "verifier")
    assert entry["aud"].startswith(f"{PUBLIC_URL}/verifier/orgs/")
    assert entry["at"] == env.clock.now() and entry["purpose"] is None
    r = env.http.post(f"/wallet/v1/access-log/{entry['id']}/report", headers=citizen)
    assert r.status_code == 201
