"""Client identifiers and the ``openid4vp://`` authorization request link (OpenID4VP 1.0
§5.7, §5.9, §5.10; RFC 9101 §5.2 request by reference).

The staff page's QR code carries only ``client_id`` and ``request_uri``; everything else is in
the signed Request Object fetched from there (``_request``). A ``client_id`` is a
pre-registered client (§5.9.2): one of the Client Identifier Prefixes 1.0 defines is refused
(``client_id_prefix_unsupported``). URLs we will send anything to are ``https``, or ``http``
on a loopback address for development (RFC 8252 §7.3).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from core.oid4vp.errors import (
    AuthorizationRequestInvalid,
    ClientIdPrefixUnsupported,
    RequestObjectInvalid,
)

__all__ = [
    "CLIENT_ID_PREFIXES",
    "AuthorizationRequestUri",
    "authorization_request_uri",
    "check_client_id",
    "is_safe_url",
    "parse_authorization_request_uri",
]

# §5.9.3 (and ``origin``, §A.2): a client_id starting with one of these and ':' is not a
# pre-registered client; we support none of them (docs/interop.md says why).
CLIENT_ID_PREFIXES = frozenset({
    "redirect_uri", "openid_federation", "decentralized_identifier", "verifier_attestation",
    "x509_san_dns", "x509_hash", "origin", "did",
})
_LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True)
class AuthorizationRequestUri:
    """What an ``openid4vp://`` link / QR carries: where to fetch the Request Object."""

    client_id: str
    request_uri: str
    request_uri_method: str = "get"


def check_client_id(client_id: Any) -> None:
    """A pre-registered client_id (§5.9.2): no supported-prefix ``<prefix>:`` (§5.9.1)."""
    if not isinstance(client_id, str) or not client_id or not client_id.isprintable():
        raise RequestObjectInvalid("client_id must be a non-empty string")
    prefix, colon, _ = client_id.partition(":")
    if colon and prefix in CLIENT_ID_PREFIXES:
        raise ClientIdPrefixUnsupported(f"client identifier prefix {prefix!r}")


def is_safe_url(uri: str) -> bool:
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
    if not is_safe_url(request_uri):
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
    if not is_safe_url(request_uri):
        raise AuthorizationRequestInvalid("request_uri must be https (or loopback http)")
    return AuthorizationRequestUri(client_id=client_id, request_uri=request_uri,
                                   request_uri_method=method[0])
