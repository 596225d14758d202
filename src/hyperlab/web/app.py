"""``create_app(store)``: the dashboard as a Starlette ASGI application.

The page is static HTML and JavaScript from the package (no build chain), plotly.js comes from
the installed plotly package, and everything it shows is fetched from the JSON API.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hyperlab.errors import HyperlabError, InvalidValueError, NotFoundError, QueryError
from hyperlab.store import Store
from hyperlab.web.api import Api
from hyperlab.web.jsonio import JSON
from hyperlab.web.openapi import openapi_spec
from hyperlab.web.queue_api import QueueApi
from hyperlab.web.security import TokenGuard, new_token

STATIC = Path(__file__).parent / "static"


def plotly_js_path() -> Path:
    """plotly.min.js as shipped inside the installed plotly Python package."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(
    store: Store,
    token: str | None = None,
    *,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """The dashboard application for one store.

    Args:
        store: The store to show.
        token: When given, every request must carry it (``?token=``, cookie, or the
            ``X-Hyperlab-Token`` header): use this whenever the server listens beyond
            127.0.0.1. When None, reads are open and a random token, embedded in the page,
            guards the POST actions.
        allowed_hosts: Accepted ``Host`` headers (``hyperlab ui`` passes the loopback names
            when bound to 127.0.0.1, which defeats DNS rebinding); None accepts any.

    Returns:
        A Starlette app; serve it with uvicorn (``hyperlab ui`` does).
    """
    action_token = token or new_token()
    api = Api(store)
    queue = QueueApi(store)

    async def index(request: Request) -> HTMLResponse:
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(html.replace("{{TOKEN}}", action_token))

    async def plotly_js(request: Request) -> Response:
        return FileResponse(plotly_js_path(), media_type="application/javascript")

    async def openapi(request: Request) -> JSON:
        return JSON(openapi_spec())

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/api/openapi.json", openapi),
        *api.routes(),
        *queue.routes(),
        Route("/static/plotly.min.js", plotly_js),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(
            BaseHTTPMiddleware,
            dispatch=TokenGuard(action_token, require_for_reads=token is not None),
        )
    ]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HyperlabError: _hyperlab_error, 404: _not_found, 405: _not_allowed},
    )
    app.state.token = action_token
    return app


async def _hyperlab_error(request: Request, exc: Any) -> Response:
    if isinstance(exc, NotFoundError):
        status = 404
    elif isinstance(exc, (QueryError, InvalidValueError)):
        status = 400
    else:
        status = 409 if not type(exc).__name__.startswith("Store") else 503
    return JSON({"error": str(exc), "type": type(exc).__name__}, status_code=status)


async def _not_found(request: Request, exc: Any) -> Response:
    return JSON({"error": f"no such page: {request.url.path}"}, status_code=404)


async def _not_allowed(request: Request, exc: Any) -> Response:
    return JSON({"error": f"method {request.method} not allowed here"}, status_code=405)
