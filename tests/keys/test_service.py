"""keys.service against a real database: generation, encryption at rest, states, rotation,
JWKS, signers, and that no private material leaks (rows, repr, logs)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from core.clock import FixedClock
from core.db import make_engine
from core.jose import public_key_from_jwk, sign_compact, thumbprint, verify_signature
from core.settings import BaseServiceSettings
from core.signing import Signer
from keys import _signers, service
from keys._crypto import wrapper_for
from keys.models import SigningKey

# RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
RFC7638_KEY = {
    "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6t"
         "Soc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65"
         "YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr"
         "dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnq"
         "DKgw",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
# RFC 8037 Appendix A.2/A.3: the Ed25519 example public key and its thumbprint.
RFC8037_KEY = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

DAY = 86400


def _independent_thumbprint(jwk: dict[str, str]) -> str:
    required = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    canon = "{" + ",".join(f'"{m}":"{jwk[m]}"' for m in required) + "}"
    return base64.urlsafe_b64encode(hashlib.sha256(canon.encode()).digest()).decode().rstrip("=")


def _private_d(row: SigningKey, settings: BaseServiceSettings) -> str:
    plain = wrapper_for(settings).decrypt(row.private_ciphertext, kid=row.kid)
    d = json.loads(plain)["d"]
    assert isinstance(d, str) and len(d) >= 43
    return d


def test_rfc_thumbprint_vectors() -> None:
    assert thumbprint(RFC7638_KEY) == RFC7638_THUMBPRINT
    assert thumbprint(RFC8037_KEY) == RFC8037_THUMBPRINT


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_generate_kid_is_thumbprint_and_signer_signs(
        alg: str, session: Session, settings: BaseServiceSettings, clock: FixedClock) -> None:
    row = service.generate(session=session, owner="issuer", alg=alg, clock=clock,
                           settings=settings, state="active")
    jwk = row.public_jwk_dict()
    assert "d" not in jwk
    assert row.kid == _independent_thumbprint(jwk)
    assert (row.alg, row.state, row.created_at, row.activated_at) == (alg, "active",
                                                                      clock.now(), clock.now())
    signer = service.active_signer(session=session, owner="issuer", settings=settings)
    assert isinstance(signer, Signer)
    assert (signer.kid, signer.alg) == (row.kid, alg)
    assert signer.public_jwk() == {**jwk, "kid": row.kid, "alg": alg, "use": "sig"}
    token = sign_compact({"typ": "JWT"}, {"sub": "x"}, signer)
    head, payload, sig = token.split(".")
    key = public_key_from_jwk(service.jwks(session=session, owner="issuer",
                                           now=clock.now())["keys"][0])
    verify_signature(key, base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)),
                     f"{head}.{payload}".encode())


def test_disallowed_or_unknown_alg(session: Session, clock: FixedClock) -> None:
    only_es = BaseServiceSettings(allowed_algs=("ES256",))
    for alg in ("EdDSA", "RS256", "none"):
        with pytest.raises(service.KeyAlgorithmUnsupported) as exc:
            service.generate(session=session, owner="o", alg=alg, clock=clock,
                             settings=only_es)
        assert exc.value.code == "key_alg_unsupported"
    with pytest.raises(service.KeyStateInvalid):
        service.generate(session=session, owner="o", alg="ES256", clock=clock,
                         settings=only_es, state="retired")


def test_row_holds_no_plaintext_private_material(
        any_db_url: str, settings: BaseServiceSettings, clock: FixedClock) -> None:
    engine = make_engine(any_db_url)
    try:
        with Session(engine) as session:
            rows = [service.generate(session=session, owner="issuer", alg=alg, clock=clock,
                                     settings=settings) for alg in ("ES256", "EdDSA")]
            ds = [_private_d(r, settings) for r in rows]
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT * FROM keys_signing_key")).all()
        dumped = repr(raw)
        for d in ds:
            assert d not in dumped
            assert base64.urlsafe_b64decode(d + "=").hex() not in dumped
        assert '"d"' not in dumped
    finally:
        engine.dispose()
    if make_url(any_db_url).get_backend_name() == "sqlite":
        path = Path(str(make_url(any_db_url).database))
        blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert rows[0].kid.encode() in blob  # the search does look at the right bytes
        for d in ds:
            assert d.encode() not in blob
            assert base64.urlsafe_b64decode(d + "=") not in blob


def test_wrong_secret_is_a_typed_error_even_after_caching(
        session: Session, settings: BaseServiceSettings, clock: FixedClock) -> None:
    service.ensure_active(session=session, owner="issuer", alg="ES256", settings=settings,
                          clock=clock)
    service.active_signer(session=session, owner="issuer", settings=settings)  # now cached
    other = BaseServiceSettings(mode="prod", key_encryption_secret=SecretStr("x" * 40))
    with pytest.raises(service.KeyDecryptionFailed) as exc:
        service.active_signer(session=session, owner="issuer", settings=other)
    assert exc.value.code == "key_decryption_failed"


def test_ciphertext_swapped_between_rows_fails(
        any_db_url: str, settings: BaseServiceSettings, clock: FixedClock) -> None:
    engine = make_engine(any_db_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            a = service.generate(session=session, owner="a", alg="ES256", clock=clock,
                                 settings=settings, state="active")
            b = service.generate(session=session, owner="b", alg="ES256", clock=clock,
                                 settings=settings, state="active")
        with engine.begin() as conn:
            conn.execute(text("UPDATE keys_signing_key SET private_ciphertext = :c "
                              "WHERE kid = :k"), {"c": b.private_ciphertext, "k": a.kid})
        service.clear_cache()
        with Session(engine) as session:
            with pytest.raises(service.KeyDecryptionFailed):
                service.active_signer(session=session, owner="a", settings=settings)
            assert service.active_signer(session=session, owner="b", settings=settings)
    finally:
        engine.dispose()


def test_state_transitions(session: Session, settings: BaseServiceSettings,
                           clock: FixedClock) -> None:
    with pytest.raises(service.NoActiveKey) as no_active:
        service.active_signer(session=session, owner="issuer", settings=settings)
    assert no_active.value.code == "no_active_key"

    k1 = service.generate(session=session, owner="issuer", alg="ES256", clock=clock,
                          settings=settings)
    assert k1.state == "pending" and k1.activated_at is None
    with pytest.raises(service.KeyStateInvalid) as bad:
        service.signer_for_kid(session=session, kid=k1.kid, settings=settings)
    assert bad.value.code == "key_state_invalid"
    with pytest.raises(service.KeyStateInvalid):
        service.retire(session=session, kid=k1.kid, clock=clock)

    clock.advance(10)
    service.activate(session=session, kid=k1.kid, clock=clock)
    assert (k1.state, k1.activated_at) == ("active", clock.now())
    with pytest.raises(service.KeyStateInvalid):
        service.activate(session=session, kid=k1.kid, clock=clock)
    assert service.signer_for_kid(session=session, kid=k1.kid, settings=settings).kid == k1.kid
    with pytest.raises(service.KeyNotFound) as wrong_owner:
        service.signer_for_kid(session=session, kid=k1.kid, settings=settings, owner="wallet:x")
    assert wrong_owner.value.code == "key_not_found"

    k2 = service.generate(session=session, owner="issuer", alg="EdDSA", clock=clock,
                          settings=settings)
    clock.advance(10)
    service.activate(session=session, kid=k2.kid, clock=clock, retain_until=clock.now() + DAY)
    session.refresh(k1)
    assert (k1.state, k1.retired_at, k1.not_after) == ("retired", clock.now(),
                                                       clock.now() + DAY)
    with pytest.raises(service.KeyStateInvalid):
        service.signer_for_kid(session=session, kid=k1.kid, settings=settings)
    with pytest.raises(service.KeyStateInvalid):
        service.activate(session=session, kid=k1.kid, clock=clock)

    service.retire(session=session, kid=k2.kid, clock=clock)
    assert k2.state == "retired" and k2.not_after is None

    for k in (k1, k2):
        service.revoke(session=session, kid=k.kid, clock=clock)
        assert (k.state, k.revoked_at) == ("revoked", clock.now())
        with pytest.raises(service.KeyStateInvalid):
            service.revoke(session=session, kid=k.kid, clock=clock)
    with pytest.raises(service.KeyNotFound):
        service.revoke(session=session, kid="no-such-kid", clock=clock)


def test_state_check_constraint(session: Session, settings: BaseServiceSettings,
                                clock: FixedClock) -> None:
    from sqlalchemy.exc import IntegrityError

    row = service.generate(session=session, owner="o", alg="ES256", clock=clock,
                           settings=settings)
    row.state = "bogus"
    session.add(row)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def _kids(session: Session, owner: str, now: int) -> list[str]:
    return [k["kid"] for k in service.jwks(session=session, owner=owner, now=now)["keys"]]


def test_rotation_publishes_pending_first_and_retains_until_not_after(
        any_db_url: str, settings: BaseServiceSettings, clock: FixedClock) -> None:
    engine = make_engine(any_db_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            old = service.ensure_active(session=session, owner="issuer", alg="ES256",
                                        settings=settings, clock=clock)
            nxt = service.generate(session=session, owner="issuer", alg="ES256", clock=clock,
                                   settings=settings)
            # Published before it signs: verifiers learn it ahead of the switch.
            assert _kids(session, "issuer", clock.now()) == [old.kid, nxt.kid]
            assert service.active_signer(session=session, owner="issuer",
                                         settings=settings).kid == old.kid
            clock.advance(60)
            new = service.rotate(session=session, owner="issuer", settings=settings,
                                 clock=clock, retain_s=30 * DAY)
            assert new.kid == nxt.kid  # the pending key was promoted, not a fresh one
            assert service.active_signer(session=session, owner="issuer",
                                         settings=settings).kid == new.kid
            session.refresh(old)
            assert old.state == "retired" and old.not_after == clock.now() + 30 * DAY
            assert _kids(session, "issuer", clock.now()) == [new.kid, old.kid]
            assert _kids(session, "issuer", old.not_after - 1) == [new.kid, old.kid]
            assert _kids(session, "issuer", old.not_after) == [new.kid]

            # Without a pending key, rotate makes a fresh one (same alg by default).
            newer = service.rotate(session=session, owner="issuer", settings=settings,
                                   clock=clock, retain_until=clock.now() + DAY)
            assert newer.kid not in (old.kid, new.kid) and newer.alg == "ES256"
            eddsa = service.rotate(session=session, owner="issuer", settings=settings,
                                   clock=clock, alg="EdDSA")
            assert eddsa.alg == "EdDSA"
            assert _kids(session, "issuer", clock.now()) == [eddsa.kid, newer.kid, new.kid,
                                                             old.kid]
            # A revoked key leaves the JWKS at once; other owners' keys are never in it.
            service.revoke(session=session, kid=new.kid, clock=clock)
            service.ensure_active(session=session, owner="trust_anchor", alg="EdDSA",
                                  settings=settings, clock=clock)
            assert new.kid not in _kids(session, "issuer", clock.now())
            assert len(_kids(session, "trust_anchor", clock.now())) == 1
    finally:
        engine.dispose()


def test_ensure_active_is_idempotent(session: Session, settings: BaseServiceSettings,
                                     clock: FixedClock) -> None:
    a = service.ensure_active(session=session, owner="issuer", alg="EdDSA", settings=settings,
                              clock=clock)
    b = service.ensure_active(session=session, owner="issuer", alg="EdDSA", settings=settings,
                              clock=clock)
    assert a.kid == b.kid and a.state == "active"
    assert len(service.list_keys(session=session, owner="issuer")) == 1


def test_signer_cache_reused_and_invalidated(session: Session, settings: BaseServiceSettings,
                                             clock: FixedClock) -> None:
    service.ensure_active(session=session, owner="issuer", alg="ES256", settings=settings,
                          clock=clock)
    s1 = service.active_signer(session=session, owner="issuer", settings=settings)
    assert service.active_signer(session=session, owner="issuer", settings=settings) is s1
    service.rotate(session=session, owner="issuer", settings=settings, clock=clock)
    s2 = service.active_signer(session=session, owner="issuer", settings=settings)
    assert s2.kid != s1.kid
    assert all(k[0] != s1.kid for k in _signers._cache)  # dropped when retired


def test_wallet_owner_may_hold_several_active_keys(
        session: Session, settings: BaseServiceSettings, clock: FixedClock) -> None:
    kids = [service.generate(session=session, owner="wallet:alice", alg="ES256", clock=clock,
                             settings=settings, state="active").kid for _ in range(2)]
    for kid in kids:
        signer = service.signer_for_kid(session=session, kid=kid, settings=settings,
                                        owner="wallet:alice")
        assert signer.kid == kid


def test_repr_and_str_show_no_private_material(
        session: Session, settings: BaseServiceSettings, clock: FixedClock) -> None:
    row = service.generate(session=session, owner="issuer", alg="EdDSA", clock=clock,
                           settings=settings, state="active")
    d = _private_d(row, settings)
    signer = service.active_signer(session=session, owner="issuer", settings=settings)
    public = row.to_public()
    for text_ in (repr(row), str(row), repr(signer), str(signer), repr(public), str(public),
                  public.model_dump_json(), repr(vars(signer) if hasattr(signer, "__dict__")
                                                  else signer)):
        assert d not in text_
        assert row.private_ciphertext not in text_
    assert row.kid in repr(signer) and row.kid in repr(row)
    assert "private_ciphertext" not in public.model_dump()
    assert not hasattr(signer, "private_jwk")


def test_logs_hold_no_private_material(caplog: pytest.LogCaptureFixture, session: Session,
                                       settings: BaseServiceSettings, clock: FixedClock) -> None:
    with caplog.at_level(logging.DEBUG):
        a = service.ensure_active(session=session, owner="issuer", alg="ES256",
                                  settings=settings, clock=clock)
        b = service.generate(session=session, owner="issuer", alg="EdDSA", clock=clock,
                             settings=settings)
        service.rotate(session=session, owner="issuer", settings=settings, clock=clock,
                       alg="EdDSA")
        service.revoke(session=session, kid=a.kid, clock=clock)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert a.kid in logged and b.kid in logged  # the log does describe these keys
    for row in (a, b):
        assert _private_d(row, settings) not in logged
        assert row.private_ciphertext not in logged
