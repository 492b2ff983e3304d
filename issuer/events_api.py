"""Agency API of license events (issue 8): subscriptions, the agency's deliveries and
dead letters, redelivery, and ``amend`` (change a credential's claims: a reissue recorded
as one ``changed`` event). Thin routes over ``issuer.subscriptions`` /
``issuer.events_delivery`` / ``issuer.lifecycle``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from issuer import events_delivery, lifecycle, subscriptions
from issuer.deps import ContextDep, PrincipalDep, SessionDep, issuer_signer
from issuer.events_models import Delivery, Subscription
from issuer.schemas import Holder, ReissueRequest

__all__ = ["AmendRequest", "router"]

router = APIRouter(prefix="/v1")


class AmendRequest(BaseModel):
    """Changed claims; the holder gets the amended credential as a new OpenID4VCI offer
    unless a holder key is given (the issuer keeps only the old key's thumbprint)."""

    model_config = ConfigDict(extra="forbid")

    claims: dict[str, Any] = Field(min_length=1)
    holder: Holder = Field(default_factory=lambda: Holder(offer=True))
    valid_until: int | None = None


@router.post("/credentials/{cred_id}/amend", status_code=201)
def amend_credential(cred_id: str, req: AmendRequest, ctx: ContextDep, session: SessionDep,
                     principal: PrincipalDep) -> dict[str, Any]:
    return lifecycle.reissue(session=session, settings=ctx.settings,
                             signer=issuer_signer(session, ctx.settings), principal=principal,
                             cred_id=cred_id, now=ctx.clock.now(),
                             req=ReissueRequest(holder=req.holder, claims=req.claims,
                                                valid_until=req.valid_until))


@router.post("/subscriptions", status_code=201)
def create_subscription(req: subscriptions.SubscriptionIn, ctx: ContextDep,
                        session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return subscriptions.create(session=session, agency=principal.agency, req=req,
                                now=ctx.clock.now(), require_https=not ctx.settings.is_dev)


@router.get("/subscriptions")
def list_subscriptions(session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"subscriptions": subscriptions.list_for(session=session, agency=principal.agency)}


@router.delete("/subscriptions/{sub_id}", status_code=204)
def delete_subscription(sub_id: str, session: SessionDep, principal: PrincipalDep
                        ) -> Response:
    subscriptions.delete(session=session, agency=principal.agency, sub_id=sub_id)
    return Response(status_code=204)


@router.get("/event-deliveries")
def list_deliveries(session: SessionDep, principal: PrincipalDep,
                    state: Literal["pending", "delivered", "dead"] | None = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """The agency's own deliveries (no bodies): ``state=dead`` is its dead-letter list."""
    stmt = select(Delivery).join(Subscription).where(
        Subscription.agency_code == principal.agency)
    if state:
        stmt = stmt.where(Delivery.state == state)
    rows = session.exec(stmt.order_by(col(Delivery.id).desc()).limit(limit)).all()
    return {"deliveries": [
        {"id": d.id, "event_id": d.event_id, "subscription_id": d.subscription_id,
         "state": d.state, "attempts": d.attempts, "next_attempt_at": d.next_attempt_at,
         "last_error": d.last_error, "delivered_at": d.delivered_at} for d in rows]}


@router.post("/event-deliveries/{ident}/redeliver")
def redeliver(ident: str, ctx: ContextDep, session: SessionDep, principal: PrincipalDep
              ) -> dict[str, int]:
    n = events_delivery.redeliver(session=session, now=ctx.clock.now(), ident=ident,
                                  agency=principal.agency)
    return {"queued": n}
