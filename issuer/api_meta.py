"""Public metadata: JWT VC issuer metadata (draft-ietf-oauth-sd-jwt-vc-18 §5) with inline
``jwks``, the JWKS, SD-JWT VC Type Metadata per ``vct`` (§4), OpenID4VCI credential issuer
metadata (OpenID4VCI 1.0 §12.2), OAuth authorization server metadata (RFC 8414) and the
status list tokens (draft-ietf-oauth-status-list-20 §5, §8)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from issuer import statuslists
from issuer.catalog import get_type, license_types, type_metadata
from issuer.deps import ISSUER_KEY_OWNER, ContextDep, SessionDep, issuer_signer
from issuer.oid4vci import PRE_AUTH_GRANT
from issuer.settings import IssuerSettings
from keys import service as keys_service

__all__ = ["jwt_vc_issuer_metadata", "router"]

router = APIRouter()
_PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}


def jwt_vc_issuer_metadata(session: Any, settings: IssuerSettings, now: int) -> dict[str, Any]:
    return {"issuer": settings.issuer_url,
            "jwks": keys_service.jwks(session=session, owner=ISSUER_KEY_OWNER, now=now)}


@router.get("/.well-known/jwt-vc-issuer")
def jwt_vc_issuer(ctx: ContextDep, session: SessionDep) -> JSONResponse:
    return JSONResponse(jwt_vc_issuer_metadata(session, ctx.settings, ctx.clock.now()),
                        headers=_PUBLIC_CACHE)


@router.get("/jwks.json")
def jwks(ctx: ContextDep, session: SessionDep) -> JSONResponse:
    return JSONResponse(keys_service.jwks(session=session, owner=ISSUER_KEY_OWNER,
                                          now=ctx.clock.now()), headers=_PUBLIC_CACHE)


@router.get("/vct/{type_}")
def vct(type_: str, ctx: ContextDep) -> JSONResponse:
    lt = get_type(type_)
    return JSONResponse(type_metadata(lt, ctx.settings.vct(type_)), headers=_PUBLIC_CACHE)


@router.get("/.well-known/openid-credential-issuer")
def credential_issuer(ctx: ContextDep) -> dict[str, Any]:
    s = ctx.settings
    algs = list(s.allowed_algs)
    return {
        "credential_issuer": s.issuer_url,
        "authorization_servers": [s.issuer_url],
        "credential_endpoint": f"{s.issuer_url}/oid4vci/credential",
        "nonce_endpoint": f"{s.issuer_url}/oid4vci/nonce",
        "batch_credential_issuance": {"batch_size": s.max_batch_proofs},
        "display": [{"name": "城市电子证照", "locale": "zh-CN"},
                    {"name": "City e-Licenses", "locale": "en"}],
        "credential_configurations_supported": {
            t: {
                "format": "dc+sd-jwt",
                "vct": s.vct(t),
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": algs,
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": algs}},
                "credential_metadata": {"display": [
                    {"name": lt.name["zh"], "locale": "zh-CN"},
                    {"name": lt.name["en"], "locale": "en"}]},
            } for t, lt in license_types().items()
        },
    }


@router.get("/.well-known/oauth-authorization-server")
def authorization_server(ctx: ContextDep) -> dict[str, Any]:
    s = ctx.settings
    return {
        "issuer": s.issuer_url,
        "token_endpoint": f"{s.issuer_url}/oauth/token",
        "grant_types_supported": ["client_credentials", PRE_AUTH_GRANT],
        "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                  "client_secret_post"],
        "pre-authorized_grant_anonymous_access_supported": True,
        "response_types_supported": [],
    }


@router.get("/status-lists/{list_id}", response_class=Response, responses={
    200: {"content": {"application/statuslist+jwt": {}}}, 304: {"description": "Not modified"}})
def status_list(list_id: Annotated[int, Path(ge=0, le=2**31 - 1)], request: Request,
                ctx: ContextDep,
                session: SessionDep) -> Response:
    pub = statuslists.published(session=session, settings=ctx.settings,
                                signer=issuer_signer(session, ctx.settings), list_id=list_id,
                                now=ctx.clock.now())
    headers = {"ETag": f'"{pub.etag}"', "Cache-Control": f"public, max-age={pub.ttl}"}
    if request.headers.get("if-none-match") == f'"{pub.etag}"':
        return Response(status_code=304, headers=headers)
    return Response(pub.token, media_type="application/statuslist+jwt", headers=headers)
