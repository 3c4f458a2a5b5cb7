"""/docs: Swagger UI served from this app (assets from the `swagger-ui-py` wheel, no CDN), so the API
documentation works offline and under a strict Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from chatai_app.api.deps import public

ASSETS_PATH = "/docs-assets"
ASSETS_DIR = Path(swagger_ui.__file__).parent / "static"

router = APIRouter()


@router.get("/docs", include_in_schema=False, dependencies=[public("the API's documentation page")])
async def swagger_ui_page() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="ChatAI API",
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url="/favicon.ico",
    )


def install(api: FastAPI) -> None:
    api.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    api.include_router(router)
