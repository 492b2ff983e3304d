"""Errors of the verifier's OpenID4VP request endpoints (``verifier.oid4vp``)::

    NotFound
    ├── RequestNotFound             404 oid4vp_request_not_found
    └── OrgNotFound                 404 oid4vp_client_not_found   (no such client_id)
    Conflict
    ├── RequestAlreadyAnswered      409 oid4vp_request_answered   (a second response)
    └── RequestExpired              409 oid4vp_request_expired    (response after expiry)
    BadRequest
    ├── StateMismatch               400 oid4vp_state_mismatch     (``state`` ≠ the request's)
    └── ScenarioNotOnline           400 oid4vp_scenario_not_online
"""

from __future__ import annotations

from core.errors import BadRequest, Conflict, NotFound

__all__ = ["OrgNotFound", "RequestAlreadyAnswered", "RequestExpired", "RequestNotFound",
           "ScenarioNotOnline", "StateMismatch"]


class RequestNotFound(NotFound):
    code = "oid4vp_request_not_found"
    title = "No such presentation request"


class RequestAlreadyAnswered(Conflict):
    code = "oid4vp_request_answered"
    title = "This presentation request was already answered"


class RequestExpired(Conflict):
    code = "oid4vp_request_expired"
    title = "This presentation request has expired"


class StateMismatch(BadRequest):
    code = "oid4vp_state_mismatch"
    title = "state does not belong to this request"


class ScenarioNotOnline(BadRequest):
    code = "oid4vp_scenario_not_online"
    title = "This scenario does not accept online presentations"


class OrgNotFound(NotFound):
    code = "oid4vp_client_not_found"
    title = "No such verifier organisation"
