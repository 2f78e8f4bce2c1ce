"""`fail_orphan` against real tables (Azurite): a run whose orchestration ended without it ends failed
with the reason; a run that ended between the reader's look and the engine's answer is left as it is
(a status poll at the very end of a backup must not answer 409)."""

from __future__ import annotations

import pytest

from shared.audit import AuditLog
from shared.auth.memberships import MembershipStore
from shared.config.settings import Settings
from shared.jobs.reconcile import fail_orphan
from shared.runs import RunStatus, finish, get_run, mark_running, start_or_reuse
from shared.runs.tables import RunTables
from shared.services import Services
from shared.storage import StorageAccount, StorageConfig
from shared.tenants import TenantRegistry

TENANT = "6f1c3a52-3d8e-4a43-9f4e-0c1f2a3b4c5d"
REASON = "Its orchestration ended (completed) without ending the run."


@pytest.fixture
def services(storage: StorageAccount, storage_config: StorageConfig) -> Services:
    assert storage_config.connection_string is not None
    settings = Settings.from_env(
        {
            "AzureWebJobsStorage": storage_config.connection_string,
            "TENANTATLAS_AUTH_AUDIENCE": "api://tenantatlas",
            "TENANTATLAS_AUTH_TENANT_IDS": TENANT,
        }
    )
    registry = TenantRegistry(storage)
    return Services(settings, storage, RunTables.from_account(storage), AuditLog(storage), registry,
                    MembershipStore(storage, registry))


def test_an_orphaned_run_ends_failed_with_the_reason(services: Services) -> None:
    run, _ = start_or_reuse(services.runs, TENANT, "backup.tenant", ["orphan"], "user:a")
    seen = mark_running(services.runs, TENANT, run.run_id)

    ended = fail_orphan(services, seen, REASON)

    assert ended.status is RunStatus.FAILED
    assert ended.error == REASON
    assert get_run(services.runs, TENANT, run.run_id).status is RunStatus.FAILED


def test_a_run_that_ended_after_it_was_read_is_left_as_it_ended(services: Services) -> None:
    run, _ = start_or_reuse(services.runs, TENANT, "backup.tenant", ["late"], "user:a")
    seen = mark_running(services.runs, TENANT, run.run_id)
    finish(services.runs, TENANT, run.run_id)  # the orchestration's last step, after `seen` was read

    ended = fail_orphan(services, seen, REASON)

    assert ended.status is RunStatus.SUCCEEDED
    assert ended.error is None
