"""Agency API (DESIGN §7): issue, bulk issue, lifecycle, list/search. Thin routes over
``issuer.issuance`` / ``issuer.lifecycle`` / ``issuer.bulk``; bearer token from
``POST /oauth/token`` (client credentials)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from core.errors import PayloadTooLarge
from issuer import bulk, issuance, lifecycle
from issuer.deps import ContextDep, PrincipalDep, SessionDep, issuer_signer
from issuer.schemas import IssueRequest, ReissueRequest, StatusChange

__all__ = ["router"]

router = APIRouter(prefix="/v1")


@router.post("/credentials", status_code=201)
def issue_credential(req: IssueRequest, ctx: ContextDep, session: SessionDep,
                     principal: PrincipalDep,
                     idempotency_key: Annotated[str | None, Header(max_length=200)] = None
                     ) -> dict[str, Any]:
    return issuance.issue(session=session, settings=ctx.settings,
                          signer=issuer_signer(session, ctx.settings), principal=principal,
                          req=req, now=ctx.clock.now(), idempotency_key=idempotency_key)


@router.post("/credentials:batch", response_class=StreamingResponse,
             responses={200: {"content": {"application/x-ndjson": {}}}})
async def issue_batch(request: Request, ctx: ContextDep, principal: PrincipalDep
                      ) -> StreamingResponse:
    """NDJSON in (``{ref, type, claims, holder: {jwk}}`` a line), NDJSON out, streamed."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > ctx.settings.batch_max_bytes:
        raise PayloadTooLarge(f"at most {ctx.settings.batch_max_bytes} bytes per batch")
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > ctx.settings.batch_max_bytes:
            raise PayloadTooLarge(f"at most {ctx.settings.batch_max_bytes} bytes per batch")
    lines = body.decode("utf-8", errors="replace").splitlines()

    def stream() -> Iterator[bytes]:
        yield from bulk.issue_ndjson(engine=ctx.engine, settings=ctx.settings,
                                     principal=principal, lines=lines, clock=ctx.clock)

    return StreamingResponse(stream(), media_type="application/x-ndjson")


@router.get("/credentials")
def list_credentials(ctx: ContextDep, session: SessionDep, principal: PrincipalDep,
                     type: str | None = None, q: str | None = None,
                     status: Literal["valid", "suspended", "revoked"] | None = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    return lifecycle.list_credentials(session=session, settings=ctx.settings,
                                      principal=principal, type_=type, q=q, state=status,
                                      limit=limit, offset=offset)


@router.get("/credentials/{cred_id}")
def get_credential(cred_id: str, ctx: ContextDep, session: SessionDep,
                   principal: PrincipalDep) -> dict[str, Any]:
    row = lifecycle.get_owned(session=session, principal=principal, cred_id=cred_id,
                              action="read")
    return lifecycle.public_view(ctx.settings, row)


@router.post("/credentials/{cred_id}/reissue", status_code=201)
def reissue_credential(cred_id: str, req: ReissueRequest, ctx: ContextDep,
                       session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return lifecycle.reissue(session=session, settings=ctx.settings,
                             signer=issuer_signer(session, ctx.settings), principal=principal,
                             cred_id=cred_id, req=req, now=ctx.clock.now())


def _state_route(action: str) -> None:
    def change(cred_id: str, ctx: ContextDep, session: SessionDep, principal: PrincipalDep,
               req: StatusChange | None = None) -> dict[str, Any]:
        return lifecycle.change_state(session=session, settings=ctx.settings,
                                      principal=principal, cred_id=cred_id, action=action,
                                      now=ctx.clock.now(), reason=req.reason if req else None)

    change.__name__ = f"{action}_credential"
    router.post(f"/credentials/{{cred_id}}/{action}")(change)


for _action in ("revoke", "suspend", "reinstate"):
    _state_route(_action)
