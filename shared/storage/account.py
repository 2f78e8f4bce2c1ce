"""Table and blob clients for one storage account, built once per worker and reused.

Building a client per call costs a TLS handshake and a token fetch every time; the SDK
clients are thread-safe, so one set per worker process serves every invocation.
"""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass

import requests
from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceExistsError
from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import TableClient, TableServiceClient
from azure.storage.blob import BlobServiceClient, ContainerClient

from shared.storage.errors import StorageConfigError
from shared.storage.metering import meter_hook

_PREFIX = re.compile(r"^([a-z][a-z0-9]{0,23})?$")


@dataclass(frozen=True)
class StorageConfig:
    """Where the account is and how to reach it: a connection string (local, Azurite) or
    service URLs plus an azure-identity credential (managed identity in Azure, no keys).

    `name_prefix` (lowercase letters and digits, starting with a letter) is put in front of
    every table and container name; tests use it to isolate themselves.
    """

    connection_string: str | None = None
    table_endpoint: str | None = None
    blob_endpoint: str | None = None
    credential: TokenCredential | None = None
    name_prefix: str = ""
    pool_size: int = 64
    meter_folder: str | None = None
    """Count the clients' requests into this folder (`shared.storage.metering`, for benchmarks)."""

    def __post_init__(self) -> None:
        by_url = (self.table_endpoint, self.blob_endpoint, self.credential)
        if self.connection_string is None and None in by_url:
            raise StorageConfigError(
                "Storage needs a connection string, or table_endpoint, blob_endpoint and a credential."
            )
        if self.connection_string is not None and any(v is not None for v in by_url):
            raise StorageConfigError(
                "Give either a connection string or endpoints with a credential, not both."
            )
        if not _PREFIX.match(self.name_prefix):
            raise StorageConfigError(
                f"name_prefix {self.name_prefix!r} must be up to 24 lowercase letters/digits, "
                "starting with a letter."
            )


def _transport(pool_size: int) -> RequestsTransport:
    """A transport whose connection pool fits the worker's thread count (requests keeps only 10).

    The session does not read the environment (`trust_env`): requests would otherwise look for a
    `.netrc` file and the proxy variables on every request (5% of a backup chunk's CPU in the
    bench's profile), and the storage account is reached directly, or by a private endpoint, never
    through an HTTP proxy.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=True)


class StorageAccount:
    """The worker's clients for one account; tables and containers are created on first use, once."""

    def __init__(self, config: StorageConfig) -> None:
        self.config = config
        self.name_prefix = config.name_prefix
        if config.connection_string is not None:
            self._tables = TableServiceClient.from_connection_string(
                config.connection_string,
                transport=_transport(config.pool_size),
                **meter_hook("app.table", config.meter_folder),
            )
            self._blobs = BlobServiceClient.from_connection_string(
                config.connection_string,
                transport=_transport(config.pool_size),
                **meter_hook("app.blob", config.meter_folder),
            )
        else:
            assert config.table_endpoint and config.blob_endpoint and config.credential
            self._tables = TableServiceClient(
                config.table_endpoint,
                credential=config.credential,
                transport=_transport(config.pool_size),
                **meter_hook("app.table", config.meter_folder),
            )
            self._blobs = BlobServiceClient(
                config.blob_endpoint,
                credential=config.credential,
                transport=_transport(config.pool_size),
                **meter_hook("app.blob", config.meter_folder),
            )
        self._lock = threading.Lock()
        self._table_clients: dict[str, TableClient] = {}
        self._container_clients: dict[str, ContainerClient] = {}

    def table(self, logical_name: str) -> TableClient:
        """The client for a table (see `shared.storage.names`), creating the table the first time."""
        with self._lock:
            client = self._table_clients.get(logical_name)
            if client is None:
                name = self.name_prefix + logical_name
                with contextlib.suppress(ResourceExistsError):
                    self._tables.create_table(name)
                client = self._tables.get_table_client(name)
                self._table_clients[logical_name] = client
            return client

    def container(self, logical_name: str) -> ContainerClient:
        """The client for a blob container, creating the container the first time."""
        with self._lock:
            client = self._container_clients.get(logical_name)
            if client is None:
                client = self._blobs.get_container_client(self.name_prefix + logical_name)
                with contextlib.suppress(ResourceExistsError):
                    client.create_container()
                self._container_clients[logical_name] = client
            return client

    def close(self) -> None:
        """Close both service clients (and with them the pooled connections)."""
        self._tables.close()
        self._blobs.close()

    def __enter__(self) -> StorageAccount:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_worker_accounts: dict[StorageConfig, StorageAccount] = {}
_worker_lock = threading.Lock()


def worker_account(config: StorageConfig) -> StorageAccount:
    """The process-wide account for `config`: activities call this per invocation and get the same clients."""
    with _worker_lock:
        account = _worker_accounts.get(config)
        if account is None:
            account = StorageAccount(config)
            _worker_accounts[config] = account
        return account
