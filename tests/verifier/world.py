"""A small, real verification world for the verifier tests: an issuer (real keys, real
SD-JWT VCs via core.credential), a trust anchor and its signed trust list, signed status
lists served by a function, a holder key, and a ``Verifier`` over a fresh database."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.credential import issue, present
from core.qr import encode_offline
from core.statuslist import StatusList, sign_status_list_token
from keys.software import SoftwareSigner, generate_signer
from verifier.orgs import OrgPrincipal
from verifier.policies import load_policies
from verifier.redeem import Redeemer
from verifier.service import Verifier, offline_audience
from verifier.status import StatusCache
from verifier.trust import DEFAULT_AGENCY_TYPES, TrustStore, issuer_entry, sign_trust_list

ISS = "https://city.example/issuer"
OTHER_ISS = "https://rogue.example/issuer"
ANCHOR_ID = "https://city.example/trust-anchor"
STATUS_URI = f"{ISS}/status-lists/1"

ID_CARD = {
    "name": "张三", "sex": "男", "ethnicity": "汉", "birthdate": "1990-01-01",
    "address": "北京市东城区示例路1号", "document_number": "110101199001011234",
    "issuing_authority": "北京市公安局东城分局", "valid_from": "2020-01-01",
    "valid_until": "2040-01-01", "age_over_18": True, "age_over_60": False,
    "portrait": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA==",
}
DRIVING = {"name": "张三", "sex": "男", "birthdate": "1990-01-01", "address": "北京",
           "license_number": "110101199001011234", "permitted_class": "C1",
           "first_issue_date": "2010-01-01", "valid_from": "2020-01-01",
           "valid_until": "2030-01-01"}
DOG = {"registration_number": "D-001", "owner_name": "张三", "owner_address": "北京",
       "dog_name": "旺财", "breed": "柴犬", "color": "赤", "dog_sex": "公",
       "vaccination_date": "2026-01-01", "valid_until": "2027-01-01"}
VEHICLE = {"plate_number": "京A12345", "owner_name": "张三", "vehicle_type": "小型轿车",
           "brand_model": "示例牌 EX1", "vin": "LSVAA4182E2123456", "engine_number": "E1",
           "registration_date": "2021-06-18", "use_character": "非营运"}
CLAIMS = {"id_card": ID_CARD, "driving_license": DRIVING, "dog_license": DOG,
          "vehicle_license": VEHICLE}


@dataclass
class World:
    engine: Engine
    clock: FixedClock
    issuer: SoftwareSigner = field(default_factory=lambda: generate_signer("EdDSA"))
    anchor: SoftwareSigner = field(default_factory=lambda: generate_signer("ES256"))
    holder: SoftwareSigner = field(default_factory=lambda: generate_signer("ES256"))
    statuses: StatusList = field(default_factory=lambda: StatusList(2, 1024))
    status_up: bool = True
    status_ttl: int = 300
    fetches: int = 0
    trust_jws: str = ""
    issuer_keys: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.issuer_keys = [self.issuer.public_jwk()]
        self.sign_trust()

    # --- trust list and status lists ---------------------------------------------------

    def sign_trust(self, agencies: dict[str, list[str]] | None = None,
                   iat: int | None = None) -> str:
        entry = issuer_entry(iss=ISS, name={"zh": "市平台", "en": "City"},
                             jwks={"keys": self.issuer_keys},
                             agencies=agencies or DEFAULT_AGENCY_TYPES)
        self.trust_jws = sign_trust_list(signer=self.anchor, anchor_id=ANCHOR_ID,
                                         issuers=[entry], iat=iat or self.clock.now())
        return self.trust_jws

    def status_token(self) -> str:
        return sign_status_list_token(signer=self.issuer, sub=STATUS_URI,
                                      status_list=self.statuses, iat=self.clock.now(),
                                      exp=self.clock.now() + 3600, ttl=self.status_ttl,
                                      iss=ISS)

    def fetch(self, uri: str) -> str:
        from core.errors import UpstreamError

        self.fetches += 1
        if not self.status_up or uri != STATUS_URI:
            raise UpstreamError("down")
        return self.status_token()

    # --- credentials and QRs ----------------------------------------------------------

    def credential(self, type_: str = "id_card", *, agency: str = "psb",
                   claims: dict[str, Any] | None = None, idx: int = 7,
                   signer: SoftwareSigner | None = None, iss: str = ISS,
                   exp: int | None = None, status_uri: str = STATUS_URI) -> str:
        base = dict(claims if claims is not None else CLAIMS[type_])
        now = self.clock.now()
        return issue(signer=signer or self.issuer, iss=iss, vct=f"{iss}/vct/{type_}",
                     claims={**base, "agency": agency}, sd=list(base),
                     holder_jwk=self.holder.public_jwk(), iat=now - 10,
                     exp=exp if exp is not None else now + 365 * 86400,
                     status={"status_list": {"idx": idx, "uri": status_uri}})

    def presentation(self, sd_jwt: str, disclose: Iterable[str], *, scenario: str,
                     iat: int | None = None, nonce: str | None = None,
                     aud: str | None = None) -> str:
        return present(sd_jwt, disclose=list(disclose), holder=self.holder,
                       nonce=nonce or secrets.token_urlsafe(16),
                       aud=aud or offline_audience(scenario),
                       iat=iat if iat is not None else self.clock.now())

    def offline_qr(self, scenario: str, type_: str = "id_card",
                   disclose: Iterable[str] | None = None, **kw: Any) -> str:
        cred = kw.pop("credential", None) or self.credential(type_)
        if disclose is None:
            pol = load_policies().get(scenario)
            disclose = pol.allowed("offline")
        return encode_offline(self.presentation(cred, disclose, scenario=scenario, **kw))

    # --- the verifier -----------------------------------------------------------------

    def trust_store(self) -> TrustStore:
        anchor = self.anchor_key()
        return TrustStore(source=lambda: self.trust_jws, anchor=lambda: anchor,
                          clock=self.clock, algorithms=("ES256", "EdDSA"))

    def anchor_key(self) -> Any:
        from core.jose import public_key_from_jwk

        return public_key_from_jwk(self.anchor.public_jwk())

    def verifier(self, *, redeem: Redeemer | None = None, **kw: Any) -> Verifier:
        status = StatusCache(fetch=self.fetch, clock=self.clock,
                             algorithms=("ES256", "EdDSA"))
        return Verifier(engine=self.engine, clock=self.clock, policies=load_policies(),
                        trust=self.trust_store(), status=status, redeem=redeem,
                        org_audience=lambda org: f"https://verifier.example/verifier/orgs/{org}",
                        **kw)


def principal(*scenarios: str, org_id: str = "demo-police") -> OrgPrincipal:
    return OrgPrincipal(org_id=org_id, name_zh="警", name_en="Police",
                        scenarios=frozenset(scenarios or ("hotel_checkin",
                                                          "roadside_inspection",
                                                          "internet_cafe",
                                                          "dog_license_check")))


def codes(verdict: Any) -> dict[str, tuple[bool, str | None]]:
    data = verdict if isinstance(verdict, dict) else verdict.to_json()
    return {c["name"]: (c["ok"], c["code"]) for c in data["checks"]}
