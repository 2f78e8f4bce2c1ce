"""Read side of the engine: status, queries and purge, all answered from storage (the row is the truth)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from local.devhost.engine.history import Event, parse_time
from local.devhost.engine.model import TERMINAL_STATES, Instance
from local.devhost.engine.status import history_json, status_json
from local.devhost.engine.store import Store
from local.devhost.engine_api import InstanceNotFoundError


def _time(text: str) -> datetime:
    return parse_time(text)


class QueriesMixin:
    _store: Store
    _instances: dict[str, Instance]

    async def get_status(
        self, instance_id: str, show_history: bool = False, show_history_output: bool = False,
        show_input: bool = True,
    ) -> dict[str, Any] | None:
        record = await self._store.read_instance(instance_id)
        if record is None:
            return None
        status = status_json(record, show_input)
        if show_history:
            events: list[Event]
            instance = self._instances.get(instance_id)
            if instance is not None and instance.execution_id == record.execution_id \
                    and instance.episode_count == record.episode_count:
                events = list(instance.log.events)
            else:
                events, _ = await self._store.load_history(record)
            status["historyEvents"] = history_json(events, show_history_output)
        return status

    async def query(
        self, created_from: str | None = None, created_to: str | None = None,
        runtime_status: list[str] | None = None, instance_id_prefix: str | None = None,
    ) -> list[dict[str, Any]]:
        """The HTTP API's instance query: created-time range, any of the statuses, an ID prefix."""
        clauses: list[str] = []
        parameters: dict[str, Any] = {}
        if created_from:
            clauses.append("CreatedTime ge @created_from")
            parameters["created_from"] = _time(created_from)
        if created_to:
            clauses.append("CreatedTime le @created_to")
            parameters["created_to"] = _time(created_to)
        if runtime_status:
            names = [f"status{index}" for index in range(len(runtime_status))]
            # Spaces around the parentheses: the SDK substitutes parameters word by word.
            clauses.append("( " + " or ".join(f"RuntimeStatus eq @{name}" for name in names) + " )")
            parameters.update(zip(names, runtime_status, strict=True))
        if instance_id_prefix:
            clauses.append("PartitionKey ge @prefix and PartitionKey lt @prefix_end")
            parameters["prefix"] = instance_id_prefix
            parameters["prefix_end"] = instance_id_prefix + "\uffff"
        records = await self._store.query(" and ".join(clauses), parameters)
        return [status_json(record, show_input=True) for record in records]

    async def purge(self, instance_id: str) -> int:
        """Deletes an ended instance (row, events, history); 0 for one still running, as the extension."""
        record = await self._store.read_instance(instance_id, with_payloads=False)
        if record is None:
            raise InstanceNotFoundError(f"No instance with ID {instance_id!r}.")
        if record.status not in TERMINAL_STATES:
            return 0
        await self._store.delete_instance(instance_id)
        return 1
