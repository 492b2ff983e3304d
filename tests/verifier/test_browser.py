"""The staff page in Debian's Chromium (Playwright): log in as hotel staff, upload a QR
image, see the big green verdict and the allowed claims; a QR used twice turns red with its
reason in Chinese and English."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from core.clock import FixedClock
from core.qr import render_png
from tests.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, serve
from tests.verifier.test_api import _status_server
from tests.verifier.world import World
from verifier.app import create_app
from verifier.orgs import add_api_key, add_staff, ensure_org
from verifier.settings import Settings

ARGS = CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def served(world: World, db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[str]:
    require_chromium()
    with Session(world.engine) as s:
        ensure_org(session=s, org_id="demo-hotel", name_zh="示范酒店", name_en="Demo Hotel",
                   scenarios=["hotel_checkin"], now=clock.now())
        add_api_key(session=s, org_id="demo-hotel", key="demo-hotel-key", now=clock.now())
        add_staff(session=s, org_id="demo-hotel", username="hotel", password="hotel-password",
                  now=clock.now())
    trust = tmp_path / "trust.jwt"
    trust.write_text(world.trust_jws)
    settings = Settings(database_url=db_url, trust_list_source=str(trust),
                        trust_anchor_jwk=json.dumps(world.anchor.public_jwk()))
    with _status_server(world) as http:
        root = FastAPI()
        root.mount("/verifier", create_app(settings, http=http, clock=clock))
        with serve(root) as base:
            yield base


def test_upload_a_qr_image_and_see_the_verdict(served: str, world: World,
                                               tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    png = tmp_path / "qr.png"
    png.write_bytes(render_png(world.offline_qr("hotel_checkin")))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{served}/verifier/")
            page.fill("#username", "hotel")
            page.fill("#password", "hotel-password")
            page.click("#login-form button[type=submit]")
            expect(page.locator("#verify-view")).to_be_visible()
            expect(page.locator("#scenario")).to_have_value("hotel_checkin")
            page.set_input_files("#image", str(png))
            banner = page.locator("#verdict-banner")
            expect(banner).to_have_class("banner valid")
            expect(banner).to_contain_text("VALID")
            expect(page.locator(".claim-name")).to_have_text("张三")
            expect(page.locator(".claim-document_number")).to_have_text("110101199001011234")
            assert page.locator(".claim-portrait").count() == 0

            page.set_input_files("#image", str(png))  # the same QR again: a replay
            expect(banner).to_have_class("banner invalid")
            reason = page.locator("#reasons li[data-code=replayed]")
            expect(reason).to_contain_text("该二维码已被使用")
            expect(reason).to_contain_text("already used")
            assert errors == []
        finally:
            browser.close()


def _y4m(png: bytes, path: Path) -> None:
    """A one-frame YUV4MPEG2 video of ``png`` for Chromium's fake camera."""
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    side = max(img.size) + 64
    side += side % 2
    canvas = Image.new("RGB", (side, side), "white")
    canvas.paste(img, ((side - img.width) // 2, (side - img.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (side // 2, side // 2)
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n".encode())
        f.write(b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes())


def test_scan_with_the_camera(served: str, world: World, tmp_path: Path) -> None:
    """getUserMedia frames (Chromium's fake camera playing a QR) posted to verify-image."""
    from playwright.sync_api import expect, sync_playwright

    video = tmp_path / "qr.y4m"
    _y4m(render_png(world.offline_qr("hotel_checkin"), scale=3), video)
    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS + camera)
        try:
            context = browser.new_context(permissions=["camera"])
            page = context.new_page()
            page.goto(f"{served}/verifier/")
            page.fill("#username", "hotel")
            page.fill("#password", "hotel-password")
            page.click("#login-form button[type=submit]")
            expect(page.locator("#verify-view")).to_be_visible()
            page.click("#camera-start")
            banner = page.locator("#verdict-banner")
            expect(banner).to_have_class("banner valid", timeout=20_000)
            expect(page.locator(".claim-name")).to_have_text("张三")
            expect(page.locator("#camera-start")).to_be_visible()  # scanning stopped
        finally:
            browser.close()
