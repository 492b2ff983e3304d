"""Agencies and their API clients: creation, and the dev-mode demo set (DESIGN §8:
``psb amr hc plr`` with clients ``demo-<code>`` / ``demo-<code>-secret``)."""

from __future__ import annotations

from sqlmodel import Session

from issuer.catalog import AGENCIES
from issuer.models import Agency, Client
from issuer.oauth import create_client
from issuer.settings import IssuerSettings

__all__ = ["ensure_agencies", "ensure_client", "ensure_demo_clients"]


def ensure_agencies(*, session: Session, now: int) -> None:
    for code, (zh, en) in AGENCIES.items():
        if session.get(Agency, code) is None:
            session.add(Agency(code=code, name_zh=zh, name_en=en, created_at=now))
    session.flush()


def ensure_client(*, session: Session, settings: IssuerSettings, client_id: str, agency: str,
                  secret: str, now: int) -> bool:
    """Create the client unless it exists; True when created."""
    if session.get(Client, client_id) is not None:
        return False
    create_client(session=session, settings=settings, client_id=client_id, agency=agency,
                  secret=secret, now=now)
    session.flush()
    return True


def ensure_demo_clients(*, session: Session, settings: IssuerSettings, now: int) -> None:
    for code in AGENCIES:
        ensure_client(session=session, settings=settings, client_id=f"demo-{code}", agency=code,
                      secret=f"demo-{code}-secret", now=now)
