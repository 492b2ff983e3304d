"""The public names of the wallet's plain-Python service layer in one place (no FastAPI,
STYLE habit 6); routes and the CLI import them from their own modules.

- accounts (``wallet.accounts``): ``register``, ``authenticate``, ``login``, ``logout``;
- licenses (``wallet.credentials``): ``accept_offer`` (OpenID4VCI 1.0 pre-authorized
  pick-up), ``list_credentials``, ``get_credential``, ``live_status``;
- showing (``wallet.presenting``): ``make_qr`` (DESIGN §4.1/§4.2), ``redeem``;
- the disclosure rule (``wallet.catalog``): ``claims_to_disclose``.
"""

from __future__ import annotations

from wallet.accounts import authenticate, login, logout, register
from wallet.catalog import claims_to_disclose
from wallet.credentials import accept_offer, get_credential, list_credentials, live_status
from wallet.presenting import make_qr, redeem

__all__ = [
    "accept_offer",
    "authenticate",
    "claims_to_disclose",
    "get_credential",
    "list_credentials",
    "live_status",
    "login",
    "logout",
    "make_qr",
    "redeem",
    "register",
]
