"""Read the SDK's answer and number the work it asks for exactly as the SDK numbers its tasks.

The SDK hands out sequence numbers when a task is first yielded: atomic tasks in yield order, the children
of `task_all` / `task_any` depth-first in order, external-event waits none (they are keyed by name), and
`continue_as_new` one. Retries add numbers of their own when failures and retry timers are replayed; the
episode module allocates those before the new actions, in the same order the SDK does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

OUT_OF_PROC_LABEL = "\n\n$OutOfProcData$:"


class ActionType:
    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CALL_SUB_ORCHESTRATOR = 2
    CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
    CONTINUE_AS_NEW = 4
    CREATE_TIMER = 5
    WAIT_FOR_EXTERNAL_EVENT = 6
    CALL_ENTITY = 7
    CALL_HTTP = 8
    SIGNAL_ENTITY = 9
    WHEN_ANY = 11
    WHEN_ALL = 12


class UnsupportedActionError(Exception):
    """The orchestrator used an API the devhost does not run (entities, call_http); the instance fails."""


class WorkKind(StrEnum):
    ACTIVITY = "activity"
    SUB_ORCHESTRATION = "sub_orchestration"
    TIMER = "timer"


@dataclass(frozen=True)
class RetryPolicy:
    """Python sends only these two: the interval stays constant (no backoff coefficient)."""

    first_interval_ms: int
    max_attempts: int


@dataclass(frozen=True)
class ScheduledWork:
    kind: WorkKind
    event_id: int
    name: str = ""
    input_json: str | None = None
    instance_id: str | None = None
    fire_at: str | None = None
    retry: RetryPolicy | None = None
    path: tuple[int, ...] = ()
    """Where the action sits in the actions list, so a timer's later `isCanceled` can be read."""


@dataclass
class ActionPlan:
    work: list[ScheduledWork] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)
    continue_as_new_input: str | None = None
    continues_as_new: bool = False
    next_id: int = 0


@dataclass(frozen=True)
class Answer:
    """One orchestrator episode's answer; `error` is set when the orchestrator raised."""

    is_done: bool
    entries: list[dict[str, Any]]
    output_json: str | None
    custom_status_json: str | None
    error: str | None = None


def _json_or_none(payload: dict[str, Any], key: str) -> str | None:
    return json.dumps(payload[key]) if payload.get(key) is not None else None


def _answer_from_state(state: dict[str, Any], error: str | None) -> Answer:
    entries = [action for group in state.get("actions") or [] for action in group]
    return Answer(
        is_done=bool(state.get("isDone")), entries=entries, output_json=_json_or_none(state, "output"),
        custom_status_json=_json_or_none(state, "customStatus"), error=error,
    )


def parse_answer(text: str) -> Answer:
    return _answer_from_state(json.loads(text), None)


def parse_failure(error: BaseException) -> Answer:
    """The SDK raises `<message>\\n\\n$OutOfProcData$:<state JSON>` when the orchestrator raises."""
    message = str(error)
    head, label, tail = message.partition(OUT_OF_PROC_LABEL)
    if not label:
        return Answer(is_done=False, entries=[], output_json=None, custom_status_json=None, error=message)
    try:
        state = json.loads(tail)
    except json.JSONDecodeError:
        state = {}
    return _answer_from_state(state, head)


def plan_new_actions(entries: list[dict[str, Any]], start: int, next_id: int) -> ActionPlan:
    """Number the actions yielded since the last episode (entries from `start` on)."""
    plan = ActionPlan(next_id=next_id)
    for index in range(start, len(entries)):
        _walk(entries[index], (index,), plan)
    return plan


def _retry_policy(action: dict[str, Any]) -> RetryPolicy:
    options = action.get("retryOptions") or {}
    return RetryPolicy(int(options.get("firstRetryIntervalInMilliseconds", 0)),
                       int(options.get("maxNumberOfAttempts", 1)))


def _walk(action: dict[str, Any], path: tuple[int, ...], plan: ActionPlan) -> None:
    kind = action.get("actionType")
    if kind in (ActionType.WHEN_ALL, ActionType.WHEN_ANY):
        for position, child in enumerate(action.get("compoundActions") or []):
            _walk(child, (*path, position), plan)
        return
    if kind == ActionType.WAIT_FOR_EXTERNAL_EVENT:
        plan.waits.append(str(action["externalEventName"]))
        return
    if kind == ActionType.CONTINUE_AS_NEW:
        plan.continues_as_new = True
        plan.continue_as_new_input = action.get("input")
        plan.next_id += 1
        return
    work = _work_of(action, kind, plan.next_id, path)
    plan.work.append(work)
    plan.next_id += 1


def _work_of(action: dict[str, Any], kind: Any, event_id: int, path: tuple[int, ...]) -> ScheduledWork:
    if kind in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY):
        retry = _retry_policy(action) if kind == ActionType.CALL_ACTIVITY_WITH_RETRY else None
        return ScheduledWork(WorkKind.ACTIVITY, event_id, name=action["functionName"],
                             input_json=action.get("input"), retry=retry, path=path)
    if kind in (ActionType.CALL_SUB_ORCHESTRATOR, ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY):
        retry = _retry_policy(action) if kind == ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY else None
        return ScheduledWork(WorkKind.SUB_ORCHESTRATION, event_id, name=action["functionName"],
                             input_json=action.get("input"), instance_id=action.get("instanceId"),
                             retry=retry, path=path)
    if kind == ActionType.CREATE_TIMER:
        return ScheduledWork(WorkKind.TIMER, event_id, fire_at=action["fireAt"], path=path)
    names = {ActionType.CALL_ENTITY: "call_entity", ActionType.SIGNAL_ENTITY: "signal_entity",
             ActionType.CALL_HTTP: "call_http"}
    raise UnsupportedActionError(
        f"The devhost does not run `{names.get(kind, kind)}`; run the app with `func start` to use it."
    )


def action_at(entries: list[dict[str, Any]], path: tuple[int, ...]) -> dict[str, Any] | None:
    """The action at `path`, or None if the list no longer has it."""
    if not path or path[0] >= len(entries):
        return None
    action = entries[path[0]]
    for position in path[1:]:
        children = action.get("compoundActions") or []
        if position >= len(children):
            return None
        action = children[position]
    return action
