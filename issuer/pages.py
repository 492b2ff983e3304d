"""Agency web page (``GET /issuer/``): an agency officer logs in with the agency's API
client id and secret, issues a credential from a form (to a holder key or as an OpenID4VCI
offer with a PIN) and revokes one by hand. Chinese and English (``?lang=en|zh``,
remembered in a cookie).

The session cookie holds a random token stored hashed (``issuer_token`` kind ``session``),
HttpOnly, SameSite=Strict (Secure outside dev); every POST carries a CSRF token derived
from the session. The page calls the same service functions as the API.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from core.errors import ELicenseError, Forbidden
from issuer import issuance, lifecycle, oauth
from issuer.catalog import AGENCIES, license_types
from issuer.deps import ContextDep, SessionDep, issuer_signer
from issuer.errors import InvalidToken
from issuer.schemas import IssueRequest

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
COOKIE = "elicense_issuer_session"
LANG_COOKIE = "elicense_lang"

TEXT: dict[str, dict[str, str]] = {
    "zh": {"title": "电子证照签发", "login": "登录", "client_id": "客户端ID",
           "client_secret": "客户端密钥", "logout": "退出", "issue": "签发证照",
           "type": "证照类型", "claims": "证照内容（JSON）", "holder_jwk": "持证人公钥（JWK）",
           "offer": "生成领取码（OpenID4VCI，含PIN）", "submit": "签发", "recent": "最近签发",
           "revoke": "吊销", "state": "状态", "issued": "签发成功", "pin": "PIN码",
           "offer_link": "领取链接", "credential": "凭证", "back": "返回", "error": "错误",
           "agency": "机构", "lang": "English", "none": "暂无"},
    "en": {"title": "e-License issuing", "login": "Log in", "client_id": "Client ID",
           "client_secret": "Client secret", "logout": "Log out", "issue": "Issue a license",
           "type": "License type", "claims": "Claims (JSON)",
           "holder_jwk": "Holder public key (JWK)",
           "offer": "Make a pick-up offer (OpenID4VCI, with PIN)", "submit": "Issue",
           "recent": "Recently issued", "revoke": "Revoke", "state": "State",
           "issued": "Issued", "pin": "PIN", "offer_link": "Offer link",
           "credential": "Credential", "back": "Back", "error": "Error", "agency": "Agency",
           "lang": "中文", "none": "None yet"},
}


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return lang if lang in TEXT else "zh"


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _csrf(session_token: str) -> str:
    return hashlib.sha256(b"csrf:" + session_token.encode()).hexdigest()[:32]


def _principal(request: Request, ctx: Any, session: Any) -> tuple[oauth.Principal, str] | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return oauth.authenticate(session=session, token=token, now=ctx.clock.now(),
                                  kinds=("session",)), token
    except InvalidToken:
        return None


def _render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = _lang(request)
    resp = templates.TemplateResponse(request, name, {
        "t": TEXT[lang], "lang": lang, "other": "en" if lang == "zh" else "zh",
        "base": _base(request), **ctx}, status_code=status)
    resp.set_cookie(LANG_COOKIE, lang, samesite="strict", httponly=True)
    return resp


def _home(request: Request, ctx: Any, session: Any, p: oauth.Principal, token: str,
          **extra: Any) -> HTMLResponse:
    lang = _lang(request)
    types = [(t, lt.name[lang]) for t, lt in license_types().items() if lt.agency == p.agency]
    recent = lifecycle.list_credentials(session=session, settings=ctx.settings, principal=p,
                                        limit=20)["items"]
    return _render(request, "home.html", agency=p.agency,
                   agency_name=AGENCIES[p.agency][0 if lang == "zh" else 1], types=types,
                   recent=recent, csrf=_csrf(token), **extra)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, ctx: ContextDep, session: SessionDep) -> HTMLResponse:
    who = _principal(request, ctx, session)
    if who is None:
        return _render(request, "login.html")
    return _home(request, ctx, session, *who)


@router.post("/login")
def login(request: Request, ctx: ContextDep, session: SessionDep,
          client_id: Annotated[str, Form()], client_secret: Annotated[str, Form()]
          ) -> Response:
    try:
        client = oauth.check_client(session=session, settings=ctx.settings,
                                    client_id=client_id, secret=client_secret)
    except ELicenseError as exc:
        return _render(request, "login.html", status=401, error=exc.code)
    token, _ = oauth.issue_client_token(session=session, client=client, scope=None,
                                        now=ctx.clock.now(), ttl_s=ctx.settings.session_ttl_s,
                                        kind="session")
    session.commit()
    resp = RedirectResponse(f"{_base(request)}/", status_code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                    secure=not ctx.settings.is_dev, max_age=ctx.settings.session_ttl_s,
                    path=f"{_base(request)}/")
    return resp


def _require(request: Request, ctx: Any, session: Any, csrf: str
             ) -> tuple[oauth.Principal, str]:
    who = _principal(request, ctx, session)
    if who is None:
        raise InvalidToken("log in first")
    if not hmac.compare_digest(csrf, _csrf(who[1])):
        raise Forbidden("CSRF token mismatch")
    return who


@router.post("/logout")
def logout(request: Request, ctx: ContextDep, session: SessionDep,
           csrf: Annotated[str, Form()]) -> Response:
    _require(request, ctx, session, csrf)
    resp = RedirectResponse(f"{_base(request)}/", status_code=303)
    resp.delete_cookie(COOKIE, path=f"{_base(request)}/")
    return resp


@router.post("/issue", response_class=HTMLResponse)
def issue(request: Request, ctx: ContextDep, session: SessionDep,
          csrf: Annotated[str, Form()], type: Annotated[str, Form()],
          claims: Annotated[str, Form()], holder_jwk: Annotated[str, Form()] = "",
          offer: Annotated[str, Form()] = "") -> HTMLResponse:
    p, token = _require(request, ctx, session, csrf)
    try:
        holder: dict[str, Any] = ({"offer": True} if offer else
                                  {"jwk": orjson.loads(holder_jwk or "null")})
        req = IssueRequest(type=type, claims=orjson.loads(claims), holder=holder)  # type: ignore[arg-type]
        body = issuance.issue(session=session, settings=ctx.settings,
                              signer=issuer_signer(session, ctx.settings), principal=p,
                              req=req, now=ctx.clock.now())
    except orjson.JSONDecodeError:
        return _home(request, ctx, session, p, token, error="invalid_json", errors=[])
    except ValidationError as exc:
        errs = [{"field": ".".join(str(x) for x in e["loc"]), "code": e["type"],
                 "message": e["msg"]} for e in exc.errors()]
        return _home(request, ctx, session, p, token, error="validation_failed", errors=errs)
    except ELicenseError as exc:
        session.rollback()
        return _home(request, ctx, session, p, token, error=exc.code,
                     errors=exc.extra.get("errors", []))
    return _render(request, "result.html", result=body)


@router.post("/credentials/{cred_id}/revoke")
def revoke(cred_id: str, request: Request, ctx: ContextDep, session: SessionDep,
           csrf: Annotated[str, Form()]) -> Response:
    p, token = _require(request, ctx, session, csrf)
    try:
        lifecycle.change_state(session=session, settings=ctx.settings, principal=p,
                               cred_id=cred_id, action="revoke", now=ctx.clock.now(),
                               reason="revoked on the agency page")
    except ELicenseError as exc:
        session.rollback()
        return _home(request, ctx, session, p, token, error=exc.code, errors=[])
    return RedirectResponse(f"{_base(request)}/", status_code=303)
