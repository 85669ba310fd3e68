"""The API documentation pages (/docs, /redoc) with every asset served by planlog itself.

FastAPI's own pages load Swagger UI and ReDoc from a CDN: a blank page on an intranet.
fastapi-offline ships the assets and serves them under `DOCS_ASSETS`; ReDoc's bundle
still shows the Redocly logo from its CDN in the sidebar, so /redoc is served here with
that one image pointed at planlog's own icon.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, Response
from fastapi_offline import FastAPIOffline

#: Swagger UI's scripts and styles (fastapi-offline's package data)
DOCS_ASSETS = "/docs-assets"
REDOC_JS = "/docs-redoc/redoc.standalone.js"
ICON = "/static/favicon.svg"
_BUNDLE = Path(fastapi_offline.__file__).parent / "static" / "redoc.standalone.js"
_REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def _redoc_bundle() -> bytes:
    return _BUNDLE.read_text(encoding="utf-8").replace(_REDOCLY_LOGO, ICON).encode()


def offline_app(**kwargs: Any) -> FastAPI:
    """A FastAPI app whose /docs and /redoc load nothing from another host."""
    api = FastAPIOffline(
        static_url=DOCS_ASSETS,
        favicon_url=ICON,
        redoc_url=None,
        # Swagger UI would otherwise show a badge fetched from validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
        **kwargs,
    )

    @api.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=api.openapi_url or "/openapi.json",
            title=f"{api.title} - ReDoc",
            redoc_js_url=REDOC_JS,
            redoc_favicon_url=ICON,
            with_google_fonts=False,
        )

    @api.get(REDOC_JS, include_in_schema=False)
    def redoc_js() -> Response:
        return Response(
            _redoc_bundle(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    return api
