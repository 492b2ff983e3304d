"""Trust list (DESIGN §6): signed by the pinned anchor, cached, refreshed, key rotation."""

from __future__ import annotations

import pytest

from core.clock import FixedClock
from core.errors import ELicenseError, TrustError, UnknownKey
from core.jose import b64u_decode, b64u_encode, public_key_from_jwk, sign_compact
from keys.software import generate_signer
from tests.verifier.world import ISS, World, codes, principal
from verifier.trust import TrustKeys, TrustStore, verify_trust_list

ALGS = ("ES256", "EdDSA")


def _code(exc: pytest.ExceptionInfo[ELicenseError]) -> str:
    return exc.value.code


def test_round_trip(world: World) -> None:
    tl = verify_trust_list(world.trust_jws, anchor=world.anchor_key(), now=world.clock.now(),
                           algorithms=ALGS)
    issuer = tl.issuer(ISS)
    assert issuer.credential_type(vct=f"{ISS}/vct/id_card", agency="psb") == "id_card"
    assert tl.lookup(ISS, world.issuer.kid).kid == world.issuer.kid


def test_signed_by_another_key_is_refused(world: World) -> None:
    other = public_key_from_jwk(generate_signer("ES256").public_jwk())
    with pytest.raises(ELicenseError) as exc:
        verify_trust_list(world.trust_jws, anchor=other, now=world.clock.now(), algorithms=ALGS)
    assert _code(exc) == "trust_list_invalid"


def test_header_key_is_never_used(world: World) -> None:
    """A list signed by an attacker who puts their own key in the header is refused."""
    attacker = generate_signer("ES256")
    forged = sign_compact({"typ": "trustlist+jwt", "jwk": attacker.public_jwk()},
                          {"iss": "x", "iat": world.clock.now(), "exp": world.clock.now() + 99,
                           "issuers": []}, attacker)
    with pytest.raises(ELicenseError) as exc:
        verify_trust_list(forged, anchor=world.anchor_key(), now=world.clock.now(),
                          algorithms=ALGS)
    assert _code(exc) == "trust_list_invalid"


def test_wrong_typ_and_tampered_payload(world: World) -> None:
    wrong = sign_compact({"typ": "JWT"}, {"iss": "x", "iat": 1, "exp": 2, "issuers": []},
                         world.anchor)
    with pytest.raises(ELicenseError) as exc:
        verify_trust_list(wrong, anchor=world.anchor_key(), now=1, algorithms=ALGS)
    assert _code(exc) == "trust_list_invalid"
    h, p, s = world.trust_jws.split(".")
    payload = b64u_decode(p).replace(b"psb", b"amr")
    with pytest.raises(ELicenseError) as exc:
        verify_trust_list(f"{h}.{b64u_encode(payload)}.{s}", anchor=world.anchor_key(),
                          now=world.clock.now(), algorithms=ALGS)
    assert _code(exc) == "trust_list_invalid"


def test_expired_list_is_refused(world: World) -> None:
    with pytest.raises(ELicenseError) as exc:
        verify_trust_list(world.trust_jws, anchor=world.anchor_key(),
                          now=world.clock.now() + 31 * 86400, algorithms=ALGS)
    assert _code(exc) == "trust_list_invalid"


def test_untrusted_issuer_and_type(world: World) -> None:
    tl = verify_trust_list(world.trust_jws, anchor=world.anchor_key(), now=world.clock.now(),
                           algorithms=ALGS)
    with pytest.raises(TrustError) as exc:
        tl.issuer("https://rogue.example")
    assert exc.value.code == "untrusted_issuer"
    with pytest.raises(TrustError) as exc:
        tl.issuer(ISS).credential_type(vct=f"{ISS}/vct/id_card", agency="hc")
    assert exc.value.code == "type_not_trusted"
    with pytest.raises(TrustError) as exc:
        tl.issuer(ISS).credential_type(vct="https://elsewhere/vct/id_card", agency="psb")
    assert exc.value.code == "type_not_trusted"


def test_store_caches_and_refreshes(world: World, clock: FixedClock) -> None:
    reads = []

    def source() -> str:
        reads.append(1)
        return world.trust_jws

    anchor = world.anchor_key()
    store = TrustStore(source=source, anchor=lambda: anchor, clock=clock, algorithms=ALGS,
                       refresh_s=300)
    store.current()
    store.current()
    assert len(reads) == 1
    clock.advance(301)
    store.current()
    assert len(reads) == 2


def test_failed_refresh_keeps_the_unexpired_list(world: World, clock: FixedClock) -> None:
    state = {"up": True}

    def source() -> str:
        if not state["up"]:
            raise TrustError("down")
        return world.trust_jws

    anchor = world.anchor_key()
    store = TrustStore(source=source, anchor=lambda: anchor, clock=clock, algorithms=ALGS,
                       refresh_s=10)
    first = store.current()
    state["up"] = False
    clock.advance(11)
    assert store.current() is first


def test_issuer_key_rotation_is_followed(world: World) -> None:
    verifier = world.verifier()
    assert verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin",
                              qr=world.offline_qr("hotel_checkin")).valid
    new = generate_signer("ES256")
    world.issuer_keys.append(new.public_jwk())
    world.sign_trust()  # the anchor re-signs with the rotated issuer key
    cred = world.credential(signer=new)
    v = verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin",
                           qr=world.offline_qr("hotel_checkin", credential=cred))
    assert codes(v)["signature"] == (True, None)


def test_trust_keys_refresh_is_rate_limited(world: World, clock: FixedClock) -> None:
    reads = []

    def source() -> str:
        reads.append(1)
        return world.trust_jws

    anchor = world.anchor_key()
    keys = TrustKeys(TrustStore(source=source, anchor=lambda: anchor, clock=clock,
                                algorithms=ALGS))
    for _ in range(5):
        with pytest.raises(UnknownKey):
            keys.lookup(ISS, "no-such-kid")
    assert len(reads) == 2  # first load + one forced refresh


def test_trust_list_from_a_url_and_from_the_database(world: World, db_url: str) -> None:
    from fastapi import FastAPI, Response
    from starlette.testclient import TestClient

    from verifier.runtime import install_trust_list, trust_source
    from verifier.settings import Settings

    app = FastAPI()

    @app.get("/trust.jwt")
    def serve() -> Response:
        return Response(world.trust_jws, media_type="application/trustlist+jwt")

    with TestClient(app, base_url="https://anchor.example") as http:
        src = trust_source(Settings(trust_list_source="https://anchor.example/trust.jwt"),
                           world.engine, http)
        assert src() == world.trust_jws
        broken = trust_source(Settings(trust_list_source="https://anchor.example/nope"),
                              world.engine, http)
        with pytest.raises(ELicenseError) as exc:
            broken()
        assert _code(exc) == "upstream_error"
    db_src = trust_source(Settings(), world.engine, None)
    with pytest.raises(ELicenseError) as exc:
        db_src()
    assert _code(exc) == "no_trust_list"
    install_trust_list(engine=world.engine, jws=world.trust_jws, iat=1, exp=2, now=3)
    assert db_src() == world.trust_jws
