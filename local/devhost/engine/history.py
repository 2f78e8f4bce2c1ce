"""History events exactly as the Durable extension sends them to an out-of-process orchestrator.

PascalCase fields, an integer `EventType`, and `EventId`, `IsPlayed`, `Timestamp` on every event. Past
episodes are sent with `IsPlayed: true`; their JSON text is cached so a long history is not re-encoded on
every episode.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

Event = dict[str, Any]

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""The SDK's own DATETIME_STRING_FORMAT; timestamps are UTC."""


class EventType(IntEnum):
    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_INSTANCE_CREATED = 7
    SUB_ORCHESTRATION_INSTANCE_COMPLETED = 8
    SUB_ORCHESTRATION_INSTANCE_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16


COMPLETION_TYPES = frozenset({
    EventType.TASK_COMPLETED, EventType.TASK_FAILED, EventType.TIMER_FIRED,
    EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED, EventType.SUB_ORCHESTRATION_INSTANCE_FAILED,
})
"""Events that close a piece of scheduled work, found by `TaskScheduledId` or `TimerId`."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_time(text: str) -> datetime:
    """Reads the SDK's `fireAt` and our own timestamps; a naive time is UTC, as the SDK writes a literal Z."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_event(event_type: EventType, timestamp: str, event_id: int = -1, **fields: Any) -> Event:
    return {"EventType": int(event_type), "EventId": event_id, "IsPlayed": False, "Timestamp": timestamp,
            **fields}


def completion_key(event: Event) -> int:
    """The sequence number of the work a completion event closes."""
    if event["EventType"] == EventType.TIMER_FIRED:
        return int(event["TimerId"])
    return int(event["TaskScheduledId"])


def execution_started(
    timestamp: str, name: str, instance_id: str, execution_id: str, input_json: str | None,
    parent: dict[str, Any] | None,
) -> Event:
    return new_event(
        EventType.EXECUTION_STARTED, timestamp, Name=name, Version="", Input=input_json,
        OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
        ParentInstance=parent, Tags=None,
    )


class HistoryLog:
    """The events of one execution, with the JSON text of committed events kept for the next episode."""

    def __init__(self, events: list[Event] | None = None) -> None:
        self.events: list[Event] = []
        self._played_json: list[str] = []
        self.extend_committed(events or [])

    def extend_committed(self, events: list[Event]) -> None:
        for event in events:
            self.events.append(event)
            self._played_json.append(json.dumps({**event, "IsPlayed": True}, separators=(",", ":")))

    def context_json(
        self, new_events: list[Event], instance_id: str, input_json: str | None,
        parent_instance_id: str | None,
    ) -> str:
        """The orchestration trigger payload the extension sends, with the episode's new events unplayed."""
        fresh = [json.dumps(event, separators=(",", ":")) for event in new_events]
        head = {
            "input": input_json, "instanceId": instance_id, "isReplaying": bool(self._played_json),
            "parentInstanceId": parent_instance_id, "upperSchemaVersion": 1, "upperSchemaVersionNew": 2,
        }
        return '{"history":[' + ",".join(self._played_json + fresh) + "]," + json.dumps(head)[1:]
