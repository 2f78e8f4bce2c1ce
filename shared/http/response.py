"""JSON answers of the HTTP routes: uncached bodies, and one page shape for every list."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import azure.functions as func

from shared.storage import Page


def json_response(
    body: Any,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    mimetype: str = "application/json",
) -> func.HttpResponse:
    """A JSON answer that is never cached (run state changes under the caller)."""
    return func.HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str),
        status_code=status_code,
        headers={"Cache-Control": "no-store", **(headers or {})},
        mimetype=mimetype,
        charset="utf-8",
    )


def page_body[T](page: Page[T], to_api: Callable[[T], Any]) -> dict[str, Any]:
    """`{"items": [...], "continuationToken": str | null}`: pass the token back to get the next page."""
    return {"items": [to_api(item) for item in page.items], "continuationToken": page.continuation}
