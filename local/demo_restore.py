"""The restore part of `make demo`: restore the changed policy from the backup taken before the change
(a read-only preview with its diff, a live restore with its safety backup, the audit trail, the object
in the simulator), then roll tenant A's backup out to tenant B as a baseline (preview, then live).

Each step checks what it sees and raises `DemoStepFailed` otherwise; `RESTORE_STEPS` follow the
backup steps in `local.demo`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local.apptesting import OPERATOR_A, SETTINGS_CATALOG
from local.demo_support import DIFF_LINES, Demo, DemoStepFailed, short, version_in
from shared.intune.catalog import BY_NAME
from shared.intune.diff import diff_policies
from shared.intune.normalize import normalize

RESTORE_ACTIONS = ("create", "update", "unchanged", "skip", "conflict")
SAMPLES_PER_ACTION = 2
BASELINE_TYPES = (
    "roleScopeTags",
    "assignmentFilters",
    "notificationMessageTemplates",
    "reusablePolicySettings",
    "deviceCompliancePolicies",
    "configurationPolicies",
    "groupPolicyConfigurations",
    "applePushNotificationCertificate",
    "depOnboardingSettings",
)
"""What the demo rolls out as a baseline: compliance, settings catalog and administrative template
policies with what they refer to (scope tags, filters, notification templates, reusable settings),
and two Apple types bound to their tenant, which a restore skips with a reason. A subset of the
backup's types, so the demo stays short (each write is a few Graph requests at the demo's latency)."""


def make_alice_admin(demo: Demo) -> None:
    """A live restore needs the admin role: alice is made admin of tenants A and B (admin command)."""
    for tenant in demo.tenants[:2]:
        print(demo.admin_command(
            "grant", "--tenant-id", tenant.tenant_id, "--user", OPERATOR_A, "--role", "admin"
        ))
    roles = {t["tenantId"]: t["role"] for t in demo.call("GET", "api/tenants", 200).json()["items"]}
    if [roles.get(t.tenant_id) for t in demo.tenants[:2]] != ["admin", "admin"]:
        raise DemoStepFailed(f"alice is not admin of both tenants: {roles}")


def preview_restore(demo: Demo) -> None:
    """Restore preview (read-only) of tenant A from its backup taken before the change."""
    tenant, policy = demo.tenants[0], demo.policy
    backup = demo.backups[tenant.tenant_id][0]
    demo.graph_admin.clear_log()
    run = demo.restore(tenant, {"mode": "preview", "source": {"backupId": backup["id"]}}, "restore preview")
    if run["status"] != "succeeded":
        raise DemoStepFailed(f"preview {run['id']} ended {run['status']}: {run.get('error')}")
    writes = [e for e in demo.graph_admin.log(tenant=tenant.tenant_id) if e["kind"] == "graph"]
    reads = sum(1 for e in writes if e["method"] == "GET")
    print(f"  source: backup {backup['id']} (before the change); planned: {run['summary']['actions']}")
    print(f"  graphsim request log while previewing: {reads} GETs, {len(writes) - reads} writes")
    if len(writes) != reads:
        raise DemoStepFailed(f"the preview wrote to Graph: {[e for e in writes if e['method'] != 'GET'][:3]}")
    items = demo.items(tenant, run)
    item = items.get(policy.item_id)
    if item is None:
        raise DemoStepFailed(f"the preview has no item {policy.item_id}")
    diff = item["details"]["diff"]
    print(f"  {policy.name!r}: action {item['action']}, target {item['details']['targetId']}, "
          f"{diff['summary']} (live -> backup)")
    for change in diff["changes"][:DIFF_LINES]:
        print(f"    {change['op']} {short(change['path'], 96)}")
        print(f"        {short(change['before'])} -> {short(change['after'])}")
    paths = " ".join(change["path"] for change in diff["changes"])
    if item["action"] != "update" or "description" not in paths or "choiceSettingValue" not in paths:
        raise DemoStepFailed(f"expected an update of description and setting, saw {item['action']}: {paths}")
    others = {i["action"] for key, i in items.items() if key != policy.item_id}
    if "update" in others or "create" in others:
        raise DemoStepFailed(f"the preview would change more than the changed policy: {run['summary']}")


def restore_live(demo: Demo) -> None:
    """Live restore of that policy only (a subset of the preview), with its safety backup."""
    tenant, policy = demo.tenants[0], demo.policy
    preview = demo.runs["restore preview"]
    body = {"mode": "live", "previewRunId": preview["id"], "confirm": True, "items": [policy.item_id]}
    run = demo.restore(tenant, body, "restore live")
    items = demo.items(tenant, run)
    for item in items.values():
        notes = "; ".join(item["details"].get("notes") or [])
        print(f"  {item['itemId']}: {item['outcome']} ({item['action']} {item['details'].get('targetId')})"
              + (f" - {notes}" if notes else ""))
    safety_id = (run.get("summary") or {}).get("safetyBackupId")
    if run["status"] != "succeeded" or set(items) != {policy.item_id}:
        raise DemoStepFailed(f"live restore {run['id']} ended {run['status']} with items {list(items)}")
    if items[policy.item_id]["outcome"] != "succeeded" or not safety_id:
        raise DemoStepFailed(f"the item was not restored or no safety backup: {run.get('summary')}")
    safety = demo.call(
        "GET", f"api/tenants/{tenant.tenant_id}/backups/{safety_id}", 200, params={"includeItems": "true"}
    ).json()
    held = [entry["policyId"] for entries in safety["items"].values() for entry in entries]
    print(f"  safety backup {safety_id} ({safety['kind']}): the policy as it was before the write, {held}")
    if safety["kind"] != "safety" or held != [policy.policy_id]:
        raise DemoStepFailed(f"the safety backup holds {held}, kind {safety['kind']}")


def show_audit_trail(demo: Demo) -> None:
    """The audit trail of the live restore: one event per write."""
    tenant, policy = demo.tenants[0], demo.policy
    run = demo.runs["restore live"]
    params = {"since": run["createdAt"], "pageSize": "100"}
    audit = demo.call("GET", f"api/tenants/{tenant.tenant_id}/audit", 200, params=params).json()
    events = [event for event in audit["items"] if event["runId"] == run["id"]]
    print(f"GET /api/tenants/{{{tenant.name}}}/audit -> {len(events)} events of run {run['id']}:")
    for event in reversed(events):
        details = event["details"]
        print(f"  {event['at'][11:19]} {event['action']:<24} {event['outcome']:<9} by {event['actor']}")
        if event["action"] == "restore.write":
            print(f"      item {details.get('itemId')}: {details.get('action')} "
                  f"of target {details.get('targetId')}")
            print(f"      content hash before {_hash(details.get('hashBefore'))} "
                  f"after {_hash(details.get('hashAfter'))}")
    writes = [event for event in events if event["action"] == "restore.write"]
    if len(writes) != 1:
        raise DemoStepFailed(f"expected one restore.write event, saw {[e['action'] for e in events]}")
    details = writes[0]["details"]
    source_hash = demo.items(tenant, demo.runs["restore preview"])[policy.item_id]["details"]["sourceSha256"]
    same = "equals" if details.get("hashAfter") == source_hash else "differs from"
    print(f"  the hash after {same} the backed-up version's content hash {_hash(source_hash)}")
    if (details.get("targetId"), details.get("action")) != (policy.policy_id, "update") or (
        not details.get("hashBefore") or details.get("hashAfter") != source_hash
    ):
        raise DemoStepFailed(f"the write event does not show the update: {details}")


def verify_in_graph(demo: Demo) -> None:
    """The policy in the Graph simulator (raw object) is back to its backed-up state."""
    tenant, policy = demo.tenants[0], demo.policy
    held = demo.graph_admin.tenant_state(tenant.tenant_id)["collections"][SETTINGS_CATALOG]
    now = next((p for p in held if p["id"] == policy.policy_id), None)
    if now is None:
        raise DemoStepFailed(f"the policy {policy.policy_id} is gone from the simulator")
    entry = BY_NAME[policy.policy_type]
    versus_before = diff_policies(
        policy.policy_type, normalize(entry, policy.before)[0], normalize(entry, now)[0]
    )
    backup = demo.backups[tenant.tenant_id][0]
    version = demo.call(
        "GET", f"api/tenants/{tenant.tenant_id}/policies/{policy.policy_type}/{policy.policy_id}/versions/"
        f"{version_in(demo, backup, policy)}", 200,
    ).json()
    versus_backup = diff_policies(policy.policy_type, version["content"], normalize(entry, now)[0])
    print(f"graphsim admin: {SETTINGS_CATALOG}/{policy.policy_id}, raw:")
    print(f"  name {now['name']!r}, description {now.get('description')!r}")
    print(f"  setting {short(policy.setting_id)}: {short(_value_of(now, policy.setting_id))} "
          f"(before the change: {short(_value_of(policy.before, policy.setting_id))})")
    print(f"  vs the object before the change: {versus_before.summary()}")
    print(f"  vs backup {backup['id']}'s version: {versus_backup.summary()}")
    if not versus_before.unchanged or not versus_backup.unchanged:
        shown = [c.path for c in (versus_before.changes + versus_backup.changes)][:DIFF_LINES]
        raise DemoStepFailed(f"the restored policy differs from its backed-up state: {shown}")


def preview_baseline(demo: Demo) -> None:
    """Baseline roll-out, preview: tenant A's backup into tenant B (reader on A, admin on B)."""
    source, target = demo.tenants[0], demo.tenants[1]
    backup = demo.backups[source.tenant_id][-1]
    body = {
        "mode": "preview",
        "source": {"backupId": backup["id"], "tenantId": source.tenant_id},
        "types": list(BASELINE_TYPES),
    }
    run = demo.restore(target, body, "baseline preview")
    if run["status"] not in ("succeeded", "partially_succeeded"):
        raise DemoStepFailed(f"baseline preview {run['id']} ended {run['status']}: {run.get('error')}")
    items = demo.items(target, run)
    counts = {action: sum(1 for i in items.values() if i["action"] == action) for action in RESTORE_ACTIONS}
    print(f"  {source.name} backup {backup['id']} -> {target.name}, types {', '.join(BASELINE_TYPES)}")
    print(f"  {len(items)} items planned: {counts}")
    for action in RESTORE_ACTIONS:
        for item in _samples([i for i in items.values() if i["action"] == action]):
            why = item.get("reason") or "; ".join(item["details"].get("notes") or [])
            changes = (item["details"].get("diff") or {}).get("changes") or []
            if action == "update" and changes:
                first = changes[0]
                why = (f"{len(changes)} field(s) differ, e.g. {first['op']} {first['path']}: "
                       f"{_brief(first['before'])} -> {_brief(first['after'])}")
            tail = f" - {_clip(why)}" if why else ""
            print(f"    {action:<9} {item['type']}: {item['displayName']!r}{tail}")
    path = f"api/tenants/{source.tenant_id}/backups/{backup['id']}"
    by_type = demo.call("GET", path, 200).json()["countsByType"]
    expected = sum(by_type.get(name, {}).get("succeeded", 0) for name in BASELINE_TYPES)
    if sum(counts.values()) != len(items) or len(items) != expected:
        raise DemoStepFailed(f"{len(items)} items planned of {expected} of those types backed up: {counts}")
    if not counts["create"] + counts["update"]:
        raise DemoStepFailed(f"the baseline would change nothing in {target.name}: {counts}")


