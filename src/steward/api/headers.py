"""Security headers on every response, as plain ASGI (Starlette's ``@app.middleware("http")``
wraps each request in extra tasks and streams: it was most of a bare request's cost)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}


HSTS = {"Strict-Transport-Security": "max-age=63072000; includeSubDomains"}
# Answers of the APIs carry tokens and personal data: never kept by a cache or a browser.
NO_STORE = {"Cache-Control": "no-store"}
API_PREFIXES = ("/api/", "/admin/api/", "/public/")
# FastAPI's /docs page loads Swagger UI from its CDN: allowed there, in development only.
DOCS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline' "
    "https://cdn.jsdelivr.net; style-src 'self' https://cdn.jsdelivr.net; img-src 'self' "
    "https://fastapi.tiangolo.com data:; frame-ancestors 'none'"
}


class SecurityHeaders:
    """Adds ``BASE`` headers (and HSTS when ``hsts``), and a stricter set below each prefix in
    ``by_prefix`` (it wins)."""

    def __init__(
        self,
        app: ASGIApp,
        by_prefix: dict[str, dict[str, str]] | None = None,
        *,
        hsts: bool = False,
    ) -> None:
        self.app = app
        self.base = {**BASE, **(HSTS if hsts else {})}
        self.by_prefix = {prefix: dict(NO_STORE) for prefix in API_PREFIXES}
        for prefix, headers in (by_prefix or {}).items():
            self.by_prefix.setdefault(prefix, {}).update(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = dict(self.base)
        for prefix, headers in self.by_prefix.items():
            if scope["path"].startswith(prefix):
                wanted.update(headers)
        raw = [(k.lower().encode(), v.encode()) for k, v in wanted.items()]
        names = {k for k, _ in raw}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + raw
            await send(message)

        await self.app(scope, receive, send_with_headers)
