"""``elicense credential``: issue, present and verify SD-JWT VCs from files (operator and
interop tool; RFC 9901, SD-JWT VC).

Key files are plain JWK JSON — a private JWK (with ``d``) for signing, any JWK or a JWKS
for trust — so other tools can produce and read them. ``verify`` prints the processed
claims as JSON and exits 0, or prints the stable error code and exits 1.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from core.credential import StaticKeys, issue, present, verify
from core.errors import BadRequest, ELicenseError
from core.jose import PublicKey, public_key_from_jwk
from keys.software import signer_from_private_jwk

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="SD-JWT VC: issue, present (with key binding) and verify.")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"cannot read {what} from {path}: {exc}") from exc


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"cannot read {what} from {path}: {exc}") from exc


def _names(csv: str) -> list[str]:
    return [n.strip() for n in csv.split(",") if n.strip()]


def _fail(exc: ELicenseError) -> typer.Exit:
    typer.echo(exc.code)
    typer.echo(f"{exc.code}: {exc.detail}", err=True)
    return typer.Exit(1)


class _OperatorKeys:
    """The JWKS the operator passed on the command line, for the pinned issuer (or, when
    none is pinned, for whichever issuer the token names). Never a key from the token."""

    def __init__(self, jwks: Any, iss: str | None) -> None:
        if isinstance(jwks, dict) and "keys" not in jwks:
            jwks = {"keys": [jwks]}  # a single JWK
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise BadRequest("issuer keys must be a JWKS {\"keys\": [...]} or a JWK")
        self._jwks, self._iss = jwks, iss

    def lookup(self, iss: str, kid: str | None) -> PublicKey:
        return StaticKeys({self._iss or iss: self._jwks}).lookup(iss, kid)


@app.command("issue")
def issue_cmd(
    issuer_key: Annotated[Path, typer.Option(help="Issuer private JWK file (with d).")],
    holder_jwk: Annotated[Path, typer.Option(help="Holder JWK file (public part used).")],
    claims: Annotated[Path, typer.Option(help="JSON object of the credential's claims.")],
    vct: Annotated[str, typer.Option(help="Credential type URI.")],
    iss: Annotated[str, typer.Option(help="Issuer identifier URI.")],
    sd: Annotated[str, typer.Option(help="Comma-separated selectively disclosable claims "
                                         "(dotted paths for nested members).")] = "",
    exp: Annotated[int | None, typer.Option(help="Expiry, epoch seconds.")] = None,
    iat: Annotated[int | None, typer.Option(help="Issued-at, epoch seconds (default now).")
                   ] = None,
    decoys: Annotated[int, typer.Option(help="Decoy digests to add.")] = 0,
) -> None:
    """Print a compact SD-JWT VC (ending in '~') with all its disclosures."""
    try:
        signer = signer_from_private_jwk(_read_json(issuer_key, "issuer key"))
        holder = public_key_from_jwk(_read_json(holder_jwk, "holder JWK"))
        body = _read_json(claims, "claims")
        if not isinstance(body, dict):
            raise BadRequest("claims must be a JSON object")
        token = issue(signer=signer, iss=iss, vct=vct, claims=body, sd=_names(sd),
                      holder_jwk=dict(holder.jwk), iat=int(time.time()) if iat is None else iat,
                      exp=exp, decoys=decoys)
    except ELicenseError as exc:
        raise _fail(exc) from exc
    typer.echo(token)


@app.command("present")
def present_cmd(
    sdjwt: Annotated[Path, typer.Option(help="File with the issued SD-JWT.")],
    holder_key: Annotated[Path, typer.Option(help="Holder private JWK file (with d).")],
    nonce: Annotated[str, typer.Option(help="The verifier's nonce.")],
    aud: Annotated[str, typer.Option(help="The verifier's audience.")],
    disclose: Annotated[str, typer.Option(help="Comma-separated claims to disclose.")] = "",
    iat: Annotated[int | None, typer.Option(help="KB-JWT iat, epoch seconds (default now).")
                   ] = None,
) -> None:
    """Print an SD-JWT+KB disclosing only the chosen claims."""
    try:
        holder = signer_from_private_jwk(_read_json(holder_key, "holder key"))
        token = present(_read_text(sdjwt, "SD-JWT"), disclose=_names(disclose), holder=holder,
                        nonce=nonce, aud=aud, iat=int(time.time()) if iat is None else iat)
    except ELicenseError as exc:
        raise _fail(exc) from exc
    typer.echo(token)


@app.command("verify")
def verify_cmd(
    presentation: Annotated[Path, typer.Option(help="File with the SD-JWT(+KB).")],
    issuer_jwks: Annotated[Path, typer.Option(help="Trusted issuer JWKS (or JWK) file.")],
    nonce: Annotated[str | None, typer.Option(help="Expected KB-JWT nonce.")] = None,
    aud: Annotated[str | None, typer.Option(help="Expected KB-JWT aud.")] = None,
    no_key_binding: Annotated[bool, typer.Option("--no-key-binding",
                                                 help="Expect an SD-JWT without KB.")] = False,
    now: Annotated[int | None, typer.Option(help="Verification time (default now).")] = None,
    iss: Annotated[str | None, typer.Option(help="Pin the issuer the keys belong to.")] = None,
    typ: Annotated[str, typer.Option(help="Required JWT typ.")] = "dc+sd-jwt",
) -> None:
    """Print the disclosed claims as JSON (exit 0) or the error code (exit 1)."""
    if no_key_binding == (nonce is not None or aud is not None) or (
            not no_key_binding and (nonce is None or aud is None)):
        raise typer.BadParameter("give --nonce and --aud, or --no-key-binding")
    try:
        keys = _OperatorKeys(_read_json(issuer_jwks, "issuer JWKS"), iss)
        result = verify(_read_text(presentation, "presentation"), keys=keys,
                        key_binding=not no_key_binding,
                        now=int(time.time()) if now is None else now,
                        nonce=nonce, aud=aud, typ=typ)
    except ELicenseError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(result.claims, ensure_ascii=False, indent=2))
