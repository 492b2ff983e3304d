"""Signed Authorization Request by reference (OpenID4VP 1.0 §5, §5.10, §8.2; RFC 9101).

The verifier shows ``openid4vp://?client_id=…&request_uri=…`` as a QR code; the wallet
fetches the Request Object (a JWS, ``typ oauth-authz-req+jwt``) from ``request_uri`` and
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

import ipaddress
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from core.credential import KeyLookup
from core.errors import (
    AlgorithmError,
    KeyError_,
    MalformedError,
    SignatureError,
)
from core.jose import SUPPORTED_ALGS, check_alg, parse_compact, sign_compact, verify_signature
from core.oid4vp._dcql import validate_dcql
from core.oid4vp.errors import (
    AuthorizationRequestInvalid,
    ClientIdMismatch,
    ClientIdPrefixUnsupported,
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
    "CLIENT_ID_PREFIXES",
    "REQUEST_OBJECT_TYP",
    "SELF_ISSUED_AUD",
    "AuthorizationRequest",
    "AuthorizationRequestUri",
    "authorization_request_uri",
    "build_request_object",
    "parse_authorization_request_uri",
    "verify_request_object",
]

REQUEST_OBJECT_TYP = "oauth-authz-req+jwt"
SELF_ISSUED_AUD = "https://self-issued.me/v2"
MAX_REQUEST_OBJECT = 64 * 1024
# §5.9.3 (and ``origin``, §A.2): a client_id starting with one of these and ':' is not a
# pre-registered client; we support none of them (docs/interop.md says why).
CLIENT_ID_PREFIXES = frozenset({
    "redirect_uri", "openid_federation", "decentralized_identifier", "verifier_attestation",
    "x509_san_dns", "x509_hash", "origin", "did",
})
# §5.2: nonce and state are ASCII URL-safe characters only
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")
_LOOPBACK_NAMES = frozenset({"localhost"})


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


@dataclass(frozen=True)
class AuthorizationRequestUri:
    """What an ``openid4vp://`` link / QR carries: where to fetch the Request Object."""

    client_id: str
    request_uri: str
    request_uri_method: str = "get"


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


def check_client_id(client_id: Any) -> None:
    """A pre-registered client_id (§5.9.2): no supported-prefix ``<prefix>:`` (§5.9.1)."""
    if not isinstance(client_id, str) or not client_id or not client_id.isprintable():
        raise RequestObjectInvalid("client_id must be a non-empty string")
    prefix, colon, _ = client_id.partition(":")
    if colon and prefix in CLIENT_ID_PREFIXES:
        raise ClientIdPrefixUnsupported(f"client identifier prefix {prefix!r}")


def _check_response_uri(uri: Any) -> None:
    if not isinstance(uri, str) or not _is_safe_url(uri):
        raise ResponseUriInvalid()


def _is_safe_url(uri: str) -> bool:
    """``https`` with a host, or ``http`` on a loopback address (RFC 8252 §7.3); no
    fragment, no user info."""
    try:
        u = urlsplit(uri)
        host = u.hostname
        u.port  # noqa: B018 — raises ValueError on a bad port
    except ValueError:
        return False
    if not host or u.fragment or u.username is not None or not uri.isprintable():
        return False
    if u.scheme == "https":
        return True
    if u.scheme != "http":
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def authorization_request_uri(*, client_id: str, request_uri: str,
                              scheme: str = "openid4vp://") -> str:
    """``openid4vp://?client_id=…&request_uri=…`` (§5.7 example, §A: Request URI) — what the
    staff page renders as a QR code."""
    check_client_id(client_id)
    if not _is_safe_url(request_uri):
        raise AuthorizationRequestInvalid("request_uri must be https (or loopback http)")
    query = urlencode({"client_id": client_id, "request_uri": request_uri}, quote_via=quote,
                      safe="")
    return f"{scheme}?{query}"


def parse_authorization_request_uri(text: str) -> AuthorizationRequestUri:
    """The wallet's reading of a scanned request: ``client_id`` and ``request_uri``, once
    each. A request passed by value (``request=`` or plain parameters) is refused: we only
    accept signed requests by reference."""
    try:
        if not isinstance(text, str) or len(text) > 4096 or not text.isprintable():
            raise ValueError
        params = parse_qs(urlsplit(text.strip()).query, keep_blank_values=True,
                          strict_parsing=True, max_num_fields=10)
    except ValueError as exc:
        raise AuthorizationRequestInvalid("not an authorization request URI") from exc
    for name in ("client_id", "request_uri"):
        if len(params.get(name, ())) != 1 or not params[name][0]:
            raise AuthorizationRequestInvalid(f"{name} is required, once")
    if "request" in params:
        raise AuthorizationRequestInvalid("request and request_uri together")
    method = params.get("request_uri_method", ["get"])
    if len(method) != 1 or method[0] not in ("get", "post"):
        raise AuthorizationRequestInvalid("request_uri_method must be get or post")
    client_id, request_uri = params["client_id"][0], params["request_uri"][0]
    check_client_id(client_id)  # client_id_prefix_unsupported keeps its own code
    if not _is_safe_url(request_uri):
        raise AuthorizationRequestInvalid("request_uri must be https (or loopback http)")
    return AuthorizationRequestUri(client_id=client_id, request_uri=request_uri,
                                   request_uri_method=method[0])
