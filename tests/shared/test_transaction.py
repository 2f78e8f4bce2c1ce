"""The lean entity-group transaction codec against Azurite, side by side with the SDK's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.data.tables import EdmType, EntityProperty, TableClient, TableTransactionError, UpdateMode
from azure.data.tables._table_batch import TableBatchOperations

from shared.storage import StorageAccount
from shared.storage.transaction import LeanRequest, Operation, first_failure, sub_requests, submit_transaction

OFFLINE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
    "TableEndpoint=http://127.0.0.1:1/devstoreaccount1;"
)
"""A table client that is only asked to build requests (nothing listens on port 1)."""


def _rows(table: TableClient) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["PartitionKey"], e["RowKey"]): dict(e) for e in table.list_entities()}


def _operations(partition: str) -> list[Operation]:
    typed = {
        "Text": 'quote \' and "double", unicode é ✓, a line\nbreak',
        "Count": 7,
        "Big": EntityProperty(2**40, EdmType.INT64),
        "Ratio": 0.25,
        "Flag": True,
        "When": datetime(2026, 12, 4, 10, 30, tzinfo=UTC),
        "Raw": b"\x00\x01bytes",
    }
    return [
        ("create", {"PartitionKey": partition, "RowKey": "created", **typed}),
        ("upsert", {"PartitionKey": partition, "RowKey": "upserted", "V": 1}),
        ("upsert", {"PartitionKey": partition, "RowKey": "merged", "V": 2}, {"mode": UpdateMode.MERGE}),
        ("create", {"PartitionKey": partition, "RowKey": "key with 'quotes' and spaces", "V": 3}),
    ]


def test_a_transaction_writes_what_the_sdk_writes(storage: StorageAccount) -> None:
    ours, sdk = storage.table("leanours"), storage.table("leansdk")
    submit_transaction(ours, _operations("p"))
    sdk.submit_transaction(_operations("p"))
    assert _rows(ours) == _rows(sdk)
    assert len(_rows(ours)) == 4


def test_a_failed_operation_writes_nothing_and_raises_as_the_sdk_does(storage: StorageAccount) -> None:
    table = storage.table("leanfail")
    submit_transaction(table, [("create", {"PartitionKey": "p", "RowKey": "exists", "V": 1})])
    clash: list[Operation] = [
        ("upsert", {"PartitionKey": "p", "RowKey": "new", "V": 2}),
        ("create", {"PartitionKey": "p", "RowKey": "exists", "V": 3}),
    ]
    with pytest.raises(TableTransactionError) as ours:
        submit_transaction(table, clash)
    with pytest.raises(TableTransactionError) as sdk:
        table.submit_transaction(clash)
    assert (ours.value.status_code, getattr(ours.value, "error_code", None)) == (409, "EntityAlreadyExists")
    assert (sdk.value.status_code, getattr(sdk.value, "error_code", None)) == (409, "EntityAlreadyExists")
    assert _rows(table) == {("p", "exists"): {"PartitionKey": "p", "RowKey": "exists", "V": 1}}


def test_a_hundred_operations_go_in_one_transaction(storage: StorageAccount) -> None:
    table = storage.table("leanhundred")
    submit_transaction(
        table, [("upsert", {"PartitionKey": "p", "RowKey": f"{n:03d}", "N": n}) for n in range(100)]
    )
    assert sorted(row["N"] for row in _rows(table).values()) == list(range(100))


def test_no_operation_sends_nothing(storage: StorageAccount) -> None:
    submit_transaction(storage.table("leanempty"), [])
    assert _rows(storage.table("leanempty")) == {}


def test_an_answer_with_a_part_missing_is_not_taken_for_success() -> None:
    ok = b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\nETag: x\r\n\r\n"
    ok += b"\r\n--b--\r\n"
    assert first_failure(ok, 1) is None
    with pytest.raises(Exception, match="answered with 1 parts"):
        first_failure(ok, 2)
    failed = (
        b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 409 Conflict\r\nContent-ID: 2\r\n\r\n"
        b'{"odata.error":{"code":"EntityAlreadyExists"}}\r\n--b--\r\n'
    )
    assert first_failure(failed, 2) == (409, b'{"odata.error":{"code":"EntityAlreadyExists"}}')


def _sdk_requests(table: TableClient, operations: list[Operation]) -> list[Any]:
    batch = TableBatchOperations(
        config=table._client._config,
        endpoint=f"{table.scheme}://{table._primary_hostname}",
        table_name=table.table_name,
        is_cosmos_endpoint=False,
    )
    for operation in operations:
        batch.add_operation(operation)
    return batch.requests


def _seen(request: Any) -> tuple[str, str, dict[str, str], Any]:
    content = request.content
    return request.method, request.url, dict(request.headers), json.loads(content) if content else None


def test_sub_requests_are_the_ones_the_sdk_builds() -> None:
    table = TableClient.from_connection_string(OFFLINE, "tablename")
    etag = {"etag": "W/\"datetime'2026-12-04T10%3A30Z'\"", "match_condition": MatchConditions.IfNotModified}
    operations: list[Operation] = [
        *_operations("p/é'"),
        ("upsert", {"PartitionKey": "p/é'", "RowKey": "replaced", "V": 1}, {"mode": UpdateMode.REPLACE}),
        ("update", {"PartitionKey": "p/é'", "RowKey": "u1", "V": 1}),
        ("update", {"PartitionKey": "p/é'", "RowKey": "u2", "V": 1}, {"mode": UpdateMode.REPLACE, **etag}),
        ("update", {"PartitionKey": "p/é'", "RowKey": "u3", "V": None}, {"mode": UpdateMode.MERGE, **etag}),
        ("delete", {"PartitionKey": "p/é'", "RowKey": "d1 #?"}),
        ("delete", {"PartitionKey": "p/é'", "RowKey": "d2"}, etag),
    ]
    ours = sub_requests(table, operations)
    assert all(isinstance(request, LeanRequest) for request in ours)
    assert [_seen(r) for r in ours] == [_seen(r) for r in _sdk_requests(table, operations)]


def test_operations_the_lean_builder_does_not_know_go_through_the_sdk() -> None:
    table = TableClient.from_connection_string(OFFLINE, "tablename")
    unknown = [("upsert", {"PartitionKey": "p", "RowKey": "r"}, {"mode": UpdateMode.REPLACE, "timeout": 5})]
    assert not isinstance(sub_requests(table, unknown)[0], LeanRequest)
    with pytest.raises(ValueError, match="Partition Keys"):
        sub_requests(
            table,
            [
                ("create", {"PartitionKey": "a", "RowKey": "1"}),
                ("create", {"PartitionKey": "b", "RowKey": "1"}),
            ],
        )
    with pytest.raises(ValueError, match="PartitionKey and/or RowKey"):
        sub_requests(table, [("create", {"PartitionKey": "a"})])
    with pytest.raises(ValueError, match="Unrecognized operation"):
        sub_requests(table, [("merge", {"PartitionKey": "a", "RowKey": "1"})])
