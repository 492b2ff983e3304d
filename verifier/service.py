"""Verify a QR for a scenario (DESIGN §4–§7): the one place where the checks meet.

``Verifier.verify_qr`` turns any text into a ``Verdict`` — never an exception for a bad
QR — running, in order: envelope (QR prefix, base45/zlib, the online redeem), trust
(issuer on the anchor-signed list), signature / validity / key binding / freshness (one
``core.credential.verify`` call: keys from the trust list only, key binding as the policy
says, ``kb_max_age`` = the policy's ``max_presentation_age_s``), trust for the type (issuer
and ``agency`` may issue this ``vct``), type_allowed (the scenario accepts it), status
(Token Status List, cached, fail closed/open by policy), policy (over-disclosure, required
claims) and, last, replay: the shared store's insert is committed together with the
verification record, grouped with concurrent verifications (``verifier._loop_batch`` on
the event loop, ``verifier._batch`` in a writer thread for synchronous callers); a write
that fails raises — no verdict without its replay row (the API answers 503
``database_unavailable``, ``core.web``). The verdict lists the checks
in the contract order whatever the evaluation order. Claims leave only filtered by the
policy. Plain Python over an engine, no FastAPI (STYLE habit 6).
"""

from __future__ import annotations

import contextlib
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio.to_thread
from sqlalchemy.engine import Engine

from core.clock import Clock
from core.credential import Verified, verify
from core.errors import (
    AlgorithmError,
    ClaimsError,
    DisclosureError,
    ELicenseError,
    KbIatOutOfWindow,
    KeyBindingError,
    PayloadTooLarge,
    SignatureError,
    StatusError,
    TrustError,
    UnknownKey,
    VerificationError,
)
from core.jose import b64u_decode, json_loads
from core.qr import parse_payload
from core.statuslist import INVALID, SUSPENDED, VALID, status_reference
from verifier._batch import Finish, WriteBatcher
from verifier._loop_batch import LoopWriter
from verifier.errors import RedeemFailed, StatusUnavailable, TypeNotTrusted, WouldBlock
from verifier.orgs import OrgPrincipal, require_scenario
from verifier.policies import Policies, Scenario
from verifier.records import record_values
from verifier.redeem import Redeemer
from verifier.replay import replay_row
from verifier.status import StatusCache
from verifier.trust import TrustKeys, TrustStore
from verifier.verdict import Verdict

__all__ = ["Verifier", "offline_audience"]

Mode = Literal["online", "offline"]
_STATUS_CODES = {INVALID: "revoked", SUSPENDED: "suspended"}


def offline_audience(scenario_id: str) -> str:
    """KB-JWT ``aud`` of an offline presentation (team contract)."""
    return f"urn:elicense:offline:{scenario_id}"


class _Stop(Exception):
    """An earlier check failed; the rest are ``not_checked``."""


