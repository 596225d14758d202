"""Access control: a token on every request for non-local binds, and on every POST always.

The token arrives as ``?token=`` (the URL ``hyperlab ui`` prints; it is then kept in an
HttpOnly, SameSite=Strict cookie), an ``X-Hyperlab-Token`` header or ``Authorization: Bearer``.
Actions that change state are POST and need the ``X-Hyperlab-Token`` header: a cookie alone is
not enough there, so another web site cannot make the browser act on the dashboard.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from hyperlab.web.jsonio import JSON

COOKIE = "hyperlab_token"
HEADER = "x-hyperlab-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# plotly.js compiles WebGL shaders (parallel coordinates) with Function(): hence unsafe-eval.
# Inline scripts and event-handler attributes stay forbidden.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def new_token() -> str:
    """A fresh random token."""
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` only accepts connections from this machine."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def _matches(supplied: str | None, token: str) -> bool:
    return supplied is not None and secrets.compare_digest(supplied.encode(), token.encode())


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


class TokenGuard:
    """The dispatch function of the access-control middleware."""

    def __init__(self, token: str, *, require_for_reads: bool) -> None:
        self.token = token
        self.require_for_reads = require_for_reads

    async def __call__(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        from_query = request.query_params.get("token")
        if request.method not in SAFE_METHODS:
            if not _matches(request.headers.get(HEADER), self.token):
                return JSON(
                    {"error": "this action changes state and needs the X-Hyperlab-Token header"},
                    status_code=403,
                )
        elif self.require_for_reads and not any(
            _matches(candidate, self.token)
            for candidate in (
                from_query,
                request.headers.get(HEADER),
                _bearer(request),
                request.cookies.get(COOKIE),
            )
        ):
            return JSON(
                {
                    "error": "a token is required: open the URL printed by `hyperlab ui` "
                    "(it ends in ?token=...) or send the X-Hyperlab-Token header"
                },
                status_code=401,
            )
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if self.require_for_reads and _matches(from_query, self.token):
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
        return response
