"""A tiny receiving agency for license-event tests (issue 8): verifies each webhook with
``issuer.events.verify_webhook`` against the issuer's JWKS it was given, records one task
per event id (a second delivery of an id is acknowledged, not processed again), and can be
switched ``down`` (answers 503) to exercise retries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response

from core.errors import ELicenseError
from issuer.events import SIGNATURE_HEADER, verify_webhook


@dataclass
class Receiver:
    jwks: dict[str, Any]
    iss: str
    down: bool = False
    calls: int = 0
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: int = 0
    rejected: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks")
        async def hook(request: Request) -> Response:
            self.calls += 1
            if self.down:
                return Response(status_code=503)
            body = await request.body()
            try:
                event = verify_webhook(body, request.headers.get(SIGNATURE_HEADER, ""),
                                       self.jwks, iss=self.iss)
            except ELicenseError as exc:
                self.rejected.append(exc.code)
                return Response(status_code=400)
            if event["id"] in self.tasks:
                self.duplicates += 1
            else:  # the health commission opens a task: tell the company about the permit
                self.tasks[event["id"]] = {
                    "company": event["claims"].get("company_name"),
                    "todo": "public_health_permit", "event": event}
            return Response(status_code=204)

        return app
