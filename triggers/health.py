"""`GET /api/health`: anonymous liveness and dependency check for probes and the demo.

Answers 200 when configuration, Tables and Blobs are fine, else 503; the body has the app
version and each check's status and timing, never a secret or an exception message.
"""

from __future__ import annotations

import functools
import json

import azure.functions as func

from shared.api import models
from shared.api.operations import Answer, operation
from shared.config.settings import get_settings
from shared.health import StorageProbes, health_report

bp = func.Blueprint()


@functools.cache
def _worker_probes() -> StorageProbes:
    """Built once per worker, after settings loaded (health_report only asks for them then)."""
    return StorageProbes(get_settings().storage)


@bp.route(route="api/health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@operation("Check health", response=models.Health, anonymous=True, visibility="internal",
           also=(Answer(503, models.Health, "A dependency or a setting is not fine; `checks` says which."),))
def health(req: func.HttpRequest) -> func.HttpResponse:
    report = health_report(get_settings, lambda _settings: _worker_probes())
    return func.HttpResponse(
        json.dumps(report.to_dict()),
        status_code=200 if report.ok else 503,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )
