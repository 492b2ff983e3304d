"""Chinese and English strings of the wallet: license type names (DESIGN §3) and the citizen
page's texts, one small dict per language."""

from __future__ import annotations

__all__ = ["LANGS", "TEXT", "TYPE_NAMES", "lang_of", "type_names"]

LANGS = ("zh", "en")

TYPE_NAMES: dict[str, dict[str, str]] = {
    "id_card": {"zh": "居民身份证", "en": "Resident identity card"},
    "passport": {"zh": "护照", "en": "Passport"},
    "hk_macau_permit": {"zh": "往来港澳通行证", "en": "Mainland travel permit for HK and Macau"},
    "driving_license": {"zh": "驾驶证", "en": "Driving license"},
    "vehicle_license": {"zh": "行驶证", "en": "Vehicle license"},
    "dog_license": {"zh": "养犬登记证", "en": "Dog license"},
    "business_license": {"zh": "营业执照", "en": "Business license"},
    "food_business_permit": {"zh": "食品经营许可证", "en": "Food business permit"},
    "public_health_permit": {"zh": "公共场所卫生许可证", "en": "Public health permit"},
    "birth_certificate": {"zh": "出生医学证明", "en": "Birth certificate"},
    "real_estate_certificate": {"zh": "不动产权证书", "en": "Real estate certificate"},
}

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "电子证照", "login": "登录", "logout": "退出", "username": "用户名",
        "password": "密码", "bad_login": "用户名或密码错误", "my_licenses": "我的证照",
        "no_licenses": "暂无证照", "issuer": "签发机构", "valid_until": "有效期至",
        "status": "状态", "open": "出示", "scenario": "使用场景", "mode": "方式",
        "online": "在线（推荐）", "offline": "离线", "show_qr": "显示二维码",
        "refresh_in": "秒后刷新", "back": "返回", "valid": "有效", "revoked": "已吊销",
        "suspended": "已暂停", "unknown": "未知", "none": "—", "copies_low": "副本即将用完",
        "error": "无法显示二维码", "credential_revoked": "该证照已被吊销，不能出示",
        "credential_suspended": "该证照已暂停使用，不能出示", "language": "English",
        "claims": "证照信息", "history": "出示记录",
    },
    "en": {
        "title": "eLicense", "login": "Log in", "logout": "Log out", "username": "Username",
        "password": "Password", "bad_login": "Wrong username or password",
        "my_licenses": "My licenses", "no_licenses": "No licenses yet", "issuer": "Issuer",
        "valid_until": "Valid until", "status": "Status", "open": "Show", "scenario": "Scenario",
        "mode": "Mode", "online": "Online (recommended)", "offline": "Offline",
        "show_qr": "Show QR code", "refresh_in": "s until refresh", "back": "Back",
        "valid": "Valid", "revoked": "Revoked", "suspended": "Suspended", "unknown": "Unknown",
        "none": "—", "copies_low": "Running low on copies", "error": "Cannot show a QR code",
        "credential_revoked": "This license has been revoked and cannot be shown",
        "credential_suspended": "This license is suspended and cannot be shown",
        "language": "中文", "claims": "License details", "history": "Presentation history",
    },
}


def lang_of(value: str | None) -> str:
    return value if value in LANGS else "zh"


def type_names(credential_type: str) -> dict[str, str]:
    return TYPE_NAMES.get(credential_type, {"zh": credential_type, "en": credential_type})
