"""Errors of license-free submission and the access log (issue 8), stable codes:

    Unauthenticated
    └── AgencyUnauthenticated     401 agency_unauthenticated
    NotFound
    ├── CitizenNotFound           404 citizen_not_found
    ├── ConsentNotFound           404 consent_not_found   (also: another agency's request)
    └── AccessLogNotFound         404 access_log_not_found
    Conflict
    ├── ConsentAlreadyDecided     409 consent_already_decided
    └── ConsentExpired            410 consent_expired
    BadRequest
    └── ClaimsUnavailable         422 claims_unavailable  (the license lacks a requested claim)
"""

from __future__ import annotations

from core.errors import BadRequest, Conflict, NotFound, Unauthenticated

__all__ = ["AccessLogNotFound", "AgencyUnauthenticated", "CitizenNotFound",
           "ClaimsUnavailable", "ConsentAlreadyDecided", "ConsentExpired", "ConsentNotFound"]


class AgencyUnauthenticated(Unauthenticated):
    code = "agency_unauthenticated"
    title = "Agency client secret required"


class CitizenNotFound(NotFound):
    code = "citizen_not_found"
    title = "No wallet user matches"


class ConsentNotFound(NotFound):
    code = "consent_not_found"
    title = "Consent request not found"


class AccessLogNotFound(NotFound):
    code = "access_log_not_found"
    title = "Access log entry not found"


class ConsentAlreadyDecided(Conflict):
    code = "consent_already_decided"
    title = "The citizen already answered this request"


class ConsentExpired(Conflict):
    code = "consent_expired"
    status = 410
    title = "The consent request expired"


class ClaimsUnavailable(BadRequest):
    code = "claims_unavailable"
    status = 422
    title = "The license does not carry every requested claim"
