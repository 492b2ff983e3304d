"""Scenario policies (DESIGN §5): versioned data in ``data/scenarios/*.json``, validated at
load, published as the catalog (``GET /verifier/v1/scenarios``; shape in
docs/team-contracts.md "Scenario catalog").

A policy says which credential types are accepted, which claims may / must / must never be
disclosed, whether key binding is required, the maximum presentation age (KB-JWT ``iat``),
how fresh status data must be and what to do when it is not (``fail_closed`` /
``fail_open``), and what the verification record keeps and for how long.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from verifier.errors import PolicyInvalid, UnknownScenario

__all__ = [
    "DATA_DIR",
    "IDENTITY_TYPES",
    "Policies",
    "Scenario",
    "load_policies",
]

DATA_DIR = Path(__file__).resolve().parent / "data" / "scenarios"
IDENTITY_TYPES = ("id_card", "passport", "hk_macau_permit")
KNOWN_TYPES = frozenset({
    *IDENTITY_TYPES, "driving_license", "vehicle_license", "dog_license", "business_license",
    "food_business_permit", "public_health_permit", "birth_certificate",
    "real_estate_certificate",
})
# Record fields every record has; ``keeps`` adds claim names on top (hotel: the identity).
RECORD_BASE = ("credential_type", "issuer", "valid", "verified_at")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatusPolicy(_Frozen):
    max_staleness_s: int = Field(ge=0)
    when_stale: Literal["fail_closed", "fail_open"]


class RecordPolicy(_Frozen):
    keeps: tuple[str, ...] = ()
    retention_days: int = Field(ge=0, le=3650)


class Scenario(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    version: int = Field(ge=1)
    name: dict[Literal["zh", "en"], str]
    credential_types: tuple[str, ...] = Field(min_length=1)
    disclose: tuple[str, ...]
    required: tuple[str, ...] = ()
    never: tuple[str, ...] = ()
    # Claims that, when disclosed, must be ``true`` (internet café: ``age_over_18``).
    must_be_true: tuple[str, ...] = ()
    online_only: tuple[str, ...] = ()
    modes: tuple[Literal["online", "offline"], ...] = Field(min_length=1)
    key_binding: bool = True
    max_presentation_age_s: int = Field(ge=1, le=3600)
    status: StatusPolicy
    record: RecordPolicy

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if set(self.name) != {"zh", "en"}:
            raise ValueError("name needs zh and en")
        unknown = set(self.credential_types) - KNOWN_TYPES
        if unknown:
            raise ValueError(f"unknown credential types {sorted(unknown)}")
        disclose = set(self.disclose)
        for field in ("required", "online_only", "must_be_true"):
            extra = set(getattr(self, field)) - disclose
            if extra:
                raise ValueError(f"{field} not in disclose: {sorted(extra)}")
        clash = disclose & set(self.never)
        if clash:
            raise ValueError(f"claims both disclosed and never: {sorted(clash)}")
        if set(self.required) & set(self.online_only):
            raise ValueError("a required claim cannot be online-only")
        keeps = set(self.record.keeps) - disclose
        if keeps:
            raise ValueError(f"record keeps claims that are not disclosed: {sorted(keeps)}")
        return self

    def allowed(self, mode: Literal["online", "offline"]) -> frozenset[str]:
        """Claims a presentation in ``mode`` may disclose."""
        if mode == "offline":
            return frozenset(self.disclose) - frozenset(self.online_only)
        return frozenset(self.disclose)

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Policies:
    """The loaded, validated scenario catalog (immutable)."""

    def __init__(self, scenarios: Iterable[Scenario]) -> None:
        self._by_id: dict[str, Scenario] = {}
        for s in scenarios:
            if s.id in self._by_id:
                raise PolicyInvalid(f"duplicate scenario {s.id!r}")
            self._by_id[s.id] = s

    def get(self, scenario_id: str) -> Scenario:
        try:
            return self._by_id[scenario_id]
        except KeyError:
            raise UnknownScenario(f"unknown scenario {scenario_id!r}") from None

    def __contains__(self, scenario_id: object) -> bool:
        return scenario_id in self._by_id

    def __iter__(self) -> Iterator[Scenario]:
        return iter(sorted(self._by_id.values(), key=lambda s: s.id))

    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def catalog(self) -> dict[str, Any]:
        return {"scenarios": [s.public() for s in self]}

    @classmethod
    def from_catalog(cls, catalog: Mapping[str, Any]) -> Policies:
        """Policies from catalog JSON (as carried by the offline bundle)."""
        items = catalog.get("scenarios")
        if not isinstance(items, list):
            raise PolicyInvalid("catalog has no scenarios list")
        return cls(_parse(item, "<catalog>") for item in items)


def _parse(data: Any, source: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise PolicyInvalid(f"{source}: {exc.errors(include_url=False)}") from exc


def load_policies(directory: Path = DATA_DIR) -> Policies:
    """Load and validate every ``*.json`` in ``directory``; the file name must be the id."""
    scenarios = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PolicyInvalid(f"{path.name}: {exc}") from exc
        scenario = _parse(data, path.name)
        if scenario.id != path.stem:
            raise PolicyInvalid(f"{path.name}: id {scenario.id!r} does not match the file name")
        scenarios.append(scenario)
    if not scenarios:
        raise PolicyInvalid(f"no scenario files in {directory}")
    return Policies(scenarios)
