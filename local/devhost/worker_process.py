"""The host's side of the worker: start the worker process, talk the protocol to it, stop it.

As the Functions host does: WorkerInitRequest (the worker indexes the app; a function it rejects fails
here, with the worker's own message), FunctionsMetadataRequest, one FunctionLoadRequest per function,
then InvocationRequests, several at once. The worker's RpcLog messages are written to the devhost's log
under the invocation they belong to. If the worker process dies, every pending call fails at once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

from local.devhost.rpc import function_rpc_pb2 as protos
from local.devhost.rpc.framing import frame, read_message
from local.devhost.rpc.function_rpc_pb2 import (
    InvocationResponse,
    ParameterBinding,
    RpcFunctionMetadata,
    RpcLog,
    StatusResult,
    StreamingMessage,
    TypedData,
)

log = logging.getLogger("devhost.worker")

HOST_VERSION = "4.1040.0"
"""The Functions host version the devhost reports to the worker (a 4.x host, as on Azure today)."""
SCRIPT_FILE_SETTING = "PYTHON_SCRIPT_FILE_NAME"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
STOP_GRACE_SECONDS = 5.0
RESTART_ATTEMPTS = 5
RESTART_BACKOFF_SECONDS = 0.5
READY_TIMEOUT_SECONDS = 120.0

_LEVELS = {
    RpcLog.Trace: logging.DEBUG,
    RpcLog.Debug: logging.DEBUG,
    RpcLog.Information: logging.INFO,
    RpcLog.Warning: logging.WARNING,
    RpcLog.Error: logging.ERROR,
    RpcLog.Critical: logging.CRITICAL,
}


class WorkerError(Exception):
    """The worker failed a request; the message is the worker's own (type and text of the exception)."""

    def __init__(self, message: str, stack_trace: str = "") -> None:
        super().__init__(message)
        self.stack_trace = stack_trace


class WorkerExitedError(WorkerError):
    """The worker process ended while the host still waited for answers."""


def failure_of(result: StatusResult) -> WorkerError | None:
    if result.status == StatusResult.Success:
        return None
    return WorkerError(result.exception.message or "the worker reported a failure without a message",
                       result.exception.stack_trace)


