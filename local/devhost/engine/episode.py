"""One orchestrator episode, without I/O: which new events go in, and what the SDK's answer schedules.

Numbering follows the SDK's replay order. Within the new events of an episode the SDK first processes
completions, and a retry's failure or retry-timer completion hands out a sequence number right there,
before any task the resumed orchestrator yields. So the engine puts the events that allocate a retry
number first in the batch and numbers their timers and re-scheduled tasks before the new actions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from local.devhost.engine.actions import (
    Answer,
    ScheduledWork,
    UnsupportedActionError,
    WorkKind,
    action_at,
    plan_new_actions,
)
from local.devhost.engine.history import (
    COMPLETION_TYPES,
    Event,
    EventType,
    execution_started,
    format_time,
    new_event,
    parse_time,
)
from local.devhost.engine.model import BufferedEvent, Instance, RetryChain

FAILURE_TYPES = frozenset({EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_INSTANCE_FAILED})


@dataclass
class Draft:
    """The new events of an episode, before the orchestrator has seen them."""

    timestamp: str
    events: list[Event]
    batch: list[Event]
    delivered: list[BufferedEvent]


@dataclass
class Outcome:
    """What the episode decided; the engine persists `events` and then acts on the rest."""

    events: list[Event]
    status: str
    custom_status_json: str | None
    output_json: str | None = None
    error: str | None = None
    work: list[ScheduledWork] = field(default_factory=list)
    continue_as_new_input: str | None = None
    continues_as_new: bool = False


def _allocates_retry_number(instance: Instance, event: Event) -> bool:
    chain = instance.retries.get(_key(event))
    if chain is None:
        return False
    if event["EventType"] in FAILURE_TYPES:
        return True
    return event["EventType"] == EventType.TIMER_FIRED and chain.attempt < chain.policy.max_attempts


def _key(event: Event) -> int:
    return int(event["TimerId"] if event["EventType"] == EventType.TIMER_FIRED else event["TaskScheduledId"])


def compose(instance: Instance, timestamp: str) -> Draft | None:
    """Take the inbox and deliverable external events; None when there is nothing to replay."""
    events: list[Event] = [new_event(EventType.ORCHESTRATOR_STARTED, timestamp)]
    if not instance.log.events:
        events.append(execution_started(
            timestamp, instance.name, instance.instance_id, instance.execution_id, instance.input_json,
            instance.parent.to_history() if instance.parent else None,
        ))
    batch = sorted(instance.inbox, key=lambda event: not _allocates_retry_number(instance, event))
    instance.inbox = []
    instance.inbox_keys = set()
    delivered: list[BufferedEvent] = []
    open_waits = instance.waits.copy()
    for buffered in instance.buffered:
        if open_waits[buffered.name] > 0:
            open_waits[buffered.name] -= 1
            delivered.append(buffered)
    raised = [new_event(EventType.EVENT_RAISED, timestamp, Name=item.name, Input=item.input_json)
              for item in delivered]
    events += batch + raised
    if len(events) == 1:
        return None
    return Draft(timestamp, events, batch, delivered)


def scheduling_event(work: ScheduledWork, timestamp: str, execution_id: str) -> Event:
    if work.kind is WorkKind.ACTIVITY:
        return new_event(EventType.TASK_SCHEDULED, timestamp, work.event_id, Name=work.name, Version="",
                         Input=work.input_json)
    if work.kind is WorkKind.SUB_ORCHESTRATION:
        instance_id = work.instance_id or f"{execution_id}:{work.event_id}"
        return new_event(EventType.SUB_ORCHESTRATION_INSTANCE_CREATED, timestamp, work.event_id,
                         Name=work.name, Version="", InstanceId=instance_id, Input=work.input_json)
    return new_event(EventType.TIMER_CREATED, timestamp, work.event_id, FireAt=work.fire_at)


def _schedule(instance: Instance, work: ScheduledWork, timestamp: str, out: list[Event]) -> None:
    event = scheduling_event(work, timestamp, instance.execution_id)
    instance.open_work[work.event_id] = event
    out.append(event)


def _advance_retries(instance: Instance, draft: Draft, out: list[Event], work: list[ScheduledWork]) -> None:
    """Close the batch's work, and number retry timers and re-scheduled attempts as the SDK does."""
    now = parse_time(draft.timestamp)
    for event in draft.batch:
        if event["EventType"] not in COMPLETION_TYPES:
            continue
        key = _key(event)
        instance.open_work.pop(key, None)
        instance.timer_paths.pop(key, None)
        chain = instance.retries.pop(key, None)
        if chain is None:
            continue
        if event["EventType"] in FAILURE_TYPES:
            fire_at = format_time(now + timedelta(milliseconds=chain.policy.first_interval_ms))
            timer = ScheduledWork(WorkKind.TIMER, instance.next_id, fire_at=fire_at)
        elif event["EventType"] == EventType.TIMER_FIRED and chain.attempt < chain.policy.max_attempts:
            chain.attempt += 1
            timer = ScheduledWork(chain.kind, instance.next_id, name=chain.name, input_json=chain.input_json,
                                  instance_id=chain.instance_id)
        else:
            continue
        instance.next_id += 1
        instance.retries[timer.event_id] = chain
        _schedule(instance, timer, draft.timestamp, out)
        work.append(timer)


