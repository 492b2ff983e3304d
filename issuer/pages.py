"""Agency console (``GET /issuer/``): an agency officer logs in with the agency's API
client id and secret, issues a credential from a form (to a holder key or as an OpenID4VCI
offer with a PIN), searches the agency's credentials (id, bulk ref or document number; type;
state), suspends, reinstates, revokes, amends (a reissue with changed claims, announced as a
``changed`` license event) and manages the agency's event subscriptions (issue 8).
Chinese and English (``?lang=en|zh``, remembered in a cookie).

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

from core.errors import ELicenseError, Forbidden, field_errors
from issuer import issuance, lifecycle, oauth, subscriptions
from issuer.catalog import AGENCIES, license_types
from issuer.deps import ContextDep, SessionDep, issuer_signer
from issuer.errors import InvalidToken
from issuer.events import KINDS
from issuer.schemas import Holder, IssueRequest, ReissueRequest

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
           "agency": "机构", "lang": "English", "none": "暂无", "search": "查询",
           "query": "证照ID / 批次号 / 证件号码", "all": "全部", "suspend": "暂停",
           "reinstate": "恢复", "amend": "变更（重新签发）", "amend_claims": "变更内容（JSON）",
           "subscriptions": "事件订阅", "events": "事件", "field": "筛选字段",
           "contains": "包含", "fields": "可见字段（逗号分隔）", "url": "回调地址",
           "subscribe": "订阅", "delete": "删除", "valid": "有效", "suspended": "已暂停",
           "revoked": "已吊销", "ev_issued": "签发", "ev_changed": "变更",
           "ev_suspended": "暂停", "ev_revoked": "吊销", "ev_reinstated": "恢复",
           "ev_expiring": "即将到期"},
    "en": {"title": "e-License issuing", "login": "Log in", "client_id": "Client ID",
           "client_secret": "Client secret", "logout": "Log out", "issue": "Issue a license",
           "type": "License type", "claims": "Claims (JSON)",
           "holder_jwk": "Holder public key (JWK)",
           "offer": "Make a pick-up offer (OpenID4VCI, with PIN)", "submit": "Issue",
           "recent": "Recently issued", "revoke": "Revoke", "state": "State",
           "issued": "Issued", "pin": "PIN", "offer_link": "Offer link",
           "credential": "Credential", "back": "Back", "error": "Error", "agency": "Agency",
           "lang": "中文", "none": "None yet", "search": "Search",
           "query": "Credential id / batch ref / document number", "all": "All",
           "suspend": "Suspend", "reinstate": "Reinstate", "amend": "Amend (reissue)",
           "amend_claims": "Changed claims (JSON)", "subscriptions": "Event subscriptions",
           "events": "Events", "field": "Filter field", "contains": "Contains",
           "fields": "Visible fields (comma separated)", "url": "Webhook URL",
           "subscribe": "Subscribe", "delete": "Delete", "valid": "Valid",
           "suspended": "Suspended", "revoked": "Revoked", "ev_issued": "issued",
           "ev_changed": "changed", "ev_suspended": "suspended", "ev_revoked": "revoked",
           "ev_reinstated": "reinstated", "ev_expiring": "expiring"},
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
    all_types = [(t, lt.name[lang]) for t, lt in license_types().items()]
    qp = request.query_params
    search = {"q": qp.get("q", "")[:200], "type": qp.get("type", ""),
              "state": qp.get("state", "")}
    type_ = search["type"] if search["type"] in dict(types) else None
    state = search["state"] if search["state"] in ("valid", "suspended", "revoked") else None
    recent = lifecycle.list_credentials(session=session, settings=ctx.settings, principal=p,
                                        type_=type_, q=search["q"] or None, state=state,
                                        limit=50)["items"]
    subs = subscriptions.list_for(session=session, agency=p.agency)
    return _render(request, "home.html", agency=p.agency,
                   agency_name=AGENCIES[p.agency][0 if lang == "zh" else 1], types=types,
                   all_types=all_types, recent=recent, search=search, subs=subs,
                   kinds=KINDS, csrf=_csrf(token), **extra)


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
        errs = field_errors(exc.errors())
        return _home(request, ctx, session, p, token, error="validation_failed", errors=errs)
    except ELicenseError as exc:
        session.rollback()
        return _home(request, ctx, session, p, token, error=exc.code,
                     errors=exc.extra.get("errors", []))
    return _render(request, "result.html", result=body)


@router.post("/credentials/{cred_id}/amend", response_class=HTMLResponse)
def amend(cred_id: str, request: Request, ctx: ContextDep, session: SessionDep,
          csrf: Annotated[str, Form()], claims: Annotated[str, Form()]) -> HTMLResponse:
    """Changed claims → a new credential offered to the holder; the old one is revoked."""
    p, token = _require(request, ctx, session, csrf)
    try:
        changes = orjson.loads(claims)
        if not isinstance(changes, dict) or not changes:
            raise orjson.JSONDecodeError("a non-empty JSON object", claims, 0)
        body = lifecycle.reissue(session=session, settings=ctx.settings,
                                 signer=issuer_signer(session, ctx.settings), principal=p,
                                 cred_id=cred_id, now=ctx.clock.now(),
                                 req=ReissueRequest(holder=Holder(offer=True), claims=changes))
    except orjson.JSONDecodeError:
        return _home(request, ctx, session, p, token, error="invalid_json", errors=[])
    except ELicenseError as exc:
        session.rollback()
        return _home(request, ctx, session, p, token, error=exc.code,
                     errors=exc.extra.get("errors", []))
    return _render(request, "result.html", result=body)


@router.post("/credentials/{cred_id}/{action}")
def change_state(cred_id: str, action: str, request: Request, ctx: ContextDep,
                 session: SessionDep, csrf: Annotated[str, Form()]) -> Response:
    """revoke / suspend / reinstate by hand."""
    p, token = _require(request, ctx, session, csrf)
    if action not in lifecycle.TRANSITIONS:
        return _home(request, ctx, session, p, token, error="invalid_request", errors=[])
    try:
        lifecycle.change_state(session=session, settings=ctx.settings, principal=p,
                               cred_id=cred_id, action=action, now=ctx.clock.now(),
                               reason=f"{action} on the agency page")
    except ELicenseError as exc:
        session.rollback()
        return _home(request, ctx, session, p, token, error=exc.code, errors=[])
    return RedirectResponse(f"{_base(request)}/", status_code=303)


@router.post("/subscriptions")
def subscribe(request: Request, ctx: ContextDep, session: SessionDep,
              csrf: Annotated[str, Form()], type: Annotated[str, Form()],
              url: Annotated[str, Form()], events: Annotated[list[str] | None, Form()] = None,
              field: Annotated[str, Form()] = "", contains: Annotated[str, Form()] = "",
              fields: Annotated[str, Form()] = "") -> Response:
    p, token = _require(request, ctx, session, csrf)
    try:
        req = subscriptions.SubscriptionIn(
            type=type, url=url, events=events or [], field=field.strip() or None,
            contains=contains.strip() or None,
            fields=[f.strip() for f in fields.replace("，", ",").split(",") if f.strip()])
        subscriptions.create(session=session, agency=p.agency, req=req, now=ctx.clock.now(),
                             require_https=not ctx.settings.is_dev)
    except ValidationError as exc:
        errs = field_errors(exc.errors())
        return _home(request, ctx, session, p, token, error="validation_failed", errors=errs)
    except ELicenseError as exc:
        session.rollback()
        errs = [{"field": f, "code": exc.code} for f in exc.extra.get("fields", [])]
        return _home(request, ctx, session, p, token, error=exc.code,
                     errors=errs or exc.extra.get("errors", []))
    return RedirectResponse(f"{_base(request)}/#subscriptions", status_code=303)


@router.post("/subscriptions/{sub_id}/delete")
def unsubscribe(sub_id: str, request: Request, ctx: ContextDep, session: SessionDep,
                csrf: Annotated[str, Form()]) -> Response:
    p, token = _require(request, ctx, session, csrf)
    try:
        subscriptions.delete(session=session, agency=p.agency, sub_id=sub_id)
    except ELicenseError as exc:
        return _home(request, ctx, session, p, token, error=exc.code, errors=[])
    return RedirectResponse(f"{_base(request)}/#subscriptions", status_code=303)
