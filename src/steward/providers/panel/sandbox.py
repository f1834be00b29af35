"""A sandbox game panel: accounts and servers over REST, idempotent on ``Idempotency-Key``.
Creating a server answers 202 ``installing``; after ``delay_seconds`` the panel POSTs a signed
callback (``X-Panel-Signature: t=<unix>,v1=<HMAC-SHA256 hex of "t.body">``) to Steward.

Faults: ``fail_next`` answers that many requests with 503; ``drop_callbacks`` never calls back.
``effects`` counts what was really created (one per account email / server key)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import Counter
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


class PanelSandbox:
    def __init__(self, callback_url: str, secret: str, delay_seconds: float = 3.0) -> None:
        self.callback_url, self.secret, self.delay = callback_url, secret, delay_seconds
        self.accounts: dict[str, dict[str, Any]] = {}
        self.servers: dict[str, dict[str, Any]] = {}  # by idempotency key
        self.effects: Counter[str] = Counter()
        self.callbacks: list[dict[str, Any]] = []
        self.fail_next = 0
        self.drop_callbacks = False
        self._lock = threading.Lock()
        self.app = self._build()

    def _fault(self) -> JSONResponse | None:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return JSONResponse({"error": "panel unavailable"}, status_code=503)
        return None

    def _build(self) -> FastAPI:
        app = FastAPI(title="Sandbox game panel")

        @app.get("/api/accounts")
        def find_account(email: str) -> dict[str, Any]:
            found = self.accounts.get(email.lower())
            return {"data": [found] if found else []}

        @app.post("/api/accounts", status_code=201, response_model=None)
        async def create_account(request: Request) -> Any:
            if (fault := self._fault()) is not None:
                return fault
            body = await request.json()
            email = str(body.get("email", "")).lower()
            if "@" not in email:
                raise HTTPException(422, "email required")
            with self._lock:
                if email not in self.accounts:
                    self.accounts[email] = {"id": f"acct_{uuid.uuid4().hex[:10]}", "email": email}
                    self.effects[f"account:{email}"] += 1
                return self.accounts[email]

        @app.post("/api/servers", status_code=202, response_model=None)
        async def create_server(
            request: Request, idempotency_key: Annotated[str | None, Header()] = None
        ) -> Any:
            if (fault := self._fault()) is not None:
                return fault
            if not idempotency_key:
                raise HTTPException(400, "Idempotency-Key required")
            body = await request.json()
            with self._lock:
                existing = self.servers.get(idempotency_key)
                if existing is not None:
                    return existing
                server = {
                    "id": f"srv_{uuid.uuid4().hex[:10]}",
                    "account_id": body.get("account_id"),
                    "game": body.get("game"),
                    "external_id": body.get("external_id") or idempotency_key,
                    "status": "installing",
                }
                self.servers[idempotency_key] = server
                self.effects[f"server:{idempotency_key}"] += 1
            timer = threading.Timer(self.delay, self._install, args=(idempotency_key,))
            timer.daemon = True
            timer.start()
            return server

        @app.delete("/api/servers/{server_id}", status_code=204, response_model=None)
        def delete_server(server_id: str) -> None:
            with self._lock:
                for server in self.servers.values():
                    if server["id"] == server_id:
                        if server["status"] != "deleted":
                            server["status"] = "deleted"
                            self.effects[f"deleted:{server_id}"] += 1
                        return
            raise HTTPException(404, "no such server")

        @app.get("/api/servers/{server_id}")
        def get_server(server_id: str) -> dict[str, Any]:
            for server in self.servers.values():
                if server["id"] == server_id:
                    return server
            raise HTTPException(404, "no such server")

        return app

    def _install(self, key: str) -> None:
        with self._lock:
            server = self.servers[key]
            server["status"] = "installed"
            payload = {"type": "server.installed", **server}
        if self.drop_callbacks:
            return
        body = json.dumps(payload).encode()
        for _ in range(5):
            try:
                r = httpx.post(
                    self.callback_url,
                    content=body,
                    timeout=10,
                    headers={
                        "Content-Type": "application/json",
                        "X-Panel-Signature": sign(self.secret, body),
                    },
                )
                self.callbacks.append({"payload": payload, "status": r.status_code})
                if r.status_code < 300:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
