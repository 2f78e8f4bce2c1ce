"""Tenant backup: the names other areas start it by (schedules start one per slot)."""

from __future__ import annotations

TENANT_BACKUP_ORCHESTRATOR = "tenant_backup"
"""Orchestrator function name; its input is `{"tenantId": str, "runId": str}`."""
RUN_TYPE = "backup.tenant"
SCHEDULED_RUN_TYPE = "backup.scheduled"
BACKUP_RUN_TYPES = frozenset({RUN_TYPE, SCHEDULED_RUN_TYPE})
"""Run types the backup orchestrator accepts: on demand, and one per schedule slot."""