def restore_baseline(demo: Demo) -> None:
    """Baseline roll-out, live: every planned item written into tenant B."""
    target = demo.tenants[1]
    preview = demo.runs["baseline preview"]
    planned = demo.items(target, preview)
    body = {"mode": "live", "previewRunId": preview["id"], "confirm": True}
    demo.graph_admin.clear_log()
    run = demo.restore(target, body, "baseline live")
    log = [e for e in demo.graph_admin.log(tenant=target.tenant_id) if e["kind"] == "graph"]
    writes = [e for e in log if e["method"] != "GET"]
    throttled = sum(1 for e in log if e["throttled"])
    print(f"  graphsim request log: {len(log) - len(writes)} reads, {len(writes)} writes, "
          f"{throttled} answered 429 (waited out)")
    counters = {k: v for k, v in (run.get("counters") or {}).items() if v}
    safety_id = (run.get("summary") or {}).get("safetyBackupId")
    print(f"  run {run['id']} {run['status']}: {counters}; safety backup {safety_id}")
    outcomes = demo.items(target, run)
    tally: dict[str, int] = {}
    for item in outcomes.values():
        key = f"{item['action']}:{item['outcome']}"
        tally[key] = tally.get(key, 0) + 1
    print(f"  per planned action, outcome: {dict(sorted(tally.items()))}")
    failed = [f"{k}: {i['error'] or i['reason']}" for k, i in outcomes.items() if i["outcome"] == "failed"]
    if set(outcomes) != set(planned) or failed or run["status"] not in ("succeeded", "partially_succeeded"):
        raise DemoStepFailed(f"baseline live {run['id']} ended {run['status']}; failed: {failed[:3]}")
    wanted = {k for k, i in planned.items() if i["action"] in ("create", "update")}
    written = {
        k for k, i in outcomes.items() if i["outcome"] == "succeeded" and i["action"] in ("create", "update")
    }
    if written != wanted:
        raise DemoStepFailed(f"planned writes {len(wanted)}, written {len(written)}")
    if any(i["action"] == "update" for i in planned.values()) and not safety_id:
        raise DemoStepFailed(f"baseline live {run['id']} updated objects without a safety backup")
    held = demo.graph_admin.tenant_state(target.tenant_id)["collections"]
    created = [i for i in planned.values() if i["action"] == "create"]
    missing = [
        f"{i['type']}: {i['displayName']}" for i in created
        if i["displayName"] not in {
            o.get("name" if i["type"] == "configurationPolicies" else "displayName")
            for o in held.get(f"deviceManagement/{i['type']}", [])
        }
    ]
    print(f"  graphsim admin: {target.name} now holds the {len(created) - len(missing)} of {len(created)} "
          f"created objects by name")
    if missing:
        raise DemoStepFailed(f"{len(missing)} created objects are not in the simulator: {missing[:3]}")


