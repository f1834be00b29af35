"""Validate a customer-supplied webhook URL with Syston's cascade, refusing SSRF.

HEAD, then GET, then OPTIONS (each with a timeout, 5 s by default): the URL passes on the first
acceptable answer. Strict mode accepts 2xx only; lenient mode also 401, 403, 404 and 405. Only
http(s) URLs; every host (and every redirect hop, followed by hand) is resolved and refused when
any address is loopback, private, link-local, multicast, reserved or unspecified — unless private
targets are allowed by configuration. ``trusted`` hosts (an operator's allowlist) skip the
address check; a redirect from them to anywhere else is still checked."""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from steward.errors import StewardError


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every outside call of the steps: building one per client (httpx's
    default) loads the CA bundle each time, about 10-100 ms of CPU."""
    return ssl.create_default_context(cafile=certifi.where())


LENIENT_EXTRA = frozenset({401, 403, 404, 405})
METHODS = ("HEAD", "GET", "OPTIONS")
MAX_REDIRECTS = 5


class UnsafeUrl(StewardError):
    """The URL points somewhere Steward must not call."""

    code = "unsafe_url"
    http_status = 422


@dataclass
class Verdict:
    ok: bool
    url: str
    tried: list[str] = field(default_factory=list)  # "HEAD 405", "GET error: ..."
    method: str | None = None
    status: int | None = None


def check_target(url: str, allow_private: bool, trusted: frozenset[str] = frozenset()) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(f"only http and https URLs are allowed, not {parts.scheme or 'none'!r}")
    host = parts.hostname
    if not host:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("credentials in the URL are not allowed")
    if allow_private or host in trusted:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast or address.is_reserved:
            raise UnsafeUrl(f"{host} resolves to {address}, a non-public address")


def _request(
    client: httpx.Client,
    method: str,
    url: str,
    allow_private: bool,
    trusted: frozenset[str] = frozenset(),
) -> int:
    """One method, following redirects by hand so that each hop is checked."""
    for _ in range(MAX_REDIRECTS + 1):
        check_target(url, allow_private, trusted)
        response = client.request(method, url)
        if response.is_redirect and "location" in response.headers:
            url = urljoin(url, response.headers["location"])
            continue
        return response.status_code
    raise UnsafeUrl(f"more than {MAX_REDIRECTS} redirects")


def validate(
    url: str,
    *,
    strict: bool,
    timeout: float = 5.0,
    allow_private: bool = False,
    trusted: frozenset[str] = frozenset(),
) -> Verdict:
    """Raises UnsafeUrl for a refused target; otherwise the verdict and what was tried."""
    check_target(url, allow_private, trusted)
    verdict = Verdict(ok=False, url=url)
    with httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=False, verify=tls_context()
    ) as client:
        for method in METHODS:
            try:
                status = _request(client, method, url, allow_private, trusted)
            except httpx.HTTPError as exc:
                verdict.tried.append(f"{method} error: {type(exc).__name__}")
                continue
            verdict.tried.append(f"{method} {status}")
            if 200 <= status < 300 or (not strict and status in LENIENT_EXTRA):
                verdict.ok, verdict.method, verdict.status = True, method, status
                return verdict
    return verdict
