"""Logical table and container names, in one place so every module agrees on where data lives.

The physical name is `StorageAccount.name_prefix + logical name`; tests use a unique
prefix per test to isolate themselves inside one Azurite.
"""

from __future__ import annotations

from typing import Final

TENANTS: Final = "tenants"
MEMBERSHIPS: Final = "memberships"
GROUP_ROLES: Final = "grouproles"
"""Entra groups mapped to tenant roles (PK tenant, RK group object ID)."""
RUNS: Final = "runs"
RUN_IDS: Final = "runids"
RUN_ITEMS: Final = "runitems"
DEDUPE_LOCKS: Final = "dedupelocks"
AUDIT: Final = "audit"
NOTIFICATIONS: Final = "notifications"
POLICY_VERSIONS: Final = "policyversions"
PAYLOADS: Final = "payloads"
"""Policy payloads that compress to 768 KiB or less (PK tenant, RK SHA-256 hex; shared.storage.content)."""
BACKUP_SETS: Final = "backupsets"
INVENTORY: Final = "inventory"
"""The latest known state of every policy of a tenant (PK tenant, RK type + policy ID), kept by backups."""
RESTORE_JOURNAL: Final = "restorejournal"
"""The intents of live restores' writes (PK run, RK item), written just before an item's first write."""
SCHEDULES: Final = "schedules"
SCHEDULE_DUE: Final = "scheduledue"
"""Index of enabled schedules by next due time (one partition), so the timer reads only what is due."""
WEBHOOKS: Final = "webhooks"
"""Webhook subscriptions (PK tenant ID or `global`, RK subscription ID); their secrets are in Key Vault."""
WEBHOOK_DELIVERIES: Final = "webhookdeliveries"
"""The delivery log (PK subscription ID, RK inverted event time + hash): a row per event and subscription."""
GRAPH_BUDGET: Final = "graphbudget"
"""The Graph budget every instance shares: a row per tenant, app and Graph host (shared.graph.budget)."""

SNAPSHOTS_CONTAINER: Final = "snapshots"
MANIFESTS_CONTAINER: Final = "manifests"
