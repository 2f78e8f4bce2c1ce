"""The Azurite launcher hands out working endpoints for Tables, Blobs and Queues."""

from __future__ import annotations

import uuid

from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from local.azurite import Azurite, AzuriteEndpoints


def test_tables_blobs_and_queues_answer(azurite: AzuriteEndpoints) -> None:
    name = "t" + uuid.uuid4().hex[:12]
    table = TableServiceClient.from_connection_string(azurite.connection_string).create_table(name)
    table.create_entity({"PartitionKey": "p", "RowKey": "r", "value": 7})
    assert table.get_entity("p", "r")["value"] == 7

    container = BlobServiceClient.from_connection_string(azurite.connection_string).create_container(name)
    container.upload_blob("b.json", b"{}")
    assert container.download_blob("b.json").readall() == b"{}"

    queue = QueueServiceClient.from_connection_string(azurite.connection_string).create_queue(name)
    queue.send_message("hello")
    assert [m.content for m in queue.receive_messages()] == ["hello"]


def test_restart_on_same_folder_keeps_data_and_key(tmp_path) -> None:
    with Azurite(data_dir=tmp_path) as first:
        TableServiceClient.from_connection_string(first.connection_string).create_table("kept")
    with Azurite(data_dir=tmp_path) as second:
        assert second.account_key == first.account_key
        service = TableServiceClient.from_connection_string(second.connection_string)
        names = [t.name for t in service.list_tables()]
        assert "kept" in names
