"""Token endpoint (RFC 6749 §4.4 client credentials; OpenID4VCI 1.0 §6 pre-authorized
code) and the OpenID4VCI nonce (§7) and credential (§8) endpoints."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from core.errors import BadRequest
from issuer import oauth, oid4vci
from issuer.deps import ContextDep, SessionDep, bearer, issuer_signer
from issuer.errors import InvalidClient, UnsupportedGrantType

__all__ = ["router"]

router = APIRouter()
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _client_auth(request: Request, client_id: str | None, client_secret: str | None
                 ) -> tuple[str, str]:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "basic":
        try:
            cid, sep, secret = base64.b64decode(value.strip(), validate=True).decode(
                "utf-8").partition(":")
        except (binascii.Error, ValueError):
            raise InvalidClient("malformed Basic credentials") from None
        if not sep:
            raise InvalidClient("malformed Basic credentials")
        # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
        return unquote(cid), unquote(secret)
    if client_id and client_secret:
        return client_id, client_secret
    raise InvalidClient("client authentication required")


@router.post("/oauth/token")
def token(
    request: Request, ctx: ContextDep, session: SessionDep,
    grant_type: Annotated[str, Form()],
    scope: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    pre_authorized_code: Annotated[str | None, Form(alias="pre-authorized_code")] = None,
    tx_code: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    now = ctx.clock.now()
    if grant_type == "client_credentials":
        cid, secret = _client_auth(request, client_id, client_secret)
        client = oauth.check_client(session=session, settings=ctx.settings, client_id=cid,
                                    secret=secret)
        tok, granted = oauth.issue_client_token(session=session, client=client, scope=scope,
                                                now=now, ttl_s=ctx.settings.access_token_ttl_s)
        session.commit()
        body: dict[str, Any] = {"access_token": tok, "token_type": "Bearer",
                                "expires_in": ctx.settings.access_token_ttl_s,
                                "scope": " ".join(sorted(granted))}
    elif grant_type == oid4vci.PRE_AUTH_GRANT:
        body = oid4vci.redeem_code(session=session, settings=ctx.settings,
                                   code=pre_authorized_code, tx_code=tx_code, now=now)
    else:
        raise UnsupportedGrantType(f"grant_type {grant_type!r} not supported")
    return JSONResponse(body, headers=_NO_STORE)


@router.post("/oid4vci/nonce")
def nonce(ctx: ContextDep, session: SessionDep) -> JSONResponse:
    value = oid4vci.new_nonce(session=session, settings=ctx.settings, now=ctx.clock.now())
    return JSONResponse({"c_nonce": value}, headers=_NO_STORE)


@router.post("/oid4vci/credential")
async def credential(request: Request, ctx: ContextDep) -> JSONResponse:
    token = bearer(request)
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    from starlette.concurrency import run_in_threadpool

    def work() -> dict[str, Any]:
        from sqlmodel import Session

        with Session(ctx.engine, expire_on_commit=False) as session:
            return oid4vci.credential(session=session, settings=ctx.settings,
                                      signer=issuer_signer(session, ctx.settings),
                                      token=token, body=body, now=ctx.clock.now())

    return JSONResponse(await run_in_threadpool(work), headers=_NO_STORE)
