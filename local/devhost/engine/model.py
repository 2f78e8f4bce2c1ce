"""What the engine knows about one orchestration instance, and the rules for instance IDs.

Everything here can be rebuilt from storage (the instance row, the history episodes and the last
episode's small state document), which is how a restarted devhost resumes unfinished work.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from local.devhost.engine.actions import RetryPolicy, WorkKind
from local.devhost.engine.history import COMPLETION_TYPES, Event, EventType, HistoryLog, completion_key
from local.devhost.engine_api import InvalidInstanceIdError

RUNNING_STATES = frozenset({"Pending", "Running", "ContinuedAsNew", "Suspended"})
TERMINAL_STATES = frozenset({"Completed", "Failed", "Terminated"})

_INVALID_ID = re.compile(r"[/\\?#\x00-\x1f\x7f-\x9f]")
MAX_INSTANCE_ID_LENGTH = 256


def validate_instance_id(instance_id: str) -> None:
    """The extension's rules (and Table Storage's key rules): the host answers 400 for these."""
    if not instance_id or not instance_id.strip():
        raise InvalidInstanceIdError("The instance ID must not be empty.")
    if len(instance_id) > MAX_INSTANCE_ID_LENGTH:
        raise InvalidInstanceIdError(f"The instance ID must be at most {MAX_INSTANCE_ID_LENGTH} characters.")
    if instance_id.startswith("@"):
        raise InvalidInstanceIdError("The instance ID must not start with '@' (reserved for entities).")
    if _INVALID_ID.search(instance_id):
        raise InvalidInstanceIdError(
            "The instance ID must not contain '/', '\\', '?', '#' or control characters."
        )


def overridable(status: str, overridable_states: str) -> bool:
    """host.json `overridableExistingInstanceStates`: `NonRunningStates` (default) or `AnyState`."""
    return overridable_states == "AnyState" or status in TERMINAL_STATES


@dataclass(frozen=True)
class ParentRef:
    """Where a sub-orchestration reports its end."""

    instance_id: str
    execution_id: str
    task_id: int
    name: str

    def to_history(self) -> dict[str, Any]:
        return {"Name": self.name, "Version": "", "TaskScheduleId": self.task_id,
                "OrchestrationInstance": {"InstanceId": self.instance_id, "ExecutionId": self.execution_id}}

    @staticmethod
    def from_history(value: dict[str, Any] | None) -> ParentRef | None:
        if not value:
            return None
        instance = value["OrchestrationInstance"]
        return ParentRef(instance["InstanceId"], instance["ExecutionId"], int(value["TaskScheduleId"]),
                         value.get("Name") or "")


@dataclass
class RetryChain:
    """A call_*_with_retry the engine retries, as the extension does on Azure."""

    kind: WorkKind
    name: str
    input_json: str | None
    instance_id: str | None
    policy: RetryPolicy
    attempt: int = 1

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "name": self.name, "input": self.input_json,
                "instanceId": self.instance_id, "intervalMs": self.policy.first_interval_ms,
                "maxAttempts": self.policy.max_attempts, "attempt": self.attempt}

    @staticmethod
    def from_json(value: dict[str, Any]) -> RetryChain:
        return RetryChain(WorkKind(value["kind"]), value["name"], value["input"], value["instanceId"],
                          RetryPolicy(value["intervalMs"], value["maxAttempts"]), value["attempt"])


@dataclass(frozen=True)
class BufferedEvent:
    """An external event persisted on arrival and not yet handed to the orchestrator."""

    key: str
    name: str
    input_json: str | None


@dataclass
class Instance:
    """One instance's current execution, as held in memory while it runs."""

    instance_id: str
    name: str
    execution_id: str
    input_json: str | None
    parent: ParentRef | None
    created_time: datetime
    status: str = "Pending"
    custom_status_json: str | None = None
    log: HistoryLog = field(default_factory=HistoryLog)
    episode_count: int = 0
    etag: str | None = None
    next_id: int = 0
    action_count: int = 0
    waits: Counter[str] = field(default_factory=Counter)
    retries: dict[int, RetryChain] = field(default_factory=dict)
    timer_paths: dict[int, list[int]] = field(default_factory=dict)
    open_work: dict[int, Event] = field(default_factory=dict)
    """Scheduling events (TaskScheduled, SubOrchestrationInstanceCreated, TimerCreated) not yet closed."""
    inbox: list[Event] = field(default_factory=list)
    inbox_keys: set[int] = field(default_factory=set)
    buffered: list[BufferedEvent] = field(default_factory=list)
    queued: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def state_json(self) -> dict[str, Any]:
        """The engine's bookkeeping that history alone does not hold; saved with every episode."""
        return {"nextId": self.next_id, "actionCount": self.action_count, "waits": dict(self.waits),
                "retries": {str(key): chain.to_json() for key, chain in self.retries.items()},
                "timerPaths": {str(key): path for key, path in self.timer_paths.items()}}

    def restore(self, events: list[Event], state: dict[str, Any]) -> None:
        """Rebuild from committed episodes: open work is what history scheduled and did not close."""
        self.log = HistoryLog(events)
        self.next_id = int(state.get("nextId", 0))
        self.action_count = int(state.get("actionCount", 0))
        self.waits = Counter(state.get("waits") or {})
        retries = state.get("retries") or {}
        self.retries = {int(key): RetryChain.from_json(value) for key, value in retries.items()}
        self.timer_paths = {int(key): list(value) for key, value in (state.get("timerPaths") or {}).items()}
        self.open_work = open_work_of(events)
        cancelled = [timer_id for timer_id, event in self.open_work.items()
                     if event["EventType"] == EventType.TIMER_CREATED
                     and timer_id not in self.retries and timer_id not in self.timer_paths]
        for timer_id in cancelled:
            del self.open_work[timer_id]

    def offer(self, event: Event) -> bool:
        """Queue a completion for the next episode unless it closes nothing open (a duplicate from an
        at-least-once re-run, or a straggler from an earlier execution)."""
        key = completion_key(event)
        if key not in self.open_work or key in self.inbox_keys:
            return False
        self.inbox_keys.add(key)
        self.inbox.append(event)
        return True


SCHEDULING_TYPES = frozenset({
    EventType.TASK_SCHEDULED, EventType.SUB_ORCHESTRATION_INSTANCE_CREATED, EventType.TIMER_CREATED,
})


def open_work_of(events: list[Event]) -> dict[int, Event]:
    open_work: dict[int, Event] = {}
    for event in events:
        kind = event["EventType"]
        if kind in SCHEDULING_TYPES:
            open_work[int(event["EventId"])] = event
        elif kind in COMPLETION_TYPES:
            open_work.pop(completion_key(event), None)
    return open_work
