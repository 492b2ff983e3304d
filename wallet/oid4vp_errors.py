"""Errors of the wallet's OpenID4VP answers (``wallet.oid4vp``); the Request Object and DCQL
refusals keep their ``core.oid4vp.errors`` codes::

    Forbidden
    └── VerifierScenarioNotRegistered   403 oid4vp_scenario_not_registered
    Conflict
    └── RequestClosed                   409 oid4vp_request_closed  (answered or expired;
                                            ``upstream_code`` says which)
    UpstreamError
    └── VerifierUnreachable             502 oid4vp_verifier_unreachable
"""

from __future__ import annotations

from core.errors import Conflict, Forbidden, UpstreamError

__all__ = ["RequestClosed", "VerifierScenarioNotRegistered", "VerifierUnreachable"]


class VerifierScenarioNotRegistered(Forbidden):
    code = "oid4vp_scenario_not_registered"
    title = "This verifier is not registered for the scenario it asks under"


class VerifierUnreachable(UpstreamError):
    code = "oid4vp_verifier_unreachable"
    title = "The verifier could not be reached"


class RequestClosed(Conflict):
    code = "oid4vp_request_closed"
    title = "The verifier no longer takes answers to this request"
