"""The ``hyperlab ui`` dashboard: a Starlette app with a JSON API and a static page."""

from __future__ import annotations

from hyperlab.web.app import create_app

__all__ = ["create_app"]
