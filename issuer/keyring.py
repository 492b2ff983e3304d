"""The issuer's signing key, from the key store (``keys.service``, owner ``issuer``): the
active key signs; the JWKS publishes active, pending and still-valid retired keys."""

from __future__ import annotations

from sqlmodel import Session

from core.signing import Signer
from issuer.settings import IssuerSettings
from keys import service as keys_service

__all__ = ["ISSUER_KEY_OWNER", "issuer_signer"]

ISSUER_KEY_OWNER = "issuer"


def issuer_signer(session: Session, settings: IssuerSettings) -> Signer:
    return keys_service.active_signer(session=session, owner=ISSUER_KEY_OWNER,
                                      settings=settings)
