"""QR codes (online / offline), redemption by an authenticated verifier, single use, expiry,
ownership, copies and the citizen's presentation log."""

from __future__ import annotations

import base64
import threading

import pytest
from sqlmodel import Session, select

from core.credential import verify
from core.qr import decode_image, decode_offline
from tests.wallet.conftest import ID_CLAIMS, TEST_ISS, VERIFIER_SECRET, Env, store_credential
from wallet.models import Copy, QrToken

VERIFIER = {"Authorization": f"Bearer {VERIFIER_SECRET}"}
AUD = "http://testserver/verifier/orgs/hotel-1"


def _qr(env: Env, headers: dict[str, str], cred: str, scenario: str, mode: str):  # type: ignore[no-untyped-def]
    return env.http.post(f"/wallet/v1/credentials/{cred}/qr", headers=headers,
                         json={"scenario": scenario, "mode": mode})


def _redeem(env: Env, token: str, *, scenario: str = "hotel_checkin", nonce: str = "n-1",
            headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    headers = VERIFIER if headers is None else headers
    return env.http.post("/wallet/v1/presentations/redeem", headers=headers,
                         json={"token": token, "nonce": nonce, "aud": AUD,
                               "scenario": scenario})


def test_offline_qr_decodes_and_discloses_exactly_the_scenario(env: Env) -> None:
    headers = env.citizen()
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS)
    r = _qr(env, headers, cred, "hotel_checkin", "offline")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["payload"].startswith("ELV1:")
    assert decode_image(base64.b64decode(body["png_base64"])) == body["payload"]
    assert body["svg"].lstrip().startswith(("<?xml", "<svg"))
    presentation = decode_offline(body["payload"])
    v = verify(presentation, keys=env.keys(), key_binding=True, now=env.clock.now(),
               aud="urn:elicense:offline:hotel_checkin", nonce=v_nonce(presentation))
    assert v.disclosed == {"name", "document_number", "sex", "ethnicity", "birthdate",
                           "address"}  # portrait is online_only
    assert v.issuer == TEST_ISS
    assert body["disclosed"] == ["name", "document_number", "sex", "ethnicity", "birthdate",
                                 "address"]
    assert len(base64.urlsafe_b64decode(v_nonce(presentation) + "==")) == 16  # 128 bits


def v_nonce(presentation: str) -> str:
    import orjson

    kb = presentation.rsplit("~", 1)[1]
    payload = kb.split(".")[1]
    return str(orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
               ["nonce"])


def test_internet_cafe_never_discloses_birthdate(env: Env) -> None:
    headers = env.citizen()
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS)
    body = _qr(env, headers, cred, "internet_cafe", "offline").json()
    assert body["disclosed"] == ["name", "document_number", "age_over_18"]
    pres = decode_offline(body["payload"])
    v = verify(pres, keys=env.keys(), key_binding=True, now=env.clock.now(),
               aud="urn:elicense:offline:internet_cafe", nonce=v_nonce(pres))
    assert "birthdate" not in v.claims and "address" not in v.claims


def test_online_token_redeemed_once_with_portrait(env: Env) -> None:
    headers = env.citizen()
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS)
    body = _qr(env, headers, cred, "hotel_checkin", "online").json()
    token = body["payload"]
    assert token.startswith("ELR1:") and len(token) == 5 + 32  # 160 bits base32
    assert body["expires_at"] == env.clock.now() + 60
    assert decode_image(base64.b64decode(body["png_base64"])) == token
    with Session(env.engine) as db:  # stored hashed, never the token itself
        row = db.exec(select(QrToken)).one()
        assert token[5:] not in row.token_hash and row.copy_id is None

    r = _redeem(env, token)
    assert r.status_code == 200, r.text
    pres = r.json()["presentation"]
    v = verify(pres, keys=env.keys(), key_binding=True, now=env.clock.now(), aud=AUD,
               nonce="n-1")
    assert "portrait" in v.disclosed
    assert r.json()["scenario"] == "hotel_checkin"

    again = _redeem(env, token)
    assert again.status_code == 409 and again.json()["code"] == "token_used"
    log = env.http.get("/wallet/v1/presentations", headers=headers).json()["presentations"]
    assert log[0]["verifier"] == "verifier" and log[0]["scenario"] == "hotel_checkin"
    assert log[0]["mode"] == "online" and log[0]["aud"] == AUD


def test_redeem_refusals(env: Env) -> None:
    headers = env.citizen()
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS)
    token = _qr(env, headers, cred, "hotel_checkin", "online").json()["payload"]
    assert _redeem(env, token, headers={}).json()["code"] == "verifier_unauthenticated"
    bad = {"Authorization": "Bearer not-the-secret"}
    assert _redeem(env, token, headers=bad).json()["code"] == "verifier_unauthenticated"
    # A citizen's own bearer token is no verifier credential.
    assert _redeem(env, token, headers=headers).json()["code"] == "verifier_unauthenticated"
    r = _redeem(env, token, scenario="internet_cafe")
    assert r.status_code == 422 and r.json()["code"] == "scenario_mismatch"
    r = _redeem(env, "ELR1:" + "A" * 32)
    assert r.status_code == 404 and r.json()["code"] == "token_unknown"
    env.clock.advance(60)
    r = _redeem(env, token)
    assert r.status_code == 410 and r.json()["code"] == "token_expired"