def _cancel_timers(instance: Instance, answer: Answer) -> None:
    """A timer the orchestrator cancelled (`timer.cancel()`) never needs to fire."""
    for timer_id, path in list(instance.timer_paths.items()):
        action = action_at(answer.entries, tuple(path))
        if action is not None and action.get("isCanceled"):
            del instance.timer_paths[timer_id]
            instance.open_work.pop(timer_id, None)


def apply(instance: Instance, draft: Draft, answer: Answer) -> Outcome:
    """Fold the SDK's answer into the instance and say what to persist and to start."""
    out: list[Event] = []
    work: list[ScheduledWork] = []
    for item in draft.delivered:
        instance.waits[item.name] -= 1
    delivered = {item.key for item in draft.delivered}
    instance.buffered = [item for item in instance.buffered if item.key not in delivered]
    _advance_retries(instance, draft, out, work)
    outcome = Outcome(out, "Running", answer.custom_status_json, work=work)
    error = answer.error
    if error is None and len(answer.entries) < instance.action_count:
        error = ("Non-deterministic workflow detected: the orchestrator yielded fewer actions than in its "
                 "previous replay. Orchestrator code must be deterministic.")
    if error is None:
        try:
            plan = plan_new_actions(answer.entries, instance.action_count, instance.next_id)
        except UnsupportedActionError as unsupported:
            error = str(unsupported)
    if error is not None:
        return _finish(instance, draft, outcome, "Failed", None, error)
    instance.action_count = len(answer.entries)
    instance.next_id = plan.next_id
    for scheduled in plan.work:
        _schedule(instance, scheduled, draft.timestamp, out)
        if scheduled.retry is not None:
            instance.retries[scheduled.event_id] = RetryChain(
                scheduled.kind, scheduled.name, scheduled.input_json, scheduled.instance_id, scheduled.retry)
        if scheduled.kind is WorkKind.TIMER:
            instance.timer_paths[scheduled.event_id] = list(scheduled.path)
    work.extend(plan.work)
    instance.waits.update(plan.waits)
    _cancel_timers(instance, answer)
    if plan.continues_as_new:
        outcome.continues_as_new = True
        outcome.continue_as_new_input = plan.continue_as_new_input
        out.append(new_event(EventType.CONTINUE_AS_NEW, draft.timestamp, Result=plan.continue_as_new_input))
        return _finish(instance, draft, outcome, "ContinuedAsNew", None, None)
    if answer.is_done:
        return _finish(instance, draft, outcome, "Completed", answer.output_json, None)
    out.append(new_event(EventType.ORCHESTRATOR_COMPLETED, draft.timestamp))
    outcome.events = draft.events + out
    return outcome


def _finish(instance: Instance, draft: Draft, outcome: Outcome, status: str, output_json: str | None,
            error: str | None) -> Outcome:
    """An execution that ended: no work of it runs any more."""
    if error is not None:
        output_json = failure_output(instance.name, error)
        outcome.work = []
        outcome.error = error
    outcome.status = status
    outcome.output_json = output_json
    if status != "ContinuedAsNew":
        outcome.events.append(new_event(EventType.EXECUTION_COMPLETED, draft.timestamp,
                                        OrchestrationStatus=status, Result=output_json))
    outcome.events.append(new_event(EventType.ORCHESTRATOR_COMPLETED, draft.timestamp))
    outcome.events = draft.events + outcome.events
    instance.open_work.clear()
    instance.retries.clear()
    instance.timer_paths.clear()
    return outcome


def failure_output(name: str, error: str) -> str:
    """What get_status shows as the output of a failed orchestration, as JSON text."""
    return json.dumps(f"Orchestrator function '{name}' failed: {error}")
