"""The wallet's side of OpenID4VP 1.0, verifier-initiated (DESIGN §4.3; OpenID4VP §5.10,
§6.4, §8.2, §8.5; profile in docs/interop.md §4 and §6).

``resolve`` reads a scanned ``openid4vp://?client_id=…&request_uri=…`` link: the
``client_id`` must be an organisation of a verifier service the wallet is registered with
(``{verifier_url}/orgs/{org_id}``; its registry entry — name, scenarios, request-signing
JWKS — is read from there, cached), the Request Object fetched from ``request_uri`` must
verify against that JWKS (``verify_request_object``: never a key from the token), its one
Credential Query names the scenario (its ``id``), which the organisation must be registered
for, and every claim asked for must be in that scenario's ``disclose`` list
(``check_dcql_within_policy``). It returns who asks, why, for what, and which of the
citizen's licenses can answer.

``respond`` re-reads and re-checks the request (nothing is kept between the two calls: the
``request_id`` is the link itself), then either posts ``error=access_denied`` (the citizen
refused, or the chosen license cannot answer) or presents exactly the DCQL claims
(``match_dcql``) with KB-JWT ``aud`` = ``client_id`` and ``nonce`` = the request's, and posts
the ``vp_token`` to ``response_uri`` (``direct_post``). A request the wallet refuses
(signature, client, policy) gets no answer at all (§5.10), except a query beyond the scenario,
which is answered ``access_denied`` so the verifier learns nothing more (docs/interop.md §4.3).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from core.credential import KeyLookup
from core.errors import UnknownKey
from core.jose import PublicKey, public_key_from_jwk
from core.oid4vp import (
    AuthorizationRequest,
    build_vp_token,
    check_dcql_within_policy,
    direct_post_form,
    error_response_form,
    match_dcql,
    parse_authorization_request_uri,
    verify_request_object,
)
from core.oid4vp.errors import (
    AuthorizationRequestInvalid,
    DcqlClaimNotAllowed,
    DcqlNoMatch,
    RequestObjectClientUnknown,
)
from wallet.catalog import find_scenario, load_catalog
from wallet.credentials import get_credential, list_credentials, require_usable
from wallet.errors import ScenarioNotApplicable
from wallet.i18n import type_names
from wallet.models import Credential, PresentationLog, User
from wallet.oid4vp_errors import (
    RequestClosed,
    VerifierScenarioNotRegistered,
    VerifierUnreachable,
)
from wallet.presenting import _present
from wallet.settings import Settings
from wallet.upstream import Upstream

__all__ = ["Resolved", "load_request", "resolve", "respond"]

_ORG_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Resolved:
    """A request that passed every check, with what it is held to."""

    uri: str
    request: AuthorizationRequest
    verifier: Mapping[str, Any]  # the registry entry
    scenario: Mapping[str, Any]  # the catalog entry
    claims: list[str]  # every claim the query may ask for


class _RegistryKeys(KeyLookup):
    """The registered organisation's request-signing keys, by ``kid`` (RFC 7638)."""

    def __init__(self, client_id: str, jwks: Any) -> None:
        self._client_id = client_id
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        self._keys = {k["kid"]: k for k in keys or () if isinstance(k, dict) and "kid" in k}

    def lookup(self, iss: str, kid: str | None) -> PublicKey:
        jwk = self._keys.get(kid or "") if iss == self._client_id else None
        if jwk is None:
            raise UnknownKey(f"kid {kid!r} is not registered for {iss}")
        return public_key_from_jwk(jwk)


def _verifier_base(settings: Settings) -> str:
    return (settings.verifier_url or f"{settings.public_url.rstrip('/')}/verifier").rstrip("/")


def _registry_entry(upstream: Upstream, settings: Settings, client_id: str) -> dict[str, Any]:
    """The registered organisation behind ``client_id``, or ``request_object_client_unknown``."""
    prefix = f"{_verifier_base(settings)}/orgs/"
    org_id = client_id[len(prefix):] if client_id.startswith(prefix) else ""
    if not _ORG_ID.fullmatch(org_id):
        raise RequestObjectClientUnknown(f"{client_id!r} is not a registered verifier")
    try:
        entry = upstream.get(prefix + org_id, error=VerifierUnreachable,
                             ttl=settings.metadata_cache_s)
    except VerifierUnreachable as exc:
        if exc.extra.get("upstream_status") == 404:
            raise RequestObjectClientUnknown(f"{client_id!r} is not registered") from exc
        raise
    if not isinstance(entry, dict) or entry.get("client_id") != client_id:
        raise RequestObjectClientUnknown("registry entry does not match the client_id")
    return entry


