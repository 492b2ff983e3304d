"""The verifier's side of OpenID4VP 1.0, verifier-initiated and cross-device (DESIGN §4.3;
OpenID4VP §5, §8.2, §8.6; profile in docs/interop.md §4 and §6).

- ``create_request``: a DCQL query from the scenario policy (one Credential Query whose id
  is the scenario id — so the wallet knows which policy to hold it to — with the accepted
  types' ``vct``s from the trust list, the scenario's ``disclose`` claims and ``claim_sets``:
  all of them, then for each accepted type the ones its SD-JWT VC Type Metadata lists, then
  the ``required`` ones), a 128-bit nonce, a Request Object signed with the
  organisation's key (keys owner ``verifier:<org_id>``, generated on first use) and served
  by reference at ``request_uri``; ``client_id`` = ``{public_url}/verifier/orgs/{org_id}``.
- ``respond``: the ``direct_post`` answer. The request leaves ``pending`` by one
  conditional UPDATE (a second answer is ``oid4vp_request_answered``, one after
  ``expires_at`` is ``oid4vp_request_expired``); the presentation then goes through the
  same verdict pipeline as a QR (``Verifier.verify_presentation``: trust, signature,
  key binding with ``nonce`` = the request's and ``aud`` = the client_id, status, policy,
  replay, record). An error response (``access_denied``) is recorded as ``refused``.
- ``purge``: requests (their verdicts hold disclosed claims) are deleted ``RETAIN_S`` after
  they expire, on the way of each new request.
- ``org_metadata``: what a wallet's registry reads at the client_id URL (name, scenarios,
  the request-signing JWKS).

Plain Python over the verifier runtime, no FastAPI.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Collection, Iterable
from typing import Any

import httpx
from sqlalchemy import delete, update
from sqlmodel import Session, col

from core.oid4vp import (
    authorization_request_uri,
    build_request_object,
    parse_direct_post,
    validate_dcql,
)
from core.oid4vp.errors import AuthorizationResponseInvalid, WalletErrorResponse
from core.qr import render_png
from keys.service import active_signer, ensure_active, jwks
from verifier.models import VerifierOrg
from verifier.oid4vp_errors import (
    OrgNotFound,
    RequestAlreadyAnswered,
    RequestExpired,
    RequestNotFound,
    ScenarioNotOnline,
    StateMismatch,
)
from verifier.oid4vp_models import VerifierPresentationRequest as Req
from verifier.orgs import OrgPrincipal, require_scenario
from verifier.policies import Scenario
from verifier.service import Verifier
from verifier.settings import Settings

__all__ = ["KEY_ALG", "RETAIN_S", "TypeClaims", "create_request", "dcql_for", "key_owner",
           "org_metadata", "purge", "request_object", "respond", "status_of"]

KEY_ALG = "ES256"
REQUEST_TTL_S = 300  # how long the staff page's request QR can be answered
# An answered verdict holds the disclosed claims: kept only for the staff page to show it,
# then deleted (what a scenario keeps for longer is in its verification record).
RETAIN_S = 600


def key_owner(org_id: str) -> str:
    return f"verifier:{org_id}"


def _base(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/verifier"


def dcql_for(scenario: Scenario, vcts: list[str],
             type_claims: Iterable[Collection[str]] = ()) -> dict[str, Any]:
    """The scenario as a DCQL query (§6). ``claim_sets`` (§6.4.1, first match wins): every
    ``disclose`` claim; then, per accepted type, those the type carries (``type_claims``:
    the claim names of each type's metadata); then the ``required`` ones alone."""
    claims = [c for c in scenario.disclose if c not in scenario.never]
    cq: dict[str, Any] = {
        "id": scenario.id, "format": "dc+sd-jwt", "meta": {"vct_values": vcts},
        "claims": [{"id": c, "path": [c]} for c in claims],
    }
    required = [c for c in scenario.required if c in claims]
    options = [claims]
    for have in type_claims:
        option = [c for c in claims if c in have]
        if option and set(required) <= set(option) and option not in options:
            options.append(option)
    if required and required not in options:
        options.append(required)
    if len(options) > 1:
        cq["claim_sets"] = options
    query = {"credentials": [cq]}
    validate_dcql(query)
    return query


class TypeClaims:
    """Claim names per ``vct`` from SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc §4,
    served at the ``vct`` URL), cached; a type whose metadata cannot be read is skipped
    (its licenses then answer with every claim or the required ones)."""

    def __init__(self, http: httpx.Client | None, *, ttl_s: int = 3600) -> None:
        self._http, self._ttl = http, ttl_s
        self._cache: dict[str, tuple[int, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def __call__(self, vct: str, now: int) -> frozenset[str] | None:
        with self._lock:
            hit = self._cache.get(vct)
        if hit is not None and hit[0] > now:
            return hit[1]
        if self._http is None:
            return None
        try:
            resp = self._http.get(vct)
            body = resp.json() if resp.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None
        claims = body.get("claims") if isinstance(body, dict) else None
        if not isinstance(claims, list):
            return None
        names = frozenset(c["path"][0] for c in claims if isinstance(c, dict)
                          and isinstance(c.get("path"), list) and c["path"]
                          and isinstance(c["path"][0], str))
        with self._lock:
            self._cache[vct] = (now + self._ttl, names)
        return names


def _vcts(verifier: Verifier, scenario: Scenario) -> list[str]:
    types = set(scenario.credential_types)
    return sorted({vct for issuer in verifier.trust.current().issuers.values()
                   for vct, type_ in issuer.types.items() if type_ in types})


def create_request(*, verifier: Verifier, settings: Settings, principal: OrgPrincipal,
                   scenario_id: str, type_claims: TypeClaims | None = None,
                   ttl_s: int = REQUEST_TTL_S) -> dict[str, Any]:
    scenario = verifier.policies.get(scenario_id)
    require_scenario(principal, scenario.id)
    if "online" not in scenario.modes:
        raise ScenarioNotOnline(scenario=scenario.id)
    now = verifier.clock.now()
    request_id = secrets.token_urlsafe(16)
    client_id = settings.org_audience(principal.org_id)
    base = f"{_base(settings)}/v1/requests/{request_id}"
    nonce = secrets.token_urlsafe(16)
    vcts = _vcts(verifier, scenario)
    per_type = [type_claims(v, now) for v in vcts] if type_claims is not None else []
    query = dcql_for(scenario, vcts, [c for c in per_type if c is not None])
    with Session(verifier.engine) as db:
        purge(db, now)
        owner = key_owner(principal.org_id)
        ensure_active(session=db, owner=owner, alg=KEY_ALG, settings=settings,
                      clock=verifier.clock)
        signer = active_signer(session=db, owner=owner, settings=settings)
        jws = build_request_object(signer=signer, client_id=client_id,
                                   response_uri=f"{base}/response", nonce=nonce,
                                   state=request_id, dcql_query=query, iat=now,
                                   exp=now + ttl_s)
        db.add(Req(id=request_id, org_id=principal.org_id, scenario=scenario.id,
                   client_id=client_id, nonce=nonce, request_jws=jws,
                   dcql_json=json.dumps(query), created_at=now, expires_at=now + ttl_s))
        db.commit()
    link = authorization_request_uri(client_id=client_id,
                                     request_uri=f"{base}/request-object")
    return {"id": request_id, "scenario": scenario.id, "client_id": client_id,
            "request_uri": f"{base}/request-object", "qr_payload": link,
            "png_base64": base64.b64encode(render_png(link)).decode("ascii"),
            "expires_at": now + ttl_s}


def purge(db: Session, now: int) -> int:
    """Delete requests ``RETAIN_S`` past their expiry (run with each new request)."""
    result = db.execute(delete(Req).where(col(Req.expires_at) < now - RETAIN_S))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _get(db: Session, request_id: str) -> Req:
    row = db.get(Req, request_id) if len(request_id) <= 64 else None
    if row is None:
        raise RequestNotFound()
    return row


def request_object(*, verifier: Verifier, request_id: str) -> str:
    """The signed Request Object, while the request can still be answered."""
    with Session(verifier.engine) as db:
        row = _get(db, request_id)
        if row.state != "pending":
            raise RequestAlreadyAnswered()
        if row.expires_at <= verifier.clock.now():
            raise RequestExpired()
        return row.request_jws


def status_of(*, verifier: Verifier, principal: OrgPrincipal, request_id: str
              ) -> dict[str, Any]:
    """``pending`` | ``expired`` | ``refused`` (with the wallet's ``error``) | ``answered``
    (with the verdict) — for the organisation that made the request only."""
    with Session(verifier.engine) as db:
        row = _get(db, request_id)
    if row.org_id != principal.org_id:
        raise RequestNotFound()
    state = row.state
    if state in ("pending", "answering") and row.expires_at <= verifier.clock.now():
        state = "expired"
    out: dict[str, Any] = {"id": row.id, "scenario": row.scenario, "state": state,
                           "expires_at": row.expires_at, "answered_at": row.answered_at}
    if row.state == "answered" and row.verdict_json:
        out["verdict"] = json.loads(row.verdict_json)
    if row.state == "refused":
        out["error"] = row.error
    return out


def respond(*, verifier: Verifier, request_id: str, form: dict[str, str]) -> dict[str, Any]:
    """Take the wallet's ``direct_post`` for ``request_id`` (once). Returns the verdict (a
    verdict, not an exception, for anything wrong with the presentation itself)."""
    answer, state = parse_direct_post(form)
    now = verifier.clock.now()
    with Session(verifier.engine) as db:
        row = _get(db, request_id)
        if state != row.id:
            raise StateMismatch()
        claimed = db.execute(update(Req).where(
            col(Req.id) == row.id, col(Req.state) == "pending", col(Req.expires_at) > now,
        ).values(state="answering", answered_at=now))
        db.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            db.refresh(row)
            if row.state != "pending":
                raise RequestAlreadyAnswered()
            raise RequestExpired()
        if isinstance(answer, WalletErrorResponse):
            _finish(db, row.id, state="refused", error=answer.error[:64])
            raise answer
        verdict = _verdict(verifier, db, row, answer)
        _finish(db, row.id, state="answered", verdict=verdict)
    return verdict


def _verdict(verifier: Verifier, db: Session, row: Req, vp_token: Any) -> dict[str, Any]:
    org = db.get(VerifierOrg, row.org_id)
    assert org is not None
    principal = OrgPrincipal(org_id=org.id, name_zh=org.name_zh, name_en=org.name_en,
                             scenarios=org.scenario_ids())
    presentations = vp_token.get(row.scenario) if isinstance(vp_token, dict) else None
    if not (isinstance(presentations, list) and len(presentations) == 1
            and isinstance(presentations[0], str)) or len(vp_token) != 1:
        # §8.1: one presentation for our one Credential Query, nothing else
        _finish(db, row.id, state="refused", error="vp_token_credential_missing")
        raise AuthorizationResponseInvalid("vp_token must hold one presentation for "
                                           f"{row.scenario!r}")
    verdict = verifier.verify_presentation(principal=principal, scenario_id=row.scenario,
                                           presentation=presentations[0], nonce=row.nonce,
                                           aud=row.client_id)
    return verdict.to_json()


def _finish(db: Session, request_id: str, *, state: str, error: str | None = None,
            verdict: dict[str, Any] | None = None) -> None:
    db.execute(update(Req).where(col(Req.id) == request_id).values(
        state=state, error=error,
        verdict_json=json.dumps(verdict, ensure_ascii=False) if verdict else None))
    db.commit()


def org_metadata(*, verifier: Verifier, settings: Settings, org_id: str) -> dict[str, Any]:
    """The registry entry of an organisation, served at its client_id URL."""
    with Session(verifier.engine) as db:
        org = db.get(VerifierOrg, org_id) if len(org_id) <= 64 else None
        if org is None:
            raise OrgNotFound()
        keyset = jwks(session=db, owner=key_owner(org_id), now=verifier.clock.now())
    return {"client_id": settings.org_audience(org_id), "org_id": org.id,
            "name": {"zh": org.name_zh, "en": org.name_en},
            "scenarios": sorted(org.scenario_ids()), "jwks": keyset}
