"""Restore: a read-only preview of what would change, then an audited live restore
(docs/architecture.md#restore).

The job side (`model`, `source`, `plan`, `live`, `safety`) plans and applies items; the engine side
turns one item into Graph writes in the target tenant: `idmap` matches what items refer to between
tenants, `remap` (with `remap_types` and `remap_notes`) rewrites an item's references or says why it
must not be written, `payload` makes the body, `lookup` finds the target object, and `write` picks
the writer of the item's write strategy (`writer`, `writers`, `writers_tenant`).
"""
