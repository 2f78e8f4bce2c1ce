"""Activities shared by every devhost of a task hub, through Azurite queues, as Durable spreads them.

The Durable extension's Azure Storage provider puts activity messages on one work-item queue that
every instance of the app reads, while each orchestration stays with the instance that owns its
control queue. This does the same for devhosts started with `--shared-activities` on one hub:

- `submit` puts the call on `<hub>-workitems`; a devhost's poller takes as many messages as it has
  free activity slots (invisible for `VISIBILITY_SECONDS`, so a devhost that dies mid-activity
  leaves its call to another one: at least once, as on Azure) and runs them through the worker;
- the completion goes back to the devhost that scheduled the call, on its own `<hub>-done-<host>`
  queue (straight to the engine when it ran there), and the work message is deleted.

Inputs and results larger than a queue message go through a blob of `<hub>-work`.
Orchestrations are not shared: each devhost resumes every unfinished instance of the hub when it
starts, so the devhosts of one hub are started (and restarted) together, before any work.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob.aio import ContainerClient
from azure.storage.queue import BinaryBase64DecodePolicy, BinaryBase64EncodePolicy, QueueMessage
from azure.storage.queue.aio import QueueClient

from local.devhost.engine.history import Event
from local.devhost.engine.work import ActivityCall, ActivityPool, Deliver
from local.devhost.engine_api import ActivityInvoker

log = logging.getLogger("devhost.engine")

VISIBILITY_SECONDS = 630
"""functionTimeout (10 minutes) and a margin: a call still running is not handed to another devhost."""
INLINE_LIMIT = 40_000
"""Bytes of JSON kept in a message (64 KiB once base64-encoded); more goes to a blob."""
IDLE_POLL_SECONDS = (0.01, 0.1)
"""First and longest pause between polls of an empty queue."""


class SharedActivities:
    """The engine's activity pool when activities are shared: same `start`, `submit`, `stop`."""

    def __init__(
        self,
        connection_string: str,
        hub_name: str,
        activities: Mapping[str, ActivityInvoker],
        size: int,
        deliver: Deliver,
    ) -> None:
        self.host_id = secrets.token_hex(4)
        self._connection_string = connection_string
        self._hub = hub_name.lower()
        self._work = self._queue("workitems")
        self._done = self._queue(f"done-{self.host_id}")
        self._payloads = ContainerClient.from_connection_string(connection_string, f"{self._hub}-work")
        self._runner = ActivityPool(activities, size, deliver)
        self._deliver = deliver
        self._free = size
        self._slot_freed = asyncio.Event()
        self._submitted = asyncio.Event()
        self._replies: dict[str, QueueClient] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ready = asyncio.Event()
        self.ran = 0
        """Activities this devhost ran (its own and other devhosts' calls)."""

    # -- the pool interface -----------------------------------------------------------------------------

    def start(self) -> None:
        self._spawn(self._open_then_poll())

    def submit(self, call: ActivityCall) -> None:
        self._spawn(self._send(call))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):  # the hub's storage may be gone already
            await self._done.delete_queue()
        for client in (self._work, self._done, *self._replies.values()):
            await client.close()
        await self._payloads.close()

    # -- sending calls and completions ------------------------------------------------------------------

    async def _send(self, call: ActivityCall) -> None:
        await self._ready.wait()
        message = {
            "instance": call.instance_id,
            "execution": call.execution_id,
            "task": call.task_id,
            "name": call.name,
            "input": call.input_json,
            "replyTo": self.host_id,
        }
        await self._work.send_message(await self._pack(message))
        self._submitted.set()

    async def _reply(self, host_id: str, instance_id: str, execution_id: str, event: Event) -> None:
        if host_id == self.host_id:
            self._deliver(instance_id, execution_id, event)
            return
        queue = self._replies.get(host_id)
        if queue is None:
            queue = self._replies[host_id] = self._queue(f"done-{host_id}")
        message = {"instance": instance_id, "execution": execution_id, "event": event}
        try:
            await queue.send_message(await self._pack(message))
        except ResourceNotFoundError:
            log.warning("Devhost %s that scheduled an activity is gone; its completion is dropped", host_id)

    def _queue(self, name: str) -> QueueClient:
        return QueueClient.from_connection_string(
            self._connection_string,
            f"{self._hub}-{name}",
            message_encode_policy=BinaryBase64EncodePolicy(),
            message_decode_policy=BinaryBase64DecodePolicy(),
        )

    async def _pack(self, message: dict[str, Any]) -> bytes:
        data = json.dumps(message).encode()
        if len(data) <= INLINE_LIMIT:
            return data
        name = f"{secrets.token_hex(16)}.json"
        await self._payloads.upload_blob(name, data)
        return json.dumps({"blob": name}).encode()

    async def _unpack(self, content: bytes) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(content)
        if set(message) == {"blob"}:
            blob = self._payloads.get_blob_client(message["blob"])
            message = json.loads(await (await blob.download_blob()).readall())
            await blob.delete_blob()
        return message

    # -- polling ----------------------------------------------------------------------------------------

    async def _open_then_poll(self) -> None:
        for client in (self._work, self._done):
            with contextlib.suppress(ResourceExistsError):
                await client.create_queue()
        with contextlib.suppress(ResourceExistsError):
            await self._payloads.create_container()
        self._ready.set()
        self._spawn(self._poll(self._done, lambda: 32, self._completed, None))
        await self._poll(self._work, lambda: self._free, self._run, self._submitted)

    async def _poll(
        self,
        queue: QueueClient,
        capacity: Callable[[], int],
        handle: Callable[[QueueMessage], Any],
        wake: asyncio.Event | None,
    ) -> None:
        """Take up to `capacity()` messages at a time and hand each to `handle`; back off while empty."""
        pause = IDLE_POLL_SECONDS[0]
        while True:
            while capacity() <= 0:
                self._slot_freed.clear()
                await self._slot_freed.wait()
            wanted = min(capacity(), 32)
            got = 0
            try:
                messages = queue.receive_messages(
                    messages_per_page=wanted, max_messages=wanted, visibility_timeout=VISIBILITY_SECONDS
                )
                async for message in messages:
                    got += 1
                    await handle(message)
            except AzureError as error:  # Azurite busy or restarting: poll again after the pause
                log.warning("Shared activities: polling %s failed: %s", queue.queue_name, error)
            if got:
                pause = IDLE_POLL_SECONDS[0]
                continue
            if wake is not None:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), pause)
            else:
                await asyncio.sleep(pause)
            pause = min(pause * 2, IDLE_POLL_SECONDS[1])

    async def _run(self, message: QueueMessage) -> None:
        self._free -= 1
        self._spawn(self._run_one(message))

    async def _run_one(self, message: QueueMessage) -> None:
        try:
            call = await self._unpack(message.content)
            self.ran += 1
            event = await self._runner.run(
                ActivityCall(call["instance"], call["execution"], call["task"], call["name"], call["input"])
            )
            await self._reply(call["replyTo"], call["instance"], call["execution"], event)
            await self._work.delete_message(message)
        finally:
            self._free += 1
            self._slot_freed.set()

    async def _completed(self, message: QueueMessage) -> None:
        reply = await self._unpack(message.content)
        self._deliver(reply["instance"], reply["execution"], reply["event"])
        await self._done.delete_message(message)

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done_with)

    def _done_with(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Shared activities: %s", task.exception())
