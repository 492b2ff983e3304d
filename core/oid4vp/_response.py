"""The Authorization Response over ``direct_post`` (OpenID4VP 1.0 §8.1, §8.2, §8.5, §8.6).

Wallet side: ``build_vp_token`` (§8.1: ``{"<credential query id>": ["<SD-JWT+KB>"]}``, an
*array* per id in 1.0), ``direct_post_form`` / ``error_response_form`` — the
``application/x-www-form-urlencoded`` fields to POST to the ``response_uri``.

Verifier side: ``parse_direct_post`` reads the form (a VP Token, or an error response with
its ``state`` so the verifier can find the transaction first); ``verify_vp_token`` runs
§8.6: every presentation through ``core.credential.verify`` with the request's ``nonce``
and ``aud`` = the ``client_id`` (Appendix B.3.6), then checks it answers the DCQL query —
right ``vct``, every requested claim disclosed, nothing selectively disclosable beyond it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import orjson

from core.credential import KeyLookup, Verified, verify
from core.oid4vp._dcql import (
    ID_PATTERN,
    SD_JWT_VC_FORMAT,
    claim_paths,
    requested_claim_sets,
    validate_dcql,
)
from core.oid4vp.errors import (
    AccessDenied,
    AuthorizationResponseInvalid,
    DcqlInvalid,
    VpTokenClaimsMissing,
    VpTokenClaimsUnrequested,
    VpTokenCredentialMissing,
    VpTokenInvalid,
    VpTokenVctMismatch,
    WalletErrorResponse,
)

__all__ = [
    "VpToken",
    "build_vp_token",
    "direct_post_form",
    "error_response_form",
    "parse_direct_post",
    "verify_vp_token",
]

VpToken = dict[str, list[str]]
MAX_FORM_VALUE = 2 * 1024 * 1024  # a few presentations with portraits
_OAUTH_ERROR_CHARS = frozenset(  # RFC 6749 §4.1.2.1: %x20-21 / %x23-5B / %x5D-7E
    chr(c) for c in range(0x20, 0x7F) if c not in (0x22, 0x5C))


def build_vp_token(credential_id: str, presentation: str) -> VpToken:
    """The 1.0 VP Token for one Credential Query: its id → a one-element array."""
    if not ID_PATTERN.fullmatch(credential_id):
        raise DcqlInvalid("credential id must be [A-Za-z0-9_-]+")
    return {credential_id: [presentation]}


def direct_post_form(vp_token: Mapping[str, list[str]], state: str | None) -> dict[str, str]:
    """Form fields of a successful response: ``vp_token`` JSON-encoded (§8.1), ``state``."""
    form = {"vp_token": orjson.dumps(dict(vp_token)).decode()}
    if state is not None:
        form["state"] = state
    return form


def error_response_form(*, error: str = "access_denied", description: str | None = None,
                        state: str | None = None) -> dict[str, str]:
    """Form fields of an error response (§8.5; RFC 6749 §4.1.2.1)."""
    form = {"error": error}
    if description is not None:
        form["error_description"] = description
    if state is not None:
        form["state"] = state
    return form


def parse_direct_post(form: Mapping[str, str]) -> tuple[VpToken | WalletErrorResponse,
                                                         str | None]:
    """(VP Token, state) or (the wallet's error, state) from a ``direct_post`` body.

    The error is *returned*, not raised, so that the verifier first finds its transaction
    by ``state`` and then records or raises it (``AccessDenied`` for ``access_denied``).
    Anything else unusable raises ``AuthorizationResponseInvalid``.
    """
    state = form.get("state")
    if state is not None and (not isinstance(state, str) or len(state) > 512):
        raise AuthorizationResponseInvalid("state must be a short string")
    if "response" in form:
        raise AuthorizationResponseInvalid("direct_post.jwt (encrypted) is not supported")
    if "error" in form:
        if "vp_token" in form:
            raise AuthorizationResponseInvalid("both vp_token and error")
        return _wallet_error(form, state), state
    raw = form.get("vp_token")
    if not isinstance(raw, str) or not raw or len(raw) > MAX_FORM_VALUE:
        raise AuthorizationResponseInvalid("vp_token is required")
    try:
        token = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AuthorizationResponseInvalid("vp_token is not JSON") from exc
    if not isinstance(token, dict) or not token:
        raise AuthorizationResponseInvalid("vp_token must be a non-empty JSON object")
    for cid, presentations in token.items():
        if not ID_PATTERN.fullmatch(cid):
            raise AuthorizationResponseInvalid("vp_token keys are Credential Query ids")
        if (not isinstance(presentations, list) or not presentations
                or not all(isinstance(p, str) and p for p in presentations)):
            raise AuthorizationResponseInvalid(
                "each vp_token entry is a non-empty array of presentations (1.0 shape)")
    return token, state


def _wallet_error(form: Mapping[str, str], state: str | None) -> WalletErrorResponse:
    error = form.get("error")
    description = form.get("error_description")
    for value in (error, description):
        if value is not None and (not isinstance(value, str) or len(value) > 1024
                                  or not set(value) <= _OAUTH_ERROR_CHARS):
            raise AuthorizationResponseInvalid("error and error_description: RFC 6749 "
                                               "§4.1.2.1 characters only")
    if not error:
        raise AuthorizationResponseInvalid("error must not be empty")
    cls = AccessDenied if error == "access_denied" else WalletErrorResponse
    return cls(error=error, error_description=description, state=state)


def verify_vp_token(
    vp_token: Mapping[str, list[str]],
    *,
    dcql_query: Mapping[str, Any],
    keys: KeyLookup,
    nonce: str,
    client_id: str,
    now: int,
    allowed_claims: Collection[str] | None = None,
    **verify_options: Any,
) -> dict[str, Verified]:
    """§8.6 for SD-JWT VC: each presentation verified (``aud`` = ``client_id``, ``nonce``),
    then checked against its Credential Query. ``credential_sets`` are not supported (our
    verifier never sends them); every Credential Query is required.

    ``allowed_claims`` (optional) also refuses disclosed claims beyond the scenario's
    policy, whatever the query asked. ``verify_options`` go to ``core.credential.verify``
    (``leeway``, ``kb_max_age``, ``algorithms``).
    """
    validate_dcql(dcql_query)
    if "credential_sets" in dcql_query:
        raise DcqlInvalid("credential_sets are not supported")
    queries = {cq["id"]: cq for cq in dcql_query["credentials"]}
    extra = set(vp_token) - set(queries)
    if extra:
        raise VpTokenInvalid(f"unrequested credential ids {sorted(extra)}")
    results: dict[str, Verified] = {}
    for cid, cq in queries.items():
        presentations = vp_token.get(cid)
        if not presentations:
            raise VpTokenCredentialMissing(f"nothing for {cid!r}", credential_id=cid)
        if len(presentations) != 1 and not cq.get("multiple", False):
            raise VpTokenInvalid(f"several presentations for {cid!r} without multiple")
        if cq["format"] != SD_JWT_VC_FORMAT:
            raise DcqlInvalid(f"format {cq['format']!r} is not supported")
        if len(presentations) != 1:
            raise VpTokenInvalid("multiple presentations per query are not supported")
        binding = cq.get("require_cryptographic_holder_binding", True)
        v = verify(presentations[0], keys=keys, key_binding=binding, now=now,
                   nonce=nonce if binding else None, aud=client_id if binding else None,
                   **verify_options)
        _check_answer(cid, cq, v, allowed_claims)
        results[cid] = v
    return results


def _check_answer(cid: str, cq: Mapping[str, Any], v: Verified,
                  allowed: Collection[str] | None) -> None:
    if v.vct not in cq["meta"]["vct_values"]:
        raise VpTokenVctMismatch(credential_id=cid)
    if not any(all(_present(p, v) for p in option) for option in requested_claim_sets(cq)):
        raise VpTokenClaimsMissing(credential_id=cid)
    requested = claim_paths(cq)
    limits = [requested] + ([list(allowed)] if allowed is not None else [])
    for limit in limits:
        extra = sorted(d for d in v.disclosed if not _covered(d, limit))
        if extra:
            raise VpTokenClaimsUnrequested(f"disclosed {extra}", credential_id=cid,
                                           claims=extra)


def _present(path: str, v: Verified) -> bool:
    """Is the claim at ``path`` in the processed claims (disclosed or always visible)?"""
    node: Any = v.claims
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _covered(disclosed: str, requested: list[str]) -> bool:
    # a disclosed path is fine when it is requested, lies under a requested claim, or is
    # the parent that must be disclosed to reach a requested nested claim (RFC 9901 §4.2.6)
    return any(disclosed == r or disclosed.startswith(r + ".") or r.startswith(disclosed + ".")
               for r in requested)
