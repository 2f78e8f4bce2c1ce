"""HTTP triggers that show routes, constraints, methods, auth levels and request/response conversion."""

import asyncio
import json
import logging
import os
import threading

import azure.functions as func

bp = func.Blueprint()


def _echo(req: func.HttpRequest) -> func.HttpResponse:
    body = {
        "method": req.method,
        "url": req.url,
        "params": dict(req.params),
        "route_params": dict(req.route_params),
        "body": req.get_body().decode(),
        "header": req.headers.get("x-sample"),
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json", headers={"x-echo": "yes"})


@bp.route(route="hello/{name:alpha}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"Hello, {req.route_params['name']}!")


@bp.route(route="items/{id:int}/{label?}", methods=["GET", "POST"])
def items(req: func.HttpRequest) -> func.HttpResponse:
    return _echo(req)


@bp.route(route="things/{id:guid}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def things(req: func.HttpRequest) -> func.HttpResponse:
    return _echo(req)


@bp.route(route="things/latest", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def latest_thing(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("latest")


@bp.route(route="admin-only", auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("admin ok")


@bp.route(route="boom", auth_level=func.AuthLevel.ANONYMOUS)
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("secret-detail-that-must-not-leak")


@bp.route(route="text", auth_level=func.AuthLevel.ANONYMOUS)
def text(req: func.HttpRequest) -> str:
    return "plain text"


@bp.route(route="status/{code:range(200,599)}", auth_level=func.AuthLevel.ANONYMOUS)
def status(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(status_code=int(req.route_params["code"]))


@bp.route(route="thread", auth_level=func.AuthLevel.ANONYMOUS)
def thread_name(req: func.HttpRequest) -> func.HttpResponse:
    where = {"mainThread": threading.current_thread() is threading.main_thread(), "pid": os.getpid()}
    return func.HttpResponse(json.dumps(where))


@bp.route(route="async-sleep", auth_level=func.AuthLevel.ANONYMOUS)
async def async_sleep(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    await asyncio.sleep(0.01)
    return func.HttpResponse(json.dumps({"function": context.function_name, "id": context.invocation_id}))


@bp.route(route="setting/{name}", auth_level=func.AuthLevel.ANONYMOUS)
def setting(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(os.environ.get(req.route_params["name"], "<unset>"))


@bp.route(route="log/{marker}", auth_level=func.AuthLevel.ANONYMOUS)
def log_marker(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    """Writes a log record from the function's thread; the worker sends it to the host as RpcLog."""
    logging.getLogger("sample").warning("marker %s", req.route_params["marker"])
    return func.HttpResponse(context.invocation_id)
