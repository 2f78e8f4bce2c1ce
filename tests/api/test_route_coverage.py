"""The worker is the judge of which routes exist: every HTTP function it indexes from function_app.py is
described in the OpenAPI document with its methods, and the document describes no other route."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

from local.devhost.worker_process import WorkerProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
_PARAM = re.compile(r"\{(\w+)(?::[^}?]*)?\??\}")


def _worker_http_routes() -> set[tuple[str, str]]:
    """(path, METHOD) of every API function the worker indexes and loads, as the host would route it,
    relative to `/api` as the document's paths are (the console's catch-all page is no API route)."""

    async def load() -> set[tuple[str, str]]:
        worker = WorkerProcess(REPO_ROOT)
        try:
            functions = await worker.start()
        finally:
            await worker.stop()
        found: set[tuple[str, str]] = set()
        for function in functions:
            for binding in (json.loads(raw) for raw in function.raw_bindings):
                if binding["type"] == "httpTrigger" and binding["route"].startswith("api/"):
                    path = "/" + _PARAM.sub(r"{\1}", binding["route"]).strip("/").removeprefix("api/")
                    found.update((path, method.upper()) for method in binding["methods"])
        return found

    return asyncio.run(load())


def _described_routes() -> set[tuple[str, str]]:
    """The document's paths and methods, built in a process of its own (as the worker builds it)."""
    script = (
        "import json, function_app\n"
        "from triggers.openapi import api_document\n"
        "print(json.dumps(api_document()['paths']))"
    )
    built = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, check=True, capture_output=True)
    paths = json.loads(built.stdout.decode().strip().splitlines()[-1])
    return {(path, method.upper()) for path, operations in paths.items() for method in operations}


def test_every_route_the_worker_loads_is_described_and_every_described_route_is_loaded() -> None:
    loaded = _worker_http_routes()
    described = _described_routes()
    assert loaded - described == set(), "routes the worker serves that the document leaves out"
    assert described - loaded == set(), "routes the document describes that the worker does not serve"
    assert ("/openapi.json", "GET") in loaded
    assert len(loaded) >= 25
