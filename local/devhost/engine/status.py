"""The status JSON of the Durable HTTP API, built from an instance row and, on request, its history.

Payloads are JSON values (the host writes them as they are). History is shown as the extension shows it:
no episode brackets, scheduling folded into the completion (`FunctionName`, `ScheduledTime`), and
results and inputs only with `showHistoryOutput`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from local.devhost.engine.history import Event, EventType
from local.devhost.engine.store import InstanceRecord

_SCHEDULED = (EventType.TASK_SCHEDULED, EventType.SUB_ORCHESTRATION_INSTANCE_CREATED)
_HIDDEN = frozenset({EventType.ORCHESTRATOR_STARTED, EventType.ORCHESTRATOR_COMPLETED, *_SCHEDULED})
_OUTPUT_FIELDS = ("Input", "Result")


def api_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


def status_json(record: InstanceRecord, show_input: bool) -> dict[str, Any]:
    return {
        "name": record.name, "instanceId": record.instance_id, "runtimeStatus": record.status,
        "input": _value(record.input_json) if show_input else None,
        "customStatus": _value(record.custom_status_json), "output": _value(record.output_json),
        "createdTime": api_time(record.created_time), "lastUpdatedTime": api_time(record.last_updated_time),
    }


def history_json(events: list[Event], show_output: bool) -> list[dict[str, Any]]:
    scheduled = {event["EventId"]: event for event in events if event["EventType"] in _SCHEDULED}
    shown = []
    for event in events:
        kind = EventType(event["EventType"])
        if kind in _HIDDEN:
            continue
        name = kind.name.title().replace("_", "")
        item: dict[str, Any] = {"EventType": name, "Timestamp": event["Timestamp"]}
        origin = scheduled.get(event.get("TaskScheduledId"))
        if origin is not None:
            item["FunctionName"] = origin["Name"]
            item["ScheduledTime"] = origin["Timestamp"]
        for field_name in ("Name", "FireAt", "OrchestrationStatus", "Reason", "Details", "InstanceId"):
            if event.get(field_name) is not None:
                item["FunctionName" if field_name == "Name" and kind == EventType.EXECUTION_STARTED
                     else field_name] = event[field_name]
        if show_output:
            for field_name in _OUTPUT_FIELDS:
                if event.get(field_name) is not None:
                    item[field_name] = _value(event[field_name])
        shown.append(item)
    return shown
