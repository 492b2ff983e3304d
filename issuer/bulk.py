"""Bulk issuance: NDJSON in, NDJSON out (``POST /v1/credentials:batch``,
``elicense issuer import``), and ``issue_many``, the batched core the benchmark measures.

Work is done per chunk: one status-index draw for the chunk, signing (in-process or on a
process pool, ``issuer.parallel``), one multi-row INSERT of credentials and one of audit
rows, one commit. ``(agency, ref)`` is UNIQUE: re-running a file after an interruption
skips every ref already issued (reported ``already_issued``) and issues the rest, never one
twice. Bulk issuance binds to holder keys; offers are made one at a time.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import Clock
from core.errors import ELicenseError, field_errors
from core.jose import thumbprint
from core.signing import Signer
from issuer import audit, events, issuance, statuslists
from issuer.bulkdb import insert_tuples
from issuer.fastissue import FlatEncoder
from issuer.keyring import issuer_signer
from issuer.models import Credential
from issuer.oauth import Principal
from issuer.schemas import BatchLine
from issuer.sealing import sealer_for
from issuer.settings import IssuerSettings

__all__ = ["CHUNK", "SignTask", "issue_many", "issue_ndjson", "sign_serial"]

CHUNK = 1000


@dataclass(frozen=True)
class SignTask:
    """One credential to encode, sign and turn into its ``issuer_credential`` row."""

    cred_id: str
    ref: str | None
    type: str
    claims: dict[str, Any]  # as signed (computed claims included)
    plain_claims: dict[str, Any]  # as given, sealed for reissue
    subject: str | None  # the document number, for the blind index
    holder_jwk: dict[str, Any]
    agency: str
    iat: int
    exp: int
    list_id: int
    idx: int


# issuer_credential columns, in the order of the tuples ``sign_serial`` returns
CRED_COLUMNS = ("id", "agency_code", "type", "state", "status_list_id", "status_idx", "ref",
                "subject_hmac", "holder_jkt", "iat", "exp", "delivery", "claims_enc",
                "replaces", "updated_at")

Signed = list[tuple[str, tuple[Any, ...]]]
# Encodes and signs tasks; yields the results in task order, in one or more parts (a pool
# yields part by part, so rows go into the database while later parts are being signed).
SignBatch = Callable[[Sequence[SignTask]], Iterable[Signed]]


def sign_serial(signer: Signer, settings: IssuerSettings) -> SignBatch:
    """Encode and sign in this process (``issuer.fastissue``), and build each row (claims
    sealed, blind index, holder thumbprint) so that a worker pool parallelises all of it."""
    enc = FlatEncoder(signer, settings)
    sealer = sealer_for(settings.key_encryption_secret.get_secret_value())

    def run(tasks: Sequence[SignTask]) -> list[Signed]:
        out: Signed = []
        for t in tasks:
            sd_jwt = enc.encode(type_=t.type, claims=t.claims, holder_jwk=t.holder_jwk,
                                agency=t.agency, iat=t.iat, exp=t.exp, list_id=t.list_id,
                                idx=t.idx)
            row = (t.cred_id, t.agency, t.type, "valid", t.list_id, t.idx, t.ref,
                   sealer.blind_index(t.type, t.subject) if t.subject else None,
                   thumbprint(t.holder_jwk), t.iat, t.exp, "delivered",
                   sealer.seal(t.plain_claims, aad=t.cred_id.encode()), None, t.iat)
            out.append((sd_jwt, row))
        return [out]

    return run


def issue_many(*, session: Session, settings: IssuerSettings, sign_batch: SignBatch,
               principal: Principal, items: Sequence[tuple[str | None, issuance.Prepared]],
               now: int) -> list[dict[str, Any]]:
    """Issue every prepared item in one transaction; ``[{ref, id, status, credential}]``."""
    if not items:
        return []
    slots = statuslists.allocate(session, settings, len(items), now)
    ids = secrets.token_bytes(16 * len(items)).hex()  # 128-bit random ids, one syscall
    tasks = []
    for n, ((ref, p), (list_id, idx)) in enumerate(zip(items, slots, strict=True)):
        assert p.holder_jwk is not None
        subject = p.claims.get(p.lt.subject_claim)
        tasks.append(SignTask(cred_id=ids[32 * n:32 * n + 32], ref=ref, type=p.lt.type,
                              claims=p.signed_claims, plain_claims=p.claims,
                              subject=str(subject) if subject else None,
                              holder_jwk=p.holder_jwk, agency=principal.agency, iat=now,
                              exp=p.exp, list_id=list_id, idx=idx))
    parts = iter(sign_batch(tasks))  # a pool starts signing now; meanwhile, the audit rows
    audit.append_many(session, (
        audit.AuditEntry(at=now, agency_code=principal.agency, actor=principal.client_id,
                         action="issue", credential_id=t.cred_id,
                         detail={"type": t.type, "list": t.list_id, "idx": t.idx,
                                 "delivery": "bulk"})
        for t in tasks))
    signed: Signed = []
    for part in parts:
        insert_tuples(session, Credential.__table__, CRED_COLUMNS,  # type: ignore[attr-defined]
                      [row for _sd, row in part])
        signed.extend(part)
    wanted = events.subscribed_types(session, "issued")  # license events (issue 8)
    for t in tasks:
        if t.type in wanted:
            events.emit(session, settings, kind="issued", credential_id=t.cred_id,
                        type_=t.type, agency=t.agency, state="valid", claims=t.plain_claims,
                        now=now)
    session.commit()
    uris = {list_id: settings.status_list_uri(list_id) for list_id in {s for s, _ in slots}}
    return [{"ref": t.ref, "id": t.cred_id, "status": {"idx": t.idx, "uri": uris[t.list_id]},
             "credential": sd} for t, (sd, _row) in zip(tasks, signed, strict=True)]


def _error(ref: Any, exc: ELicenseError) -> dict[str, Any]:
    err: dict[str, Any] = {"code": exc.code, "detail": exc.detail}
    if "errors" in exc.extra:
        err["errors"] = exc.extra["errors"]
    return {"ref": ref, "error": err}


def _parse(line: str, settings: IssuerSettings, principal: Principal, now: int
           ) -> tuple[str, issuance.Prepared] | dict[str, Any]:
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError:
        return {"ref": None, "error": {"code": "invalid_json", "detail": "line is not JSON"}}
    ref = raw.get("ref") if isinstance(raw, dict) else None
    try:
        bl = BatchLine.model_validate(raw)
    except ValidationError as exc:
        return {"ref": ref, "error": {"code": "validation_failed",
                                      "errors": field_errors(exc.errors())}}
    if bl.holder.jwk is None:
        return {"ref": ref, "error": {"code": "validation_failed", "errors": [
            {"field": "holder", "code": "jwk_required",
             "message": "bulk issuance needs holder.jwk"}]}}
    try:
        lt = issuance.authorize_type(principal, bl.type, "issue")
        return bl.ref, issuance.prepare(settings=settings, lt=lt, claims=bl.claims,
                                        holder=bl.holder, valid_until=bl.valid_until, now=now)
    except ELicenseError as exc:
        return _error(ref, exc)


def _existing(session: Session, agency: str, refs: Iterable[str]
              ) -> dict[str, Credential]:
    refs = list(refs)
    out: dict[str, Credential] = {}
    for i in range(0, len(refs), 500):
        for row in session.exec(select(Credential).where(
                Credential.agency_code == agency, col(Credential.ref).in_(refs[i:i + 500]))):
            assert row.ref is not None
            out[row.ref] = row
    return out


def _chunk(*, engine: Engine, settings: IssuerSettings, principal: Principal,
           lines: Sequence[str], clock: Clock, seen: set[str],
           sign_batch: SignBatch | None) -> list[dict[str, Any]]:
    now = clock.now()
    results: list[dict[str, Any] | None] = []
    todo: list[tuple[int, str, issuance.Prepared]] = []
    for line in lines:
        parsed = _parse(line, settings, principal, now)
        if isinstance(parsed, dict):
            results.append(parsed)
            continue
        ref, p = parsed
        if ref in seen:
            results.append({"ref": ref, "error": {"code": "duplicate_ref",
                                                  "detail": "ref repeated in this batch"}})
            continue
        seen.add(ref)
        results.append(None)
        todo.append((len(results) - 1, ref, p))
    for attempt in range(2):
        with Session(engine, expire_on_commit=False) as session:
            try:
                done = _existing(session, principal.agency, (r for _, r, _ in todo))
                fresh = [(i, r, p) for i, r, p in todo if r not in done]
                signer = sign_batch or sign_serial(issuer_signer(session, settings), settings)
                issued = issue_many(session=session, settings=settings, sign_batch=signer,
                                    principal=principal,
                                    items=[(r, p) for _, r, p in fresh], now=now)
            except IntegrityError:
                session.rollback()  # a concurrent run issued some of these refs: re-check
                if attempt:
                    raise
                continue
        for (i, _r, _p), out in zip(fresh, issued, strict=True):
            results[i] = out
        for i, r, _p in todo:
            if r in done:
                row = done[r]
                results[i] = {"ref": r, "id": row.id, "already_issued": True,
                              "status": issuance.status_ref(settings, row.status_list_id,
                                                            row.status_idx)}
        break
    return [r for r in results if r is not None]


def issue_ndjson(*, engine: Engine, settings: IssuerSettings, principal: Principal,
                 lines: Iterable[str], clock: Clock, chunk: int = CHUNK,
                 sign_batch: SignBatch | None = None) -> Iterator[bytes]:
    """Process NDJSON ``lines`` chunk by chunk, yielding one NDJSON result line per input."""
    seen: set[str] = set()
    buf: list[str] = []
    for line in lines:
        if line.strip():
            buf.append(line)
        if len(buf) >= chunk:
            for r in _chunk(engine=engine, settings=settings, principal=principal,
                            lines=buf, clock=clock, seen=seen, sign_batch=sign_batch):
                yield orjson.dumps(r) + b"\n"
            buf = []
    if buf:
        for r in _chunk(engine=engine, settings=settings, principal=principal, lines=buf,
                        clock=clock, seen=seen, sign_batch=sign_batch):
            yield orjson.dumps(r) + b"\n"
