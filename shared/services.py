"""The worker's repositories, built once from settings: what triggers and activities are handed.

Storage clients hold connection pools and table-creation state, so one set per worker process
serves every invocation (the auth gate builds its own from the same `worker_account`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from azure.data.tables import TableClient

from shared.audit import AuditLog
from shared.auth.group_roles import GroupRoleStore
from shared.auth.memberships import MembershipStore
from shared.config.settings import Settings, get_settings
from shared.runs import RunTables
from shared.storage import StorageAccount, names, worker_account
from shared.tenants import TenantRegistry


@dataclass(frozen=True)
class Services:
    settings: Settings
    account: StorageAccount
    runs: RunTables
    audit: AuditLog
    tenants: TenantRegistry
    memberships: MembershipStore

    @property
    def group_roles(self) -> GroupRoleStore:
        return GroupRoleStore(self.account, self.tenants)

    @property
    def notifications(self) -> TableClient:
        return self.account.table(names.NOTIFICATIONS)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        account = worker_account(settings.storage.config)
        registry = TenantRegistry(account)
        return cls(
            settings=settings,
            account=account,
            runs=RunTables.from_account(account),
            audit=AuditLog(account),
            tenants=registry,
            memberships=MembershipStore(account, registry),
        )


@functools.cache
def services() -> Services:
    """The worker's services (settings are loaded, and their secrets registered, on first use)."""
    return Services.from_settings(get_settings())
