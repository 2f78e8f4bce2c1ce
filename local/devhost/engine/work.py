"""Activities on a bounded pool of workers, and durable timers on the event loop.

Both report back through one callback, `deliver(instance_id, execution_id, event)`; the engine drops a
completion that closes nothing open (an at-least-once re-run, or work of an ended execution).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local.devhost.engine.history import Event, EventType, format_time, new_event, parse_time, utc_now
from local.devhost.engine_api import ActivityInvoker

log = logging.getLogger("devhost.engine")

Deliver = Callable[[str, str, Event], None]


@dataclass(frozen=True)
class ActivityCall:
    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input_json: str | None


class ActivityPool:
    """`size` workers pulling from one queue: a fan-out of 10,000 costs 10,000 queue items, not tasks."""

    def __init__(self, activities: Mapping[str, ActivityInvoker], size: int, deliver: Deliver) -> None:
        self._activities = activities
        self._size = size
        self._deliver = deliver
        self._queue: asyncio.Queue[ActivityCall] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._workers = [asyncio.create_task(self._work(), name=f"activity-worker-{number}")
                         for number in range(self._size)]

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []

    def submit(self, call: ActivityCall) -> None:
        self._queue.put_nowait(call)

    async def _work(self) -> None:
        while True:
            call = await self._queue.get()
            event = await self.run(call)
            self._deliver(call.instance_id, call.execution_id, event)

    async def run(self, call: ActivityCall) -> Event:
        """Run one call through its invoker; the completion or failure event, never an exception."""
        invoker = self._activities.get(call.name)
        if invoker is None:
            return self._failed(call, f"The function '{call.name}' doesn't exist, is disabled, or is not an "
                                      "activity function.", "")
        payload = call.input_json if call.input_json is not None else "null"
        sync_invoker: Callable[[str], Any] = invoker
        try:
            if inspect.iscoroutinefunction(invoker):
                result = await invoker(payload)
            else:
                result = await asyncio.to_thread(sync_invoker, payload)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - any exception of user code fails the activity, as on Azure
            details = getattr(error, "stack_trace", None) or "".join(traceback.format_exception(error))
            return self._failed(call, f"Activity function '{call.name}' failed: {error}", details)
        return new_event(EventType.TASK_COMPLETED, format_time(utc_now()), TaskScheduledId=call.task_id,
                         Result=result)

    @staticmethod
    def _failed(call: ActivityCall, reason: str, details: str) -> Event:
        return new_event(EventType.TASK_FAILED, format_time(utc_now()), TaskScheduledId=call.task_id,
                         Reason=reason, Details=details)


class Timers:
    """Durable timers: the TimerCreated event is the durable record, this only waits for `FireAt`."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._handles: dict[tuple[str, str, int], asyncio.TimerHandle] = {}

    def arm(self, instance_id: str, execution_id: str, timer_id: int, fire_at: str) -> None:
        delay = max(0.0, (parse_time(fire_at) - utc_now()).total_seconds())
        key = (instance_id, execution_id, timer_id)
        self._handles[key] = asyncio.get_running_loop().call_later(delay, self._fire, key, fire_at)

    def _fire(self, key: tuple[str, str, int], fire_at: str) -> None:
        self._handles.pop(key, None)
        event = new_event(EventType.TIMER_FIRED, format_time(utc_now()), TimerId=key[2], FireAt=fire_at)
        self._deliver(key[0], key[1], event)

    def cancel_instance(self, instance_id: str) -> None:
        for key in [key for key in self._handles if key[0] == instance_id]:
            self._handles.pop(key).cancel()

    def cancel_all(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
