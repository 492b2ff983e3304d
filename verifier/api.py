"""Verifier HTTP API (DESIGN §7), thin over ``verifier.service``:

    GET  /v1/scenarios        the scenario catalog (public; the wallet reads it)
    POST /v1/verify           {"scenario", "qr"} → verdict          (org bearer token)
    POST /v1/verify-image     multipart ``scenario`` + ``image`` (PNG/JPEG) → verdict
    POST /v1/login            staff login → session bearer token
    GET  /v1/me               the calling organisation and its scenarios
    GET  /v1/trust-list       the trust list in use (application/trustlist+jwt)
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from core.errors import ELicenseError, PayloadTooLarge
from core.qr import decode_image
from verifier.deps import OrgDep, SettingsDep, VerifierDep
from verifier.errors import UnsupportedImage
from verifier.orgs import OrgPrincipal, authenticate, login, require_scenario
from verifier.schemas import LoginRequest, LoginResponse, MeResponse, VerifyRequest
from verifier.service import Verifier
from verifier.verdict import Verdict

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["verifier"])
IMAGE_TYPES = {"image/png", "image/jpeg", "image/jpg"}


@router.get("/scenarios")
def scenarios(verifier: VerifierDep) -> dict[str, Any]:
    return verifier.policies.catalog()


@router.post("/verify", response_class=Response)
async def verify(body: VerifyRequest, request: Request, org: OrgDep) -> Response:
    # async: the checks run on the event loop (a worker thread only when they need I/O),
    # the commit is awaited there too (Verifier.verify_qr_async). The runtime is read from
    # the app state, not injected: one dependency fewer to resolve per verification.
    verifier: Verifier = request.app.state.verifier
    verdict = await verifier.verify_qr_async(principal=org, scenario_id=body.scenario,
                                             qr=body.qr)
    # The verdict is plain JSON already: serialise it directly (no response-model pass).
    return Response(orjson.dumps(verdict.to_json()), media_type="application/json")


@router.post("/verify-image")
def verify_image(scenario: Annotated[str, Form(max_length=64)],
                 image: Annotated[UploadFile, File()], verifier: VerifierDep, org: OrgDep,
                 settings: SettingsDep) -> dict[str, Any]:
    if image.content_type not in IMAGE_TYPES:
        raise UnsupportedImage(f"content type {image.content_type!r}")
    data = image.file.read(settings.max_image_bytes + 1)
    if len(data) > settings.max_image_bytes:
        raise PayloadTooLarge("image too large")
    # Authorise before decoding (403 for a foreign scenario, whatever the image holds).
    scenario_obj = verifier.policies.get(scenario)
    require_scenario(org, scenario_obj.id)
    try:
        text = decode_image(data, max_bytes=settings.max_image_bytes)
    except ELicenseError as exc:
        return _envelope_failure(verifier, org, scenario, exc.code)
    return verifier.verify_qr(principal=org, scenario_id=scenario, qr=text).to_json()


def _envelope_failure(verifier: Verifier, org: OrgPrincipal, scenario: str,
                      code: str) -> dict[str, Any]:
    verdict = Verdict(scenario=scenario, verified_at=verifier.clock.now())
    verdict.failed("envelope", code)
    return verdict.to_json()


@router.post("/login")
def staff_login(body: LoginRequest, verifier: VerifierDep,
                settings: SettingsDep) -> LoginResponse:
    now = verifier.clock.now()
    with Session(verifier.engine) as session:
        token = login(session=session, username=body.username, password=body.password,
                      now=now, ttl_s=settings.session_ttl_s)
        org = authenticate(session=session, token=token, now=now)
    return LoginResponse(access_token=token, expires_in=settings.session_ttl_s,
                         **_me(verifier, org).model_dump())


@router.get("/me")
def me(verifier: VerifierDep, org: OrgDep) -> MeResponse:
    return _me(verifier, org)


def _me(verifier: Verifier, org: OrgPrincipal) -> MeResponse:
    allowed = [s.public() for s in verifier.policies if s.id in org.scenarios]
    return MeResponse(org_id=org.org_id, name={"zh": org.name_zh, "en": org.name_en},
                      scenarios=allowed, staff=org.staff)


@router.get("/trust-list", response_class=Response,
            responses={200: {"content": {"application/trustlist+jwt": {}}}})
def trust_list(verifier: VerifierDep) -> Response:
    return Response(verifier.trust.current().jws, media_type="application/trustlist+jwt")
