"""Scenario policies are data, validated at load (DESIGN §5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from verifier.errors import PolicyInvalid
from verifier.policies import DATA_DIR, Policies, load_policies


def _hotel() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / "hotel_checkin.json").read_text())
    return data


def test_contract_scenarios_load() -> None:
    policies = load_policies()
    assert set(policies.ids()) >= {"hotel_checkin", "roadside_inspection", "internet_cafe",
                                   "dog_license_check"}
    cafe = policies.get("internet_cafe")
    assert "birthdate" in cafe.never and "address" in cafe.never
    assert "birthdate" not in cafe.disclose
    road = policies.get("roadside_inspection")
    assert set(road.credential_types) == {"driving_license", "vehicle_license"}
    assert "offline" in road.modes
    hotel = policies.get("hotel_checkin")
    assert "portrait" in hotel.allowed("online") and "portrait" not in hotel.allowed("offline")
    assert "portrait" not in hotel.record.keeps


def test_catalog_shape_matches_the_contract() -> None:
    catalog = load_policies().catalog()
    hotel = next(s for s in catalog["scenarios"] if s["id"] == "hotel_checkin")
    assert set(hotel) >= {"id", "version", "name", "credential_types", "disclose", "required",
                          "never", "online_only", "modes", "key_binding",
                          "max_presentation_age_s", "status", "record"}
    assert set(hotel["status"]) == {"max_staleness_s", "when_stale"}
    assert set(hotel["record"]) == {"keeps", "retention_days"}
    assert Policies.from_catalog(catalog).ids() == load_policies().ids()


@pytest.mark.parametrize("change", [
    {"never": ["name"]},                          # disclosed and never
    {"credential_types": ["spaceship_license"]},  # unknown type
    {"required": ["blood_type"]},                 # required but not disclosable
    {"record": {"keeps": ["portrait2"], "retention_days": 1}},
    {"status": {"max_staleness_s": 10, "when_stale": "shrug"}},
    {"surprise": 1},                              # unknown member
    {"name": {"zh": "只有中文"}},
])
def test_invalid_policy_files_are_refused(tmp_path: Path, change: dict[str, Any]) -> None:
    (tmp_path / "hotel_checkin.json").write_text(json.dumps({**_hotel(), **change}))
    with pytest.raises(PolicyInvalid) as exc:
        load_policies(tmp_path)
    assert exc.value.code == "policy_invalid"


def test_file_name_must_be_the_id(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text(json.dumps(_hotel()))
    with pytest.raises(PolicyInvalid):
        load_policies(tmp_path)


def test_broken_json_and_empty_dir(tmp_path: Path) -> None:
    with pytest.raises(PolicyInvalid):
        load_policies(tmp_path)
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(PolicyInvalid):
        load_policies(tmp_path)
