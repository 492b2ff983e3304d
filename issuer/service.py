"""The issuer's plain-Python service layer (no FastAPI), one import for callers that are not
routes (the CLI, the benchmark, other tools). Each function lives in a small module:

- ``issuance`` — issue one credential (SD-JWT VC) or an OpenID4VCI offer, idempotently;
- ``bulk`` — NDJSON bulk issuance and its batched core ``issue_many``;
- ``lifecycle`` — revoke / suspend / reinstate / reissue, list and search;
- ``oid4vci`` — pre-authorized code, nonce and credential endpoints (OpenID4VCI 1.0);
- ``statuslists`` — status index allocation and status list tokens;
- ``audit`` — the hash-chained audit log;
- ``oauth`` — agency API clients and bearer tokens;
- ``catalog`` — the license types;
- ``events`` / ``events_delivery`` / ``subscriptions`` — license events to subscribing
  agencies as signed webhooks (issue 8, docs/workflows.md).
"""

from __future__ import annotations

from issuer.audit import verify as verify_audit_chain
from issuer.bulk import issue_many, issue_ndjson
from issuer.catalog import check_claims, get_type, license_types, type_metadata
from issuer.events import verify_webhook
from issuer.events_delivery import deliver_due, redeliver, scan_expiring
from issuer.issuance import issue
from issuer.lifecycle import change_state, list_credentials, reissue
from issuer.oauth import authenticate, check_client, issue_client_token
from issuer.oid4vci import create_offer, credential, new_nonce, redeem_code
from issuer.statuslists import allocate, published

__all__ = [
    "allocate",
    "authenticate",
    "change_state",
    "check_claims",
    "check_client",
    "create_offer",
    "credential",
    "deliver_due",
    "get_type",
    "issue",
    "issue_client_token",
    "issue_many",
    "issue_ndjson",
    "license_types",
    "list_credentials",
    "new_nonce",
    "published",
    "redeem_code",
    "redeliver",
    "reissue",
    "scan_expiring",
    "type_metadata",
    "verify_audit_chain",
    "verify_webhook",
]
