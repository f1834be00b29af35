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


class SecurityHeaders:
    """Adds ``BASE`` headers, and a stricter set below each prefix in ``by_prefix`` (it wins)."""

    def __init__(self, app: ASGIApp, by_prefix: dict[str, dict[str, str]] | None = None) -> None:
        self.app = app
        self.by_prefix = by_prefix or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = dict(BASE)
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
