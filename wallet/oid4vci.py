"""The wallet's OpenID4VCI 1.0 client for the pre-authorized code flow (the citizen's
pick-up of licenses from the issuer):

1. credential offer (§4.1): by value, or by reference (``credential_offer_uri``, fetched);
2. Credential Issuer metadata (§12.2): ``{issuer}/.well-known/openid-credential-issuer``
   (mounted form) or the well-known form with the path appended; the token endpoint from
   the Authorization Server metadata (RFC 8414) of ``authorization_servers[0]``;
3. token request with ``pre-authorized_code`` and the ``tx_code`` PIN (§6.1);
4. a fresh ``c_nonce`` from the Nonce Endpoint (§7);
5. one proof of possession per copy (§8.2.1.1, ``typ: openid4vci-proof+jwt``, ``jwk``
   header, ``aud`` = issuer, ``nonce``, ``iat``), each with its own new holder key, in
   one batch request ``proofs: {jwt: [...]}`` (§8.2);
6. the credentials of the answer (§8.3), returned with the holder key each is bound to.

The caller verifies every SD-JWT against the issuer's JWKS before storing it. Only the
issuer's answers are trusted for transport; nothing here decides trust.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from core.errors import MalformedError
from core.jose import b64u_decode, b64u_encode, json_dumps, json_loads_object, thumbprint
from core.signing import Signer
from wallet.errors import IssuerFailed, OfferInvalid, OfferRejected, TxCodeRequired
from wallet.upstream import Upstream

__all__ = ["PRE_AUTH_GRANT", "PickedUp", "pick_up", "resolve_offer"]

PRE_AUTH_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP = "openid4vci-proof+jwt"


@dataclass(frozen=True)
class PickedUp:
    """The SD-JWTs of one credential configuration, each with the signer it is bound to."""

    credential_issuer: str
    configuration_id: str
    configuration: Mapping[str, Any]
    credentials: list[tuple[str, Signer]]


def resolve_offer(upstream: Upstream, *, offer: Any = None, offer_uri: str | None = None
                  ) -> dict[str, Any]:
    """The credential offer object, from a value, a ``credential_offer_uri`` or an
    ``openid-credential-offer://?credential_offer[_uri]=`` link."""
    if offer is None and offer_uri:
        parts = urlsplit(offer_uri)
        if parts.scheme in ("http", "https"):
            offer = upstream.get(offer_uri, error=IssuerFailed)
        else:
            query = parse_qs(parts.query)
            if "credential_offer" in query:
                try:
                    offer = orjson.loads(query["credential_offer"][0])
                except orjson.JSONDecodeError as exc:
                    raise OfferInvalid("credential_offer is not JSON") from exc
            elif "credential_offer_uri" in query:
                return resolve_offer(upstream, offer_uri=query["credential_offer_uri"][0])
    if not isinstance(offer, dict):
        raise OfferInvalid("a credential_offer object or credential_offer_uri is required")
    if not isinstance(offer.get("credential_issuer"), str) or not offer["credential_issuer"]:
        raise OfferInvalid("credential_issuer missing")
    ids = offer.get("credential_configuration_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise OfferInvalid("credential_configuration_ids missing")
    grant = (offer.get("grants") or {}).get(PRE_AUTH_GRANT)
    if not isinstance(grant, dict) or not isinstance(grant.get("pre-authorized_code"), str):
        raise OfferInvalid("only the pre-authorized code grant is supported")
    return offer


def _well_known(base: str, name: str) -> list[str]:
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    return [f"{base.rstrip('/')}/.well-known/{name}",
            f"{origin}/.well-known/{name}{parts.path.rstrip('/')}"]


def _first_json(upstream: Upstream, urls: list[str], ttl: int) -> dict[str, Any]:
    last: IssuerFailed | None = None
    for url in urls:
        try:
            body = upstream.get(url, error=IssuerFailed, ttl=ttl)
        except IssuerFailed as exc:
            last = exc
            continue
        if isinstance(body, dict):
            return body
    raise last or IssuerFailed("metadata is not a JSON object")


def _token_endpoint(upstream: Upstream, issuer: str, meta: Mapping[str, Any], ttl: int) -> str:
    if isinstance(meta.get("token_endpoint"), str):  # some issuers inline it
        return str(meta["token_endpoint"])
    servers = meta.get("authorization_servers") or [issuer]
    try:
        as_meta = _first_json(upstream, _well_known(servers[0], "oauth-authorization-server"),
                              ttl)
    except IssuerFailed:
        as_meta = {}
    endpoint = as_meta.get("token_endpoint")
    return str(endpoint) if isinstance(endpoint, str) else f"{issuer.rstrip('/')}/oauth/token"


def _proof(signer: Signer, *, aud: str, nonce: str | None, iat: int) -> str:
    jwk = {k: v for k, v in signer.public_jwk().items() if k in ("kty", "crv", "x", "y")}
    header = {"typ": PROOF_TYP, "alg": signer.alg, "jwk": jwk}
    payload: dict[str, Any] = {"aud": aud, "iat": iat}
    if nonce is not None:
        payload["nonce"] = nonce
    signing_input = b64u_encode(json_dumps(header)) + "." + b64u_encode(json_dumps(payload))
    return signing_input + "." + b64u_encode(signer.sign(signing_input.encode("ascii")))


def _batch_size(meta: Mapping[str, Any], wanted: int) -> int:
    batch = meta.get("batch_credential_issuance")
    limit = batch.get("batch_size") if isinstance(batch, dict) else None
    return max(1, min(wanted, limit)) if isinstance(limit, int) else 1


def _alg_for(config: Mapping[str, Any], preferred: str) -> str:
    jwt = (config.get("proof_types_supported") or {}).get("jwt") or {}
    algs = jwt.get("proof_signing_alg_values_supported") or [preferred]
    if preferred in algs:
        return preferred
    for alg in ("ES256", "EdDSA"):
        if alg in algs:
            return alg
    raise IssuerFailed("the issuer accepts no proof algorithm this wallet has")


def pick_up(upstream: Upstream, *, offer: Mapping[str, Any], tx_code: str | None,
            new_holder_key: Callable[[str], Signer], preferred_alg: str, batch_size: int,
            now: int, meta_ttl: int = 300) -> list[PickedUp]:
    issuer = str(offer["credential_issuer"])
    grant = offer["grants"][PRE_AUTH_GRANT]
    if grant.get("tx_code") is not None and not tx_code:
        raise TxCodeRequired()
    meta = _first_json(upstream, _well_known(issuer, "openid-credential-issuer"), meta_ttl)
    if meta.get("credential_issuer", issuer) != issuer:
        raise IssuerFailed("issuer metadata names another credential_issuer")
    configs = meta.get("credential_configurations_supported") or {}
    credential_endpoint = meta.get("credential_endpoint")
    if not isinstance(credential_endpoint, str):
        raise IssuerFailed("issuer metadata has no credential_endpoint")

    form = {"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": grant["pre-authorized_code"]}
    if tx_code:
        form["tx_code"] = tx_code
    try:
        token = upstream.post(_token_endpoint(upstream, issuer, meta, meta_ttl), data=form,
                              error=IssuerFailed)
    except IssuerFailed as exc:
        if exc.extra.get("upstream_status") == 400:  # RFC 6749 §5.2: the grant was refused
            raise OfferRejected(**exc.extra) from exc
        raise
    access_token = token.get("access_token") if isinstance(token, dict) else None
    if not isinstance(access_token, str):
        raise IssuerFailed("token response without access_token")
    auth = {"Authorization": f"Bearer {access_token}"}

    out = []
    for config_id in offer["credential_configuration_ids"]:
        config = configs.get(config_id)
        if not isinstance(config, dict):
            raise OfferInvalid(f"issuer does not support {config_id!r}")
        nonce = token.get("c_nonce")
        if isinstance(meta.get("nonce_endpoint"), str):
            nonce = upstream.post(meta["nonce_endpoint"], error=IssuerFailed).get("c_nonce")
        alg = _alg_for(config, preferred_alg)
        signers = [new_holder_key(alg) for _ in range(_batch_size(meta, batch_size))]
        body = {"credential_configuration_id": config_id,
                "proofs": {"jwt": [_proof(s, aud=issuer, nonce=nonce, iat=now)
                                   for s in signers]}}
        answer = upstream.post(credential_endpoint, json=body, headers=auth,
                               error=IssuerFailed)
        creds = _credentials_of(answer)
        if len(creds) != len(signers):
            raise IssuerFailed(f"asked for {len(signers)} copies, got {len(creds)}")
        out.append(PickedUp(issuer, config_id, config, _pair(creds, signers)))
    return out


def _credentials_of(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        raise IssuerFailed("credential response is not an object")
    if "transaction_id" in answer and "credentials" not in answer:
        raise IssuerFailed("deferred issuance is not supported by this wallet")
    items = answer.get("credentials")
    if items is None and isinstance(answer.get("credential"), str):
        items = [{"credential": answer["credential"]}]
    if not isinstance(items, list):
        raise IssuerFailed("credential response without credentials")
    out = []
    for item in items:
        cred = item.get("credential") if isinstance(item, dict) else item
        if not isinstance(cred, str):
            raise IssuerFailed("credential is not a compact SD-JWT")
        out.append(cred)
    return out


def _pair(creds: list[str], signers: list[Signer]) -> list[tuple[str, Signer]]:
    """Pair each SD-JWT with its holder key by the ``cnf.jwk`` thumbprint (an issuer may
    answer in any order); an SD-JWT bound to none of our keys is refused."""
    by_kid = {s.kid: s for s in signers}
    out = []
    for cred in creds:
        try:
            payload = json_loads_object(b64u_decode(cred.split("~", 1)[0].split(".")[1]))
            kid = thumbprint(payload["cnf"]["jwk"])
        except (IndexError, KeyError, TypeError, MalformedError) as exc:
            raise IssuerFailed("credential without cnf.jwk") from exc
        signer = by_kid.pop(kid, None)
        if signer is None:
            raise IssuerFailed("credential bound to a key this wallet did not prove")
        out.append((cred, signer))
    return out
