"""The verdict: a valid QR per scenario, and a negative test for every check (each makes
its check fail with its own code)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from core.credential import present
from core.qr import encode_offline
from core.statuslist import INVALID, SUSPENDED
from keys.software import generate_signer
from tests.verifier.world import ID_CARD, OTHER_ISS, World, codes, principal
from verifier.errors import ScenarioNotAllowed, UnknownScenario
from verifier.models import VerifierRecord
from verifier.service import offline_audience
from verifier.verdict import CHECKS


def test_valid_offline_hotel_checkin_names_every_check(world: World) -> None:
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                   qr=world.offline_qr("hotel_checkin"))
    out = v.to_json()
    assert out["valid"] is True, out["checks"]
    assert [c["name"] for c in out["checks"]] == list(CHECKS)
    assert all(c["ok"] for c in out["checks"])
    assert out["credential_type"] == "id_card"
    assert out["issuer"] == "https://city.example/issuer"
    assert out["mode"] == "offline"
    assert out["status"] == {"value": 0, "staleness_s": 0}
    assert out["claims"]["name"] == "张三"
    assert "portrait" not in out["claims"]  # online only
    assert set(out) >= {"valid", "scenario", "credential_type", "issuer", "claims", "checks",
                        "status", "verified_at"}


@pytest.mark.parametrize(("scenario", "type_"), [
    ("roadside_inspection", "driving_license"),
    ("roadside_inspection", "vehicle_license"),
    ("internet_cafe", "id_card"),
    ("dog_license_check", "dog_license"),
])
def test_valid_other_scenarios(world: World, scenario: str, type_: str) -> None:
    v = world.verifier().verify_qr(principal=principal(), scenario_id=scenario,
                                   qr=world.offline_qr(scenario, type_))
    assert v.valid, v.to_json()["checks"]
    assert v.credential_type == type_


def test_internet_cafe_claims_never_show_birthdate_or_address(world: World) -> None:
    v = world.verifier().verify_qr(principal=principal(), scenario_id="internet_cafe",
                                   qr=world.offline_qr("internet_cafe"))
    assert v.valid
    assert set(v.claims) == {"name", "document_number", "age_over_18"}


# --- authorisation (typed 4xx, not verdicts) -----------------------------------------


def test_scenario_not_registered_for_org(world: World) -> None:
    with pytest.raises(ScenarioNotAllowed) as exc:
        world.verifier().verify_qr(principal=principal("internet_cafe"),
                                   scenario_id="hotel_checkin", qr="ELV1:x")
    assert exc.value.code == "scenario_not_allowed" and exc.value.status == 403


def test_unknown_scenario(world: World) -> None:
    with pytest.raises(UnknownScenario) as exc:
        world.verifier().verify_qr(principal=principal(), scenario_id="nope", qr="ELV1:x")
    assert exc.value.code == "unknown_scenario"


# --- one negative test per check -------------------------------------------------------


@pytest.mark.parametrize(("qr", "code"), [
    ("hello", "qr_prefix_unknown"),
    ("ELV1:%%%%", "qr_payload_invalid"),
    ("ELR1:short", "qr_payload_invalid"),
])
def test_envelope(world: World, qr: str, code: str) -> None:
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert not v.valid
    assert codes(v)["envelope"] == (False, code)
    assert codes(v)["signature"] == (False, "not_checked")


def test_envelope_online_refused_without_wallet(world: World) -> None:
    v = world.verifier(redeem=None).verify_qr(
        principal=principal(), scenario_id="hotel_checkin",
        qr="ELR1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert codes(v)["envelope"] == (False, "online_unavailable")


def test_signature_tampered_issuer_jwt(world: World) -> None:
    cred = world.credential()
    jwt, rest = cred.split("~", 1)
    h, p, s = jwt.split(".")
    bad_sig = ("A" if s[0] != "A" else "B") + s[1:]
    tampered = f"{h}.{p}.{bad_sig}~{rest}"
    qr = world.offline_qr("hotel_checkin", credential=tampered)
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert codes(v)["envelope"] == (True, None)
    assert codes(v)["signature"] == (False, "invalid_signature")


def test_signature_key_not_on_trust_list(world: World) -> None:
    cred = world.credential(signer=generate_signer("EdDSA"))
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                   qr=world.offline_qr("hotel_checkin", credential=cred))
    assert codes(v)["signature"] == (False, "unknown_key")


def test_trust_untrusted_issuer(world: World) -> None:
    cred = world.credential(iss=OTHER_ISS, signer=generate_signer("EdDSA"))
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                   qr=world.offline_qr("hotel_checkin", credential=cred))
    assert codes(v)["trust"] == (False, "untrusted_issuer")
    assert not v.valid and v.claims == {}


def test_trust_agency_not_allowed_the_type(world: World) -> None:
    cred = world.credential(agency="amr")  # market regulation may not issue id cards
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                   qr=world.offline_qr("hotel_checkin", credential=cred))
    assert codes(v)["trust"] == (False, "type_not_trusted")


def test_trust_issuer_not_trusted_for_the_vct(world: World) -> None:
    world.sign_trust(agencies={"psb": ["driving_license"]})
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                   qr=world.offline_qr("hotel_checkin"))
    assert codes(v)["trust"] == (False, "type_not_trusted")


def test_type_allowed(world: World) -> None:
    qr = world.offline_qr("hotel_checkin", credential=world.credential("driving_license"),
                          disclose=["name"])
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert codes(v)["type_allowed"] == (False, "type_not_allowed")


def test_validity_expired(world: World) -> None:
    cred = world.credential(exp=world.clock.now() - 3600)
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                   qr=world.offline_qr("hotel_checkin", credential=cred))
    assert codes(v)["validity"] == (False, "credential_expired")
    assert codes(v)["signature"] == (True, None)


def test_key_binding_wrong_audience(world: World) -> None:
    qr = world.offline_qr("hotel_checkin", aud=offline_audience("internet_cafe"))
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert codes(v)["key_binding"] == (False, "aud_mismatch")


def test_key_binding_missing(world: World) -> None:
    cred = world.credential()
    qr = encode_offline(present(cred, disclose=["name", "document_number"]))
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert codes(v)["key_binding"] == (False, "key_binding_missing")


def test_key_binding_by_another_key(world: World) -> None:
    cred = world.credential()
    qr = encode_offline(present(cred, disclose=["name"], holder=generate_signer("ES256"),
                                nonce="n" * 22, aud=offline_audience("hotel_checkin"),
                                iat=world.clock.now()))
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert codes(v)["signature"] == (True, None)
    assert codes(v)["key_binding"] == (False, "invalid_signature")


def test_freshness_presentation_too_old(world: World) -> None:
    qr = world.offline_qr("hotel_checkin", iat=world.clock.now() - 121)
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert codes(v)["freshness"] == (False, "kb_iat_out_of_window")
    assert codes(v)["replay"] == (False, "not_checked")


def test_replay_same_qr_twice(world: World) -> None:
    verifier = world.verifier()
    qr = world.offline_qr("hotel_checkin")
    first = verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    second = verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert first.valid
    assert codes(second)["replay"] == (False, "replayed")


def test_replay_same_nonce_different_presentation(world: World) -> None:
    verifier = world.verifier()
    cred = world.credential()
    a = world.offline_qr("hotel_checkin", credential=cred, nonce="same-nonce-123456789012")
    b = world.offline_qr("hotel_checkin", credential=cred, nonce="same-nonce-123456789012",
                         disclose=["name", "document_number"])
    assert verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=a).valid
    v = verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=b)
    assert codes(v)["replay"] == (False, "replayed")


@pytest.mark.parametrize(("value", "code"), [(INVALID, "revoked"), (SUSPENDED, "suspended")])
def test_status_revoked_or_suspended(world: World, value: int, code: str) -> None:
    world.statuses.set(7, value)
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                   qr=world.offline_qr("hotel_checkin"))
    assert codes(v)["status"] == (False, code)
    assert v.to_json()["status"]["value"] == value


def test_status_suspend_then_reinstate_after_refresh(world: World) -> None:
    verifier = world.verifier()
    world.status_ttl = 60
    world.statuses.set(7, SUSPENDED)
    v1 = verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin",
                            qr=world.offline_qr("hotel_checkin"))
    assert codes(v1)["status"] == (False, "suspended")
    world.statuses.set(7, 0)
    world.clock.advance(30)  # still cached: the list said ttl 60
    v2 = verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin",
                            qr=world.offline_qr("hotel_checkin"))
    assert codes(v2)["status"] == (False, "suspended")
    assert world.fetches == 1
    world.clock.advance(31)
    v3 = verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin",
                            qr=world.offline_qr("hotel_checkin"))
    assert v3.valid and world.fetches == 2


def test_status_stale_fail_closed(world: World) -> None:
    verifier = world.verifier()
    assert verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin",
                              qr=world.offline_qr("hotel_checkin")).valid
    world.status_up = False
    world.clock.advance(301)  # hotel: max_staleness_s 300, fail_closed
    world.sign_trust()
    v = verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin",
                           qr=world.offline_qr("hotel_checkin"))
    assert codes(v)["status"] == (False, "status_stale")
    assert v.to_json()["status"]["staleness_s"] == 301


def test_status_stale_fail_open(world: World) -> None:
    verifier = world.verifier()
    assert verifier.verify_qr(principal=principal(), scenario_id="internet_cafe",
                              qr=world.offline_qr("internet_cafe")).valid
    world.status_up = False
    world.clock.advance(3601)  # cafe: max_staleness_s 3600, fail_open
    world.sign_trust()
    v = verifier.verify_qr(principal=principal(), scenario_id="internet_cafe",
                           qr=world.offline_qr("internet_cafe"))
    assert v.valid
    assert codes(v)["status"] == (True, "status_stale")


def test_status_unavailable_fail_closed(world: World) -> None:
    world.status_up = False
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                   qr=world.offline_qr("hotel_checkin"))
    assert codes(v)["status"] == (False, "status_unavailable")


def test_status_uri_outside_the_issuer_is_never_fetched(world: World) -> None:
    cred = world.credential(status_uri="https://attacker.example/status-lists/1")
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                   qr=world.offline_qr("hotel_checkin", credential=cred))
    assert codes(v)["status"] == (False, "status_uri_untrusted")
    assert world.fetches == 0


def test_status_list_signed_by_another_key_is_not_used(world: World) -> None:
    rogue = generate_signer("EdDSA")
    real = world.issuer
    world.issuer = rogue  # the status token is now signed by a key not on the trust list
    cred = world.credential(signer=real)
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                   qr=world.offline_qr("hotel_checkin", credential=cred))
    assert codes(v)["status"] == (False, "status_unavailable")


def test_policy_over_disclosure_drops_extra_claims(world: World) -> None:
    qr = world.offline_qr("internet_cafe",
                          disclose=["name", "document_number", "age_over_18", "birthdate"])
    v = world.verifier().verify_qr(principal=principal(), scenario_id="internet_cafe", qr=qr)
    assert codes(v)["policy"] == (False, "over_disclosure")
    assert not v.valid
    assert "birthdate" not in v.claims


def test_policy_portrait_offline_is_over_disclosure(world: World) -> None:
    qr = world.offline_qr("hotel_checkin", disclose=["name", "document_number", "portrait"])
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert codes(v)["policy"] == (False, "over_disclosure")
    assert "portrait" not in v.claims


def test_policy_missing_required(world: World) -> None:
    qr = world.offline_qr("hotel_checkin", disclose=["name"])
    v = world.verifier().verify_qr(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert codes(v)["policy"] == (False, "missing_claims")


def test_policy_under_18(world: World) -> None:
    minor = {**ID_CARD, "age_over_18": False}
    qr = world.offline_qr("internet_cafe", credential=world.credential(claims=minor))
    v = world.verifier().verify_qr(principal=principal(), scenario_id="internet_cafe", qr=qr)
    assert codes(v)["policy"] == (False, "requirement_not_met")


# --- online mode (the redeem call is a function here; real HTTP in tests/e2e) ----------


def test_online_with_portrait_and_verifier_nonce(world: World) -> None:
    seen: dict[str, str] = {}
    cred = world.credential()

    def redeem(*, token: str, nonce: str, aud: str, scenario: str) -> str:
        seen.update(token=token, nonce=nonce, aud=aud)
        return world.presentation(cred, ["name", "document_number", "portrait"],
                                  scenario=scenario, nonce=nonce, aud=aud)

    v = world.verifier(redeem=redeem).verify_qr(
        principal=principal(), scenario_id="hotel_checkin",
        qr="ELR1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert v.valid, v.to_json()["checks"]
    assert v.mode == "online" and "portrait" in v.claims
    assert seen["aud"] == "https://verifier.example/verifier/orgs/demo-police"
    assert len(seen["nonce"]) >= 22


def test_online_presentation_with_wrong_nonce(world: World) -> None:
    cred = world.credential()

    def redeem(*, token: str, nonce: str, aud: str, scenario: str) -> str:
        return world.presentation(cred, ["name"], scenario=scenario, nonce="other", aud=aud)

    v = world.verifier(redeem=redeem).verify_qr(
        principal=principal(), scenario_id="hotel_checkin",
        qr="ELR1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert codes(v)["key_binding"] == (False, "nonce_mismatch")


# --- records ---------------------------------------------------------------------------


def _records(world: World) -> list[VerifierRecord]:
    with Session(world.engine) as s:
        return list(s.exec(select(VerifierRecord)).all())


def test_hotel_record_keeps_the_guest_identity_only(world: World) -> None:
    cred = world.credential()

    def redeem(*, token: str, nonce: str, aud: str, scenario: str) -> str:
        return world.presentation(cred, ["name", "document_number", "portrait", "sex"],
                                  scenario=scenario, nonce=nonce, aud=aud)

    world.verifier(redeem=redeem).verify_qr(principal=principal(), scenario_id="hotel_checkin",
                                            qr="ELR1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    [rec] = _records(world)
    assert rec.valid and rec.credential_type == "id_card"
    assert rec.kept() == {"name": "张三", "document_number": "110101199001011234", "sex": "男"}
    assert rec.expires_at == rec.verified_at + 180 * 86400


def test_cafe_record_keeps_no_claims_and_failures_keep_codes(world: World) -> None:
    verifier = world.verifier()
    qr = world.offline_qr("internet_cafe")
    verifier.verify_qr(principal=principal(), scenario_id="internet_cafe", qr=qr)
    verifier.verify_qr(principal=principal(), scenario_id="internet_cafe", qr=qr)
    ok, replayed = _records(world)
    assert ok.valid and ok.kept_claims is None
    assert not replayed.valid and json.loads(replayed.codes) == ["replayed"]
    assert "张三" not in (replayed.kept_claims or "")



def test_status_list_is_fetched_once_by_concurrent_requests(world: World) -> None:
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from core.statuslist import status_reference
    from tests.verifier.world import ISS, STATUS_URI
    from verifier.status import StatusCache

    calls: list[int] = []
    gate = threading.Event()

    def slow_fetch(uri: str) -> str:
        calls.append(1)
        gate.wait(5)
        return world.status_token()

    cache = StatusCache(fetch=slow_fetch, clock=world.clock, algorithms=("ES256", "EdDSA"))
    issuer = world.trust_store().current().issuer(ISS)
    ref = status_reference({"status_list": {"idx": 7, "uri": STATUS_URI}})
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(cache.status, ref, issuer=issuer, max_staleness_s=300)
                   for _ in range(8)]
        time.sleep(0.2)
        gate.set()
        results = [f.result() for f in futures]
    assert len(calls) == 1
    assert all(r.value == 0 and not r.stale for r in results)
