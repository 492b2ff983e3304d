"""A scenario catalog in the contract shape (docs/team-contracts.md "Scenario catalog"),
served by the wallet tests at ``/verifier/v1/scenarios`` so the wallet's selection rule is
tested against known data whatever the verifier publishes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

IDENTITY = ["id_card", "passport", "hk_macau_permit"]


def _scenario(id_: str, zh: str, en: str, types: list[str], disclose: list[str], *,
              never: list[str] | None = None, online_only: list[str] | None = None,
              modes: list[str] | None = None) -> dict[str, Any]:
    return {"id": id_, "version": 1, "name": {"zh": zh, "en": en}, "credential_types": types,
            "disclose": disclose, "required": disclose[:2], "never": never or [],
            "online_only": online_only or [], "modes": modes or ["online", "offline"],
            "key_binding": True, "max_presentation_age_s": 120,
            "status": {"max_staleness_s": 300, "when_stale": "fail_closed"},
            "record": {"keeps": [], "retention_days": 180}}


CATALOG: dict[str, Any] = {"scenarios": [
    _scenario("hotel_checkin", "酒店入住", "Hotel check-in", IDENTITY,
              ["name", "document_number", "sex", "ethnicity", "birthdate", "address",
               "portrait"], online_only=["portrait"]),
    _scenario("roadside_inspection", "路面检查", "Roadside inspection",
              ["driving_license", "vehicle_license"],
              ["name", "license_number", "permitted_class", "valid_until", "plate_number",
               "owner_name"]),
    _scenario("internet_cafe", "网吧上网", "Internet café", IDENTITY,
              ["name", "document_number", "age_over_18"], never=["birthdate", "address"]),
    _scenario("dog_license_check", "犬证检查", "Dog license check", ["dog_license"],
              ["registration_number", "owner_name", "dog_name", "valid_until"],
              modes=["online"]),
]}


def catalog_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/scenarios")
    def scenarios() -> dict[str, Any]:
        return CATALOG

    return app
