"""The devhost's durable engine: instances, episodes through the SDK, activities, timers, recovery.

Every orchestrator episode runs the SDK's own handle on a thread pool of `max_concurrent_orchestrations`
threads (the event loop stays free); completions that arrive while an instance waits or replays are
batched into its next episode. An episode is committed (history blob + row transaction) before any of
the work it scheduled starts, so a killed process resumes from storage: work scheduled and not closed
runs again (at least once, as on Azure), timers are re-armed and buffered events delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from azure.core.exceptions import ResourceExistsError

from local.devhost.engine.actions import Answer, parse_answer, parse_failure
from local.devhost.engine.episode import Draft, Outcome, apply, compose
from local.devhost.engine.history import Event, EventType, format_time, new_event, utc_now
from local.devhost.engine.model import (
    RUNNING_STATES,
    TERMINAL_STATES,
    Instance,
    ParentRef,
    overridable,
    validate_instance_id,
)
from local.devhost.engine.queries import QueriesMixin
from local.devhost.engine.shared_work import SharedActivities
from local.devhost.engine.store import InstanceRecord, Store, StoreConflictError
from local.devhost.engine.work import ActivityCall, ActivityPool, Timers
from local.devhost.engine_api import (
    FunctionMaps,
    InstanceExistsError,
    InstanceNotFoundError,
    InstanceNotRunningError,
    UnknownFunctionError,
)

log = logging.getLogger("devhost.engine")


class Engine(QueriesMixin):
    """Implements `engine_api.DurableEngine` on Azurite; see the package docstring for what it adds."""

    def __init__(
        self, storage_connection_string: str, hub_name: str, functions: FunctionMaps,
        max_concurrent_activities: int = 10, max_concurrent_orchestrations: int = 5,
        overridable_states: str = "NonRunningStates", shared_activities: bool = False,
    ) -> None:
        self._store = Store(storage_connection_string, hub_name)
        self._functions = functions
        self._overridable_states = overridable_states
        self._instances: dict[str, Instance] = {}
        self._creating: dict[str, tuple[asyncio.Lock, int]] = {}
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._orchestration_workers = max(1, max_concurrent_orchestrations)
        self._threads = ThreadPoolExecutor(self._orchestration_workers, thread_name_prefix="orchestrator")
        activity_slots = max(1, max_concurrent_activities)
        self._activities: ActivityPool | SharedActivities = (
            SharedActivities(storage_connection_string, hub_name, functions.activities, activity_slots,
                             self._deliver)
            if shared_activities else ActivityPool(functions.activities, activity_slots, self._deliver))
        self._timers = Timers(self._deliver)
        self._workers: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self._store.open()
        self._activities.start()
        self._workers = [asyncio.create_task(self._orchestrate(), name=f"orchestrator-worker-{n}")
                         for n in range(self._orchestration_workers)]
        unfinished = await self._store.query(
            " or ".join(f"RuntimeStatus eq '{status}'" for status in sorted(RUNNING_STATES)), {})
        for record in unfinished:
            await self._resume(record)
        if unfinished:
            log.info("Resumed %d unfinished orchestration instance(s)", len(unfinished))

    async def stop(self) -> None:
        self._timers.cancel_all()
        for task in [*self._workers, *self._background]:
            task.cancel()
        await asyncio.gather(*self._workers, *self._background, return_exceptions=True)
        await self._activities.stop()
        self._threads.shutdown(wait=True, cancel_futures=True)
        await self._store.close()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- starting instances ----------------------------------------------------------------------------

    async def start_new(self, name: str, instance_id: str | None, input_json: str | None) -> str:
        if name not in self._functions.orchestrators:
            raise UnknownFunctionError(f"No orchestrator named {name!r} is registered; decorate it with "
                                       "`orchestration_trigger` or check the name.")
        instance_id = instance_id if instance_id is not None else uuid.uuid4().hex
        validate_instance_id(instance_id)
        await self._create(name, instance_id, input_json, None)
        return instance_id

    async def _create(
        self, name: str, instance_id: str, input_json: str | None, parent: ParentRef | None,
    ) -> None:
        """One creator per ID in this process (the lock), one across processes (conditional insert/ETag)."""
        lock, users = self._creating.get(instance_id, (asyncio.Lock(), 0))
        self._creating[instance_id] = (lock, users + 1)
        try:
            async with lock:
                await self._create_locked(name, instance_id, input_json, parent)
        finally:
            lock, users = self._creating[instance_id]
            if users == 1:
                del self._creating[instance_id]
            else:
                self._creating[instance_id] = (lock, users - 1)

    async def _create_locked(self, name: str, instance_id: str, input_json: str | None,
                             parent: ParentRef | None) -> None:
        current = self._instances.get(instance_id)
        if current is not None and not overridable(current.status, self._overridable_states):
            raise _exists(current.status)
        now = utc_now()
        record = InstanceRecord(
            instance_id, name, "Pending", uuid.uuid4().hex, now, now, input_json, None, None, 0, parent)
        if current is None:
            record = await self._claim(record)
        else:
            async with current.lock:  # no episode of the instance being replaced commits meanwhile
                record = await self._claim(record)
                current.status = "Terminated"
                current.finished.set()
                self._timers.cancel_instance(instance_id)
        instance = _instance_of(record)
        self._instances[instance_id] = instance
        self._wake(instance)

    async def _claim(self, record: InstanceRecord) -> InstanceRecord:
        """Insert the row, or overwrite an overridable one under its ETag; the loser of a race is refused."""
        try:
            return await self._store.insert_instance(record)
        except ResourceExistsError:
            pass
        existing = await self._store.read_instance(record.instance_id, with_payloads=False)
        if existing is None or not overridable(existing.status, self._overridable_states):
            raise _exists(existing.status if existing else "Pending")
        try:
            record = await self._store.replace_instance(replace(record, etag=existing.etag))
        except StoreConflictError:
            raise _exists("Running") from None
        await self._store.delete_events(record.instance_id)
        await self._store.delete_blobs(record.instance_id, keep_execution=record.execution_id)
        return record

    # -- episodes --------------------------------------------------------------------------------------

    def _wake(self, instance: Instance) -> None:
        if not instance.queued:
            instance.queued = True
            self._ready.put_nowait(instance.instance_id)

    @staticmethod
    def _has_work(instance: Instance) -> bool:
        if instance.status not in RUNNING_STATES:
            return False
        return bool(instance.inbox) or not instance.log.events or any(
            instance.waits[event.name] > 0 for event in instance.buffered)

    async def _orchestrate(self) -> None:
        while True:
            instance_id = await self._ready.get()
            instance = self._instances.get(instance_id)
            if instance is None:
                continue
            try:
                async with instance.lock:
                    await self._episode(instance)
            except asyncio.CancelledError:
                raise
            except Exception:  # a storage failure must not stop the worker: reload the instance and go on
                log.exception("Episode of %s failed; reloading it from storage", instance_id)
                await self._reload(instance_id)
                continue
            finally:
                instance.queued = False
            if self._instances.get(instance_id) is instance and self._has_work(instance):
                self._wake(instance)

    async def _episode(self, instance: Instance) -> None:
        if instance.status not in RUNNING_STATES:
            return
        draft = compose(instance, format_time(utc_now()))
        if draft is None:
            return
        outcome = apply(instance, draft, await self._replay(instance, draft))
        status = outcome.status
        record = self._record_of(instance, status, outcome.output_json, outcome.custom_status_json)
        record = await self._store.commit_episode(record, outcome.events, instance.state_json(),
                                                  [event.key for event in draft.delivered])
        instance.log.extend_committed(outcome.events)
        instance.episode_count, instance.etag, instance.status = record.episode_count, record.etag, status
        instance.custom_status_json = outcome.custom_status_json
        self._start_work(instance, outcome)
        if outcome.continues_as_new:
            await self._continue_as_new(instance, outcome.continue_as_new_input)
        elif status in TERMINAL_STATES:
            self._finish(instance, status, outcome.output_json, outcome.error)

    async def _replay(self, instance: Instance, draft: Draft) -> Answer:
        invoker = self._functions.orchestrators.get(instance.name)
        if invoker is None:
            missing = UnknownFunctionError(f"The orchestrator '{instance.name}' is not registered.")
            return parse_failure(missing)
        context = instance.log.context_json(draft.events, instance.instance_id, instance.input_json,
                                            instance.parent.instance_id if instance.parent else None)
        try:
            if inspect.iscoroutinefunction(invoker):
                text = await invoker(context)
            else:
                text = await asyncio.get_running_loop().run_in_executor(self._threads, invoker, context)
        except Exception as error:  # noqa: BLE001 - the SDK reports an orchestrator failure as a bare Exception
            return parse_failure(error)
        return parse_answer(text)

    def _record_of(self, instance: Instance, status: str, output_json: str | None,
                   custom_status_json: str | None) -> InstanceRecord:
        return InstanceRecord(
            instance.instance_id, instance.name, status, instance.execution_id, instance.created_time,
            utc_now(), instance.input_json, output_json, custom_status_json, instance.episode_count + 1,
            instance.parent, instance.etag,
        )

    def _start_work(self, instance: Instance, outcome: Outcome) -> None:
        for work in outcome.work:
            event = instance.open_work.get(work.event_id)
            if event is not None:
                self._start_scheduled(instance, event)

    def _start_scheduled(self, instance: Instance, event: Event) -> None:
        kind, event_id = event["EventType"], int(event["EventId"])
        if kind == EventType.TASK_SCHEDULED:
            self._activities.submit(ActivityCall(instance.instance_id, instance.execution_id, event_id,
                                                 event["Name"], event.get("Input")))
        elif kind == EventType.TIMER_CREATED:
            self._timers.arm(instance.instance_id, instance.execution_id, event_id, event["FireAt"])
        elif kind == EventType.SUB_ORCHESTRATION_INSTANCE_CREATED:
            parent = ParentRef(instance.instance_id, instance.execution_id, event_id, instance.name)
            self._spawn(self._start_child(parent, event))

    async def _start_child(self, parent: ParentRef, event: Event) -> None:
        """Create the sub-orchestration, or pick up its result if it already ran (after a restart)."""
        name, child_id = event["Name"], event["InstanceId"]
        existing = await self._store.read_instance(child_id)
        if existing is not None and existing.parent == parent:
            if existing.status in TERMINAL_STATES:
                self._notify_parent(parent, existing.status, existing.output_json)
            return
        try:
            if name not in self._functions.orchestrators:
                raise UnknownFunctionError(f"The function '{name}' doesn't exist, is disabled, or is not an "
                                           "orchestrator function.")
            validate_instance_id(child_id)
            await self._create(name, child_id, event.get("Input"), parent)
        except (UnknownFunctionError, InstanceExistsError, ValueError) as error:
            self._deliver(parent.instance_id, parent.execution_id, new_event(
                EventType.SUB_ORCHESTRATION_INSTANCE_FAILED, format_time(utc_now()),
                TaskScheduledId=parent.task_id, Reason=str(error), Details=None))

    def _deliver(self, instance_id: str, execution_id: str, event: Event) -> None:
        instance = self._instances.get(instance_id)
        if instance is not None and instance.execution_id == execution_id and instance.offer(event):
            self._wake(instance)

    def _notify_parent(self, parent: ParentRef, status: str, output_json: str | None) -> None:
        timestamp = format_time(utc_now())
        if status == "Completed":
            event = new_event(EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED, timestamp,
                              TaskScheduledId=parent.task_id, Result=output_json)
        else:
            reason = json.loads(output_json) if output_json else f"Sub-orchestration ended as {status}."
            event = new_event(EventType.SUB_ORCHESTRATION_INSTANCE_FAILED, timestamp,
                              TaskScheduledId=parent.task_id, Reason=str(reason), Details=None)
        self._deliver(parent.instance_id, parent.execution_id, event)

    def _finish(self, instance: Instance, status: str, output_json: str | None, error: str | None) -> None:
        if error is not None:
            log.warning("Orchestration %s (%s) failed: %s", instance.instance_id, instance.name, error)
        self._timers.cancel_instance(instance.instance_id)
        instance.finished.set()
        if self._instances.get(instance.instance_id) is instance:
            del self._instances[instance.instance_id]
        if instance.parent is not None:
            self._notify_parent(instance.parent, status, output_json)

    async def _continue_as_new(self, instance: Instance, input_json: str | None) -> None:
        """A new execution with the new input; external events not yet delivered carry over."""
        self._timers.cancel_instance(instance.instance_id)
        successor = Instance(
            instance.instance_id, instance.name, uuid.uuid4().hex, input_json, instance.parent,
            instance.created_time, status="Running", etag=instance.etag)
        successor.buffered = instance.buffered
        record = await self._store.replace_instance(self._record_of(successor, "Running", None, None))
        successor.episode_count, successor.etag = 0, record.etag
        await self._store.delete_blobs(instance.instance_id, keep_execution=successor.execution_id)
        instance.finished.set()
        self._instances[instance.instance_id] = successor
        self._wake(successor)

    # -- recovery --------------------------------------------------------------------------------------

    async def _reload(self, instance_id: str) -> None:
        """After a failed commit the memory may be ahead of storage: start over from what was committed."""
        self._timers.cancel_instance(instance_id)
        self._instances.pop(instance_id, None)
        try:
            record = await self._store.read_instance(instance_id)
            if record is not None and record.status in RUNNING_STATES:
                await self._resume(record)
        except Exception:  # storage still failing: the instance resumes on the next start()
            log.exception("Could not reload %s; it resumes when the engine starts again", instance_id)

    async def _resume(self, record: InstanceRecord) -> Instance:
        """Rebuild an unfinished instance from storage and restart what it was waiting for."""
        instance = _instance_of(record)
        events, state = await self._store.load_history(record)
        instance.restore(events, state)
        instance.buffered = await self._store.pending_events(record.instance_id)
        self._instances[record.instance_id] = instance
        if record.status == "ContinuedAsNew":
            restart = [event for event in events if event["EventType"] == EventType.CONTINUE_AS_NEW][-1]
            await self._continue_as_new(instance, restart.get("Result"))
            return self._instances[record.instance_id]
        for event in instance.open_work.values():
            self._start_scheduled(instance, event)
        if self._has_work(instance):
            self._wake(instance)
        return instance

    async def _running_instance(self, instance_id: str) -> Instance:
        instance = self._instances.get(instance_id)
        if instance is not None:
            return instance
        record = await self._store.read_instance(instance_id)
        if record is None:
            raise InstanceNotFoundError(f"No instance with ID {instance_id!r}.")
        if record.status not in RUNNING_STATES:
            raise InstanceNotRunningError(f"Instance {instance_id!r} is {record.status}.")
        return await self._resume(record)

    # -- events, termination ---------------------------------------------------------------------------

    async def raise_event(self, instance_id: str, event_name: str, data_json: str | None) -> None:
        """Persisted before returning; held by the engine until the orchestrator waits for that name."""
        instance = await self._running_instance(instance_id)
        if instance.status not in RUNNING_STATES:
            raise InstanceNotRunningError(f"Instance {instance_id!r} is {instance.status}.")
        buffered = await self._store.add_event(instance_id, event_name, data_json)
        current = self._instances.get(instance_id)
        if current is not None:
            current.buffered.append(buffered)
            if self._has_work(current):
                self._wake(current)

    async def terminate(self, instance_id: str, reason: str | None) -> None:
        instance = await self._running_instance(instance_id)
        async with instance.lock:
            if instance.status not in RUNNING_STATES or self._instances.get(instance_id) is not instance:
                raise InstanceNotRunningError(f"Instance {instance_id!r} is no longer running.")
            output = json.dumps(reason)
            timestamp = format_time(utc_now())
            events = [
                new_event(EventType.ORCHESTRATOR_STARTED, timestamp),
                new_event(EventType.EXECUTION_TERMINATED, timestamp, Input=output),
                new_event(EventType.EXECUTION_COMPLETED, timestamp, OrchestrationStatus="Terminated",
                          Result=output),
                new_event(EventType.ORCHESTRATOR_COMPLETED, timestamp),
            ]
            record = self._record_of(instance, "Terminated", output, instance.custom_status_json)
            await self._store.commit_episode(record, events, instance.state_json(), [])
            instance.log.extend_committed(events)
            instance.status = "Terminated"
            instance.inbox.clear()
            self._finish(instance, "Terminated", output, None)

    async def wait_for_completion(self, instance_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """For tests and the demo: the status once the instance is no longer running."""
        async with asyncio.timeout(timeout):
            while True:
                status = await self.get_status(instance_id)
                if status is not None and status["runtimeStatus"] not in RUNNING_STATES:
                    return status
                instance = self._instances.get(instance_id)
                if instance is not None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(instance.finished.wait(), 0.5)
                else:
                    await asyncio.sleep(0.05)


def _exists(status: str) -> InstanceExistsError:
    return InstanceExistsError(f"An Orchestration instance with the status {status} already exists.")


def _instance_of(record: InstanceRecord) -> Instance:
    return Instance(record.instance_id, record.name, record.execution_id, record.input_json, record.parent,
                    record.created_time, status=record.status, custom_status_json=record.custom_status_json,
                    episode_count=record.episode_count, etag=record.etag)

