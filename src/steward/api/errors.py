"""Every error leaves as ``{"error": {"code", "message", "details"?}}`` with a stable code."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from steward.errors import StewardError


def install(app: FastAPI) -> None:
    @app.exception_handler(StewardError)
    async def _steward_error(_request: Request, exc: StewardError) -> JSONResponse:
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            fields.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return JSONResponse(
            {"error": {"code": "invalid_input", "message": message, "details": {"fields": fields}}},
            status_code=422,
        )
