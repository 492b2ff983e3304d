"""Rate limits (429 ``rate_limited`` + Retry-After) and the JSON access log (no personal
data) of elicense.ops."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Generator

import pytest

from core.clock import FixedClock
from elicense.ops import JsonFormatter
from elicense.ratelimit import Rate, TokenBuckets
from tests.wallet.conftest import VERIFIER_SECRET, Env, build_env
from wallet.demo import DEMO_PASSWORD, DEMO_USER


@pytest.fixture
def small(db_url: str, clock: FixedClock) -> Generator[Env, None, None]:
    yield from build_env(db_url, clock, with_issuer=False, rate_login="2/60",
                         rate_login_ip="5/60", rate_redeem="1/30")


def test_token_bucket_refills_with_time() -> None:
    t = [0.0]
    buckets = TokenBuckets(Rate(2, 60), now=lambda: t[0])
    assert [buckets.take("k") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("k") == pytest.approx(30.0)
    assert buckets.take("other") == 0.0
    t[0] = 30.0
    assert buckets.take("k") == 0.0


def test_login_is_limited_per_username_and_per_client(small: Env) -> None:
    body = {"username": "nobody", "password": "wrong password"}
    codes = [small.http.post("/wallet/v1/login", json=body).status_code for _ in range(2)]
    assert codes == [401, 401]
    r = small.http.post("/wallet/v1/login", json=body)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["retry-after"]) <= 30
    # the form login shares the buckets (the username is read from the form)
    r = small.http.post("/wallet/login", data=body, follow_redirects=False)
    assert r.status_code == 429
    # another username from the same client: its own bucket, until the client's (every
    # attempt, refused ones too, takes a token from it) runs out
    other = {"username": "somebody", "password": "wrong password"}
    assert small.http.post("/wallet/v1/login", json=other).status_code == 401
    r = small.http.post("/wallet/v1/login", json=other)
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 12


def test_login_body_is_bounded_before_it_is_buffered(small: Env) -> None:
    body = {"username": "x", "password": "p" * 20_000}
    r = small.http.post("/wallet/v1/login", json=body)
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


def test_redemption_is_limited_per_verifier_client(small: Env) -> None:
    auth = {"Authorization": f"Bearer {VERIFIER_SECRET}"}
    body = {"token": "ELR1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "nonce": "n", "aud": "a",
            "scenario": "hotel_checkin"}
    first = small.http.post("/wallet/v1/presentations/redeem", headers=auth, json=body)
    assert first.status_code != 429
    second = small.http.post("/wallet/v1/presentations/redeem", headers=auth, json=body)
    assert second.status_code == 429 and second.json()["code"] == "rate_limited"
    assert 1 <= int(second.headers["retry-after"]) <= 30
    other = small.http.post("/wallet/v1/presentations/redeem", json=body,
                            headers={"Authorization": "Bearer another-client"})
    assert other.status_code != 429


def test_access_log_is_json_without_personal_data(world: Env) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("elicense")
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    env = world
    secrets_seen: list[str] = [DEMO_PASSWORD, "demo-psb-secret", "demo-hotel-key"]
    try:
        r = env.http.post("/wallet/v1/login", json={"username": DEMO_USER,
                                                   "password": DEMO_PASSWORD})
        token = r.json()["access_token"]
        citizen = {"Authorization": f"Bearer {token}"}
        r = env.http.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                          auth=("demo-psb", "demo-psb-secret"))
        agency_token = r.json()["access_token"]
        claims = {"name": "王秘密", "sex": "女", "ethnicity": "汉", "birthdate": "1985-01-02",
                  "address": "北京市西城区保密路9号", "document_number": "110102198501020027",
                  "valid_from": "2020-01-01", "valid_until": "2040-01-01",
                  "issuing_authority": "北京市公安局西城分局"}
        r = env.http.post("/issuer/v1/credentials", headers={
            "Authorization": f"Bearer {agency_token}"},
            json={"type": "id_card", "claims": claims, "holder": {"offer": True}})
        assert r.status_code == 201, r.text
        offer = r.json()["offer"]
        r = env.http.post("/wallet/v1/offers", headers=citizen, json={
            "credential_offer": offer["credential_offer"], "tx_code": offer["tx_code"]})
        assert r.status_code == 201, r.text
        cred_id = r.json()["credentials"][0]["id"]
        qr = env.http.post(f"/wallet/v1/credentials/{cred_id}/qr", headers=citizen,
                           json={"scenario": "hotel_checkin", "mode": "online"}).json()
        r = env.http.post("/verifier/v1/verify", headers={
            "Authorization": "Bearer demo-hotel-key"},
            json={"scenario": "hotel_checkin", "qr": qr["payload"]})
        assert r.json()["valid"] is True, r.text
        secrets_seen += [token, agency_token, offer["tx_code"], qr["payload"],
                         qr["payload"].removeprefix("ELR1:"), cred_id]
        secrets_seen += [v for v in claims.values() if len(v) > 4]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = out.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    access = [line for line in lines if line["logger"] == "elicense.access"]
    assert len(access) >= 7
    for line in access:
        assert {"time", "level", "service", "request_id", "method", "route", "status",
                "duration_ms"} <= set(line)
    assert {"route": "/wallet/v1/credentials/{credential_id}/qr", "status": 200} .items() <= \
        next(a for a in access if a["route"].endswith("/qr")).items()
    leaked = [s for s in secrets_seen if s in text]
    assert leaked == []
