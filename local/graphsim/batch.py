"""JSON batching as Graph does it: up to 20 requests, `dependsOn` with 424, answers in any order.

Each inner request goes through the same pipeline as a top-level one (faults, throttling, the
model) and is logged on its own. Answers are shuffled on purpose: Graph promises no order, and a
client that matches answers by position instead of `id` should fail here, not in production.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from multidict import CIMultiDict

from local.graphsim.contract import GraphRequest, GraphResponse, graph_error
from local.graphsim.requestlog import LogEntry, now
from local.graphsim.simulator import Outcome, Simulator, new_request_id

MAX_REQUESTS = 20
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_JSON = "application/json"
_shuffle = random.Random(20)


class BatchFormatError(ValueError):
    """The batch as a whole is malformed: Graph answers 400 and runs none of it."""


def run_batch(sim: Simulator, outer: GraphRequest) -> Outcome:
    """Run a `$batch`; a fault that drops an inner request drops the whole HTTP answer."""
    try:
        steps = _parse(outer.body)
    except BatchFormatError as exc:
        response = graph_error(400, "BadRequest", str(exc), outer)
        _log_outer(sim, outer, response.status)
        return Outcome(response)
    statuses: dict[str, int] = {}
    answers: list[dict[str, Any]] = []
    drop = False
    for step in steps:
        failed = [dep for dep in step["dependsOn"] if not 200 <= statuses[dep] < 300]
        if failed:
            response = _failed_dependency(sim, outer, step)
        else:
            outcome = sim.execute(_inner_request(outer, step), in_batch=True)
            response, drop = outcome.response, drop or outcome.drop
        statuses[step["id"]] = response.status
        answers.append(_answer(step["id"], response))
    _shuffle.shuffle(answers)
    _log_outer(sim, outer, 200)
    return Outcome(GraphResponse(200, {"responses": answers}), drop)


def _parse(body: Any) -> list[dict[str, Any]]:
    """The batch's steps, each after the steps it depends on."""
    if not isinstance(body, Mapping) or not isinstance(body.get("requests"), list):
        raise BatchFormatError('Invalid batch payload format: expected {"requests": [...]}.')
    requests = body["requests"]
    if not requests:
        raise BatchFormatError("Invalid batch payload format: the batch contains no requests.")
    if len(requests) > MAX_REQUESTS:
        raise BatchFormatError(
            f"Number of batch request steps exceeds the maximum of {MAX_REQUESTS}: got {len(requests)}."
        )
    steps = [_step(index, item) for index, item in enumerate(requests)]
    ids = [step["id"] for step in steps]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise BatchFormatError(f"Batch request ids must be unique; repeated: {duplicates}.")
    for step in steps:
        unknown = [dep for dep in step["dependsOn"] if dep not in ids or dep == step["id"]]
        if unknown:
            raise BatchFormatError(f"Request id {step['id']} depends on unknown request id(s) {unknown}.")
    return _in_dependency_order(steps)


def _request_id(value: Any) -> str:
    """Graph takes string or integer request ids (IntuneCD sends integers) and answers with strings."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) else ""


def _step(index: int, item: Any) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise BatchFormatError(f"Invalid batch payload format: request {index} is not a JSON object.")
    method, url = item.get("method"), item.get("url")
    step_id = _request_id(item.get("id"))
    if not step_id:
        raise BatchFormatError(f"Invalid batch payload format: request {index} has no 'id'.")
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise BatchFormatError(f"Request id {step_id}: 'method' must be one of {sorted(_METHODS)}.")
    if not isinstance(url, str) or not url or "://" in url:
        raise BatchFormatError(f"Request id {step_id}: 'url' must be relative, e.g. /deviceManagement/...")
    headers = item.get("headers", {})
    if not isinstance(headers, Mapping) or not all(isinstance(v, str) for v in headers.values()):
        raise BatchFormatError(f"Request id {step_id}: 'headers' must be an object of strings.")
    if "body" in item and not any(key.lower() == "content-type" for key in headers):
        raise BatchFormatError(f"Write request id : {step_id} does not contain Content-Type header or body.")
    raw_depends_on = item.get("dependsOn", [])
    depends_on = [_request_id(dep) for dep in raw_depends_on] if isinstance(raw_depends_on, list) else []
    if not isinstance(raw_depends_on, list) or not all(depends_on):
        raise BatchFormatError(f"Request id {step_id}: 'dependsOn' must be a list of request ids.")
    return {
        "id": step_id,
        "method": method.upper(),
        "url": url,
        "headers": dict(headers),
        "body": item.get("body"),
        "dependsOn": depends_on,
    }


def _in_dependency_order(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps so that each comes after what it depends on; a cycle is a malformed batch."""
    by_id = {step["id"]: step for step in steps}
    ordered: list[dict[str, Any]] = []
    state: dict[str, str] = {}

    def visit(step_id: str) -> None:
        if state.get(step_id) == "done":
            return
        if state.get(step_id) == "visiting":
            raise BatchFormatError(f"Batch dependsOn forms a cycle through request id {step_id}.")
        state[step_id] = "visiting"
        for dep in by_id[step_id]["dependsOn"]:
            visit(dep)
        state[step_id] = "done"
        ordered.append(by_id[step_id])

    for step in steps:
        visit(step["id"])
    return ordered


def _inner_request(outer: GraphRequest, step: dict[str, Any]) -> GraphRequest:
    parts = urlsplit(step["url"] if step["url"].startswith("/") else "/" + step["url"])
    return GraphRequest(
        method=step["method"],
        version=outer.version,
        path=unquote(parts.path),
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
        body=step["body"],
        headers=CIMultiDict(step["headers"]),
        caller=outer.caller,
        base_url=outer.base_url,
        request_id=new_request_id(),
    )


def _failed_dependency(sim: Simulator, outer: GraphRequest, step: dict[str, Any]) -> GraphResponse:
    request = _inner_request(outer, step)
    sim.log.record(
        LogEntry(
            now(),
            "graph",
            request.caller.tenant_id,
            request.caller.app_id,
            request.method,
            f"/{request.version}{request.path}",
            424,
            False,
            None,
            True,
            request.request_id,
        )
    )
    return graph_error(424, "FailedDependency", "Failed dependency: a request it depends on failed.", request)


def _answer(step_id: str, response: GraphResponse) -> dict[str, Any]:
    headers = dict(response.headers)
    answer: dict[str, Any] = {"id": step_id, "status": response.status, "headers": headers}
    if response.body is not None:
        headers.setdefault("Content-Type", _JSON)
        answer["body"] = response.body
    return answer


def _log_outer(sim: Simulator, outer: GraphRequest, status: int) -> None:
    sim.log.record(
        LogEntry(
            now(),
            "batch",
            outer.caller.tenant_id,
            outer.caller.app_id,
            outer.method,
            f"/{outer.version}/$batch",
            status,
            False,
            None,
            False,
            outer.request_id,
        )
    )
