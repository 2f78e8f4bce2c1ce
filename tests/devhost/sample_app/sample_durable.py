"""Durable functions of the sample app, and HTTP functions that drive the real DurableOrchestrationClient."""

import asyncio
import json
import os
import time
from datetime import timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

bp = df.Blueprint()


def _out(name: str) -> Path:
    return Path(os.environ["SAMPLE_OUT_DIR"]) / name


def _json(value: object, status_code: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(value), status_code=status_code, mimetype="application/json")


# --- client functions -----------------------------------------------------------------------------


@bp.route(route="start/{name}/{instance_id?}", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    instance_id = await client.start_new(
        req.route_params["name"], req.route_params.get("instance_id"), json.loads(body) if body else None
    )
    return client.create_check_status_response(req, instance_id)


@bp.route(route="status/{instance_id}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def instance_status(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    found = await client.get_status(
        req.route_params["instance_id"], show_history=req.params.get("history") == "1"
    )
    if not found:
        return _json({"found": False}, 404)
    return _json(found.to_json())


@bp.route(route="instances", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def instances(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    statuses = [df.OrchestrationRuntimeStatus(s) for s in req.params.get("status", "").split(",") if s]
    found = await client.get_status_by(
        runtime_status=statuses or None, instance_id_prefix=req.params.get("prefix")
    )
    return _json(sorted(s.instance_id for s in found))


@bp.route(route="event/{instance_id}/{event}", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def event(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    try:
        await client.raise_event(
            req.route_params["instance_id"], req.route_params["event"], json.loads(body or b"null")
        )
    except Exception as error:  # the client raises bare Exception; the test reads the message
        return _json({"error": str(error)}, 409)
    return _json({"raised": True})


@bp.route(route="terminate/{instance_id}", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def terminate(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    try:
        await client.terminate(req.route_params["instance_id"], req.params.get("reason", "test"))
    except Exception as error:
        return _json({"error": str(error)}, 409)
    return _json({"terminated": True})


@bp.route(route="purge/{instance_id}", methods=["DELETE"])
@bp.durable_client_input(client_name="client")
async def purge(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    result = await client.purge_instance_history(req.route_params["instance_id"])
    return _json({"deleted": result.instances_deleted})


@bp.route(route="start-many/{name}/{instance_id}", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start_many(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Starts one instance ID `count` times at once, from the real client, and counts the answers."""
    count = int(req.params.get("count", "200"))
    name, instance_id = req.route_params["name"], req.route_params["instance_id"]
    results = await asyncio.gather(
        *(client.start_new(name, instance_id, None) for _ in range(count)), return_exceptions=True
    )
    errors = [str(r) for r in results if isinstance(r, Exception)]
    return _json({"started": count - len(errors), "errors": errors})


# --- orchestrators ----------------------------------------------------------------------------------


@bp.orchestration_trigger(context_name="context")
def hello_sequence(context: df.DurableOrchestrationContext):
    results = []
    for city in ("Tokyo", "Seattle", "London"):
        results.append((yield context.call_activity("say_hello", city)))
    return results


@bp.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    tasks = [context.call_activity(spec.get("activity", "double"), i) for i in range(spec["count"])]
    results = yield context.task_all(tasks)
    return sum(results)


@bp.orchestration_trigger(context_name="context")
def retry_flaky(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    options = df.RetryOptions(
        first_retry_interval_in_milliseconds=100, max_number_of_attempts=spec["attempts"]
    )
    return (yield context.call_activity_with_retry("flaky", options, spec))


@bp.orchestration_trigger(context_name="context")
def durable_timer(context: df.DurableOrchestrationContext):
    seconds = context.get_input()
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=seconds))
    return "fired"


@bp.orchestration_trigger(context_name="context")
def wait_for_go(context: df.DurableOrchestrationContext):
    yield context.call_activity("record_run", context.instance_id)
    data = yield context.wait_for_external_event("go")
    return {"got": data}


@bp.orchestration_trigger(context_name="context")
def fail_now(context: df.DurableOrchestrationContext):
    yield context.call_activity("say_hello", "doomed")
    raise ValueError("the orchestration failed on purpose")


@bp.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    first = yield context.call_sub_orchestrator("hello_sequence", None, f"{context.instance_id}-child")
    options = df.RetryOptions(first_retry_interval_in_milliseconds=100, max_number_of_attempts=2)
    second = yield context.call_sub_orchestrator_with_retry("fan_out", options, {"count": 5})
    return {"child": first, "fan_out": second}


@bp.orchestration_trigger(context_name="context")
def count_up(context: df.DurableOrchestrationContext):
    """Continues as new until the counter reaches 3, setting a custom status on the way."""
    counter = context.get_input() or 0
    context.set_custom_status({"counter": counter})
    if counter < 3:
        context.continue_as_new(counter + 1)
        return None
    yield context.call_activity("say_hello", f"counter {counter}")
    return counter


# --- activities -------------------------------------------------------------------------------------


@bp.activity_trigger(input_name="city")
def say_hello(city: str) -> str:
    return f"Hello {city}!"


@bp.activity_trigger(input_name="value")
def double(value: int) -> int:
    return value * 2


@bp.activity_trigger(input_name="value")
async def double_async(value: int) -> int:
    await asyncio.sleep(0)
    return value * 2


@bp.activity_trigger(input_name="value")
def slow_double(value: int) -> int:
    """Slow enough that a fan-out is still running when the crash test kills the host."""
    time.sleep(0.05)
    return value * 2


@bp.activity_trigger(input_name="spec")
def flaky(spec: dict) -> str:
    """Fails `failures` times for a key, then succeeds; attempts are counted in a file."""
    counter = _out(f"flaky-{spec['key']}.count")
    attempt = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(attempt))
    if attempt <= spec["failures"]:
        raise ValueError(f"attempt {attempt} failed on purpose")
    return f"succeeded on attempt {attempt}"


@bp.activity_trigger(input_name="tag")
def record_run(tag: str) -> str:
    with _out(f"runs-{tag}.txt").open("a") as out:
        out.write("run\n")
    return tag
