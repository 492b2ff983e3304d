"""Citizen page of the OpenID4VP flow (``GET /wallet/scan``; ``wallet.oid4vp``): paste (or
open from a scanned QR) an ``openid4vp://`` link, see which organisation asks, why, for which
claims, pick a license that can answer, approve or refuse. Plain forms carrying the page's
CSRF token; the same service calls as the JSON API (``wallet.oid4vp_api``). A refused or
untrustworthy request shows its stable code."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import ELicenseError
from wallet import accounts, oid4vp
from wallet.deps import ClockDep, DbDep, SettingsDep, UpstreamDep, page_user
from wallet.errors import CsrfFailed
from wallet.i18n import TEXT
from wallet.pages import _base, _lang, _render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_TEXT = {
    "zh": {"scan": "出示请求", "paste": "粘贴或扫描 openid4vp:// 链接", "open": "查看请求",
           "who_asks": "请求方", "why": "场景", "asks_for": "请求的信息",
           "with_license": "用哪个证照", "approve": "同意提供", "refuse": "拒绝",
           "none_match": "您没有可以回应此请求的证照", "refused_request": "请求被拒绝",
           "sent_vp_token": "已提供", "sent_access_denied": "已拒绝，并已告知请求方"},
    "en": {"scan": "Presentation request", "paste": "Paste or scan an openid4vp:// link",
           "open": "Show the request", "who_asks": "Who asks", "why": "Scenario",
           "asks_for": "Asks for", "with_license": "With which license",
           "approve": "Approve", "refuse": "Refuse",
           "none_match": "None of your licenses can answer this request",
           "refused_request": "Request refused", "sent_vp_token": "Shared",
           "sent_access_denied": "Refused; the verifier was told"},
}


def _t(request: Request) -> dict[str, str]:
    lang = _lang(request)
    return {**TEXT[lang], **_TEXT[lang]}


@router.get("/scan", response_class=HTMLResponse)
def scan_page(request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep,
              upstream: UpstreamDep, uri: str | None = None) -> Response:
    found = page_user(request, db, clock)
    if found is None:
        return RedirectResponse(f"{_base(request)}/", status_code=303)
    user, token = found
    seen: dict[str, Any] | None = None
    error = None
    if uri:
        try:
            seen = oid4vp.resolve(db=db, upstream=upstream, settings=settings,
                                  now=clock.now(), user=user, uri=uri[:4096])
        except ELicenseError as exc:
            error = exc.code
    return _render(request, "oid4vp.html", settings, user=user, t=_t(request), seen=seen,
                   uri=uri or "", error=error, sent=None,
                   csrf=accounts.csrf_token_for(token))


@router.post("/scan/respond", response_class=HTMLResponse)
def respond(request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep,
            upstream: UpstreamDep, uri: Annotated[str, Form(max_length=4096)],
            decision: Annotated[str, Form(max_length=16)],
            credential_id: Annotated[str, Form(max_length=64)] = "",
            csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    found = page_user(request, db, clock)
    if found is None:
        return RedirectResponse(f"{_base(request)}/", status_code=303)
    user, token = found
    if not accounts.csrf_ok(token, csrf):
        raise CsrfFailed()
    sent, error = None, None
    try:
        sent = oid4vp.respond(db=db, upstream=upstream, settings=settings, now=clock.now(),
                              user=user, request_id=uri, credential_id=credential_id or None,
                              consent=decision == "approve")["sent"]
    except ELicenseError as exc:
        db.rollback()
        error = exc.code
    return _render(request, "oid4vp.html", settings, user=user, t=_t(request), seen=None,
                   uri="", error=error, sent=sent, csrf=accounts.csrf_token_for(token))