@dataclass
class Verifier:
    """The runtime of one verifier service (built by ``verifier.app``)."""

    engine: Engine
    clock: Clock
    policies: Policies
    trust: TrustStore
    status: StatusCache
    redeem: Redeemer | None  # None: offline mode, ELR1: refused
    org_audience: Callable[[str], str]
    algorithms: tuple[str, ...] = ("ES256", "EdDSA")
    leeway: int = 60
    bundle_iat: int | None = None
    keep_records: bool = True

    def __post_init__(self) -> None:
        self._writer = WriteBatcher(self.engine)  # sync callers (a worker thread)
        self._loop_writer = LoopWriter(self.engine, self._writer)  # the async endpoint

    def close(self) -> None:
        self._writer.close()

    async def aclose(self) -> None:
        """On the event loop at shutdown: the loop writer's connections, then the thread."""
        await self._loop_writer.aclose()
        self.close()

    def verify_presentation(self, *, principal: OrgPrincipal, scenario_id: str,
                            presentation: str, nonce: str, aud: str) -> Verdict:
        """An SD-JWT+KB that came by another channel (OpenID4VP ``direct_post``,
        ``verifier.oid4vp``) for ``nonce``/``aud``: the same checks, record and replay."""
        return self.verify_qr(principal=principal, scenario_id=scenario_id, qr="",
                              presented=(presentation, nonce, aud))

    def verify_qr(self, *, principal: OrgPrincipal, scenario_id: str, qr: str,
                  presented: tuple[str, str, str] | None = None) -> Verdict:
        """Authorisation problems raise (404 ``unknown_scenario``, 403
        ``scenario_not_allowed``); anything wrong with the QR is a verdict."""
        verdict, replay, finish = self.check(principal=principal, scenario_id=scenario_id,
                                             qr=qr, presented=presented)
        # The replay row and the record are committed together, grouped with concurrent
        # verifications (verifier._batch): one commit for many verifications.
        self._writer.write(replay, finish)
        return verdict

    async def verify_qr_async(self, *, principal: OrgPrincipal, scenario_id: str,
                              qr: str) -> Verdict:
        """``verify_qr`` for the HTTP endpoint. The checks run on the event loop when
        everything they need is in memory (the common case: an offline QR, cached trust
        and status lists); where one would read the network or the database they raise
        ``WouldBlock`` and the checks run again in a worker thread. A thread hop per
        request, with the GIL handed back and forth, cost more than the checks themselves.
        The commit is awaited on the event loop: no thread sits waiting for the database."""
        try:
            verdict, replay, finish = self.check(principal=principal, scenario_id=scenario_id,
                                                 qr=qr, io=False)
        except WouldBlock:
            verdict, replay, finish = await anyio.to_thread.run_sync(functools.partial(
                self.check, principal=principal, scenario_id=scenario_id, qr=qr))
        await self._loop_writer.write(replay, finish)
        return verdict

    def check(self, *, principal: OrgPrincipal, scenario_id: str, qr: str,
              presented: tuple[str, str, str] | None = None, io: bool = True
              ) -> tuple[Verdict, dict[str, Any] | None, Finish]:
        """Every check but replay: the verdict so far, the replay row (None when the
        presentation did not verify) and ``finish``, which the writer calls with the replay
        outcome; the verdict is complete once the write is committed. ``io=False``: raise
        ``WouldBlock`` rather than read the network or the database (nothing is changed
        before it is raised, so the caller can run the check again with ``io=True``)."""
        scenario = self.policies.get(scenario_id)
        require_scenario(principal, scenario.id)
        now = self.clock.now()
        verdict = Verdict(scenario=scenario.id, verified_at=now)
        if self.bundle_iat is not None:
            verdict.bundle_age_s = max(0, now - self.bundle_iat)
        ran: list[tuple[dict[str, Any], Verified]] = []
        with contextlib.suppress(_Stop):
            ran.append(self._run(verdict, scenario, principal, qr, now, presented, io))
        claims = ran[0][0] if ran else {}
        replay = None
        if ran:
            kb = ran[0][1].key_binding or {}
            replay = replay_row(
                digest=ran[0][1].digest,
                nonce=kb.get("nonce") if isinstance(kb.get("nonce"), str) else None,
                expires_at=now + scenario.max_presentation_age_s + 2 * self.leeway)

        def finish(first: bool | None) -> dict[str, Any] | None:
            # In the writer thread, once the replay outcome is known (the caller waits).
            if first is not None:
                if first:
                    verdict.passed("replay")
                else:
                    verdict.failed("replay", "replayed")
            if not self.keep_records:
                return None
            return record_values(org_id=principal.org_id, scenario=scenario,
                                 verdict=verdict, claims=claims)

        return verdict, replay, finish

    # --- the checks ------------------------------------------------------------------

    def _run(self, v: Verdict, scenario: Scenario, principal: OrgPrincipal, qr: str,
             now: int, presented: tuple[str, str, str] | None = None, io: bool = True
             ) -> tuple[dict[str, Any], Verified]:
        if presented is None:
            mode, presentation, nonce, aud = self._envelope(v, scenario, principal, qr, io)
        else:  # OpenID4VP: an online presentation bound to the request's nonce and client_id
            mode, (presentation, nonce, aud) = "online", presented
            v.mode = "oid4vp"
        verified = self._credential(v, scenario, presentation, now, nonce, aud, io)
        v.issuer = verified.issuer
        issuer = self.trust.current(io=io).issuer(verified.issuer)
        try:
            v.credential_type = issuer.credential_type(vct=verified.vct or "",
                                                       agency=verified.claims.get("agency"))
        except TypeNotTrusted as exc:
            v.failed("trust", exc.code)
            raise _Stop from None
        v.passed("trust")
        allowed = scenario.allowed(mode)
        shown = {k: verified.claims[k] for k in scenario.disclose
                 if k in allowed and k in verified.claims}
        v.claims = shown
        if v.credential_type not in scenario.credential_types:
            v.failed("type_allowed", "type_not_allowed")
            raise _Stop
        v.passed("type_allowed")
        # Status and policy never stop the run: the replay check (in verify_qr's
        # transaction) consumes the presentation whatever they say.
        self._status(v, scenario, verified, issuer, io)
        self._policy(v, scenario, verified, allowed)
        return shown, verified

    def _envelope(self, v: Verdict, scenario: Scenario, principal: OrgPrincipal,
                  qr: str, io: bool = True) -> tuple[Mode, str, str | None, str]:
        try:
            kind, content = parse_payload(qr.strip())
        except (VerificationError, PayloadTooLarge) as exc:
            v.failed("envelope", exc.code)
            raise _Stop from None
        mode: Mode = "online" if kind == "online" else "offline"
        v.mode = mode
        if mode not in scenario.modes:
            v.failed("envelope", "mode_not_allowed")
            raise _Stop
        if mode == "offline":
            return mode, content, _unverified_kb_nonce(content), offline_audience(scenario.id)
        if self.redeem is None:
            v.failed("envelope", "online_unavailable")
            raise _Stop
        if not io:
            raise WouldBlock("an online QR is redeemed at the wallet")
        nonce = secrets.token_urlsafe(16)
        aud = self.org_audience(principal.org_id)
        try:
            presentation = self.redeem(token=qr.strip(), nonce=nonce, aud=aud,
                                       scenario=scenario.id)
        except RedeemFailed as exc:
            v.failed("envelope", exc.wallet_code)
            raise _Stop from None
        return mode, presentation, nonce, aud

    def _credential(self, v: Verdict, scenario: Scenario, presentation: str, now: int,
                    nonce: str | None, aud: str, io: bool = True) -> Verified:
        try:
            verified = verify(
                presentation, keys=TrustKeys(self.trust, io=io), key_binding=scenario.key_binding,
                now=now, nonce=nonce or "", aud=aud, leeway=self.leeway,
                kb_max_age=scenario.max_presentation_age_s, algorithms=self.algorithms)
        except VerificationError as exc:
            check = _check_for(exc)
            if check == "signature" and scenario.key_binding and \
                    self._issuer_part_verifies(presentation, now, io):
                check = "key_binding"  # the KB-JWT's signature failed, not the issuer's
            v.failed(check, exc.code)
            for earlier in _before(check):
                v.passed(earlier)
            raise _Stop from None
        for name in ("envelope", "signature", "validity"):
            v.passed(name)
        note = None if scenario.key_binding else "not_required"
        v.passed("key_binding", note)
        v.passed("freshness", note)
        return verified

    def _issuer_part_verifies(self, presentation: str, now: int, io: bool) -> bool:
        """Failure path only: does the SD-JWT without its KB-JWT verify?"""
        try:
            verify(presentation[: presentation.rindex("~") + 1],
                   keys=TrustKeys(self.trust, io=io),
                   key_binding=False, now=now, leeway=self.leeway, algorithms=self.algorithms)
        except (VerificationError, ValueError):
            return False
        return True

    def _status(self, v: Verdict, scenario: Scenario, verified: Verified, issuer: Any,
                io: bool = True) -> None:
        policy = scenario.status
        try:
            ref = status_reference(verified.status)
            result = self.status.status(ref, issuer=issuer,
                                        max_staleness_s=policy.max_staleness_s, io=io)
        except StatusUnavailable as exc:
            if policy.when_stale == "fail_open":
                v.passed("status", exc.code)
                return
            v.failed("status", exc.code)
            return
        except (StatusError, TrustError) as exc:
            v.failed("status", exc.code)
            return
        v.status_value, v.staleness_s = result.value, result.staleness_s
        if result.value != VALID:
            v.failed("status", _STATUS_CODES.get(result.value, "status_invalid"))
            return
        if result.stale:
            if policy.when_stale == "fail_closed":
                v.failed("status", "status_stale")
                return
            v.passed("status", "status_stale")
            return
        v.passed("status")

    def _policy(self, v: Verdict, scenario: Scenario, verified: Verified,
                allowed: frozenset[str]) -> None:
        disclosed = {path.split(".", 1)[0] for path in verified.disclosed}
        never = set(scenario.never) & (disclosed | set(verified.claims))
        if (disclosed - allowed) or never:
            v.failed("policy", "over_disclosure")
            return
        if any(k not in verified.claims for k in scenario.required):
            v.failed("policy", "missing_claims")
            return
        if any(k in verified.claims and verified.claims[k] is not True
               for k in scenario.must_be_true):
            v.failed("policy", "requirement_not_met")
            return
        v.passed("policy")


