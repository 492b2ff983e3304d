"""The scenario catalog the verifier publishes (docs/team-contracts.md "Scenario catalog"),
read over HTTP and cached, and the one rule that decides what a presentation discloses:

    disclose = scenario.disclose ∩ claims the credential carries
               − scenario.online_only (offline mode) − scenario.never

refusing a scenario that does not accept the license type (``scenario_not_applicable``) or
the mode (``mode_not_allowed``). Nothing outside ``scenario.disclose`` is ever disclosed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wallet.errors import (
    CatalogUnavailable,
    ModeNotAllowed,
    ScenarioNotApplicable,
    ScenarioNotFound,
)
from wallet.upstream import Upstream

__all__ = ["MODES", "claims_to_disclose", "find_scenario", "load_catalog", "scenarios_for"]

MODES = ("online", "offline")


def load_catalog(upstream: Upstream, url: str, *, ttl: int) -> dict[str, dict[str, Any]]:
    body = upstream.get(url, error=CatalogUnavailable, ttl=ttl)
    items = body.get("scenarios") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise CatalogUnavailable("catalog has no scenarios list")
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            out[item["id"]] = item
    return out


def find_scenario(catalog: Mapping[str, dict[str, Any]], scenario_id: str) -> dict[str, Any]:
    scenario = catalog.get(scenario_id)
    if scenario is None:
        raise ScenarioNotFound(scenario=scenario_id)
    return scenario


def scenarios_for(catalog: Mapping[str, dict[str, Any]], credential_type: str
                  ) -> list[dict[str, Any]]:
    """The scenarios that accept ``credential_type`` (for the citizen's picker)."""
    return [s for s in catalog.values() if credential_type in s.get("credential_types", ())]


def claims_to_disclose(scenario: Mapping[str, Any], *, credential_type: str,
                       available: Iterable[str], mode: str) -> list[str]:
    if credential_type not in scenario.get("credential_types", ()):
        raise ScenarioNotApplicable(scenario=scenario.get("id"), credential_type=credential_type)
    if mode not in MODES or mode not in scenario.get("modes", MODES):
        raise ModeNotAllowed(scenario=scenario.get("id"), mode=mode)
    allowed = set(scenario.get("disclose", ()))
    allowed -= set(scenario.get("never", ()))
    if mode == "offline":
        allowed -= set(scenario.get("online_only", ()))
    have = set(available)
    # Keep the scenario's order: stable output, easy to read in a log.
    return [name for name in scenario.get("disclose", ()) if name in allowed and name in have]