class WorkerProcess:
    """One worker process serving one app directory; `start()` indexes and loads every function."""

    def __init__(self, app_dir: Path, script_file: str = "function_app.py",
                 environment: Mapping[str, str] | None = None, python: str = sys.executable,
                 host_path: Path = PROJECT_ROOT) -> None:
        """`python` runs the worker (it must have the app's requirements); `host_path` is where the
        `local.devhost.worker` package is found (this project, unless a test copied it elsewhere)."""
        self._app_dir = app_dir.resolve()
        self._script_file = script_file
        self._environment = dict(environment if environment is not None else os.environ)
        self._python = python
        self._host_path = host_path
        self._process: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[StreamingMessage]] = {}
        self._invocation_names: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._ready = asyncio.Event()
        self._stopping = False
        self._gave_up = False
        self._restarting: asyncio.Task[None] | None = None
        self.functions: list[RpcFunctionMetadata] = []

    async def start(self) -> list[RpcFunctionMetadata]:
        """Start the process, let the worker index the app, load each function; the metadata of each."""
        await self._spawn()
        functions = await self._initialize()
        self._ready.set()
        return functions

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def _spawn(self) -> None:
        host_end, worker_end = socket.socketpair()
        environment = {
            **self._environment,
            SCRIPT_FILE_SETTING: self._script_file,
            "PYTHONPATH": os.pathsep.join(
                [str(self._host_path), *filter(None, [self._environment.get("PYTHONPATH")])]
            ),
        }
        self._process = await asyncio.create_subprocess_exec(
            self._python, "-m", "local.devhost.worker", "--fd", str(worker_end.fileno()),
            cwd=self._app_dir, env=environment, pass_fds=(worker_end.fileno(),),
        )
        worker_end.close()
        reader, self._writer = await asyncio.open_connection(sock=host_end)
        self._reader_task = asyncio.create_task(self._read(reader), name="devhost-worker-reader")

    async def _initialize(self) -> list[RpcFunctionMetadata]:
        init = await self._call(StreamingMessage(worker_init_request=protos.WorkerInitRequest(
            host_version=HOST_VERSION, function_app_directory=str(self._app_dir),
            worker_directory=str(self._app_dir),
        )))
        self._raise_on_failure(init.worker_init_response.result)
        return await self._load_all()

    async def _restart(self, exit_code: int | None) -> None:
        """A worker that ended on its own is replaced, as the Functions host does; function IDs stay the
        same (the worker derives them from the names). After RESTART_ATTEMPTS failed starts in a row the
        host gives up, and every invocation fails."""
        log.warning("The worker process exited (code %s); starting a new one", exit_code)
        for attempt in range(1, RESTART_ATTEMPTS + 1):
            try:
                await self._spawn()
                await self._initialize()
            except WorkerError as error:
                log.error("Worker start %d of %d failed: %s", attempt, RESTART_ATTEMPTS, error)
                await asyncio.sleep(RESTART_BACKOFF_SECONDS * attempt)
                continue
            self._ready.set()
            return
        self._gave_up = True
        self._ready.set()

    async def reload_environment(self, environment: Mapping[str, str]) -> list[RpcFunctionMetadata]:
        """Specialize the worker, as the host does when a placeholder becomes this app: the worker swaps
        its environment for `environment` and indexes the app again; each function is loaded again."""
        reload = protos.FunctionEnvironmentReloadRequest(
            environment_variables=dict(environment), function_app_directory=str(self._app_dir)
        )
        answer = await self._call(StreamingMessage(function_environment_reload_request=reload))
        self._raise_on_failure(answer.function_environment_reload_response.result)
        return await self._load_all()

    async def _load_all(self) -> list[RpcFunctionMetadata]:
        metadata_request = protos.FunctionsMetadataRequest(function_app_directory=str(self._app_dir))
        metadata = await self._call(StreamingMessage(functions_metadata_request=metadata_request))
        self._raise_on_failure(metadata.function_metadata_response.result)
        self.functions = list(metadata.function_metadata_response.function_metadata_results)
        for function in self.functions:
            loaded = await self._call(StreamingMessage(function_load_request=protos.FunctionLoadRequest(
                function_id=function.function_id, metadata=function,
            )))
            self._raise_on_failure(loaded.function_load_response.result)
        return self.functions

    async def invoke(self, function_id: str, function_name: str, input_data: list[ParameterBinding],
                     trigger_metadata: Mapping[str, TypedData] | None = None,
                     invocation_id: str | None = None) -> InvocationResponse:
        """One invocation; the worker's answer, whatever its status (the caller reads `result`)."""
        invocation_id = invocation_id or str(uuid.uuid4())
        await self._wait_ready()
        self._invocation_names[invocation_id] = function_name
        try:
            answer = await self._call(StreamingMessage(invocation_request=protos.InvocationRequest(
                invocation_id=invocation_id, function_id=function_id, input_data=input_data,
                trigger_metadata=trigger_metadata or {},
            )), key=invocation_id)
        finally:
            self._invocation_names.pop(invocation_id, None)
        return answer.invocation_response

    async def _wait_ready(self) -> None:
        """An invocation that arrives while a crashed worker is being replaced waits for the new one."""
        if not self._ready.is_set():
            await asyncio.wait_for(self._ready.wait(), READY_TIMEOUT_SECONDS)
        if self._gave_up:
            raise WorkerExitedError("the worker process keeps failing to start; see the log")

    async def stop(self) -> None:
        """WorkerTerminate, then the stream closes; a worker that does not end in time is killed."""
        self._stopping = True
        if self._restarting is not None:
            self._restarting.cancel()
            await asyncio.gather(self._restarting, return_exceptions=True)
        process, self._process = self._process, None
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(frame(StreamingMessage(worker_terminate=protos.WorkerTerminate())))
            self._writer.close()
        if process is not None and process.returncode is None:
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._reader_task is not None:
            await self._reader_task

    def _raise_on_failure(self, result: StatusResult) -> None:
        error = failure_of(result)
        if error is not None:
            raise error

    async def _call(self, message: StreamingMessage, key: str | None = None) -> StreamingMessage:
        if self._writer is None or self._reader_task is None or self._reader_task.done():
            raise WorkerExitedError("the worker process is not running")
        message.request_id = key or str(next(self._ids))
        future: asyncio.Future[StreamingMessage] = asyncio.get_running_loop().create_future()
        self._pending[message.request_id] = future
        try:
            self._writer.write(frame(message))
            await self._writer.drain()
            return await future
        except ConnectionError as error:
            raise WorkerExitedError("the worker process ended") from error
        finally:
            self._pending.pop(message.request_id, None)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while (message := await read_message(reader)) is not None:
            if message.WhichOneof("content") == "rpc_log":
                self._log(message.rpc_log)
                continue
            future = self._pending.get(message.request_id)
            if future is not None and not future.done():
                future.set_result(message)
        exited = WorkerExitedError("the worker process ended")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(exited)
        if self._writer is not None:
            self._writer.close()
            await asyncio.gather(self._writer.wait_closed(), return_exceptions=True)
        if not self._stopping and self._ready.is_set():
            self._ready.clear()
            self._restarting = asyncio.create_task(self._restart_after_exit(), name="devhost-worker-restart")

    async def _restart_after_exit(self) -> None:
        process = self._process
        exit_code = await process.wait() if process is not None else None
        await self._restart(exit_code)

    def _log(self, record: RpcLog) -> None:
        """User logs keep their level under `Function.<name>`; the worker's own logs go to debug."""
        name = self._invocation_names.get(record.invocation_id)
        level = _LEVELS.get(record.level, logging.INFO)
        if record.log_category == RpcLog.System:
            level = level if level >= logging.WARNING else logging.DEBUG
            logger = log
        else:
            logger = logging.getLogger(f"Function.{name}" if name else "Function")
        if logger.isEnabledFor(level):
            suffix = f" (Id={record.invocation_id})" if record.invocation_id else ""
            logger.log(level, "%s%s", record.message, suffix)
