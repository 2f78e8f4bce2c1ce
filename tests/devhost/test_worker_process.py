"""The host's side of the worker, without the devhost around it: invocations, environment reload and a
worker that dies."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from local.devhost.rpc.function_rpc_pb2 import ParameterBinding, RpcHttp, StatusResult, TypedData
from local.devhost.worker_process import WorkerExitedError, WorkerProcess
from tests.polling import wait_until_async

SAMPLE_APP = Path(__file__).parent / "sample_app"


def _setting_request(worker: WorkerProcess, name: str) -> tuple[str, list[ParameterBinding]]:
    function = next(f for f in worker.functions if f.name == "setting")
    http = RpcHttp(method="GET", url=f"http://localhost/api/setting/{name}", params={"name": name},
                   body=TypedData(bytes=b""))
    return function.function_id, [ParameterBinding(name="req", data=TypedData(http=http))]


async def _read_setting(worker: WorkerProcess, name: str) -> str:
    function_id, inputs = _setting_request(worker, name)
    answer = await worker.invoke(function_id, "setting", inputs)
    assert answer.result.status == StatusResult.Success
    return bytes(answer.return_value.http.body.bytes).decode()


def test_environment_reload_gives_the_app_its_new_settings() -> None:
    async def scenario() -> tuple[str, str, int]:
        environment = {**os.environ, "SAMPLE_SETTING": "before"}
        worker = WorkerProcess(SAMPLE_APP, "plain_app.py", environment=environment)
        try:
            await worker.start()
            before = await _read_setting(worker, "SAMPLE_SETTING")
            reloaded = await worker.reload_environment({"SAMPLE_SETTING": "after", "PATH": "/usr/bin:/bin"})
            after = await _read_setting(worker, "SAMPLE_SETTING")
            return before, after, len(reloaded)
        finally:
            await worker.stop()

    before, after, functions = asyncio.run(scenario())
    assert (before, after) == ("before", "after")
    assert functions > 10


def test_a_worker_that_dies_fails_what_is_pending_and_is_replaced() -> None:
    """As the Functions host does: the invocation in flight fails, a new worker process serves the next."""

    async def scenario() -> tuple[int, int, str]:
        worker = WorkerProcess(SAMPLE_APP, "plain_app.py", environment={**os.environ, "SAMPLE_SETTING": "x"})
        await worker.start()
        try:
            first = worker.pid
            assert first is not None
            sleeping = next(f for f in worker.functions if f.name == "async_sleep")
            http = RpcHttp(method="GET", url="http://localhost/api/async-sleep", body=TypedData(bytes=b""))
            pending = asyncio.create_task(worker.invoke(
                sleeping.function_id, "async_sleep", [ParameterBinding(name="req", data=TypedData(http=http))]
            ))
            await asyncio.sleep(0)  # one turn of the loop: the invocation is sent, then the worker dies
            os.kill(first, signal.SIGKILL)
            with pytest.raises(WorkerExitedError):
                await pending

            async def replaced() -> bool:  # the host learns of the exit from the closed stream
                return worker.pid != first

            await wait_until_async(replaced, interval=0.02, message="a new worker process")
            value = await _read_setting(worker, "SAMPLE_SETTING")
            second = worker.pid
            assert second is not None
            return first, second, value
        finally:
            await worker.stop()

    first, second, value = asyncio.run(scenario())
    assert first != second
    assert value == "x"
