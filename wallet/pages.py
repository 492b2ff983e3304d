"""The citizen web page (``GET /wallet/``): log in, list licenses, open one, pick a
scenario and show its QR, refreshed every ``qr_refresh_s`` seconds by ``static/wallet.js``
through the JSON API with the session cookie and the CSRF header.

The session cookie is HttpOnly, SameSite=Lax (Secure outside dev) and holds a random token
stored hashed; the login form itself is protected by a double-submit token. Chinese and
English: ``?lang=en|zh`` switches and is remembered in a cookie. Everything is served
locally (no CDN).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from core.errors import ELicenseError, Unauthenticated, UpstreamError
from wallet import accounts, credentials
from wallet.catalog import load_catalog, scenarios_for
from wallet.deps import COOKIE, ClockDep, DbDep, SettingsDep, UpstreamDep, page_user
from wallet.i18n import TEXT, lang_of, type_names

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LANG_COOKIE = "elicense_lang"
PRELOGIN_COOKIE = "elicense_wallet_prelogin"


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _lang(request: Request) -> str:
    return lang_of(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def _render(request: Request, name: str, settings: Any, **ctx: Any) -> HTMLResponse:
    lang = _lang(request)
    resp = templates.TemplateResponse(request, name, {
        "t": TEXT[lang], "lang": lang, "other_lang": "en" if lang == "zh" else "zh",
        "base": _base(request), **ctx})
    if request.query_params.get("lang"):
        resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax",
                        path=_base(request) or "/", secure=settings.secure_cookies)
    return resp


def _login_page(request: Request, settings: Any, error: bool = False,
                status_code: int = 200) -> HTMLResponse:
    nonce = secrets.token_urlsafe(24)
    resp = _render(request, "login.html", settings, form_token=nonce, error=error)
    resp.status_code = status_code
    resp.set_cookie(PRELOGIN_COOKIE, nonce, httponly=True, samesite="strict",
                    path=_base(request) or "/", secure=settings.secure_cookies)
    return resp


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep,
         upstream: UpstreamDep) -> Response:
    found = page_user(request, db, clock)
    if found is None:
        return _login_page(request, settings)
    user, token = found
    rows = []
    for cred in credentials.list_credentials(db=db, user=user):
        rows.append({**credentials.view(
            cred=cred, copies=credentials.copies_left(db=db, credential_id=cred.id),
            low_water=settings.copies_low_water,
            status=credentials.live_status(db=db, upstream=upstream, settings=settings,
                                           now=clock.now(), cred=cred))})
    return _render(request, "list.html", settings, user=user, items=rows,
                   csrf=accounts.csrf_token_for(token))


@router.post("/login")
def login(request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep,
          username: str = Form(max_length=64), password: str = Form(max_length=1024),
          form_token: str = Form(default="", max_length=100)) -> Response:
    expected = request.cookies.get(PRELOGIN_COOKIE)
    if not expected or not secrets.compare_digest(expected, form_token):
        return _login_page(request, settings, error=True, status_code=403)
    try:
        user = accounts.authenticate(db=db, username=username, password=password)
    except Unauthenticated:
        return _login_page(request, settings, error=True, status_code=401)
    token = accounts.login(db=db, user=user, kind="page", now=clock.now(),
                           ttl_s=settings.session_ttl_s)
    db.commit()
    resp = RedirectResponse(f"{_base(request)}/", status_code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="lax", max_age=settings.session_ttl_s,
                    path=_base(request) or "/", secure=settings.secure_cookies)
    resp.delete_cookie(PRELOGIN_COOKIE, path=_base(request) or "/")
    return resp


@router.post("/logout")
def logout(request: Request, db: DbDep, clock: ClockDep,
           csrf: str = Form(default="", max_length=100)) -> Response:
    found = page_user(request, db, clock)
    if found is not None and accounts.csrf_ok(found[1], csrf):
        accounts.logout(db=db, token=found[1])
        db.commit()
    resp = RedirectResponse(f"{_base(request)}/", status_code=303)
    resp.delete_cookie(COOKIE, path=_base(request) or "/")
    return resp


@router.get("/credentials/{credential_id}", response_class=HTMLResponse)
def credential_page(credential_id: str, request: Request, db: DbDep, settings: SettingsDep,
                    clock: ClockDep, upstream: UpstreamDep) -> Response:
    found = page_user(request, db, clock)
    if found is None:
        return RedirectResponse(f"{_base(request)}/", status_code=303)
    user, token = found
    try:
        cred = credentials.get_credential(db=db, user=user, credential_id=credential_id)
    except ELicenseError:
        return RedirectResponse(f"{_base(request)}/", status_code=303)
    try:
        catalog = load_catalog(upstream, settings.catalog_url, ttl=settings.catalog_cache_s)
        scenarios = scenarios_for(catalog, cred.type)
    except UpstreamError:
        scenarios = []
    claims = {k: v for k, v in cred.claims().items() if k != "portrait"}
    return _render(request, "credential.html", settings, user=user, cred=cred,
                   names=type_names(cred.type), claims=claims,
                   portrait=cred.claims().get("portrait"), scenarios=scenarios,
                   csrf=accounts.csrf_token_for(token), refresh_s=settings.qr_refresh_s)
