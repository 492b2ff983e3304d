"""The catalog (DESIGN §3): eleven types, their agencies, schemas, and the SD-JWT VC Type
Metadata served at each ``vct``."""

from __future__ import annotations

from typing import Any

from issuer.catalog import IDENTITY_DOCUMENTS, license_types

from .conftest import ISS, TestClient, id_card_claims

_TRAVEL = {"name": "张三", "name_en": "ZHANG SAN", "sex": "男", "birthdate": "1990-05-01",
           "nationality": "中国", "document_number": "E12345678",
           "issuing_authority": "国家移民管理局", "valid_from": "2020-01-01",
           "valid_until": "2030-01-01"}
SAMPLES: dict[str, dict[str, Any]] = {
    "id_card": id_card_claims(),
    "passport": _TRAVEL,
    "hk_macau_permit": {**_TRAVEL, "document_number": "C12345678"},
    "driving_license": {"name": "张三", "sex": "男", "birthdate": "1990-05-01",
                        "address": "北京市东城区1号", "license_number": "110105199005010021",
                        "permitted_class": "C1", "first_issue_date": "2010-06-01",
                        "valid_from": "2020-06-01", "valid_until": "2030-06-01"},
    "vehicle_license": {"plate_number": "京A12345", "owner_name": "张三",
                        "vehicle_type": "小型轿车", "brand_model": "红旗H5",
                        "vin": "LFV2A21K0A3000001", "engine_number": "E0001",
                        "registration_date": "2021-03-01", "use_character": "非营运"},
    "dog_license": {"registration_number": "DOG-2026-0001", "owner_name": "张三",
                    "owner_address": "北京市东城区1号", "dog_name": "旺财", "breed": "柯基",
                    "color": "黄白", "dog_sex": "公", "vaccination_date": "2026-03-01",
                    "valid_until": "2027-03-01"},
    "business_license": {"company_name": "某某科技有限公司",
                         "unified_social_credit_code": "91110105MA01ABCD2X",
                         "legal_representative": "张三", "business_scope": ["软件开发"],
                         "registered_capital": "100万元", "address": "北京市朝阳区2号",
                         "established_date": "2019-01-01"},
    "food_business_permit": {"operator_name": "某某餐厅", "permit_number": "JY11101050000001",
                             "unified_social_credit_code": "92110105MA01ABCD2X",
                             "business_items": ["热食类食品制售"],
                             "premises_address": "北京市朝阳区3号", "valid_until": "2030-01-01"},
    "public_health_permit": {"entity_name": "某某宾馆", "permit_number": "京卫公证字[2026]0001",
                             "premises_address": "北京市朝阳区4号",
                             "permitted_items": ["住宿"], "valid_until": "2030-01-01"},
    "birth_certificate": {"certificate_number": "Q110000001", "child_name": "张小宝",
                          "sex": "女", "birthdate": "2025-01-01", "birthplace": "北京市",
                          "mother_name": "李四", "father_name": "张三", "hospital": "某某医院"},
    "real_estate_certificate": {"certificate_number": "京(2026)东城区不动产权第0000001号",
                                "owner_name": "张三", "property_address": "北京市东城区1号",
                                "area_m2": 89.5, "usage": "住宅", "ownership_type": "商品房"},
}

AGENCY_OF = {
    "id_card": "psb", "passport": "psb", "hk_macau_permit": "psb", "driving_license": "psb",
    "vehicle_license": "psb", "dog_license": "psb", "business_license": "amr",
    "food_business_permit": "amr", "public_health_permit": "hc", "birth_certificate": "hc",
    "real_estate_certificate": "plr",
}


def test_catalog_has_the_eleven_types_with_their_agencies() -> None:
    assert {t: lt.agency for t, lt in license_types().items()} == AGENCY_OF
    for t, lt in license_types().items():
        assert lt.name["zh"] and lt.name["en"] and lt.default_validity_days > 0
        assert set(lt.schema["properties"]) <= set(lt.selectively_disclosable)
        assert lt.identity_document == (t in IDENTITY_DOCUMENTS)
        if lt.identity_document:
            assert {"portrait", "age_over_18", "age_over_60"} <= set(lt.selectively_disclosable)
        assert not {"iss", "exp", "nbf", "vct", "cnf", "status", "agency"} & set(lt.claims)


def test_type_metadata_served_at_vct(client: TestClient) -> None:
    for t, lt in license_types().items():
        r = client.get(f"/issuer/vct/{t}")
        assert r.status_code == 200
        meta = r.json()
        assert meta["vct"] == f"{ISS}/vct/{t}"
        assert {d["locale"]: d["name"] for d in meta["display"]} == {
            "zh-CN": lt.name["zh"], "en": lt.name["en"]}
        paths = {c["path"][0]: c["sd"] for c in meta["claims"]}
        assert paths["agency"] == "never"
        assert all(paths[c] == "always" for c in lt.selectively_disclosable)
    r = client.get("/issuer/vct/nope")
    assert r.status_code == 400 and r.json()["code"] == "unknown_type"
