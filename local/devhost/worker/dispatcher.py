"""Hand each request of the host to the worker library and send its answer back, as the proxy worker does.

One task per request, so invocations overlap as on Azure: the library runs sync functions on its thread
pool and awaits async ones on this loop. Log records become `RpcLog` messages carrying the invocation ID
of the function that wrote them, so the host can file them under that invocation.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import azure_functions_runtime as library

from local.devhost.rpc import function_rpc_pb2 as protos
from local.devhost.rpc.framing import frame, read_message
from local.devhost.rpc.function_rpc_pb2 import RpcLog, StreamingMessage

HOST_NAME = "devhost"
SYSTEM_LOGGERS = ("azure.functions", "azure_functions_runtime", "devhost")

_task_invocation: contextvars.ContextVar[str | None] = contextvars.ContextVar("invocation", default=None)


@dataclass
class WorkerRequest:
    """What the library's handlers take: the host's message and the properties the proxy worker sets."""

    name: str
    request: StreamingMessage
    properties: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[WorkerRequest], Awaitable[Any]]

# content of the request -> (library handler, content of the answer)
_ROUTES: dict[str, tuple[Handler, str]] = {
    "worker_init_request": (library.worker_init_request, "worker_init_response"),
    "functions_metadata_request": (library.functions_metadata_request, "function_metadata_response"),
    "function_load_request": (library.function_load_request, "function_load_response"),
    "invocation_request": (library.invocation_request, "invocation_response"),
    "function_environment_reload_request": (
        library.function_environment_reload_request,
        "function_environment_reload_response",
    ),
}


def current_invocation_id() -> str | None:
    """The library sets its context variable around sync functions (on pool threads); async functions and
    the library's own invocation logs run in the task this dispatcher started for the request."""
    return library.invocation_id_cv.get() or _task_invocation.get()


def _level(record: logging.LogRecord) -> RpcLog.Level.ValueType:
    for threshold, level in (
        (logging.CRITICAL, RpcLog.Critical),
        (logging.ERROR, RpcLog.Error),
        (logging.WARNING, RpcLog.Warning),
        (logging.INFO, RpcLog.Information),
        (logging.DEBUG, RpcLog.Debug),
    ):
        if record.levelno >= threshold:
            return level
    return RpcLog.Trace


class RpcLogHandler(logging.Handler):
    """Turns every log record of the worker process into an `RpcLog` to the host (from any thread)."""

    def __init__(self, send: Callable[[StreamingMessage], None], loop: asyncio.AbstractEventLoop) -> None:
        """Built on the loop's thread: records from that thread are sent at once, others through the loop."""
        super().__init__()
        self._send = send
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            system = record.name.startswith(SYSTEM_LOGGERS)
            log = RpcLog(
                invocation_id=current_invocation_id() or "",
                category=record.name,
                level=_level(record),
                message=self.format(record),
                log_category=RpcLog.System if system else RpcLog.User,
            )
            message = StreamingMessage(rpc_log=log)
            if threading.get_ident() == self._loop_thread:
                self._send(message)
            else:
                self._loop.call_soon_threadsafe(self._send, message)
        except Exception:  # noqa: BLE001 - a log record must never break the function that wrote it
            self.handleError(record)


class Dispatcher:
    """Reads the host's messages from the stream until it closes, and writes the answers back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, message: StreamingMessage) -> None:
        self._writer.write(frame(message))

    async def serve(self) -> None:
        while (message := await read_message(self._reader)) is not None:
            content = message.WhichOneof("content")
            if content == "worker_terminate":
                break
            task = asyncio.create_task(self._answer(message, content))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._writer.close()

    async def _answer(self, message: StreamingMessage, content: str | None) -> None:
        if content == "worker_status_request":
            self.send(StreamingMessage(request_id=message.request_id,
                                       worker_status_response=protos.WorkerStatusResponse()))
            return
        route = _ROUTES.get(content or "")
        if route is None:
            logging.getLogger("devhost.worker").error("Unknown message from the host: %s", content)
            return
        handler, answer_field = route
        if content == "invocation_request":
            _task_invocation.set(message.invocation_request.invocation_id)
        if content in ("worker_init_request", "function_environment_reload_request"):
            library.start_threadpool_executor()
        properties = {"host": HOST_NAME, "protos": protos}
        answer = await handler(WorkerRequest(content or "", message, properties))
        self.send(StreamingMessage(request_id=message.request_id, **{answer_field: answer}))
        await self._writer.drain()


async def run(sock_fd: int) -> None:
    """Serve the host on the inherited socket; log records go to the host as RpcLog from here on."""
    sock = socket.socket(fileno=sock_fd)
    reader, writer = await asyncio.open_connection(sock=sock)
    dispatcher = Dispatcher(reader, writer)
    handler = RpcLogHandler(dispatcher.send, asyncio.get_running_loop())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.DEBUG if os.environ.get("PYTHON_ENABLE_DEBUG_LOGGING") else logging.INFO)
    try:
        await dispatcher.serve()
    finally:
        root.removeHandler(handler)
        library.stop_threadpool_executor()
