"""Citizen pages of issue 8 (``GET /wallet/requests``, ``GET /wallet/access``): agencies'
requests for licenses, approved or refused by a click, and the access log — who checked or
received which license, when, for which scenario or purpose — with a button to report an
entry the citizen does not recognise. Plain forms carrying the page's CSRF token; the
same service calls as the JSON API (``wallet.consent_api``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import ELicenseError
from wallet import access_log, accounts, consent
from wallet.deps import ClockDep, DbDep, SettingsDep, UpstreamDep, page_user
from wallet.errors import CsrfFailed
from wallet.i18n import TEXT, type_names
from wallet.pages import _base, _lang, _render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_TEXT = {
    "zh": {"requests": "授权请求", "access_log": "访问记录", "purpose": "事由",
           "agency": "机构", "asked_claims": "请求的信息", "approve": "同意提供",
           "refuse": "拒绝", "pending": "待处理", "approved": "已同意", "refused": "已拒绝",
           "expired": "已过期", "none_yet": "暂无", "when": "时间", "license": "证照",
           "who": "查验方 / 接收方", "scenario_or_purpose": "场景 / 事由",
           "report": "不是我本人，举报", "reported": "已举报", "mode_online": "在线出示",
           "mode_offline": "离线出示", "mode_consent": "授权提供",
           "offline_who": "（离线二维码：扫码者未知）", "decide_error": "操作失败"},
    "en": {"requests": "Requests", "access_log": "Access log", "purpose": "Purpose",
           "agency": "Agency", "asked_claims": "Asked for", "approve": "Approve",
           "refuse": "Refuse", "pending": "Pending", "approved": "Approved",
           "refused": "Refused", "expired": "Expired", "none_yet": "None yet",
           "when": "When", "license": "License", "who": "Checked / received by",
           "scenario_or_purpose": "Scenario / purpose", "report": "Not me — report",
           "reported": "Reported", "mode_online": "Online QR", "mode_offline": "Offline QR",
           "mode_consent": "Shared with consent",
           "offline_who": "(offline QR: whoever scanned it)", "decide_error": "Failed"},
}


def _t(request: Request) -> dict[str, str]:
    lang = _lang(request)
    return {**TEXT[lang], **_TEXT[lang]}


@router.get("/requests", response_class=HTMLResponse)
def requests_page(request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep,
                  error: str | None = None) -> Response:
    found = page_user(request, db, clock)
    if found is None:
        return RedirectResponse(f"{_base(request)}/", status_code=303)
    user, token = found
    rows = consent.for_citizen(db=db, user=user, now=clock.now())
    for r in rows:
        r["names"] = type_names(r["credential_type"])
    return _render(request, "consent_requests.html", settings, user=user, rows=rows,
                   t=_t(request), csrf=accounts.csrf_token_for(token), error=error)


@router.post("/requests/{request_id}/{decision}")
def decide(request_id: str, decision: str, request: Request, db: DbDep,
           settings: SettingsDep, clock: ClockDep, upstream: UpstreamDep,
           csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    found = page_user(request, db, clock)
    if found is None:
        return RedirectResponse(f"{_base(request)}/", status_code=303)
    user, token = found
    if not accounts.csrf_ok(token, csrf):
        raise CsrfFailed()
    try:
        if decision == "approve":
            consent.approve(db=db, upstream=upstream, settings=settings, user=user,
                            request_id=request_id, now=clock.now())
        elif decision == "refuse":
            consent.refuse(db=db, user=user, request_id=request_id, now=clock.now())
        else:
            return Response(status_code=404)
    except ELicenseError as exc:
        db.rollback()
        return RedirectResponse(f"{_base(request)}/requests?error={exc.code}",
                                status_code=303)
    return RedirectResponse(f"{_base(request)}/requests", status_code=303)


@router.get("/access", response_class=HTMLResponse)
def access_page(request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
                ) -> Response:
    found = page_user(request, db, clock)
    if found is None:
        return RedirectResponse(f"{_base(request)}/", status_code=303)
    user, token = found
    return _render(request, "access_log.html", settings, user=user,
                   entries=access_log.entries(db=db, user=user), t=_t(request),
                   csrf=accounts.csrf_token_for(token))


@router.post("/access/{log_id}/report")
def report(log_id: int, request: Request, db: DbDep, clock: ClockDep,
           csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    found = page_user(request, db, clock)
    if found is None:
        return RedirectResponse(f"{_base(request)}/", status_code=303)
    user, token = found
    if not accounts.csrf_ok(token, csrf):
        raise CsrfFailed()
    access_log.report(db=db, user=user, log_id=log_id, now=clock.now())
    return RedirectResponse(f"{_base(request)}/access", status_code=303)
