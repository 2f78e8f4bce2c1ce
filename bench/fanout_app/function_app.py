"""The fan-out benchmark's own Function App: an HTTP starter, an orchestrator that fans out N no-op
activities with task_all, and the no-op activity. Served by the devhost for bench/devhost_fanout.py."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="fanout/{count:int}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_fan_out(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new("fan_out", None, int(req.route_params["count"]))
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext) -> Generator[Any, Any, int]:
    count: int = context.get_input()
    results = yield context.task_all([context.call_activity("no_op", n) for n in range(count)])
    return len(results)


@app.activity_trigger(input_name="value")
def no_op(value: int) -> int:
    return value
