"""The signed Request Object (OpenID4VP 1.0 §5, §5.10, §8.2; RFC 9101 JAR).

The verifier shows ``openid4vp://?client_id=…&request_uri=…`` as a QR code (``_uri``); the
wallet fetches the Request Object (a JWS, ``typ oauth-authz-req+jwt``) from ``request_uri`` and
checks it with ``verify_request_object``:

- the key comes from the wallet's registry of verifiers, looked up by the ``client_id``
  of the *URL* (pre-registered client, §5.9.2 — no Client Identifier Prefix), never from
  the token's header (``jwk``, ``x5c``, ``jku`` are ignored) nor from its ``iss`` (§5: the
  wallet MUST ignore ``iss``);
- ``alg: none`` / an empty signature is ``request_object_unsigned``; ``alg`` must be in
  the allow-list *and* the key's own;
- ``client_id`` inside equals the one in the URL, prefix included (§5.10);
- ``exp`` is required, ``iat``/``nbf`` are not in the future; ``aud`` (when present) is
  ``https://self-issued.me/v2`` (§5.8, static discovery);
- ``response_type vp_token``, ``response_mode direct_post`` with an ``https`` (or loopback
  ``http``) ``response_uri`` and no ``redirect_uri`` (§8.2); a ``dcql_query`` and no
  ``scope``; ``transaction_data`` is refused since we do not support it (§5.1).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from core.credential import KeyLookup
from core.errors import (
    AlgorithmError,
    KeyError_,
    MalformedError,
    SignatureError,
)
from core.jose import SUPPORTED_ALGS, check_alg, parse_compact, sign_compact, verify_signature
from core.oid4vp._dcql import validate_dcql
from core.oid4vp._uri import check_client_id, is_safe_url
from core.oid4vp.errors import (
    ClientIdMismatch,
    DcqlInvalid,
    RequestObjectAlgorithm,
    RequestObjectClientUnknown,
    RequestObjectExpired,
    RequestObjectInvalid,
    RequestObjectNotYetValid,
    RequestObjectSignature,
    RequestObjectTypInvalid,
    RequestObjectUnsigned,
    ResponseModeUnsupported,
    ResponseTypeUnsupported,
    ResponseUriInvalid,
)
from core.signing import Signer

__all__ = [
    "REQUEST_OBJECT_TYP",
    "SELF_ISSUED_AUD",
    "AuthorizationRequest",
    "build_request_object",
    "verify_request_object",
]

REQUEST_OBJECT_TYP = "oauth-authz-req+jwt"
SELF_ISSUED_AUD = "https://self-issued.me/v2"
MAX_REQUEST_OBJECT = 64 * 1024
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")  # §5.2: nonce and state


@dataclass(frozen=True)
class AuthorizationRequest:
    """A Request Object that passed every check of ``verify_request_object``."""

    client_id: str
    response_uri: str
    nonce: str
    state: str | None
    dcql_query: dict[str, Any]
    iat: int | None
    exp: int
    kid: str | None
    claims: dict[str, Any]  # the whole verified payload (client_metadata, wallet_nonce…)


def build_request_object(
    *,
    signer: Signer,
    client_id: str,
    response_uri: str,
    nonce: str,
    state: str | None,
    dcql_query: Mapping[str, Any],
    iat: int,
    exp: int,
) -> str:
    """The verifier's signed Request Object (a compact JWS, ``typ oauth-authz-req+jwt``).

    ``iss`` repeats ``client_id`` for JAR implementations that want it (§5: wallets ignore
    it); ``aud`` is the static-discovery value ``https://self-issued.me/v2`` (§5.8).
    """
    check_client_id(client_id)
    _check_response_uri(response_uri)
    _check_url_safe("nonce", nonce)
    if state is not None:
        _check_url_safe("state", state)
    validate_dcql(dcql_query)
    if exp <= iat:
        raise RequestObjectInvalid("exp must be after iat")
    payload: dict[str, Any] = {
        "iss": client_id,
        "aud": SELF_ISSUED_AUD,
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "client_id": client_id,
        "response_uri": response_uri,
        "nonce": nonce,
        "dcql_query": dict(dcql_query),
        "iat": iat,
        "exp": exp,
    }
    if state is not None:
        payload["state"] = state
    return sign_compact({"typ": REQUEST_OBJECT_TYP}, payload, signer)


def verify_request_object(
    jws: str,
    *,
    keys: KeyLookup,
    client_id: str,
    now: int,
    leeway: int = 60,
    algorithms: Collection[str] = SUPPORTED_ALGS,
) -> AuthorizationRequest:
    """Check a Request Object fetched for the authorization request of ``client_id``."""
    check_client_id(client_id)
    if not isinstance(jws, str) or len(jws) > MAX_REQUEST_OBJECT:
        raise RequestObjectInvalid("a request object is a compact JWS of at most 64 KiB")
    try:
        header, payload, signing_input, signature = parse_compact(jws.strip())
    except MalformedError as exc:
        raise RequestObjectInvalid("not a compact JWS") from exc
    alg = header.get("alg")
    if alg == "none" or not signature:
        raise RequestObjectUnsigned()
    if header.get("typ") != REQUEST_OBJECT_TYP:
        raise RequestObjectTypInvalid()
    if "crit" in header:
        raise RequestObjectInvalid("no critical header extension is understood")
    allowed = frozenset(algorithms).intersection(SUPPORTED_ALGS)
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise RequestObjectInvalid("kid must be a string")
    try:
        if alg not in allowed:
            raise AlgorithmError(f"alg {alg!r} not allowed")
        key = keys.lookup(client_id, kid)  # by the URL's client_id: never iss, never header
        check_alg(alg, key, allowed)
        verify_signature(key, signature, signing_input)
    except AlgorithmError as exc:
        raise RequestObjectAlgorithm(exc.detail) from exc
    except KeyError_ as exc:
        raise RequestObjectClientUnknown(exc.detail) from exc
    except SignatureError as exc:
        raise RequestObjectSignature() from exc
    except MalformedError as exc:
        raise RequestObjectInvalid(exc.detail) from exc
    return _check_payload(payload, client_id, now, leeway, kid)


def _check_payload(p: dict[str, Any], client_id: str, now: int, leeway: int,
                   kid: str | None) -> AuthorizationRequest:
    if p.get("client_id") != client_id:
        raise ClientIdMismatch()
    exp = p.get("exp")
    if not _is_number(exp):
        raise RequestObjectInvalid("exp is required")
    assert isinstance(exp, int | float)
    if now - leeway >= exp:
        raise RequestObjectExpired()
    for name in ("iat", "nbf"):
        if name in p:
            if not _is_number(p[name]):
                raise RequestObjectInvalid(f"{name} must be a NumericDate")
            if p[name] > now + leeway:
                raise RequestObjectNotYetValid()
    aud = p.get("aud")
    if aud is not None and aud != SELF_ISSUED_AUD and not (
            isinstance(aud, list) and SELF_ISSUED_AUD in aud):
        raise RequestObjectInvalid(f"aud must be {SELF_ISSUED_AUD}")
    if p.get("response_type") != "vp_token":
        raise ResponseTypeUnsupported()
    if p.get("response_mode") != "direct_post":
        raise ResponseModeUnsupported()
    if "redirect_uri" in p:
        raise RequestObjectInvalid("redirect_uri is not allowed with direct_post")
    response_uri = p.get("response_uri")
    _check_response_uri(response_uri)
    nonce = p.get("nonce")
    _check_url_safe("nonce", nonce)
    state = p.get("state")
    if state is not None:
        _check_url_safe("state", state)
    if "scope" in p:
        raise RequestObjectInvalid("a DCQL query by scope is not supported")
    if "transaction_data" in p:
        raise RequestObjectInvalid("transaction_data is not supported")
    try:
        validate_dcql(p.get("dcql_query"))
    except DcqlInvalid as exc:
        raise RequestObjectInvalid(f"dcql_query: {exc.detail}") from exc
    return AuthorizationRequest(
        client_id=client_id, response_uri=str(response_uri), nonce=str(nonce), state=state,
        dcql_query=p["dcql_query"], iat=p.get("iat"), exp=int(exp), kid=kid, claims=p,
    )


def _is_number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float)


def _check_url_safe(name: str, value: Any) -> None:
    if not isinstance(value, str) or not _URL_SAFE.fullmatch(value):
        raise RequestObjectInvalid(f"{name} must be ASCII URL-safe characters")


def _check_response_uri(uri: Any) -> None:
    if not isinstance(uri, str) or not is_safe_url(uri):
        raise ResponseUriInvalid()