def test_each_presentation_spends_its_own_copy(env: Env) -> None:
    headers = env.citizen()
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS, copies=3)
    seen_keys, seen_sigs = set(), set()
    for i in range(3):
        body = _qr(env, headers, cred, "internet_cafe", "offline").json()
        assert body["copies_remaining"] == 2 - i and body["linkable"] is False
        pres = decode_offline(body["payload"])
        v = verify(pres, keys=env.keys(), key_binding=True, now=env.clock.now(),
                   aud="urn:elicense:offline:internet_cafe", nonce=v_nonce(pres))
        seen_keys.add(str(v.holder_jwk))
        seen_sigs.add(pres.split("~", 1)[0])
    assert len(seen_keys) == 3 and len(seen_sigs) == 3
    assert body["copies_low"] is True
    # Out of copies: still shown, but the answer says it is linkable.
    body = _qr(env, headers, cred, "internet_cafe", "offline").json()
    assert body["linkable"] is True and body["copies_remaining"] == 0


def test_online_refreshes_spend_no_copy(env: Env) -> None:
    headers = env.citizen()
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS, copies=2)
    for _ in range(5):
        assert _qr(env, headers, cred, "hotel_checkin", "online").status_code == 200
    with Session(env.engine) as db:
        assert all(c.used_at is None for c in db.exec(select(Copy)).all())
        assert len(db.exec(select(QrToken)).all()) == 5
    env.clock.advance(2 * 3600)  # stale unscanned tokens are dropped on the next QR
    assert _qr(env, headers, cred, "hotel_checkin", "online").status_code == 200
    with Session(env.engine) as db:
        assert len(db.exec(select(QrToken)).all()) == 1


def test_another_citizens_credential_is_not_found_everywhere(env: Env) -> None:
    alice = env.citizen("alice")
    bob = env.citizen("bob")
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS)
    assert env.http.get(f"/wallet/v1/credentials/{cred}", headers=bob).json()["code"] == \
        "credential_not_found"
    for mode in ("online", "offline"):
        r = _qr(env, bob, cred, "hotel_checkin", mode)
        assert r.status_code == 404 and r.json()["code"] == "credential_not_found"
    assert env.http.get("/wallet/v1/credentials", headers=bob).json() == {"credentials": []}
    assert env.http.get("/wallet/v1/presentations", headers=bob).json() == {"presentations": []}
    assert env.http.get(f"/wallet/v1/credentials/{cred}", headers=alice).status_code == 200
    r = env.http.get("/wallet/v1/credentials/nope", headers=alice)
    assert r.json()["code"] == "credential_not_found"


def test_unknown_scenario_and_wrong_type(env: Env) -> None:
    headers = env.citizen()
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS)
    r = _qr(env, headers, cred, "casino", "online")
    assert r.status_code == 404 and r.json()["code"] == "scenario_not_found"
    r = _qr(env, headers, cred, "roadside_inspection", "online")
    assert r.status_code == 422 and r.json()["code"] == "scenario_not_applicable"
    r = _qr(env, headers, cred, "hotel_checkin", "fax")
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"


@pytest.mark.postgres
def test_redeem_is_single_use_under_concurrency(any_db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.wallet.conftest import build_env

    gen = build_env(any_db_url, clock, batch_size=3, with_issuer=False)
    env = next(gen)
    try:
        headers = env.citizen()
        cred = store_credential(env, "alice", "id_card", ID_CLAIMS, copies=8)
        token = _qr(env, headers, cred, "hotel_checkin", "online").json()["payload"]
        results: list[int] = []
        barrier = threading.Barrier(6)

        def go() -> None:
            barrier.wait()
            results.append(_redeem(env, token).status_code)

        threads = [threading.Thread(target=go) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [200] + [409] * 5
    finally:
        gen.close()


def test_offline_refreshes_of_one_showing_keep_its_copy(env: Env) -> None:
    headers = env.citizen()
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS, copies=3)
    other = store_credential(env, "alice", "id_card", ID_CLAIMS, copies=3)

    def show(refresh_of: str | None = None, scenario: str = "internet_cafe",
             cred_id: str = cred) -> dict:  # type: ignore[type-arg]
        r = env.http.post(f"/wallet/v1/credentials/{cred_id}/qr", headers=headers,
                          json={"scenario": scenario, "mode": "offline",
                                "refresh_of": refresh_of})
        assert r.status_code == 200, r.text
        return dict(r.json())

    first = show()
    env.clock.advance(30)
    second = show(first["payload"])
    sig = [decode_offline(b["payload"]).split("~", 1)[0] for b in (first, second)]
    assert sig[0] == sig[1] and first["payload"] != second["payload"]  # same copy, new KB
    assert second["copies_remaining"] == first["copies_remaining"] == 2
    pres = decode_offline(second["payload"])
    v = verify(pres, keys=env.keys(), key_binding=True, now=env.clock.now(),
               aud="urn:elicense:offline:internet_cafe", nonce=v_nonce(pres))
    assert v.key_binding is not None and v.key_binding["iat"] == env.clock.now()
    # Another scenario, another license, garbage, or too late: a fresh copy.
    assert show(second["payload"], scenario="hotel_checkin")["copies_remaining"] == 1
    assert show(second["payload"], cred_id=other)["copies_remaining"] == 2
    assert show("ELV1:not-a-qr")["copies_remaining"] == 0
    env.clock.advance(env.settings.showing_window_s + 1)
    late = show(first["payload"])
    assert late["linkable"] is True  # out of copies by now, and the showing has ended


def test_unreadable_status_is_unknown_and_does_not_block(env: Env) -> None:
    headers = env.citizen()
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS, status={
        "status_list": {"idx": 3, "uri": "http://testserver/nowhere/status-lists/1"}})
    listed = env.http.get("/wallet/v1/credentials", headers=headers).json()["credentials"]
    assert listed[0]["status"] == "unknown"
    assert _qr(env, headers, cred, "hotel_checkin", "online").status_code == 200
