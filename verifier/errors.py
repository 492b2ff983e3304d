"""Verifier-specific errors, each a subclass of the nearest ``core.errors`` category with its
own stable ``code``.

    Forbidden
    └── ScenarioNotAllowed        403 scenario_not_allowed
    NotFound
    └── UnknownScenario           404 unknown_scenario
    BadRequest
    └── UnsupportedImage          400 unsupported_image
    TrustError (422 untrusted_issuer)
    ├── TypeNotTrusted            422 type_not_trusted
    ├── TrustListInvalid          422 trust_list_invalid
    └── TrustListUnavailable      422 trust_list_unavailable
    ServiceUnavailable
    └── NoTrustList               503 no_trust_list
    StatusError (422 status_invalid)
    ├── StatusUnavailable         422 status_unavailable
    └── StatusUriUntrusted        422 status_uri_untrusted
    VerificationError
    ├── RedeemFailed              422 redeem_failed (``wallet_code``: the wallet's code)
    ├── BundleInvalid             422 bundle_invalid
    └── PolicyInvalid             422 policy_invalid

``WouldBlock`` is not an error anyone sees: the event loop's fast path of a verification
(``Verifier.check(io=False)``) raises it where the next step would read the network or the
database (a trust list or status list due for a refresh, an unknown ``kid``, an online QR's
redeem), and the caller runs the whole check again in a worker thread with ``io=True``.
It is deliberately outside the ``ELicenseError`` tree, so no handler turns it into a verdict.
"""

from __future__ import annotations

from core.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    StatusError,
    TrustError,
    VerificationError,
)

__all__ = [
    "BundleInvalid",
    "NoTrustList",
    "PolicyInvalid",
    "RedeemFailed",
    "ScenarioNotAllowed",
    "StatusUnavailable",
    "StatusUriUntrusted",
    "TrustListInvalid",
    "TypeNotTrusted",
    "UnknownScenario",
    "UnsupportedImage",
    "WouldBlock",
]


class WouldBlock(Exception):
    """The fast path needs I/O: run the check in a worker thread instead."""


class ScenarioNotAllowed(Forbidden):
    code = "scenario_not_allowed"
    title = "This organisation is not registered for the scenario"


class UnknownScenario(NotFound):
    code = "unknown_scenario"
    title = "Unknown scenario"


class UnsupportedImage(BadRequest):
    code = "unsupported_image"
    title = "Upload a PNG or JPEG image"


class TypeNotTrusted(TrustError):
    code = "type_not_trusted"
    title = "Issuer or agency not trusted for this credential type"


class TrustListInvalid(TrustError):
    code = "trust_list_invalid"
    title = "Trust list signature, type or expiry invalid"


class NoTrustList(ServiceUnavailable):
    code = "no_trust_list"
    title = "No trust list is installed"


class BundleInvalid(VerificationError):
    code = "bundle_invalid"
    title = "Offline bundle signature, type or content invalid"


class PolicyInvalid(VerificationError):
    code = "policy_invalid"
    title = "Scenario policy file invalid"


class StatusUnavailable(StatusError):
    code = "status_unavailable"
    title = "The status list could not be fetched and nothing usable is cached"


class StatusUriUntrusted(StatusError):
    code = "status_uri_untrusted"
    title = "The status list URI is not under the issuer's identifier"


class RedeemFailed(VerificationError):
    code = "redeem_failed"
    title = "The wallet did not hand over a presentation for this token"

    @property
    def wallet_code(self) -> str:
        return str(self.extra.get("wallet_code") or self.code)
