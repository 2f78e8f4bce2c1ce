"""Assembling a backup set's as-built report: its manifest, the stored content of each entry, and the
names Graph gives the IDs in them (groups, filters, setting definitions), read-only, at request time.

A name Graph cannot give (the tenant unreachable, a policy deleted since, a group gone) leaves the
report with the ID or a name made from the key; the report says so in its `namesFromGraph` figure.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared.backups.report import (
    SETTINGS_CATALOG_TYPES,
    Definition,
    Report,
    ReportNames,
    build_report,
)
from shared.backups.sets import get_backup_set, get_manifest
from shared.graph import GraphClient, GraphError, GraphThrottled
from shared.graph.tenant_clients import graph_client_for
from shared.intune.catalog import BY_NAME
from shared.services import Services
from shared.storage import names, payload_store

log = logging.getLogger(__name__)

_PARALLEL = 8
"""Blob reads and Graph listings at once: each is a round trip, mostly waiting."""


def backup_report(services: Services, tenant_id: str, backup_id: str) -> Report:
    tenant = services.tenants.require(tenant_id)
    account = services.account
    backup = get_backup_set(account.table(names.BACKUP_SETS), tenant.tenant_id, backup_id)
    manifest = get_manifest(account.container(names.MANIFESTS_CONTAINER), backup)
    entries = [(policy_type, entry) for policy_type, items in manifest["types"].items() for entry in items]
    store = payload_store(account, tenant.tenant_id)
    with ThreadPoolExecutor(max_workers=_PARALLEL, thread_name_prefix="report") as pool:
        contents = list(pool.map(lambda pair: store.get_json(pair[1]["contentSha256"]), entries))
    triples = [
        (policy_type, str(entry["policyId"]), content)
        for (policy_type, entry), content in zip(entries, contents, strict=True)
    ]
    try:
        looked_up = graph_names(graph_client_for(services.settings, tenant, read_only=True), triples)
    except GraphError as exc:
        log.warning("Report of %s without names from Graph (%s)", backup_id, type(exc).__name__)
        looked_up = ReportNames()
    return build_report(
        tenant_id=tenant.tenant_id,
        tenant_name=tenant.display_name,
        backup_id=backup.backup_id,
        created_at=backup.created_at,
        status=backup.status,
        contents=triples,
        names=looked_up,
    )


def graph_names(client: GraphClient, contents: Sequence[tuple[str, str, Mapping[str, Any]]]) -> ReportNames:
    """Group and filter names (one listing each) and the definitions of every settings-catalog
    policy's settings (`settings?$expand=settingDefinitions`, one listing per policy)."""
    catalog = [(t, pid) for t, pid, _ in contents if t in SETTINGS_CATALOG_TYPES]
    with ThreadPoolExecutor(max_workers=_PARALLEL, thread_name_prefix="report-names") as pool:
        groups = pool.submit(_names, client, "/groups", "v1.0")
        filters = pool.submit(_names, client, "/deviceManagement/assignmentFilters", "beta")
        definitions: dict[str, Definition] = {}
        throttled = []
        for pair, found in zip(
            catalog, pool.map(lambda pair: _definitions(client, *pair), catalog), strict=True
        ):
            if found is None:
                throttled.append(pair)
            else:
                definitions.update(found)
        group_names, filter_names = groups.result(), filters.result()
    for pair in throttled:  # one more time each, one at a time, after the parallel burst
        definitions.update(_definitions(client, *pair) or {})
    return ReportNames(groups=group_names, filters=filter_names, definitions=definitions)


def _names(client: GraphClient, path: str, version: str) -> dict[str, str]:
    objects = client.get_all(path, params={"$select": "id,displayName"}, version=version)
    return {str(o["id"]): str(o.get("displayName") or o["id"]) for o in objects if o.get("id")}


def _definitions(client: GraphClient, policy_type: str, policy_id: str) -> dict[str, Definition] | None:
    """The definitions of the policy's settings by ID; None when Graph throttled the listing."""
    entry = BY_NAME[policy_type]
    try:
        settings = client.get_all(
            f"{entry.collection}/{policy_id}/settings",
            params={"$expand": "settingDefinitions"},
            version=entry.version,
        )
    except GraphThrottled:
        return None
    except GraphError as exc:  # deleted since the backup, or not readable: names from the IDs
        log.info("No setting definitions for %s %s (%s)", policy_type, policy_id, type(exc).__name__)
        return {}
    found: dict[str, Definition] = {}
    for setting in settings:
        for definition in setting.get("settingDefinitions") or []:
            if not isinstance(definition, dict) or not definition.get("id"):
                continue
            options = {
                str(o["itemId"]): str(o.get("displayName") or o["itemId"])
                for o in definition.get("options") or []
                if isinstance(o, dict) and o.get("itemId")
            }
            found[str(definition["id"])] = Definition(
                str(definition.get("displayName") or definition["id"]), options
            )
    return found
