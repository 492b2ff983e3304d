"""Table of the verifier's OpenID4VP 1.0 authorization requests (``verifier.oid4vp``).

One row per request shown on a staff page: the signed Request Object served at its
``request_uri``, the nonce and DCQL query the answer is checked against, and the outcome
(``pending`` → ``answered`` | ``refused``; a request past ``expires_at`` is expired). The
transition out of ``pending`` is one conditional UPDATE, so a request is answered once.
Times are epoch seconds.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Text
from sqlmodel import Field, SQLModel

__all__ = ["VerifierPresentationRequest"]


class VerifierPresentationRequest(SQLModel, table=True):
    __tablename__ = "verifier_oid4vp_request"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'answering', 'answered', 'refused')",
                        name="ck_verifier_oid4vp_request_state"),
    )

    id: str = Field(primary_key=True, max_length=64)  # also the OAuth ``state``
    org_id: str = Field(foreign_key="verifier_org.id", index=True, max_length=64)
    scenario: str = Field(max_length=64)
    client_id: str = Field(max_length=500)
    nonce: str = Field(max_length=64)
    request_jws: str = Field(sa_type=Text)
    dcql_json: str = Field(sa_type=Text)
    state: str = Field(default="pending", max_length=16)
    created_at: int
    expires_at: int = Field(index=True)
    answered_at: int | None = None
    # The verdict JSON (answered) or the wallet's OAuth error (refused).
    verdict_json: str | None = Field(default=None, sa_type=Text)
    error: str | None = Field(default=None, max_length=64)
