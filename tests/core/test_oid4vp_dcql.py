"""core.oid4vp DCQL (OpenID4VP 1.0 §6, §7): building, validating, matching a credential and
the wallet's scenario-policy refusal."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.oid4vp import (
    build_dcql_query,
    check_dcql_within_policy,
    match_dcql,
    validate_dcql,
)
from core.oid4vp.errors import (
    DcqlClaimMissing,
    DcqlClaimNotAllowed,
    DcqlFormatMismatch,
    DcqlInvalid,
    DcqlNoMatch,
    DcqlVctMismatch,
)

VCT = "http://127.0.0.1:8000/issuer/vct/id_card"
PASSPORT = "http://127.0.0.1:8000/issuer/vct/passport"
CAFE_ALLOWED = ["name", "document_number", "age_over_18"]
ID_CARD_CLAIMS = {"name", "sex", "ethnicity", "birthdate", "address", "document_number",
                  "age_over_18", "age_over_60", "portrait", "iss", "vct", "agency"}


def _query(**over: Any) -> dict[str, Any]:
    q = build_dcql_query(credential_id="id_card", vcts=[VCT, PASSPORT],
                         claims=["name", "document_number", "age_over_18"])
    q["credentials"][0].update(over)
    return q


def test_build_dcql_query_has_the_sd_jwt_vc_shape() -> None:
    assert build_dcql_query(credential_id="id_card", vcts=[VCT],
                            claims=["name", "address.street", "nationalities.1"]) == {
        "credentials": [{
            "id": "id_card",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": [VCT]},
            "claims": [{"path": ["name"]}, {"path": ["address", "street"]},
                       {"path": ["nationalities", 1]}],
        }]
    }


def test_build_dcql_query_names_a_claim_once_and_omits_empty_claims() -> None:
    q = build_dcql_query(credential_id="c", vcts=[VCT], claims=["name", "name"])
    assert q["credentials"][0]["claims"] == [{"path": ["name"]}]
    assert "claims" not in build_dcql_query(credential_id="c", vcts=[VCT], claims=[])[
        "credentials"][0]


@pytest.mark.parametrize("cid", ["", "id card", "id.card", "身份证"])
def test_build_dcql_query_refuses_a_bad_credential_id(cid: str) -> None:
    with pytest.raises(DcqlInvalid) as e:
        build_dcql_query(credential_id=cid, vcts=[VCT], claims=["name"])
    assert e.value.code == "dcql_invalid"


def test_build_dcql_query_needs_a_vct() -> None:
    with pytest.raises(DcqlInvalid):
        build_dcql_query(credential_id="c", vcts=[], claims=["name"])


def _mutations() -> list[tuple[str, Any]]:
    base = _query()
    out: list[tuple[str, Any]] = [("not an object", []), ("no credentials", {}),
                                  ("empty credentials", {"credentials": []})]

    def m(name: str, f: Any) -> None:
        q = copy.deepcopy(base)
        f(q["credentials"][0])
        out.append((name, q))

    m("no id", lambda c: c.pop("id"))
    m("bad id", lambda c: c.update(id="a b"))
    m("no format", lambda c: c.pop("format"))
    m("no meta", lambda c: c.pop("meta"))
    m("no vct_values", lambda c: c.update(meta={}))
    m("vct_values not strings", lambda c: c.update(meta={"vct_values": [1]}))
    m("multiple not bool", lambda c: c.update(multiple="yes"))
    m("holder binding not bool", lambda c: c.update(require_cryptographic_holder_binding=0))
    m("empty claims", lambda c: c.update(claims=[]))
    m("empty path", lambda c: c.update(claims=[{"path": []}]))
    m("null path component", lambda c: c.update(claims=[{"path": ["a", None]}]))
    m("negative index", lambda c: c.update(claims=[{"path": ["a", -1]}]))
    m("dotted component", lambda c: c.update(claims=[{"path": ["a.b"]}]))
    m("bool component", lambda c: c.update(claims=[{"path": ["a", True]}]))
    m("bad values", lambda c: c.update(claims=[{"path": ["a"], "values": [{"x": 1}]}]))
    m("duplicate claim id", lambda c: c.update(
        claims=[{"id": "a", "path": ["a"]}, {"id": "a", "path": ["b"]}]))
    m("claim_sets without claims", lambda c: (c.pop("claims"), c.update(claim_sets=[["a"]])))
    m("claim_sets with unknown id", lambda c: c.update(
        claims=[{"id": "a", "path": ["a"]}], claim_sets=[["b"]]))
    m("claim_sets without claim ids", lambda c: c.update(
        claims=[{"path": ["a"]}], claim_sets=[["a"]]))
    dup = copy.deepcopy(base)
    dup["credentials"].append(copy.deepcopy(dup["credentials"][0]))
    out.append(("duplicate credential id", dup))
    sets = copy.deepcopy(base)
    sets["credential_sets"] = [{"options": [["nope"]]}]
    out.append(("credential_sets with unknown id", sets))
    nested = copy.deepcopy(base)
    nested["credential_sets"] = [{"options": [[["id_card"]]]}]
    out.append(("credential_sets option not a string", nested))
    m("claim_sets entry not a string", lambda c: c.update(
        claims=[{"id": "a", "path": ["a"]}], claim_sets=[[["a"]]]))
    return out


@pytest.mark.parametrize(("name", "query"), _mutations(), ids=[n for n, _ in _mutations()])
def test_validate_dcql_refuses_malformed_queries(name: str, query: Any) -> None:
    with pytest.raises(DcqlInvalid) as e:
        validate_dcql(query)
    assert e.value.code == "dcql_invalid", name


def test_validate_dcql_ignores_unknown_properties() -> None:
    q = _query(future_extension={"x": 1})
    q["also_unknown"] = True
    validate_dcql(q)


def test_match_dcql_selects_the_requested_claims() -> None:
    assert match_dcql(_query(), vct=VCT, available_claims=ID_CARD_CLAIMS) == [
        "name", "document_number", "age_over_18"]


def test_match_dcql_without_claims_discloses_nothing_selectively() -> None:
    q = build_dcql_query(credential_id="id_card", vcts=[VCT], claims=[])
    assert match_dcql(q, vct=VCT, available_claims=ID_CARD_CLAIMS) == []


def test_match_dcql_refuses_another_type() -> None:
    with pytest.raises(DcqlVctMismatch) as e:
        match_dcql(_query(), vct="http://127.0.0.1:8000/issuer/vct/dog_license",
                   available_claims=ID_CARD_CLAIMS)
    assert e.value.code == "dcql_vct_mismatch" and isinstance(e.value, DcqlNoMatch)
    assert e.value.status == 404


def test_match_dcql_refuses_another_format() -> None:
    q = _query(format="mso_mdoc", meta={"doctype_value": "org.iso.18013.5.1.mDL"})
    with pytest.raises(DcqlFormatMismatch) as e:
        match_dcql(q, vct=VCT, available_claims=ID_CARD_CLAIMS)
    assert e.value.code == "dcql_format_mismatch"


def test_match_dcql_refuses_a_credential_missing_a_claim() -> None:
    with pytest.raises(DcqlClaimMissing) as e:
        match_dcql(_query(), vct=VCT, available_claims={"name", "age_over_18"})
    assert e.value.code == "dcql_claim_missing"
    assert e.value.extra["claims"] == ["document_number"]


def test_match_dcql_claim_sets_first_satisfiable_option_wins() -> None:
    q = _query(claims=[{"id": "a18", "path": ["age_over_18"]},
                       {"id": "bd", "path": ["birthdate"]},
                       {"id": "nm", "path": ["name"]}],
               claim_sets=[["a18", "nm"], ["bd", "nm"]])
    assert match_dcql(q, vct=VCT, available_claims=ID_CARD_CLAIMS) == ["age_over_18", "name"]
    assert match_dcql(q, vct=VCT, available_claims={"birthdate", "name"}) == [
        "birthdate", "name"]
    with pytest.raises(DcqlClaimMissing):
        match_dcql(q, vct=VCT, available_claims={"name"})


def test_match_dcql_value_matching_is_exact_in_type_and_value() -> None:
    q = _query(claims=[{"path": ["age_over_18"], "values": [True]}])
    assert match_dcql(q, vct=VCT, available_claims={"age_over_18"},
                      claim_values={"age_over_18": True}) == ["age_over_18"]
    for value in (False, 1):
        with pytest.raises(DcqlClaimMissing):
            match_dcql(q, vct=VCT, available_claims={"age_over_18"},
                       claim_values={"age_over_18": value})
    # without the values the wallet cannot check (§6.4.1: best effort)
    assert match_dcql(q, vct=VCT, available_claims={"age_over_18"}) == ["age_over_18"]


def test_match_dcql_picks_a_credential_query_by_id() -> None:
    q = _query()
    other = copy.deepcopy(q["credentials"][0])
    other.update(id="dl", meta={"vct_values": ["urn:dl"]}, claims=[{"path": ["plate"]}])
    q["credentials"].append(other)
    with pytest.raises(DcqlInvalid):
        match_dcql(q, vct=VCT, available_claims=ID_CARD_CLAIMS)  # which one?
    assert match_dcql(q, vct="urn:dl", available_claims={"plate"}, credential_id="dl") == [
        "plate"]
    with pytest.raises(DcqlInvalid):
        match_dcql(q, vct=VCT, available_claims=ID_CARD_CLAIMS, credential_id="nope")


def test_check_dcql_within_policy_accepts_the_scenario_claims() -> None:
    check_dcql_within_policy(_query(), CAFE_ALLOWED)
    nested = build_dcql_query(credential_id="c", vcts=[VCT], claims=["address.city"])
    check_dcql_within_policy(nested, ["address"])


def test_check_dcql_within_policy_refuses_a_claim_the_scenario_does_not_allow() -> None:
    """internet_cafe never gets the birthdate, whatever a verifier asks."""
    q = build_dcql_query(credential_id="id_card", vcts=[VCT],
                         claims=["name", "birthdate", "address"])
    with pytest.raises(DcqlClaimNotAllowed) as e:
        check_dcql_within_policy(q, CAFE_ALLOWED)
    assert e.value.code == "dcql_claim_not_allowed" and e.value.status == 403
    assert e.value.extra["claims"] == ["address", "birthdate"]


def test_check_dcql_within_policy_looks_at_every_claim_set_option() -> None:
    q = _query(claims=[{"id": "a18", "path": ["age_over_18"]},
                       {"id": "bd", "path": ["birthdate"]}],
               claim_sets=[["a18"], ["bd"]])
    with pytest.raises(DcqlClaimNotAllowed):
        check_dcql_within_policy(q, CAFE_ALLOWED)


def test_check_dcql_within_policy_a_parent_is_not_allowed_by_its_child() -> None:
    q = build_dcql_query(credential_id="c", vcts=[VCT], claims=["address"])
    with pytest.raises(DcqlClaimNotAllowed):
        check_dcql_within_policy(q, ["address.city"])
