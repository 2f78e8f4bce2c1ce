"""Table helpers against Azurite: create-once clients, batched upserts, parameterised paging."""

from __future__ import annotations

import pytest
from azure.data.tables import TableTransactionError

from shared.storage import (
    InvalidContinuationToken,
    StorageAccount,
    StorageConfig,
    StorageConfigError,
    encode_continuation,
    query_page,
    upsert_batched,
    worker_account,
)


def test_table_and_container_clients_are_built_once(storage: StorageAccount) -> None:
    assert storage.table("things") is storage.table("things")
    assert storage.container("blobs") is storage.container("blobs")


def test_worker_account_is_shared_per_config(storage_config: StorageConfig) -> None:
    account = worker_account(storage_config)
    try:
        assert worker_account(storage_config) is account
    finally:
        account.close()


def test_config_requires_one_complete_way_in() -> None:
    with pytest.raises(StorageConfigError):
        StorageConfig()
    with pytest.raises(StorageConfigError):
        StorageConfig(connection_string="x", table_endpoint="https://t")
    with pytest.raises(StorageConfigError):
        StorageConfig(connection_string="x", name_prefix="Bad-Prefix")


def test_upsert_batched_spans_partitions_and_chunks_and_is_idempotent(storage: StorageAccount) -> None:
    table = storage.table("items")
    entities = [{"PartitionKey": f"p{n % 2}", "RowKey": f"{n:04d}", "N": n} for n in range(250)]
    assert upsert_batched(table, entities) == 250
    assert upsert_batched(table, [{**e, "N": -1} for e in entities[:10]]) == 10
    stored = {(e["PartitionKey"], e["RowKey"]): e["N"] for e in table.list_entities()}
    assert len(stored) == 250
    assert stored[("p0", "0000")] == -1
    assert stored[("p1", "0011")] == 11


def test_upsert_batched_keeps_last_duplicate_in_one_transaction(storage: StorageAccount) -> None:
    table = storage.table("items")
    upsert_batched(
        table, [{"PartitionKey": "p", "RowKey": "r", "V": 1}, {"PartitionKey": "p", "RowKey": "r", "V": 2}]
    )
    assert table.get_entity("p", "r")["V"] == 2


def test_upsert_batched_failure_raises_transaction_error(storage: StorageAccount) -> None:
    table = storage.table("items")
    with pytest.raises(TableTransactionError):
        upsert_batched(
            table, [{"PartitionKey": "p", "RowKey": "ok"}, {"PartitionKey": "p", "RowKey": "bad/key"}]
        )


def test_query_page_walks_all_pages_with_parameters(storage: StorageAccount) -> None:
    table = storage.table("paged")
    upsert_batched(
        table, [{"PartitionKey": "A", "RowKey": f"{n:03d}", "Kind": "x" if n % 3 else "y"} for n in range(25)]
    )
    upsert_batched(table, [{"PartitionKey": "B", "RowKey": f"{n:03d}", "Kind": "x"} for n in range(5)])
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = query_page(
            table,
            "PartitionKey eq @pk and Kind eq @kind",
            {"pk": "A", "kind": "x"},
            page_size=4,
            continuation=token,
        )
        seen += [e["RowKey"] for e in page.items]
        pages += 1
        token = page.continuation
        if token is None:
            break
    assert seen == [f"{n:03d}" for n in range(25) if n % 3]
    assert pages >= 4


def test_query_parameters_are_not_injectable(storage: StorageAccount) -> None:
    table = storage.table("inject")
    upsert_batched(
        table, [{"PartitionKey": "A", "RowKey": "1", "Name": "o'brien"}, {"PartitionKey": "B", "RowKey": "1"}]
    )
    hostile = "x' or PartitionKey ne 'zzz"
    assert query_page(table, "PartitionKey eq @pk", {"pk": hostile}).items == []
    quoted = query_page(table, "Name eq @name", {"name": "o'brien"}).items
    assert [e["PartitionKey"] for e in quoted] == ["A"]


@pytest.mark.parametrize("token", ["not base64!", "e30", encode_continuation({"Other": "x"}) or "", "bnVsbA"])
def test_bad_continuation_tokens_raise_stable_error(storage: StorageAccount, token: str) -> None:
    with pytest.raises(InvalidContinuationToken) as err:
        query_page(storage.table("paged"), "PartitionKey eq @pk", {"pk": "A"}, continuation=token)
    assert err.value.code == "paging.invalid_continuation_token"
    assert err.value.status == 400