RESTORE_STEPS: list[Callable[[Demo], None]] = [
    make_alice_admin,
    preview_restore,
    restore_live,
    show_audit_trail,
    verify_in_graph,
    preview_baseline,
    restore_baseline,
]


def _value_of(policy: dict[str, Any], setting_id: str) -> Any:
    """The choice value of one setting of a raw settings catalog policy."""
    instance: dict[str, Any] = next(
        (s["settingInstance"] for s in policy.get("settings", [])
         if s.get("settingInstance", {}).get("settingDefinitionId") == setting_id),
        {},
    )
    return instance.get("choiceSettingValue", {}).get("value")


def _samples(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A few items, of as many types as there are, policies before what they refer to."""
    by_type: dict[str, dict[str, Any]] = {}
    for item in items:
        by_type.setdefault(item["type"], item)
    order = sorted(by_type, key=lambda name: -BY_NAME[name].restore_order if name in BY_NAME else 0)
    return [by_type[name] for name in order][:SAMPLES_PER_ACTION]


def _brief(value: Any) -> str:
    """A diff value in a few characters: objects and lists by their size."""
    if isinstance(value, dict):
        return f"{{{len(value)} fields}}"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    return "(none)" if value is None else short(value, 24)


def _hash(value: Any) -> str:
    return f"{value[:16]}..." if isinstance(value, str) else repr(value)


def _clip(text: str, width: int = 100) -> str:
    """Reasons and notes say the most at their start."""
    return text if len(text) <= width else text[: width - 3] + "..."
