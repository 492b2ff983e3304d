"""POST /issuer/v1/credentials: issuance, verification against the published JWKS,
idempotency, and every refusal class (unknown type, schema violation, portrait, agency)."""

from __future__ import annotations

import pytest

from core.clock import FixedClock
from core.credential import StaticKeys, verify
from keys.software import SoftwareSigner

from .conftest import ISS, TestClient, agency_token, bearer, id_card_claims, issue_id_card, jpeg_b64


def _verify(client: TestClient, sd_jwt: str, now: int):
    jwks = client.get("/issuer/jwks.json").json()
    return verify(sd_jwt, keys=StaticKeys({ISS: jwks}), key_binding=False, now=now)


def test_issued_credential_verifies_against_published_jwks(
        client: TestClient, psb: dict[str, str], holder: SoftwareSigner,
        clock: FixedClock) -> None:
    body = issue_id_card(client, psb, holder, portrait=jpeg_b64())
    v = _verify(client, body["credential"], clock.now())
    assert v.issuer == ISS
    assert v.vct == f"{ISS}/vct/id_card"
    assert v.claims["agency"] == "psb"
    assert v.claims["name"] == "张三"
    assert v.claims["age_over_18"] is True and v.claims["age_over_60"] is False
    assert v.claims["portrait"] == jpeg_b64()
    assert v.holder_jwk["x"] == holder.public_jwk()["x"]
    assert v.status == {"status_list": body["status"]}
    assert body["status"]["uri"].startswith(f"{ISS}/status-lists/")
    # agency and the reserved claims are never selectively disclosable
    assert "agency" not in v.disclosed and "name" in v.disclosed and "age_over_18" in v.disclosed
    meta = client.get("/issuer/.well-known/jwt-vc-issuer").json()
    assert meta["issuer"] == ISS and meta["jwks"] == client.get("/issuer/jwks.json").json()


def test_age_claims_follow_the_clock(client: TestClient, psb: dict[str, str],
                                     holder: SoftwareSigner, clock: FixedClock) -> None:
    # NOW is 2026-09-21 (UTC+8 calendar): born 1966-09-21 is 60 today, 2008-09-22 is 17.
    old = issue_id_card(client, psb, holder, birthdate="1966-09-21")
    young = issue_id_card(client, psb, holder, birthdate="2008-09-22")
    v_old = _verify(client, old["credential"], clock.now())
    v_young = _verify(client, young["credential"], clock.now())
    assert v_old.claims["age_over_60"] is True and v_old.claims["age_over_18"] is True
    assert v_young.claims["age_over_18"] is False


