"""Staff web page (``GET /verifier/``; DESIGN §5): staff log in, choose a scenario, scan with
the device camera (``getUserMedia`` frames posted to ``v1/verify-image``), upload an image or
paste the QR text, and see a large green or red verdict with reasons in Chinese and English,
the claims the policy allows and, for an online hotel check-in, the portrait.

One static page; ``static/staff.js`` talks to the JSON API with the staff session token as a
bearer token (kept in ``sessionStorage``, never a cookie, so there is nothing to forge
cross-site). Everything is served locally (no CDN).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

_CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")


@router.get("/", response_class=HTMLResponse)
def staff_page(request: Request) -> HTMLResponse:
    base = request.scope.get("root_path", "").rstrip("/") + "/"
    resp = templates.TemplateResponse(request, "staff.html", {"base": base})
    resp.headers["Content-Security-Policy"] = _CSP
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Permissions-Policy"] = "camera=(self)"
    return resp
