"""Dependency checks behind `GET /api/health`: configuration, Table and Blob reachability, timed.

The endpoint is anonymous, so a report names a failing dependency and the exception type,
never a message (which may carry an account URL or worse) and never a setting's value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

from shared.config.errors import ConfigurationError
from shared.config.settings import Settings, StorageSettings, packaged_version

PROBE_TIMEOUT_SECONDS = 5
"""Connect and read timeout of each probe: a health check must answer before the prober gives up."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    duration_ms: float
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "ok" if self.ok else "error",
            "durationMs": round(self.duration_ms, 1),
        }
        if self.error is not None:
            body["error"] = self.error
        return body


@dataclass(frozen=True)
class HealthReport:
    version: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "healthy" if self.ok else "unhealthy",
            "version": self.version,
            "checks": {check.name: check.to_dict() for check in self.checks},
        }


class StorageProbes:
    """Service clients without retries and with short timeouts, built once per worker."""

    def __init__(self, storage: StorageSettings) -> None:
        options: dict[str, Any] = {
            "retry_total": 0,
            "connection_timeout": PROBE_TIMEOUT_SECONDS,
            "read_timeout": PROBE_TIMEOUT_SECONDS,
        }
        config = storage.config
        if config.connection_string is not None:
            self.tables = TableServiceClient.from_connection_string(config.connection_string, **options)
            self.blobs = BlobServiceClient.from_connection_string(config.connection_string, **options)
        else:
            assert config.table_endpoint and config.blob_endpoint and config.credential
            self.tables = TableServiceClient(config.table_endpoint, credential=config.credential, **options)
            self.blobs = BlobServiceClient(config.blob_endpoint, credential=config.credential, **options)

    def check(self) -> tuple[Check, ...]:
        """List one table and one container: what the app's data-plane roles allow and need."""
        return (
            _timed("tables", lambda: next(iter(self.tables.list_tables(results_per_page=1)), None)),
            _timed("blobs", lambda: next(iter(self.blobs.list_containers(results_per_page=1)), None)),
        )


def health_report(
    load_settings: Callable[[], Settings], probes: Callable[[Settings], StorageProbes]
) -> HealthReport:
    """Configuration first (nothing else can be checked without it), then storage."""
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        failed = Check("configuration", False, 0.0, f"{exc.code}: {exc.setting}")
        return HealthReport(packaged_version(), (failed,))
    return HealthReport(settings.version, (Check("configuration", True, 0.0), *probes(settings).check()))


def _timed(name: str, probe: Callable[[], object]) -> Check:
    started = time.perf_counter()
    try:
        probe()
    except AzureError as exc:
        return Check(name, False, (time.perf_counter() - started) * 1000, type(exc).__name__)
    return Check(name, True, (time.perf_counter() - started) * 1000)