def _check_for(exc: ELicenseError) -> str:
    """Which verdict check a ``core.credential.verify`` failure belongs to. A disclosure
    that no signed digest covers is an integrity failure, so it counts as ``signature``."""
    if isinstance(exc, TrustError):
        return "trust"
    if isinstance(exc, SignatureError | AlgorithmError | UnknownKey | DisclosureError):
        return "signature"
    if isinstance(exc, KbIatOutOfWindow):
        return "freshness"
    if isinstance(exc, KeyBindingError):
        return "key_binding"
    if isinstance(exc, ClaimsError):
        return "validity"
    return "envelope"


# Checks that necessarily passed when ``verify`` fails at the given one (its order: parse
# → issuer lookup → signature → disclosures → times → KB signature → KB iat → nonce, aud).
_PASSED_BEFORE = {
    "envelope": (),
    "trust": ("envelope",),
    "signature": ("envelope",),
    "validity": ("envelope", "signature"),
    "key_binding": ("envelope", "signature", "validity"),
    "freshness": ("envelope", "signature", "validity"),
}


def _before(check: str) -> tuple[str, ...]:
    return _PASSED_BEFORE.get(check, ())


def _unverified_kb_nonce(presentation: str) -> str | None:
    """The KB-JWT ``nonce`` (offline: chosen by the wallet), read unverified so that
    ``verify`` can compare it; the replay store then makes it single-use."""
    kb = presentation.rsplit("~", 1)[-1]
    if kb.count(".") != 2:
        return None
    try:
        unverified_payload = json_loads(b64u_decode(kb.split(".")[1]))
    except ELicenseError:
        return None
    nonce = unverified_payload.get("nonce") if isinstance(unverified_payload, dict) else None
    return nonce if isinstance(nonce, str) else None
