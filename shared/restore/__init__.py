"""Restore: a read-only preview of what would change, then an audited live restore
(docs/architecture.md#restore).

The job side (`model`, `source`, `plan`, `live`, `safety`) plans and applies items; the engine side
(`payload`, `remap`, `lookup`, `write`) turns one item into Graph writes in the target tenant.
"""
