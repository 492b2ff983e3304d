"""Status List Tokens (draft-ietf-oauth-status-list-20 §5.1, §8.3, §11.2–11.3): sign and
verify with real keys; every refusal asserted by its stable code."""

from __future__ import annotations

import hashlib
import hmac
import json
import zlib
from typing import Any

import pytest

from core.errors import (
    AlgorithmError,
    CritUnsupported,
    ELicenseError,
    MalformedError,
    SignatureError,
    StatusListExpired,
    StatusListMalformed,
    StatusListNotYetValid,
    StatusListSubMismatch,
    StatusListTooLarge,
    TrustError,
    TypInvalid,
    UnknownKey,
)
from core.jose import PublicKey, b64u_decode, b64u_encode, public_key_from_jwk
from core.signing import Signer
from core.statuslist import (
    INVALID,
    SUSPENDED,
    VALID,
    StatusList,
    StatusListToken,
    sign_status_list_token,
    status_of,
    verify_status_list_token,
)
from keys.software import generate_signer

NOW = 1_790_000_000
ISS = "https://city.example/issuer"
SUB = "https://city.example/issuer/status-lists/1"
_DROP = object()  # "leave this member out" in forged headers and payloads


class Keys:
    """A KeyLookup over known signers, keyed by kid; records what it was asked."""

    def __init__(self, *signers: Signer, iss: str | None = ISS) -> None:
        self.iss = iss
        self.keys = {s.kid: public_key_from_jwk(s.public_jwk()) for s in signers}
        self.calls: list[tuple[str | None, str | None]] = []

    def lookup(self, iss: str | None, kid: str | None) -> PublicKey:
        self.calls.append((iss, kid))
        if iss != self.iss or kid not in self.keys:
            raise UnknownKey()
        return self.keys[kid]


@pytest.fixture(scope="module")
def es256() -> Signer:
    return generate_signer("ES256")


@pytest.fixture(scope="module")
def eddsa() -> Signer:
    return generate_signer("EdDSA")


@pytest.fixture(scope="module")
def attacker() -> Signer:
    return generate_signer("ES256")


def _list() -> StatusList:
    sl = StatusList(2, 64)
    sl.set(3, INVALID)
    sl.set(7, SUSPENDED)
    return sl


def _sign(signer: Signer, **kw: Any) -> str:
    args: dict[str, Any] = {"signer": signer, "sub": SUB, "status_list": _list(),
                            "iat": NOW - 100, "exp": NOW + 3600, "ttl": 300, "iss": ISS}
    args.update(kw)
    return sign_status_list_token(**args)