def load_request(*, upstream: Upstream, settings: Settings, uri: str, now: int) -> Resolved:
    link = parse_authorization_request_uri(uri)
    entry = _registry_entry(upstream, settings, link.client_id)
    if not link.request_uri.startswith(_verifier_base(settings) + "/"):
        # The wallet server fetches only from the registered verifier service (no SSRF).
        raise AuthorizationRequestInvalid("request_uri is not at the registered verifier")
    try:
        jws = upstream.get(link.request_uri, error=VerifierUnreachable, as_json=False)
    except VerifierUnreachable as exc:
        if exc.extra.get("upstream_status") == 409:  # answered already, or expired
            raise RequestClosed(upstream_code=exc.extra.get("upstream_code")) from exc
        raise
    request = verify_request_object(jws, keys=_RegistryKeys(link.client_id, entry.get("jwks")),
                                    client_id=link.client_id, now=now)
    creds = request.dcql_query["credentials"]
    scenario_id = creds[0]["id"] if len(creds) == 1 else None
    if scenario_id not in entry.get("scenarios", ()):
        raise VerifierScenarioNotRegistered(scenario=scenario_id)
    catalog = load_catalog(upstream, settings.catalog_url, ttl=settings.catalog_cache_s)
    scenario = find_scenario(catalog, str(scenario_id))
    allowed = set(scenario.get("disclose", ())) - set(scenario.get("never", ()))
    resolved = Resolved(uri=uri, request=request, verifier=entry, scenario=scenario,
                        claims=[".".join(map(str, c["path"]))
                                for c in creds[0].get("claims") or ()])
    try:
        check_dcql_within_policy(request.dcql_query, allowed)
    except DcqlClaimNotAllowed:
        _deny(upstream, resolved)
        raise
    return resolved


def _deny(upstream: Upstream, r: Resolved) -> None:
    # Best effort: the verifier may have closed the request already.
    with contextlib.suppress(VerifierUnreachable):
        upstream.post(r.request.response_uri, error=VerifierUnreachable,
                      data=error_response_form(state=r.request.state))


def _answerable(r: Resolved, cred: Credential) -> list[str] | None:
    if cred.type not in r.scenario.get("credential_types", ()):
        return None
    try:
        return match_dcql(r.request.dcql_query, vct=cred.vct,
                          available_claims=cred.disclosable(),
                          credential_id=str(r.scenario["id"]))
    except DcqlNoMatch:
        return None


def resolve(*, db: Session, upstream: Upstream, settings: Settings, now: int, user: User,
            uri: str) -> dict[str, Any]:
    r = load_request(upstream=upstream, settings=settings, uri=uri, now=now)
    licenses = []
    for cred in list_credentials(db=db, user=user):
        disclose = _answerable(r, cred)
        if disclose is not None:
            licenses.append({"id": cred.id, "type": cred.type, "name": type_names(cred.type),
                             "disclose": disclose})
    return {
        "request_id": uri,
        "verifier": {"client_id": r.request.client_id, "org_id": r.verifier.get("org_id"),
                     "name": r.verifier.get("name")},
        "scenario": {"id": r.scenario["id"], "name": r.scenario.get("name")},
        "purpose": r.scenario.get("name"),
        "claims": r.claims,
        "credentials": licenses,
        "expires_at": r.request.exp,
    }


def respond(*, db: Session, upstream: Upstream, settings: Settings, now: int, user: User,
            request_id: str, credential_id: str | None, consent: bool) -> dict[str, Any]:
    r = load_request(upstream=upstream, settings=settings, uri=request_id, now=now)
    if not consent:
        upstream.post(r.request.response_uri, error=VerifierUnreachable,
                      data=error_response_form(state=r.request.state))
        return {"sent": "access_denied", "disclosed": []}
    cred = get_credential(db=db, user=user, credential_id=credential_id or "")
    if cred.type not in r.scenario.get("credential_types", ()):
        raise ScenarioNotApplicable(scenario=r.scenario["id"], credential_type=cred.type)
    try:
        disclose = match_dcql(r.request.dcql_query, vct=cred.vct,
                              available_claims=cred.disclosable(),
                              credential_id=str(r.scenario["id"]))
    except DcqlNoMatch:
        _deny(upstream, r)
        raise
    require_usable(db=db, upstream=upstream, settings=settings, now=now, cred=cred)
    presentation, copy, _ = _present(db, settings=settings, user=user, cred=cred,
                                     disclose=disclose, aud=r.request.client_id,
                                     nonce=r.request.nonce, now=now)
    # Commit the spent copy before the POST: no write transaction is held open across a
    # call to another service (which may share this database).
    db.commit()
    form = direct_post_form(build_vp_token(str(r.scenario["id"]), presentation),
                            r.request.state)
    upstream.post(r.request.response_uri, error=VerifierUnreachable, data=form)
    assert user.id is not None
    db.add(PresentationLog(user_id=user.id, credential_id=cred.id, copy_id=copy.id,
                           scenario=str(r.scenario["id"]), mode="oid4vp",
                           verifier_client=str(r.verifier.get("org_id"))[:64],
                           aud=r.request.client_id, at=now))
    db.commit()
    return {"sent": "vp_token", "disclosed": disclose}
