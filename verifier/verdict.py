"""The verdict (DESIGN §7, contract): ``{"valid", "scenario", "credential_type", "issuer",
"claims", "checks": [{"name", "ok", "code"}…], "status": {"value", "staleness_s"},
"verified_at"}`` plus ``mode`` and, offline, ``bundle_age_s``.

Every verdict names all ten checks in this order. A check that could not run because an
earlier one failed is ``{"ok": false, "code": "not_checked"}``; a passed check has
``code: null`` unless it passed with a remark (``not_required``, or ``status_stale`` /
``status_unavailable`` under a fail-open policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["CHECKS", "NOT_CHECKED", "Check", "Verdict"]

CHECKS = ("envelope", "signature", "trust", "type_allowed", "validity", "key_binding",
          "freshness", "replay", "status", "policy")
NOT_CHECKED = "not_checked"


class Check(NamedTuple):
    name: str
    ok: bool
    code: str | None = None


_NOT_RUN = {n: Check(n, False, NOT_CHECKED) for n in CHECKS}


@dataclass
class Verdict:
    scenario: str
    verified_at: int
    mode: str | None = None
    credential_type: str | None = None
    issuer: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    status_value: int | None = None
    staleness_s: int | None = None
    bundle_age_s: int | None = None
    _results: dict[str, Check] = field(default_factory=dict)

    def passed(self, name: str, code: str | None = None) -> None:
        self._results[name] = Check(name, True, code)

    def failed(self, name: str, code: str) -> None:
        self._results[name] = Check(name, False, code)

    @property
    def checks(self) -> list[Check]:
        results = self._results
        return [results.get(n) or _NOT_RUN[n] for n in CHECKS]

    @property
    def valid(self) -> bool:
        results = self._results
        return all(n in results and results[n].ok for n in CHECKS)

    @property
    def failed_codes(self) -> list[str]:
        return [c.code or "failed" for c in self.checks if not c.ok and c.code != NOT_CHECKED]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "valid": self.valid,
            "scenario": self.scenario,
            "mode": self.mode,
            "credential_type": self.credential_type,
            "issuer": self.issuer,
            "claims": self.claims,
            "checks": [{"name": c.name, "ok": c.ok, "code": c.code} for c in self.checks],
            "status": {"value": self.status_value, "staleness_s": self.staleness_s},
            "verified_at": self.verified_at,
        }
        if self.bundle_age_s is not None:
            out["bundle_age_s"] = self.bundle_age_s
        return out
