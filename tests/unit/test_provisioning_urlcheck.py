"""Syston's webhook-validation cascade against a local HTTP server, and SSRF refusals."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from steward.provisioning.urlcheck import UnsafeUrl, validate

# path -> {method: status}; a missing method answers 501
ROUTES: dict[str, dict[str, int]] = {
    "/ok": {"HEAD": 200, "GET": 200, "OPTIONS": 200},
    "/nohead": {"HEAD": 405, "GET": 204, "OPTIONS": 200},
    "/optionsonly": {"HEAD": 500, "GET": 500, "OPTIONS": 200},
    "/auth": {"HEAD": 401, "GET": 401, "OPTIONS": 401},
    "/forbidden": {"HEAD": 403, "GET": 403, "OPTIONS": 403},
    "/missing": {"HEAD": 404, "GET": 404, "OPTIONS": 404},
    "/notallowed": {"HEAD": 405, "GET": 405, "OPTIONS": 405},
    "/broken": {"HEAD": 500, "GET": 502, "OPTIONS": 503},
    "/redirect": {"HEAD": 302, "GET": 302, "OPTIONS": 302},
}
SEEN: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        SEEN.append(f"{self.command} {self.path}")
        status = ROUTES.get(self.path.split("?")[0], {}).get(self.command, 501)
        self.send_response(status)
        if status == 302:
            self.send_header("Location", self.headers.get("X-Target", "/ok"))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = do_OPTIONS = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("path", "strict_ok", "lenient_ok"),
    [
        ("/ok", True, True),
        ("/nohead", True, True),
        ("/optionsonly", True, True),
        ("/auth", False, True),
        ("/forbidden", False, True),
        ("/missing", False, True),
        ("/notallowed", False, True),
        ("/broken", False, False),
        ("/redirect", True, True),  # followed to /ok, each hop checked
    ],
)
def test_cascade(base: str, path: str, strict_ok: bool, lenient_ok: bool) -> None:
    assert validate(base + path, strict=True, allow_private=True).ok is strict_ok
    assert validate(base + path, strict=False, allow_private=True).ok is lenient_ok


def test_cascade_order_and_stop_on_first_acceptable(base: str) -> None:
    SEEN.clear()
    verdict = validate(base + "/nohead", strict=True, allow_private=True)
    assert verdict.tried == ["HEAD 405", "GET 204"] and verdict.method == "GET"
    assert SEEN == ["HEAD /nohead", "GET /nohead"]
    SEEN.clear()
    verdict = validate(base + "/broken", strict=False, allow_private=True)
    assert verdict.tried == ["HEAD 500", "GET 502", "OPTIONS 503"] and not verdict.ok


def test_unreachable_is_not_ok_within_the_timeout() -> None:
    verdict = validate("http://127.0.0.1:9/", strict=False, timeout=1, allow_private=True)
    assert not verdict.ok and all("error" in t for t in verdict.tried)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://224.0.0.1/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "ftp://example.com/",
        "http://user:pass@example.com/",
        "javascript:alert(1)",
    ],
)
def test_ssrf_targets_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        validate(url, strict=False, timeout=1)


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/x",
        "http://169.254.169.254/latest/",
        "http://localhost:1/",
        "file:///etc/passwd",
    ],
)
def test_redirect_to_a_private_address_is_refused(base: str, target: str) -> None:
    """The local test server is trusted by name (127.0.0.1); its redirect target is not."""
    import httpx

    from steward.provisioning import urlcheck

    trusted = frozenset({"127.0.0.1"})
    assert validate(base + "/ok", strict=True, trusted=trusted).ok
    with httpx.Client(timeout=2, headers={"X-Target": target}) as client, pytest.raises(UnsafeUrl):
        urlcheck._request(client, "GET", base + "/redirect", False, trusted)
