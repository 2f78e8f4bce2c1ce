"""Orchestration state in Azurite: one Table row per instance, one blob per history episode.

- Table `<hub>Instances`: the instance row (PartitionKey = instance ID, RowKey "") and its pending
  external events (same partition, RowKey `event-...`), so an episode commit updates the row under its
  ETag and deletes the events it delivered in one transaction.
- Blob container `<hub>-history`: `<instance>/<execution>/<episode>.json` holds that episode's events and
  the engine's small state document. An episode costs one blob write and one table transaction; a blob
  written by an episode whose commit never happened is overwritten by the retry. Payloads too big for a
  table property live in `<hub>-payloads`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient
from azure.storage.blob.aio import BlobServiceClient, ContainerClient

from local.devhost.engine.history import Event
from local.devhost.engine.model import BufferedEvent, ParentRef
from shared.storage.metering import METER_SETTING, meter_hook

INLINE_LIMIT = 30_000
"""Characters kept in a table property; a string property holds at most 32K UTF-16 code units."""

_HUB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,44}$")
PAYLOAD_FIELDS = ("Input", "Output", "CustomStatus")
EVENT_PREFIX = "event-"


class StoreConflictError(Exception):
    """Another writer changed the instance row since it was read (ETag mismatch)."""


@dataclass(frozen=True)
class InstanceRecord:
    instance_id: str
    name: str
    status: str
    execution_id: str
    created_time: datetime
    last_updated_time: datetime
    input_json: str | None
    output_json: str | None
    custom_status_json: str | None
    episode_count: int
    parent: ParentRef | None
    etag: str | None = None


def validate_hub_name(hub_name: str) -> None:
    if not _HUB_NAME.match(hub_name):
        raise ValueError(f"Task hub name {hub_name!r} must be 3-45 letters and digits, first a letter.")


class Store:
    def __init__(self, connection_string: str, hub_name: str) -> None:
        validate_hub_name(hub_name)
        self._connection_string = connection_string
        self._table_name = f"{hub_name}Instances"
        self._history_name = f"{hub_name.lower()}-history"
        self._payloads_name = f"{hub_name.lower()}-payloads"
        self._event_counter = itertools.count()
        self._tables: TableServiceClient | None = None
        self._blobs: BlobServiceClient | None = None

    async def open(self) -> None:
        self._tables = TableServiceClient.from_connection_string(
            self._connection_string, **meter_hook("engine.table", os.environ.get(METER_SETTING))
        )
        self._blobs = BlobServiceClient.from_connection_string(
            self._connection_string, **meter_hook("engine.blob", os.environ.get(METER_SETTING))
        )
        await self._tables.create_table_if_not_exists(self._table_name)
        for container in (self._history_name, self._payloads_name):
            with contextlib.suppress(ResourceExistsError):
                await self._blobs.create_container(container)

    async def close(self) -> None:
        for client in (self._tables, self._blobs):
            if client is not None:
                await client.close()
        self._tables = self._blobs = None

    @property
    def _table(self) -> TableClient:
        assert self._tables is not None, "Store.open() first"
        return self._tables.get_table_client(self._table_name)

    def _container(self, name: str) -> ContainerClient:
        assert self._blobs is not None, "Store.open() first"
        return self._blobs.get_container_client(name)

    # -- instance rows -------------------------------------------------------------------------------

    async def _entity(self, record: InstanceRecord) -> dict[str, Any]:
        entity: dict[str, Any] = {
            "PartitionKey": record.instance_id, "RowKey": "", "Name": record.name,
            "RuntimeStatus": record.status, "ExecutionId": record.execution_id,
            "CreatedTime": record.created_time, "LastUpdatedTime": record.last_updated_time,
            "EpisodeCount": record.episode_count,
            "Parent": json.dumps(record.parent.to_history()) if record.parent else None,
        }
        values = (record.input_json, record.output_json, record.custom_status_json)
        for field_name, value in zip(PAYLOAD_FIELDS, values, strict=True):
            entity[field_name], entity[f"{field_name}Blob"] = None, None
            if value is not None and len(value) > INLINE_LIMIT:
                blob = f"{quote(record.instance_id, safe='')}/{record.execution_id}/{field_name}"
                await self._container(self._payloads_name).upload_blob(blob, value.encode(), overwrite=True)
                entity[f"{field_name}Blob"] = blob
            else:
                entity[field_name] = value
        return entity

    async def _record(self, entity: Any, with_payloads: bool = True) -> InstanceRecord:
        payloads: list[str | None] = []
        for field_name in PAYLOAD_FIELDS:
            value, blob = entity.get(field_name), entity.get(f"{field_name}Blob")
            if blob and with_payloads:
                downloader = await self._container(self._payloads_name).download_blob(blob)
                value = (await downloader.readall()).decode()
            payloads.append(value)
        parent = ParentRef.from_history(json.loads(entity["Parent"])) if entity.get("Parent") else None
        return InstanceRecord(
            instance_id=entity["PartitionKey"], name=entity["Name"], status=entity["RuntimeStatus"],
            execution_id=entity["ExecutionId"], created_time=entity["CreatedTime"],
            last_updated_time=entity["LastUpdatedTime"], input_json=payloads[0], output_json=payloads[1],
            custom_status_json=payloads[2], episode_count=int(entity.get("EpisodeCount") or 0), parent=parent,
            etag=entity.metadata["etag"],
        )

    async def read_instance(self, instance_id: str, with_payloads: bool = True) -> InstanceRecord | None:
        try:
            entity = await self._table.get_entity(instance_id, "")
        except ResourceNotFoundError:
            return None
        return await self._record(entity, with_payloads)

    async def insert_instance(self, record: InstanceRecord) -> InstanceRecord:
        """Conditional insert: raises ResourceExistsError if the ID is taken (the cross-process arbiter)."""
        metadata = await self._table.create_entity(await self._entity(record))
        return replace(record, etag=metadata["etag"])

    async def replace_instance(self, record: InstanceRecord) -> InstanceRecord:
        """Overwrite the row only if it is unchanged since `record.etag` was read."""
        try:
            metadata = await self._table.update_entity(
                await self._entity(record), mode=UpdateMode.REPLACE, etag=record.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except HttpResponseError as error:
            if error.status_code == 412:
                raise StoreConflictError(record.instance_id) from error
            raise
        return replace(record, etag=metadata["etag"])

    async def commit_episode(
        self, record: InstanceRecord, events: list[Event], state: dict[str, Any], delivered: list[str],
    ) -> InstanceRecord:
        """Write episode `episode_count - 1`, then the row and the delivered events' deletion at once."""
        blob = self._episode_blob(record.instance_id, record.execution_id, record.episode_count - 1)
        body = json.dumps({"events": events, "state": state}, separators=(",", ":")).encode()
        await self._container(self._history_name).upload_blob(blob, body, overwrite=True)
        if not delivered:
            return await self.replace_instance(record)
        conditional = {"mode": UpdateMode.REPLACE, "etag": record.etag,
                       "match_condition": MatchConditions.IfNotModified}
        operations: list[Any] = [("update", await self._entity(record), conditional)]
        operations += [("delete", {"PartitionKey": record.instance_id, "RowKey": key}) for key in delivered]
        try:
            results = await self._table.submit_transaction(operations)
        except HttpResponseError as error:
            raise StoreConflictError(record.instance_id) from error
        return replace(record, etag=results[0]["etag"])

    @staticmethod
    def _episode_blob(instance_id: str, execution_id: str, episode: int) -> str:
        return f"{quote(instance_id, safe='')}/{execution_id}/{episode:08d}.json"

    async def load_history(self, record: InstanceRecord) -> tuple[list[Event], dict[str, Any]]:
        """The committed episodes of the current execution, and the state after the last one."""
        container = self._container(self._history_name)

        async def read(episode: int) -> dict[str, Any]:
            downloader = await container.download_blob(
                self._episode_blob(record.instance_id, record.execution_id, episode))
            loaded: dict[str, Any] = json.loads(await downloader.readall())
            return loaded

        episodes = await asyncio.gather(*(read(number) for number in range(record.episode_count)))
        events = [event for episode in episodes for event in episode["events"]]
        return events, (episodes[-1]["state"] if episodes else {})

    # -- external events ----------------------------------------------------------------------------

    async def add_event(self, instance_id: str, name: str, input_json: str | None) -> BufferedEvent:
        key = f"{EVENT_PREFIX}{time.time_ns():020d}-{next(self._event_counter):08d}"
        entity: dict[str, Any] = {"PartitionKey": instance_id, "RowKey": key, "Name": name,
                                  "Input": input_json, "InputBlob": None}
        if input_json is not None and len(input_json) > INLINE_LIMIT:
            blob = f"{quote(instance_id, safe='')}/events/{key}"
            await self._container(self._payloads_name).upload_blob(blob, input_json.encode(), overwrite=True)
            entity["Input"], entity["InputBlob"] = None, blob
        await self._table.create_entity(entity)
        return BufferedEvent(key, name, input_json)

    async def pending_events(self, instance_id: str) -> list[BufferedEvent]:
        found = []
        async for entity in self._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @start and RowKey lt @end",
            parameters={"pk": instance_id, "start": EVENT_PREFIX, "end": EVENT_PREFIX + "~"},
        ):
            value = entity.get("Input")
            if entity.get("InputBlob"):
                downloader = await self._container(self._payloads_name).download_blob(entity["InputBlob"])
                value = (await downloader.readall()).decode()
            found.append(BufferedEvent(entity["RowKey"], entity["Name"], value))
        return sorted(found, key=lambda event: event.key)

    # -- queries and purge --------------------------------------------------------------------------

    async def query(self, query_filter: str, parameters: dict[str, Any]) -> list[InstanceRecord]:
        full_filter = f"RowKey eq '' and ( {query_filter} )" if query_filter else "RowKey eq ''"
        rows = [entity async for entity in self._table.query_entities(full_filter, parameters=parameters)]
        return list(await asyncio.gather(*(self._record(row) for row in rows)))

    async def delete_instance(self, instance_id: str) -> None:
        """The row, its events, its history and payload blobs."""
        await self.delete_events(instance_id)
        await self._table.delete_entity(instance_id, "")
        await self.delete_blobs(instance_id)

    async def delete_events(self, instance_id: str) -> None:
        async for entity in self._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @start", parameters={"pk": instance_id, "start": EVENT_PREFIX},
            select=["PartitionKey", "RowKey"],
        ):
            await self._table.delete_entity(instance_id, entity["RowKey"])

    async def delete_blobs(self, instance_id: str, keep_execution: str | None = None) -> None:
        """History and payloads of every execution but `keep_execution` (and pending events' payloads)."""
        prefix = f"{quote(instance_id, safe='')}/"
        kept = (f"{prefix}{keep_execution}/", f"{prefix}events/") if keep_execution else ()
        for container_name in (self._history_name, self._payloads_name):
            container = self._container(container_name)
            names = [blob.name async for blob in container.list_blobs(name_starts_with=prefix)]
            for name in names:
                if not kept or not name.startswith(kept):
                    await container.delete_blob(name)
