"""The DCQL query the verifier builds from each shipped scenario (``verifier.oid4vp.dcql_for``,
docs/interop.md §4.5): valid DCQL, named after the scenario, within the scenario's own
``disclose`` list (so our wallet's ``check_dcql_within_policy`` accepts it), never a claim the
scenario forbids, and answerable by a license that has only the required claims."""

from __future__ import annotations

import pytest

from core.oid4vp import check_dcql_within_policy, match_dcql, validate_dcql
from core.oid4vp.errors import DcqlClaimMissing, DcqlClaimNotAllowed
from verifier.oid4vp import dcql_for
from verifier.policies import load_policies

POLICIES = load_policies()
VCT = "https://city.example/issuer/vct/x"


# Claim names of the catalog types (docs/team-contracts.md), as their type metadata lists them.
TYPE_CLAIMS = {
    "id_card": {"name", "sex", "ethnicity", "birthdate", "address", "document_number",
                "issuing_authority", "valid_from", "valid_until", "portrait", "age_over_18",
                "age_over_60"},
    "passport": {"name", "name_en", "sex", "birthdate", "nationality", "document_number",
                 "issuing_authority", "valid_from", "valid_until", "portrait", "age_over_18",
                 "age_over_60"},
    "driving_license": {"name", "sex", "birthdate", "address", "license_number",
                        "permitted_class", "first_issue_date", "valid_from", "valid_until"},
    "vehicle_license": {"plate_number", "owner_name", "vehicle_type", "brand_model", "vin",
                        "engine_number", "registration_date", "use_character"},
    "dog_license": {"registration_number", "owner_name", "owner_address", "dog_name", "breed",
                    "color", "dog_sex", "vaccination_date", "valid_until"},
}


def _per_type(scenario_id: str) -> list[set[str]]:
    return [TYPE_CLAIMS[t] for t in POLICIES.get(scenario_id).credential_types
            if t in TYPE_CLAIMS]


@pytest.mark.parametrize("scenario_id", POLICIES.ids())
def test_query_follows_the_scenario(scenario_id: str) -> None:
    scenario = POLICIES.get(scenario_id)
    query = dcql_for(scenario, [VCT], _per_type(scenario_id))
    validate_dcql(query)
    (cq,) = query["credentials"]
    assert cq["id"] == scenario.id and cq["meta"]["vct_values"] == [VCT]
    asked = [c["path"][0] for c in cq["claims"]]
    assert set(asked) <= set(scenario.disclose)
    assert not set(asked) & set(scenario.never)
    check_dcql_within_policy(query, scenario.disclose)  # the wallet's check passes
    # a license with every claim discloses them all; one with only the required ones, those
    assert sorted(match_dcql(query, vct=VCT, available_claims=asked)) == sorted(asked)
    if scenario.required:
        assert sorted(match_dcql(query, vct=VCT, available_claims=scenario.required)) == \
            sorted(scenario.required)
    # every accepted type can answer, with exactly the scenario's claims it carries
    for have in _per_type(scenario_id):
        assert sorted(match_dcql(query, vct=VCT, available_claims=have)) == \
            sorted(c for c in asked if c in have)


def test_types_with_disjoint_claims_each_answer() -> None:
    """Roadside inspection takes a driving or a vehicle license (no claim in common, no
    required claim): without the per-type options neither could satisfy the query."""
    scenario = POLICIES.get("roadside_inspection")
    with pytest.raises(DcqlClaimMissing):
        match_dcql(dcql_for(scenario, [VCT]), vct=VCT,
                   available_claims=TYPE_CLAIMS["vehicle_license"])
    query = dcql_for(scenario, [VCT], _per_type("roadside_inspection"))
    assert match_dcql(query, vct=VCT, available_claims=TYPE_CLAIMS["vehicle_license"]) == [
        "plate_number", "owner_name", "vehicle_type"]
    assert "permitted_class" in match_dcql(query, vct=VCT,
                                           available_claims=TYPE_CLAIMS["driving_license"])


def test_a_license_without_the_required_claims_cannot_answer() -> None:
    scenario = POLICIES.get("hotel_checkin")
    query = dcql_for(scenario, [VCT])
    with pytest.raises(DcqlClaimMissing):
        match_dcql(query, vct=VCT, available_claims=["name"])


def test_wallet_check_catches_a_claim_beyond_the_scenario() -> None:
    """The control of the test above: the same query plus the birthdate, for a café."""
    scenario = POLICIES.get("internet_cafe")
    query = dcql_for(scenario, [VCT])
    query["credentials"][0]["claims"].append({"id": "birthdate", "path": ["birthdate"]})
    with pytest.raises(DcqlClaimNotAllowed) as exc:
        check_dcql_within_policy(query, scenario.disclose)
    assert exc.value.code == "dcql_claim_not_allowed"
