"""License-free submission (issue 8): an agency asks a citizen for named claims, the citizen
approves (the agency receives an SD-JWT+KB bound to it, disclosing exactly those claims,
and verifies it) or refuses; both sides keep a record; the access log shows the share and
takes reports."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from core.credential import verify
from tests.wallet.conftest import ID_CLAIMS, Env, store_credential
from wallet import access_log
from wallet.consent import agency_aud

HC = {"Authorization": "Bearer demo-hc-wallet-secret"}
AMR = {"Authorization": "Bearer demo-amr-wallet-secret"}
ASK = {"username": "alice", "purpose": "公共场所卫生许可证申请 / health permit application",
       "credential_type": "id_card", "claims": ["name", "document_number"]}


def ask(env: Env, **over: Any) -> dict[str, Any]:
    r = env.http.post("/wallet/v1/consent-requests", headers=HC, json={**ASK, **over})
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
def alice(env: Env) -> dict[str, str]:
    headers = env.citizen("alice")
    store_credential(env, "alice", "id_card", ID_CLAIMS)
    return headers


def test_approve_gives_the_agency_a_verifiable_presentation(env: Env,
                                                            alice: dict[str, str]) -> None:
    req = ask(env)
    assert req["state"] == "pending" and req["aud"] == agency_aud("hc")
    pending = env.http.get("/wallet/v1/consent-requests", headers=alice).json()["requests"]
    assert [p["id"] for p in pending] == [req["id"]] and "presentation" not in pending[0]
    before = env.http.get(f"/wallet/v1/consent-requests/{req['id']}", headers=HC).json()
    assert before["state"] == "pending" and before["presentation"] is None
    r = env.http.post(f"/wallet/v1/consent-requests/{req['id']}/approve", headers=alice)
    assert r.status_code == 200, r.text
    got = env.http.get(f"/wallet/v1/consent-requests/{req['id']}", headers=HC).json()
    assert got["state"] == "approved"
    v = verify(got["presentation"], keys=env.keys(), key_binding=True, now=env.clock.now(),
               nonce=req["nonce"], aud=agency_aud("hc"))
    assert v.disclosed == frozenset({"name", "document_number"})
    assert v.claims["name"] == "张三" and "birthdate" not in v.claims
    # the citizen's access log shows who received what, and why
    [entry] = env.http.get("/wallet/v1/access-log", headers=alice).json()["entries"]
    assert entry["mode"] == "consent" and entry["who"] == "hc"
    assert entry["purpose"] == ASK["purpose"] and entry["claims"] == ["document_number", "name"]
    # the agency's own record of its requests (another agency sees none of them)
    [rec] = env.http.get("/wallet/v1/agency/consent-requests", headers=HC).json()["requests"]
    assert rec["id"] == req["id"] and rec["state"] == "approved" and "presentation" not in rec
    assert env.http.get("/wallet/v1/agency/consent-requests",
                        headers=AMR).json()["requests"] == []
    # decided once
    r = env.http.post(f"/wallet/v1/consent-requests/{req['id']}/refuse", headers=alice)
    assert r.json()["code"] == "consent_already_decided"


def test_refuse_shares_nothing(env: Env, alice: dict[str, str]) -> None:
    req = ask(env)
    r = env.http.post(f"/wallet/v1/consent-requests/{req['id']}/refuse", headers=alice)
    assert r.json()["state"] == "refused"
    got = env.http.get(f"/wallet/v1/consent-requests/{req['id']}", headers=HC).json()
    assert got["state"] == "refused" and got["presentation"] is None
    assert got["vp_token"] is None
    assert env.http.get("/wallet/v1/access-log", headers=alice).json()["entries"] == []
    r = env.http.post(f"/wallet/v1/consent-requests/{req['id']}/approve", headers=alice)
    assert r.json()["code"] == "consent_already_decided"


def test_agency_authentication_and_isolation(env: Env, alice: dict[str, str]) -> None:
    r = env.http.post("/wallet/v1/consent-requests", json=ASK)
    assert r.status_code == 401 and r.json()["code"] == "agency_unauthenticated"
    r = env.http.post("/wallet/v1/consent-requests", json=ASK,
                      headers={"Authorization": "Bearer demo-hc-secret"})
    assert r.json()["code"] == "agency_unauthenticated"
    r = env.http.post("/wallet/v1/consent-requests", json=ASK,
                      headers={"Authorization": "Bearer demo-verifier-wallet-secret"})
    assert r.json()["code"] == "agency_unauthenticated"  # a verifier is not an agency
    req = ask(env)
    r = env.http.get(f"/wallet/v1/consent-requests/{req['id']}", headers=AMR)
    assert r.status_code == 404 and r.json()["code"] == "consent_not_found"
    bob = env.citizen("bob")
    r = env.http.post(f"/wallet/v1/consent-requests/{req['id']}/approve", headers=bob)
    assert r.json()["code"] == "consent_not_found"


def test_addressing_and_request_checks(env: Env, alice: dict[str, str]) -> None:
    req = ask(env, username=None, document_number=ID_CLAIMS["document_number"].lower())
    assert env.http.get(f"/wallet/v1/consent-requests/{req['id']}",
                        headers=HC).json()["state"] == "pending"
    r = env.http.post("/wallet/v1/consent-requests", headers=HC,
                      json={**ASK, "username": "nobody"})
    assert r.status_code == 404 and r.json()["code"] == "citizen_not_found"
    r = env.http.post("/wallet/v1/consent-requests", headers=HC,
                      json={**ASK, "document_number": "X"})
    assert r.json()["code"] == "validation_failed"  # both addresses
    r = env.http.post("/wallet/v1/consent-requests", headers=HC, json={**ASK, "claims": []})
    assert r.json()["code"] == "validation_failed"


def test_unavailable_claims_and_type(env: Env, alice: dict[str, str]) -> None:
    req = ask(env, claims=["name", "permitted_class"])
    r = env.http.post(f"/wallet/v1/consent-requests/{req['id']}/approve", headers=alice)
    assert r.status_code == 422 and r.json()["code"] == "claims_unavailable"
    assert r.json()["claims"] == ["permitted_class"]
    req = ask(env, credential_type="driving_license", claims=["name"])
    r = env.http.post(f"/wallet/v1/consent-requests/{req['id']}/approve", headers=alice)
    assert r.json()["code"] == "credential_not_found"


def test_expired_request(env: Env, alice: dict[str, str]) -> None:
    req = ask(env)
    env.clock.advance(env.settings.consent_ttl_s)
    r = env.http.post("/wallet/v1/login", json={"username": "alice",
                                                "password": "correct horse"})
    alice = {"Authorization": f"Bearer {r.json()['access_token']}"}  # the session expired
    r = env.http.post(f"/wallet/v1/consent-requests/{req['id']}/approve", headers=alice)
    assert r.status_code == 410 and r.json()["code"] == "consent_expired"
    assert env.http.get(f"/wallet/v1/consent-requests/{req['id']}",
                        headers=HC).json()["state"] == "expired"


def test_report_an_unrecognised_entry(env: Env, alice: dict[str, str]) -> None:
    req = ask(env)
    env.http.post(f"/wallet/v1/consent-requests/{req['id']}/approve", headers=alice)
    [entry] = env.http.get("/wallet/v1/access-log", headers=alice).json()["entries"]
    assert entry["reported"] is False
    bob = env.citizen("bob")
    r = env.http.post(f"/wallet/v1/access-log/{entry['id']}/report", headers=bob)
    assert r.status_code == 404 and r.json()["code"] == "access_log_not_found"
    r = env.http.post(f"/wallet/v1/access-log/{entry['id']}/report", headers=alice,
                      json={"note": "I never applied for anything"})
    assert r.status_code == 201 and r.json()["reported"] is True
    r2 = env.http.post(f"/wallet/v1/access-log/{entry['id']}/report", headers=alice)
    assert r2.json()["id"] == r.json()["id"]  # idempotent
    [entry] = env.http.get("/wallet/v1/access-log", headers=alice).json()["entries"]
    assert entry["reported"] is True
    with Session(env.engine) as db:
        [rep] = access_log.reports(db=db)
    assert rep["username"] == "alice" and rep["who"] == "hc"
    assert rep["note"] == "I never applied for anything"
