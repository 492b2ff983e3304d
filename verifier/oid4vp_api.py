"""HTTP routes of the verifier's OpenID4VP 1.0 flow (``verifier.oid4vp``; docs/interop.md
§6), thin over the service:

    POST /v1/requests                        {"scenario"} → {id, request_uri, qr_payload,
                                             png_base64, expires_at}        (org bearer)
    GET  /v1/requests/{id}                   pending | expired | refused | answered+verdict
    GET  /v1/requests/{id}/request-object    the signed Request Object (public,
                                             application/oauth-authz-req+jwt)
    POST /v1/requests/{id}/response          the wallet's direct_post (public, form)
    GET  /orgs/{org_id}                      the organisation's registry entry: name,
                                             scenarios, request-signing JWKS (public)
    GET  /oid4vp                             the staff page showing the request QR
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from core.errors import PayloadTooLarge
from core.oid4vp.errors import AuthorizationResponseInvalid, WalletErrorResponse
from verifier import oid4vp
from verifier.deps import OrgDep, SettingsDep, VerifierDep

__all__ = ["router"]

router = APIRouter(tags=["oid4vp"])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
MAX_FORM = 256 * 1024  # a hotel check-in presentation with its portrait stays far below
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'")


class CreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(min_length=1, max_length=64)


def _type_claims(request: Request) -> oid4vp.TypeClaims:
    state = request.app.state
    if getattr(state, "oid4vp_type_claims", None) is None:
        state.oid4vp_type_claims = oid4vp.TypeClaims(getattr(state, "http", None))
    found: oid4vp.TypeClaims = state.oid4vp_type_claims
    return found


@router.post("/v1/requests", status_code=201)
def create(body: CreateRequest, request: Request, verifier: VerifierDep,
           settings: SettingsDep, org: OrgDep) -> dict[str, Any]:
    return oid4vp.create_request(verifier=verifier, settings=settings, principal=org,
                                 scenario_id=body.scenario,
                                 type_claims=_type_claims(request))


@router.get("/v1/requests/{request_id}")
def status(request_id: str, verifier: VerifierDep, org: OrgDep) -> dict[str, Any]:
    return oid4vp.status_of(verifier=verifier, principal=org, request_id=request_id)


@router.get("/v1/requests/{request_id}/request-object")
def request_object(request_id: str, verifier: VerifierDep) -> Response:
    jws = oid4vp.request_object(verifier=verifier, request_id=request_id)
    return Response(jws, media_type="application/oauth-authz-req+jwt",
                    headers={"Cache-Control": "no-store"})


@router.post("/v1/requests/{request_id}/response")
async def response(request_id: str, request: Request,
                   verifier: VerifierDep) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"):
        raise AuthorizationResponseInvalid("direct_post is application/x-www-form-urlencoded")
    if int(request.headers.get("content-length") or 0) > MAX_FORM:
        raise PayloadTooLarge("response too large")
    form = await request.form(max_fields=8)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    # A refusal (access_denied) is recorded by the service; its arrival is all the wallet
    # needs to hear (§8.2: 200).
    with contextlib.suppress(WalletErrorResponse):
        await run_in_threadpool(oid4vp.respond, verifier=verifier, request_id=request_id,
                                form=fields)
    # The wallet learns only that the answer arrived; the verdict is the staff's.
    return {}


@router.get("/orgs/{org_id}")
def org_entry(org_id: str, verifier: VerifierDep, settings: SettingsDep) -> dict[str, Any]:
    return oid4vp.org_metadata(verifier=verifier, settings=settings, org_id=org_id)


@router.get("/oid4vp", response_class=HTMLResponse, include_in_schema=False)
def staff_page(request: Request) -> HTMLResponse:
    base = request.scope.get("root_path", "").rstrip("/") + "/"
    resp = templates.TemplateResponse(request, "oid4vp.html", {"base": base})
    resp.headers["Content-Security-Policy"] = _CSP
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp
