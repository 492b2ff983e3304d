"""The license catalog (DESIGN §3): the eleven license types, their claim JSON Schemas
(Draft 2020-12), display names, default validity, selectively disclosable claims and the
agency allowed to issue each; and their SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc
-18 §4: ``vct``, ``name``, ``display``, ``claims``).

Each type is one data file, ``issuer/data/types/<type>.json``. ``check_claims`` validates a
request's claims and returns the claims to sign: identity documents get ``age_over_18`` /
``age_over_60`` computed from ``birthdate`` on the city's calendar (the clock's "today"),
and a ``portrait`` must be a small, real JPEG.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import json
import re
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from PIL import Image

from core.errors import ValidationFailed
from issuer.errors import UnknownType

__all__ = [
    "AGENCIES",
    "IDENTITY_DOCUMENTS",
    "LicenseType",
    "check_claims",
    "get_type",
    "license_types",
    "type_metadata",
]

_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")

IDENTITY_DOCUMENTS = ("id_card", "passport", "hk_macau_permit")

# Agencies of the city and their Chinese / English names (DESIGN §8).
AGENCIES: dict[str, tuple[str, str]] = {
    "psb": ("市公安局", "Public Security Bureau"),
    "amr": ("市市场监督管理局", "Administration for Market Regulation"),
    "hc": ("市卫生健康委员会", "Health Commission"),
    "plr": ("市规划和自然资源局（不动产登记）", "Planning and Natural Resources (real estate)"),
}


@dataclass(frozen=True)
class LicenseType:
    type: str
    agency: str
    name: dict[str, str]
    default_validity_days: int
    identity_document: bool
    subject_claim: str
    selectively_disclosable: tuple[str, ...]
    computed_claims: tuple[str, ...]
    claims: dict[str, dict[str, str]]
    schema: dict[str, Any]


@cache
def license_types() -> dict[str, LicenseType]:
    # next to this module (not importlib.resources: an editable install made before the
    # package existed maps it as a namespace package)
    folder = Path(__file__).resolve().parent / "data" / "types"
    out: dict[str, LicenseType] = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".json"):
            continue
        doc = json.loads(entry.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(doc["schema"])
        out[doc["type"]] = LicenseType(
            type=doc["type"], agency=doc["agency"], name=doc["name"],
            default_validity_days=doc["default_validity_days"],
            identity_document=doc["identity_document"], subject_claim=doc["subject_claim"],
            selectively_disclosable=tuple(doc["selectively_disclosable"]),
            computed_claims=tuple(doc["computed_claims"]), claims=doc["claims"],
            schema=doc["schema"],
        )
    return out


def get_type(name: str) -> LicenseType:
    try:
        return license_types()[name]
    except KeyError:
        raise UnknownType(f"unknown license type {name!r}") from None


@cache
def _validator(type_: str) -> Draft202012Validator:
    return Draft202012Validator(get_type(type_).schema, format_checker=FormatChecker())


def _field(path: Any) -> str:
    return ".".join(str(p) for p in path)


def check_claims(
    lt: LicenseType, claims: Any, *, now: int, utc_offset_s: int,
    portrait_max_bytes: int, portrait_max_side: int,
) -> dict[str, Any]:
    """Validate ``claims`` for ``lt``; raise ``ValidationFailed`` listing every field error.
    Returns the claims to sign (computed claims added)."""
    errors = []
    for err in sorted(_validator(lt.type).iter_errors(claims), key=lambda e: list(e.path)):
        field = _field(err.path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(lt.schema["properties"])
            for extra in sorted(set(err.instance) - allowed):
                errors.append({"field": extra, "code": "unknown_claim",
                               "message": f"{extra!r} is not a claim of {lt.type}"})
            continue
        if err.validator == "required":
            missing = str(err.message).split("'")[1] if "'" in err.message else ""
            errors.append({"field": missing, "code": "required", "message": err.message})
            continue
        errors.append({"field": field, "code": str(err.validator), "message": err.message})
    if not errors and isinstance(claims, dict) and "portrait" in claims:
        problem = _portrait_problem(claims["portrait"], portrait_max_bytes, portrait_max_side)
        if problem:
            errors.append({"field": "portrait", "code": problem[0], "message": problem[1]})
    if errors:
        raise ValidationFailed(f"claims do not fit {lt.type}", errors=errors)
    out = dict(claims)
    if lt.identity_document:
        today = dt.datetime.fromtimestamp(now + utc_offset_s, tz=dt.UTC).date()
        born = dt.date.fromisoformat(out["birthdate"])
        if born > today:
            raise ValidationFailed("birthdate in the future", errors=[
                {"field": "birthdate", "code": "in_future", "message": "birthdate is after today"}])
        out["age_over_18"] = _age(born, today) >= 18
        out["age_over_60"] = _age(born, today) >= 60
    return out


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _portrait_problem(value: str, max_bytes: int, max_side: int) -> tuple[str, str] | None:
    """None when ``value`` is base64 of a JPEG within the limits, else (code, message)."""
    if len(value) > (max_bytes * 4) // 3 + 4:
        return "portrait_too_large", f"portrait larger than {max_bytes} bytes"
    try:
        if _B64.fullmatch(value):
            raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        elif _B64URL.fullmatch(value):
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        else:
            return "portrait_not_base64", "portrait is not base64"
    except (binascii.Error, ValueError):
        return "portrait_not_base64", "portrait is not base64"
    if len(raw) > max_bytes:
        return "portrait_too_large", f"portrait larger than {max_bytes} bytes"
    if not raw.startswith(b"\xff\xd8\xff"):
        return "portrait_not_jpeg", "portrait is not a JPEG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as im:
                if im.format != "JPEG":
                    return "portrait_not_jpeg", "portrait is not a JPEG"
                w, h = im.size
                if w > max_side or h > max_side:
                    return "portrait_too_large", f"portrait larger than {max_side} px a side"
                im.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError):
        return "portrait_not_jpeg", "portrait is not a readable JPEG"
    return None


def type_metadata(lt: LicenseType, vct: str) -> dict[str, Any]:
    """SD-JWT VC Type Metadata for ``lt`` (draft-ietf-oauth-sd-jwt-vc-18 §4)."""
    sd = set(lt.selectively_disclosable)
    return {
        "vct": vct,
        "name": lt.name["en"],
        "description": f"{lt.name['zh']} / {lt.name['en']}",
        "display": [
            {"locale": "zh-CN", "name": lt.name["zh"]},
            {"locale": "en", "name": lt.name["en"]},
        ],
        "claims": [
            {"path": [claim],
             "display": [{"locale": "zh-CN", "label": names["zh"]},
                         {"locale": "en", "label": names["en"]}],
             "sd": "always" if claim in sd else "never"}
            for claim, names in lt.claims.items()
        ] + [{"path": ["agency"], "display": [{"locale": "zh-CN", "label": "签发机构"},
                                                {"locale": "en", "label": "Issuing agency"}],
              "sd": "never"}],
        "schema": lt.schema,
    }
