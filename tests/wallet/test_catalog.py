"""The one disclosure rule: scenario.disclose ∩ credential claims, minus online_only offline,
minus never; refusals with typed errors."""

from __future__ import annotations

import pytest

from core.errors import ELicenseError
from tests.wallet.catalog import CATALOG
from wallet.catalog import claims_to_disclose, find_scenario, scenarios_for

BY_ID = {s["id"]: s for s in CATALOG["scenarios"]}
ID_CARD = ["name", "sex", "ethnicity", "birthdate", "address", "document_number",
           "issuing_authority", "valid_from", "valid_until", "portrait", "age_over_18",
           "age_over_60"]


def test_hotel_online_discloses_portrait_offline_does_not() -> None:
    s = BY_ID["hotel_checkin"]
    online = claims_to_disclose(s, credential_type="id_card", available=ID_CARD, mode="online")
    offline = claims_to_disclose(s, credential_type="id_card", available=ID_CARD,
                                 mode="offline")
    assert online == ["name", "document_number", "sex", "ethnicity", "birthdate", "address",
                      "portrait"]
    assert offline == online[:-1]


def test_only_claims_the_credential_has() -> None:
    s = BY_ID["hotel_checkin"]
    got = claims_to_disclose(s, credential_type="passport", available=["name", "nationality",
                             "document_number"], mode="online")
    assert got == ["name", "document_number"]


def test_never_is_removed_even_if_listed_in_disclose() -> None:
    s = {**BY_ID["internet_cafe"], "disclose": ["name", "birthdate", "age_over_18"]}
    got = claims_to_disclose(s, credential_type="id_card", available=ID_CARD, mode="online")
    assert got == ["name", "age_over_18"]


@pytest.mark.parametrize(("scenario", "type_", "mode", "code"), [
    ("internet_cafe", "driving_license", "online", "scenario_not_applicable"),
    ("dog_license_check", "dog_license", "offline", "mode_not_allowed"),
    ("hotel_checkin", "id_card", "carrier-pigeon", "mode_not_allowed"),
])
def test_refusals(scenario: str, type_: str, mode: str, code: str) -> None:
    with pytest.raises(ELicenseError) as err:
        claims_to_disclose(BY_ID[scenario], credential_type=type_, available=ID_CARD,
                           mode=mode)
    assert err.value.code == code


def test_unknown_scenario_and_picker() -> None:
    with pytest.raises(ELicenseError) as err:
        find_scenario(BY_ID, "casino")
    assert err.value.code == "scenario_not_found"
    assert [s["id"] for s in scenarios_for(BY_ID, "id_card")] == ["hotel_checkin",
                                                                   "internet_cafe"]
