"""Concurrent issuance and revocation from several threads (each its own session, as the
API's thread pool does): status indices stay unique and the audit chain stays one chain,
on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from core.clock import FixedClock
from core.db import make_engine
from issuer import audit, issuance, lifecycle
from issuer.app import bootstrap
from issuer.keyring import issuer_signer
from issuer.models import Credential
from issuer.oauth import Principal, agency_scopes
from issuer.schemas import Holder, IssueRequest
from issuer.settings import IssuerSettings
from keys.software import generate_signer

from .conftest import id_card_claims


def test_parallel_issue_and_revoke(settings: IssuerSettings, clock: FixedClock) -> None:
    bootstrap(settings, clock=clock)
    engine = make_engine(settings.database_url)
    principal = Principal(agency="psb", client_id="t", scopes=agency_scopes("psb"))
    holder = Holder(jwk=generate_signer("EdDSA").public_jwk())

    def work(i: int) -> str:
        with Session(engine, expire_on_commit=False) as s:
            body = issuance.issue(
                session=s, settings=settings, signer=issuer_signer(s, settings),
                principal=principal, now=clock.now(), idempotency_key=f"k{i}",
                req=IssueRequest(type="id_card", claims=id_card_claims(), holder=holder))
        with Session(engine, expire_on_commit=False) as s:
            lifecycle.change_state(session=s, settings=settings, principal=principal,
                                   cred_id=body["id"], action="suspend", now=clock.now())
        return str(body["id"])

    try:
        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(work, range(12)))
        with Session(engine) as s:
            rows = s.exec(select(Credential)).all()
            report = audit.verify(s)
        assert len(set(ids)) == len(rows) == 12
        assert len({(r.status_list_id, r.status_idx) for r in rows}) == 12
        assert all(r.state == "suspended" for r in rows)
        assert report.ok and report.rows == 24
    finally:
        engine.dispose()