def test_unknown_type(client: TestClient, psb: dict[str, str], holder: SoftwareSigner) -> None:
    r = client.post("/issuer/v1/credentials", headers=psb, json={
        "type": "fishing_license", "claims": {}, "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 400 and r.json()["code"] == "unknown_type"


def test_schema_violation_lists_each_field(client: TestClient, psb: dict[str, str],
                                           holder: SoftwareSigner) -> None:
    claims = id_card_claims(birthdate="1990-13-40", document_number="123")
    del claims["name"]
    claims["age_over_18"] = True  # computed by the issuer, never accepted from the caller
    r = client.post("/issuer/v1/credentials", headers=psb, json={
        "type": "id_card", "claims": claims, "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 422
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "validation_failed"
    got = {(e["field"], e["code"]) for e in body["errors"]}
    assert got == {("name", "required"), ("birthdate", "format"),
                   ("document_number", "pattern"), ("age_over_18", "unknown_claim")}


@pytest.mark.parametrize(("portrait", "code"), [
    ("bm90IGEganBlZw==", "portrait_not_jpeg"),
    ("****", "portrait_not_base64"),
    ("/9j/AAAA", "portrait_not_jpeg"),  # JPEG magic, not a JPEG
])
def test_bad_portrait(client: TestClient, psb: dict[str, str], holder: SoftwareSigner,
                      portrait: str, code: str) -> None:
    r = client.post("/issuer/v1/credentials", headers=psb, json={
        "type": "id_card", "claims": id_card_claims(portrait=portrait),
        "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("portrait", code)]


def test_oversize_portrait(client: TestClient, psb: dict[str, str],
                           holder: SoftwareSigner) -> None:
    import base64
    import os

    big = base64.b64encode(b"\xff\xd8\xff" + os.urandom(70_000)).decode()
    wide = jpeg_b64(size=(2000, 10), quality=10)
    for portrait in (big, wide):
        r = client.post("/issuer/v1/credentials", headers=psb, json={
            "type": "id_card", "claims": id_card_claims(portrait=portrait),
            "holder": {"jwk": holder.public_jwk()}})
        assert r.status_code == 422
        assert r.json()["errors"][0]["code"] == "portrait_too_large"


def test_bad_holder(client: TestClient, psb: dict[str, str], holder: SoftwareSigner) -> None:
    cases = [
        ({"jwk": {**holder.public_jwk(), "d": "AAAA"}}, "private_key_material"),
        ({"jwk": {"kty": "RSA", "n": "x", "e": "AQAB"}}, "invalid_jwk"),
    ]
    for h, code in cases:
        r = client.post("/issuer/v1/credentials", headers=psb, json={
            "type": "id_card", "claims": id_card_claims(), "holder": h})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["code"] == code
    r = client.post("/issuer/v1/credentials", headers=psb, json={
        "type": "id_card", "claims": id_card_claims(),
        "holder": {"jwk": holder.public_jwk(), "offer": True}})
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"


def test_valid_until_sets_exp(client: TestClient, psb: dict[str, str], holder: SoftwareSigner,
                              clock: FixedClock) -> None:
    until = clock.now() + 86_400
    r = client.post("/issuer/v1/credentials", headers=psb, json={
        "type": "id_card", "claims": id_card_claims(), "valid_until": until,
        "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 201
    assert _verify(client, r.json()["credential"], clock.now()).claims["exp"] == until
    r = client.post("/issuer/v1/credentials", headers=psb, json={
        "type": "id_card", "claims": id_card_claims(), "valid_until": clock.now() - 1,
        "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "valid_until"


def test_agency_cannot_issue_another_agencys_type(client: TestClient, amr: dict[str, str],
                                                  holder: SoftwareSigner) -> None:
    r = client.post("/issuer/v1/credentials", headers=amr, json={
        "type": "id_card", "claims": id_card_claims(), "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 403 and r.json()["code"] == "type_not_allowed"


def test_token_without_issue_scope(client: TestClient, holder: SoftwareSigner) -> None:
    tok = agency_token(client, "psb", scope="credential:revoke:id_card")
    r = client.post("/issuer/v1/credentials", headers=bearer(tok), json={
        "type": "id_card", "claims": id_card_claims(), "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 403 and r.json()["code"] == "insufficient_scope"


def test_no_or_bad_token(client: TestClient, holder: SoftwareSigner) -> None:
    body = {"type": "id_card", "claims": id_card_claims(),
            "holder": {"jwk": holder.public_jwk()}}
    r = client.post("/issuer/v1/credentials", json=body)
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.post("/issuer/v1/credentials", json=body, headers=bearer("nope"))
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_idempotency_key(client: TestClient, psb: dict[str, str],
                         holder: SoftwareSigner) -> None:
    body = {"type": "id_card", "claims": id_card_claims(),
            "holder": {"jwk": holder.public_jwk()}}
    h = {**psb, "Idempotency-Key": "req-1"}
    first = client.post("/issuer/v1/credentials", headers=h, json=body)
    again = client.post("/issuer/v1/credentials", headers=h, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    other = client.post("/issuer/v1/credentials", headers=h,
                        json={**body, "claims": id_card_claims(name="李四")})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    listed = client.get("/issuer/v1/credentials", headers=psb).json()
    assert listed["total"] == 1


def test_each_catalog_type_issues(client: TestClient, holder: SoftwareSigner,
                                  clock: FixedClock) -> None:
    from .test_catalog import SAMPLES

    tokens: dict[str, dict[str, str]] = {}
    from issuer.catalog import license_types

    for t, lt in license_types().items():
        h = tokens.setdefault(lt.agency, bearer(agency_token(client, lt.agency)))
        r = client.post("/issuer/v1/credentials", headers=h, json={
            "type": t, "claims": SAMPLES[t], "holder": {"jwk": holder.public_jwk()}})
        assert r.status_code == 201, (t, r.text)
        v = _verify(client, r.json()["credential"], clock.now())
        assert v.vct == f"{ISS}/vct/{t}" and v.claims["agency"] == lt.agency


def test_idempotency_key_is_forgotten_after_its_ttl(client: TestClient, psb: dict[str, str],
                                                    holder: SoftwareSigner,
                                                    clock: FixedClock) -> None:
    body = {"type": "id_card", "claims": id_card_claims(),
            "holder": {"jwk": holder.public_jwk()}}
    h = {**psb, "Idempotency-Key": "req-ttl"}
    first = client.post("/issuer/v1/credentials", headers=h, json=body).json()
    clock.advance(86_400)
    h = {**bearer(agency_token(client, "psb")), "Idempotency-Key": "req-ttl"}
    later = client.post("/issuer/v1/credentials", headers=h, json=body)
    assert later.status_code == 201 and later.json()["id"] != first["id"]


def test_personal_data_is_sealed_at_rest(client: TestClient, psb: dict[str, str],
                                         holder: SoftwareSigner, any_db_url: str) -> None:
    from sqlalchemy import text

    from core.db import make_engine

    issue_id_card(client, psb, holder)
    client.post("/issuer/v1/credentials", headers={**psb, "Idempotency-Key": "k"}, json={
        "type": "id_card", "claims": id_card_claims(), "holder": {"jwk": holder.public_jwk()}})
    engine = make_engine(any_db_url)
    with engine.connect() as c:
        dump = repr([c.execute(text(f"SELECT * FROM {t}")).all() for t in (
            "issuer_credential", "issuer_idempotency", "issuer_audit_event")])
    engine.dispose()
    for secret in ("张三", "11010519900501002X", "北京市东城区1号"):
        assert secret not in dump
        assert secret.encode("utf-8").hex() not in dump.replace("\\x", "")
