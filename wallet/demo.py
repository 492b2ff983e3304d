"""Demo data of the wallet (DESIGN §8, dev mode only; **contract**): citizen ``demo`` /
``demo-password`` holding an id_card (with a generated portrait), a driving_license, a
vehicle_license and a dog_license — obtained for real: as agency ``demo-psb`` the wallet asks
the issuer for credential offers (``POST /issuer/v1/credentials`` with ``holder.offer``)
and picks each one up through its own OpenID4VCI client. Idempotent.
"""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

import httpx
from sqlmodel import Session, select

from core.clock import Clock, SystemClock
from core.db import make_engine
from wallet import accounts, credentials
from wallet.errors import IssuerFailed
from wallet.models import Credential, User
from wallet.settings import Settings
from wallet.upstream import Upstream

__all__ = ["DEMO_CLAIMS", "DEMO_PASSWORD", "DEMO_USER", "bootstrap", "demo_portrait"]

log = logging.getLogger("elicense.wallet")

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - the documented dev-mode demo account
DEMO_AGENCY = ("demo-psb", "demo-psb-secret")

DEMO_CLAIMS: dict[str, dict[str, Any]] = {
    "id_card": {
        "name": "张三", "sex": "男", "ethnicity": "汉", "birthdate": "1990-03-07",
        "address": "北京市东城区示例路1号", "document_number": "11010119900307001X",
        "issuing_authority": "北京市公安局东城分局", "valid_from": "2020-01-01",
        "valid_until": "2040-01-01",
    },
    "driving_license": {
        "name": "张三", "sex": "男", "birthdate": "1990-03-07",
        "address": "北京市东城区示例路1号", "license_number": "110101199003070010",
        "permitted_class": "C1", "first_issue_date": "2012-05-01",
        "valid_from": "2022-05-01", "valid_until": "2032-05-01",
    },
    "vehicle_license": {
        "plate_number": "京A12345", "owner_name": "张三", "vehicle_type": "小型轿车",
        "brand_model": "示例牌 EX1", "vin": "LSVAA4182E2123456", "engine_number": "E123456",
        "registration_date": "2021-06-18", "use_character": "非营运",
    },
    "dog_license": {
        "registration_number": "京犬2026-000123", "owner_name": "张三",
        "owner_address": "北京市东城区示例路1号", "dog_name": "旺财", "breed": "中华田园犬",
        "color": "黄", "dog_sex": "公", "vaccination_date": "2026-03-01",
        "valid_until": "2027-03-01",
    },
}


def demo_portrait() -> str:
    """A small deterministic JPEG (a drawn face on a plain background), base64."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (96, 120), (222, 232, 245))
    draw = ImageDraw.Draw(img)
    draw.ellipse((28, 18, 68, 62), fill=(240, 205, 170))          # face
    draw.rectangle((18, 70, 78, 120), fill=(40, 60, 110))          # shoulders
    draw.ellipse((38, 34, 44, 40), fill=(30, 30, 30))
    draw.ellipse((52, 34, 58, 40), fill=(30, 30, 30))
    draw.arc((38, 40, 58, 54), 20, 160, fill=(150, 60, 60), width=2)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80, optimize=False, progressive=False)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _agency_token(upstream: Upstream, issuer: str) -> str:
    body = upstream.post(f"{issuer}/oauth/token", error=IssuerFailed,
                         data={"grant_type": "client_credentials",
                               "client_id": DEMO_AGENCY[0], "client_secret": DEMO_AGENCY[1]})
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str):
        raise IssuerFailed("no agency access token")
    return token


def bootstrap(settings: Settings, *, http: httpx.Client, clock: Clock | None = None) -> None:
    """Seed the demo citizen and pick up the four demo licenses (dev mode; idempotent)."""
    if not settings.is_dev:
        return
    clock = clock or SystemClock()
    upstream = Upstream(http, clock)
    issuer = f"{settings.public_url.rstrip('/')}/issuer"
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            user = db.exec(select(User).where(User.username == DEMO_USER)).first()
            if user is None:
                user = accounts.register(db=db, username=DEMO_USER, password=DEMO_PASSWORD,
                                         now=clock.now())
                db.commit()
            have = {c.type for c in db.exec(select(Credential)
                                            .where(Credential.user_id == user.id)).all()}
            missing = [t for t in DEMO_CLAIMS if t not in have]
            if not missing:
                return
            auth = {"Authorization": f"Bearer {_agency_token(upstream, issuer)}"}
            for type_ in missing:
                claims = dict(DEMO_CLAIMS[type_])
                if type_ == "id_card":
                    claims["portrait"] = demo_portrait()
                answer = upstream.post(f"{issuer}/v1/credentials", error=IssuerFailed,
                                       headers=auth, json={"type": type_, "claims": claims,
                                                           "holder": {"offer": True}})
                offer = answer["offer"]
                credentials.accept_offer(db=db, upstream=upstream, settings=settings,
                                         clock=clock, user=user,
                                         offer=offer["credential_offer"],
                                         tx_code=offer.get("tx_code"))
                log.info("demo citizen picked up a %s", type_)
    finally:
        engine.dispose()
