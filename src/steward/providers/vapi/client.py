"""Steward's calls to the voice-call provider: page through its call records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from steward.errors import ProviderError


@dataclass(frozen=True)
class CallPage:
    calls: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None


class VapiClient:
    def __init__(self, base_url: str, api_key: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )

    def list_calls(
        self, start: datetime, end: datetime, *, limit: int = 500, cursor: str | None = None
    ) -> CallPage:
        """Calls created in ``[start, end)``, oldest first; ProviderError on any failure."""
        params: dict[str, Any] = {
            "createdAtGe": start.isoformat(),
            "createdAtLt": end.isoformat(),
            "limit": limit,
        }
        if cursor:
            params["cursor"] = cursor
        try:
            r = self._http.get("/v1/calls", params=params)
        except httpx.HTTPError as exc:
            raise ProviderError(f"vapi: cannot list calls: {type(exc).__name__}: {exc}") from exc
        if r.status_code != 200:
            raise ProviderError(f"vapi: listing calls answered {r.status_code}: {r.text[:200]}")
        body = r.json()
        return CallPage(body["data"], body.get("next_cursor"), body.get("total"))

    def close(self) -> None:
        self._http.close()