def _forge(signer: Signer, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A compact JWS with exactly this header (nothing added) signed by ``signer``."""
    si = b64u_encode(json.dumps(header).encode()) + "." + b64u_encode(json.dumps(payload).encode())
    return si + "." + b64u_encode(signer.sign(si.encode()))


def _payload(**kw: Any) -> dict[str, Any]:
    p: dict[str, Any] = {"iss": ISS, "sub": SUB, "iat": NOW - 100, "exp": NOW + 3600,
                         "ttl": 300, "status_list": _list().encode()}
    p.update(kw)
    return {k: v for k, v in p.items() if v is not _DROP}


def _header(signer: Signer, **kw: Any) -> dict[str, Any]:
    h: dict[str, Any] = {"alg": signer.alg, "kid": signer.kid, "typ": "statuslist+jwt"}
    h.update(kw)
    return {k: v for k, v in h.items() if v is not _DROP}


def _code(exc: pytest.ExceptionInfo[ELicenseError]) -> str:
    return exc.value.code


# --- the happy path ----------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_sign_then_verify_round_trip(alg: str, es256: Signer, eddsa: Signer) -> None:
    signer = es256 if alg == "ES256" else eddsa
    keys = Keys(signer)
    token = _sign(signer)
    header = json.loads(b64u_decode(token.split(".")[0]))
    assert header == {"typ": "statuslist+jwt", "alg": alg, "kid": signer.kid}

    v = verify_status_list_token(token, keys=keys, sub=SUB, now=NOW)

    assert isinstance(v, StatusListToken)
    assert keys.calls == [(ISS, signer.kid)]
    assert (v.sub, v.iat, v.exp, v.ttl, v.iss) == (SUB, NOW - 100, NOW + 3600, 300, ISS)
    assert v.issuer_kid == signer.kid
    assert v.status_list == _list()
    assert [status_of(v, i) for i in (0, 3, 7)] == [VALID, INVALID, SUSPENDED]
    assert v.get(3) == INVALID


def test_payload_carries_only_the_claims_given(es256: Signer) -> None:
    token = sign_status_list_token(signer=es256, sub=SUB, status_list=_list(), iat=NOW)
    payload = json.loads(b64u_decode(token.split(".")[1]))
    assert payload == {"sub": SUB, "iat": NOW, "status_list": _list().encode()}
    keys = Keys(es256)
    v = verify_status_list_token(token, keys=keys, iss=ISS, now=NOW)
    assert (v.exp, v.ttl, v.iss) == (None, None, ISS)
    assert keys.calls == [(ISS, es256.kid)]  # no iss claim: looked up under the given one


def test_token_without_iss_needs_the_expected_issuer(es256: Signer) -> None:
    token = sign_status_list_token(signer=es256, sub=SUB, status_list=_list(), iat=NOW)
    keys = Keys(es256)
    with pytest.raises(UnknownKey) as exc:
        verify_status_list_token(token, keys=keys, now=NOW)
    assert _code(exc) == "unknown_key"
    assert keys.calls == []


def test_token_iss_must_be_the_expected_issuer(es256: Signer) -> None:
    token = _sign(es256)
    assert verify_status_list_token(token, keys=Keys(es256), iss=ISS, now=NOW).iss == ISS
    keys = Keys(es256)
    with pytest.raises(TrustError) as exc:
        verify_status_list_token(token, keys=keys, iss="https://other.example", now=NOW)
    assert _code(exc) == "untrusted_issuer"
    assert keys.calls == []


@pytest.mark.parametrize("ttl", [0, -5, 1.5, "300", True])
def test_sign_refuses_a_ttl_that_is_not_a_positive_integer(es256: Signer, ttl: Any) -> None:
    with pytest.raises(StatusListMalformed):
        _sign(es256, ttl=ttl)


# --- header: typ, crit, alg ---------------------------------------------------------------


@pytest.mark.parametrize("typ", [_DROP, "JWT", "application/statuslist+jwt",
                                 "STATUSLIST+JWT", "dc+sd-jwt", "statuslist+cwt", 1, None])
def test_wrong_typ_is_refused(es256: Signer, typ: Any) -> None:
    token = _forge(es256, _header(es256, typ=typ), _payload())
    with pytest.raises(TypInvalid) as exc:
        verify_status_list_token(token, keys=Keys(es256), now=NOW)
    assert _code(exc) == "typ_invalid"


def test_crit_header_is_refused(es256: Signer) -> None:
    token = _forge(es256, _header(es256, crit=["exp"]), _payload())
    with pytest.raises(CritUnsupported) as exc:
        verify_status_list_token(token, keys=Keys(es256), now=NOW)
    assert _code(exc) == "crit_unsupported"


def test_alg_none_is_refused_before_any_key_lookup(es256: Signer) -> None:
    h = b64u_encode(json.dumps({"alg": "none", "typ": "statuslist+jwt"}).encode())
    p = b64u_encode(json.dumps(_payload()).encode())
    keys = Keys(es256)
    for token in (f"{h}.{p}.", f"{h}.{p}"):
        with pytest.raises((AlgorithmError, MalformedError)):
            verify_status_list_token(token, keys=keys, now=NOW)
    with pytest.raises(AlgorithmError) as exc:
        verify_status_list_token(f"{h}.{p}.", keys=keys, now=NOW)
    assert _code(exc) == "algorithm_not_allowed"
    assert keys.calls == []


def test_hs256_keyed_with_the_issuer_public_key_is_refused(es256: Signer) -> None:
    # the classic key-confusion attack: HMAC with the public JWK as the secret
    secret = json.dumps(es256.public_jwk()).encode()
    h = b64u_encode(json.dumps({"alg": "HS256", "kid": es256.kid,
                                "typ": "statuslist+jwt"}).encode())
    p = b64u_encode(json.dumps(_payload()).encode())
    sig = hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest()
    with pytest.raises(AlgorithmError) as exc:
        verify_status_list_token(f"{h}.{p}.{b64u_encode(sig)}", keys=Keys(es256), now=NOW)
    assert _code(exc) == "algorithm_not_allowed"


def test_alg_must_be_the_looked_up_keys_own(es256: Signer, eddsa: Signer) -> None:
    # header says EdDSA (allowed) but the trusted key under that kid is ES256
    token = _forge(eddsa, _header(eddsa, kid=es256.kid), _payload())
    with pytest.raises(AlgorithmError):
        verify_status_list_token(token, keys=Keys(es256), now=NOW)


def test_alg_outside_the_callers_allow_list_is_refused(es256: Signer) -> None:
    with pytest.raises(AlgorithmError):
        verify_status_list_token(_sign(es256), keys=Keys(es256), now=NOW,
                                 algorithms=("EdDSA",))


# --- keys: only the caller's lookup, never the header -------------------------------------


def test_key_not_in_the_lookup_is_refused(es256: Signer, attacker: Signer) -> None:
    with pytest.raises(UnknownKey) as exc:
        verify_status_list_token(_sign(attacker), keys=Keys(es256), now=NOW)
    assert _code(exc) == "unknown_key"


def test_issuer_not_in_the_lookup_is_refused(es256: Signer) -> None:
    with pytest.raises(UnknownKey):
        verify_status_list_token(_sign(es256, iss="https://evil.example"), keys=Keys(es256),
                                 now=NOW)


def test_signature_by_another_key_under_a_trusted_kid_is_refused(
    es256: Signer, attacker: Signer
) -> None:
    token = _forge(attacker, _header(attacker, kid=es256.kid), _payload())
    with pytest.raises(SignatureError) as exc:
        verify_status_list_token(token, keys=Keys(es256), now=NOW)
    assert _code(exc) == "invalid_signature"


@pytest.mark.parametrize("member", ["jwk", "x5c", "jku", "x5u"])
@pytest.mark.parametrize("kid_of", ["issuer", "attacker"])
def test_keys_offered_in_the_header_are_ignored(
    es256: Signer, attacker: Signer, member: str, kid_of: str
) -> None:
    offered = {"jwk": attacker.public_jwk(), "x5c": ["MIIB..."],
               "jku": "https://evil.example/jwks", "x5u": "https://evil.example/c.pem"}
    kid = es256.kid if kid_of == "issuer" else attacker.kid
    token = _forge(attacker, _header(attacker, kid=kid, **{member: offered[member]}),
                   _payload())
    keys = Keys(es256)
    with pytest.raises((SignatureError, UnknownKey)) as exc:
        verify_status_list_token(token, keys=keys, now=NOW)
    assert _code(exc) == ("invalid_signature" if kid_of == "issuer" else "unknown_key")
    assert keys.calls == [(ISS, kid)]


def test_tampered_payload_fails_the_signature(es256: Signer) -> None:
    token = _sign(es256)
    h, _, s = token.split(".")
    other = StatusList(2, 64)  # all VALID: the attacker "reinstates" everything
    p = b64u_encode(json.dumps(_payload(status_list=other.encode())).encode())
    with pytest.raises(SignatureError):
        verify_status_list_token(f"{h}.{p}.{s}", keys=Keys(es256), now=NOW)


# --- claims -------------------------------------------------------------------------------


def test_sub_must_equal_the_referenced_uri(es256: Signer) -> None:
    token = _sign(es256)
    with pytest.raises(StatusListSubMismatch) as exc:
        verify_status_list_token(token, keys=Keys(es256), sub=SUB + "0", now=NOW)
    assert _code(exc) == "status_list_sub_mismatch"


def test_expiry_with_leeway(es256: Signer) -> None:
    token = _sign(es256, exp=NOW)
    verify_status_list_token(token, keys=Keys(es256), now=NOW + 59)
    with pytest.raises(StatusListExpired) as exc:
        verify_status_list_token(token, keys=Keys(es256), now=NOW + 60)
    assert _code(exc) == "status_list_expired"
    with pytest.raises(StatusListExpired):
        verify_status_list_token(token, keys=Keys(es256), now=NOW, leeway=0)


def test_iat_in_the_future_is_refused(es256: Signer) -> None:
    token = _sign(es256, iat=NOW + 60)
    verify_status_list_token(token, keys=Keys(es256), now=NOW)
    with pytest.raises(StatusListNotYetValid) as exc:
        verify_status_list_token(_sign(es256, iat=NOW + 61), keys=Keys(es256), now=NOW)
    assert _code(exc) == "status_list_not_yet_valid"


def test_nbf_in_the_future_is_refused(es256: Signer) -> None:
    token = _forge(es256, _header(es256), _payload(nbf=NOW + 61))
    with pytest.raises(StatusListNotYetValid):
        verify_status_list_token(token, keys=Keys(es256), now=NOW)


@pytest.mark.parametrize("claims", [
    {"sub": _DROP}, {"sub": 5}, {"iat": _DROP}, {"iat": "1790000000"}, {"iat": True},
    {"iat": None}, {"exp": "never"}, {"exp": None}, {"nbf": [1]}, {"ttl": 0}, {"ttl": -1},
    {"ttl": "300"}, {"ttl": None}, {"status_list": _DROP}, {"status_list": "eNrbuRgAAhcBXQ"},
    {"iss": 7},
], ids=lambda c: "-".join(f"{k}={v!r}"[:20] for k, v in c.items()))
def test_missing_or_mistyped_claims_are_refused(es256: Signer, claims: dict[str, Any]) -> None:
    token = _forge(es256, _header(es256), _payload(**claims))
    with pytest.raises(StatusListMalformed) as exc:
        verify_status_list_token(token, keys=Keys(es256), now=NOW)
    assert _code(exc) == "status_list_malformed"


def test_bits_3_inside_a_signed_token_is_refused(es256: Signer) -> None:
    lst = b64u_encode(zlib.compress(b"\x00" * 3, 9))
    token = _forge(es256, _header(es256), _payload(status_list={"bits": 3, "lst": lst}))
    with pytest.raises(StatusListMalformed):
        verify_status_list_token(token, keys=Keys(es256), now=NOW)


def test_list_larger_than_max_size_is_refused(es256: Signer) -> None:
    token = _sign(es256, status_list=StatusList(1, 1024))
    assert verify_status_list_token(token, keys=Keys(es256), now=NOW, max_size=1024)
    with pytest.raises(StatusListTooLarge) as exc:
        verify_status_list_token(token, keys=Keys(es256), now=NOW, max_size=1016)
    assert _code(exc) == "status_list_too_large"


# --- not a JWS at all ---------------------------------------------------------------------


@pytest.mark.parametrize("token", [
    "", "a.b", "a.b.c.d", "e30.e30.e30.e30", "!!!.e30.", "e30.e30.", None, b"e30.e30.",
    b64u_encode(b"[1]") + ".e30.",
    b64u_encode(b'{"typ":"statuslist+jwt","typ":"statuslist+jwt"}') + ".e30.",
    b64u_encode(b"not json") + ".e30.",
])
def test_garbage_is_malformed(es256: Signer, token: Any) -> None:
    with pytest.raises(MalformedError):
        verify_status_list_token(token, keys=Keys(es256), now=NOW)


def test_kid_that_is_not_a_string_is_malformed(es256: Signer) -> None:
    token = _forge(es256, _header(es256, kid=12), _payload())
    with pytest.raises(MalformedError):
        verify_status_list_token(token, keys=Keys(es256), now=NOW)


def test_duplicate_claim_names_are_malformed(es256: Signer) -> None:
    h = b64u_encode(json.dumps(_header(es256)).encode())
    body = json.dumps(_payload())[:-1] + f', "sub": "{SUB}"}}'
    p = b64u_encode(body.encode())
    token = f"{h}.{p}." + b64u_encode(es256.sign(f"{h}.{p}".encode()))
    with pytest.raises(MalformedError) as exc:
        verify_status_list_token(token, keys=Keys(es256), now=NOW)
    assert _code(exc) == "malformed"


# --- a second implementation reads our tokens (pyjwt) ----------------------------------


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_pyjwt_verifies_our_tokens(alg: str, es256: Signer, eddsa: Signer) -> None:
    import jwt

    signer = es256 if alg == "ES256" else eddsa
    token = _sign(signer)
    key = jwt.PyJWK(signer.public_jwk()).key
    options = {"verify_exp": False, "verify_iat": False}  # our NOW is not the wall clock
    claims = jwt.decode(token, key, algorithms=[alg], options=options)
    assert jwt.get_unverified_header(token)["typ"] == "statuslist+jwt"
    assert claims["sub"] == SUB and claims["iss"] == ISS
    assert StatusList.decode(claims["status_list"]) == _list()
