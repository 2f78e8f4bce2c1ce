"""`make demo`: start the local stack, back up every demo tenant at once with a live view of progress,
change a policy in the Graph simulator, back that tenant up again and show the field-level diff between
the two versions; then restore the policy from the backup taken before the change (a read-only preview
with its diff, a live restore with its safety backup, the audit trail, the object in the simulator) and
roll tenant A's backup out to tenant B as a baseline; stop everything and exit 0 (non-zero if a step
does not see what it should).

The demo is a list of steps (`STEPS`), each a function of the `Demo`, which carries what earlier steps
found (tenants, backup runs, the changed policy) to later ones; a new part is a step appended to it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from local.apptesting import OPERATOR_A, SETTINGS_CATALOG
from local.azurite import AzuriteError
from local.devhost.testing import DevhostStartError
from local.graphsim.admin_client import AdminClient
from local.live_progress import LiveProgress, RunTimedOut
from local.stack import GRAPHSIM_CREDENTIAL_REF, REPO_ROOT, Stack, StackError, app_settings, exit_on_sigterm
from local.tokens import ensure_dev_signing_key, mint_token
from shared.intune.catalog import BY_NAME
from shared.intune.diff import diff_policies
from shared.intune.normalize import normalize
from shared.settings import DEV_AUTH_FOLDER

DEMO_LATENCY_MS = 100
DEMO_JITTER_MS = 30
"""Graph answers as slowly as in the issue's reference runs, so progress is seen, not only the end."""
BACKUP_TIMEOUT_SECONDS = 60
RESTORE_TIMEOUT_SECONDS = 90
DIFF_LINES = 12
RESTORE_ACTIONS = ("create", "update", "unchanged", "skip", "conflict")
SAMPLES_PER_ACTION = 2
BASELINE_TYPES = (
    "roleScopeTags",
    "assignmentFilters",
    "notificationMessageTemplates",
    "deviceCompliancePolicies",
    "configurationPolicies",
    "groupPolicyConfigurations",
    "applePushNotificationCertificate",
    "depOnboardingSettings",
)
"""What the demo rolls out as a baseline: compliance, settings catalog and administrative template
policies with what they refer to (scope tags, filters, notification templates), and two Apple types
bound to their tenant, which a restore skips with a reason. A subset of the backup's types, so the
demo stays short (each write is a few Graph requests at the demo's latency)."""


class DemoStepFailed(Exception):
    """A demo step did not see what it should; the message says what it saw."""


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    name: str


@dataclass(frozen=True)
class ChangedPolicy:
    policy_type: str
    policy_id: str
    name: str
    before: dict[str, Any] = field(default_factory=dict)
    """The raw object in the simulator before the change: what a restore brings back."""
    setting_id: str = ""
    """The setting definition whose value was changed."""

    @property
    def item_id(self) -> str:
        """Its item ID in a restore run."""
        return f"{self.policy_type}:{self.policy_id}"


@dataclass
class Demo:
    """The demo's view of a started stack (its API as the demo operator, the simulator's admin) and what
    the steps found so far."""

    stack: Stack
    headers: dict[str, str]
    tenants: list[DemoTenant]
    session: requests.Session = field(default_factory=requests.Session)
    backups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per tenant ID, its backup runs as they ended, oldest first."""
    changed: ChangedPolicy | None = None
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Restore runs as they ended, by role in the demo (`preview`, `live`, `baseline preview`, ...)."""

    @classmethod
    def on(cls, stack: Stack) -> Demo:
        if stack.devhost is None or stack.graphsim is None or stack.azurite is None:
            raise DemoStepFailed("the demo needs the devhost, the Graph simulator and Azurite")
        key = ensure_dev_signing_key(stack.state_dir / DEV_AUTH_FOLDER)
        headers = {"Authorization": f"Bearer {mint_token(key, principal_name=OPERATOR_A)}"}
        tenants = [DemoTenant(t.id, t.name) for t in stack.graphsim.tenants]
        return cls(stack, headers, tenants)

    @property
    def graph_admin(self) -> AdminClient:
        assert self.stack.graphsim is not None
        return self.stack.graphsim.admin

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> requests.Response:
        assert self.stack.devhost is not None
        url = path if path.startswith("http") else self.stack.devhost.url(path)
        answer = self.session.request(method, url, headers=self.headers, timeout=30, **kwargs)
        if answer.status_code != expect:
            raise DemoStepFailed(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer

    def admin_command(self, *args: str) -> str:
        """`python -m local.admin ...` against the stack's storage, as an operator would run it."""
        assert self.stack.azurite is not None and self.stack.azurite.endpoints is not None
        assert self.stack.graphsim is not None
        env = {
            **os.environ,
            **app_settings(self.stack.graphsim, self.stack.state_dir),
            "AzureWebJobsStorage": self.stack.azurite.endpoints.connection_string,
        }
        done = subprocess.run(
            [sys.executable, "-m", "local.admin", *args], cwd=REPO_ROOT, env=env, capture_output=True,
            text=True, check=False,
        )
        if done.returncode != 0:
            raise DemoStepFailed(f"local.admin {args[0]} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def name_of(self, tenant_id: str) -> str:
        return next(t.name for t in self.tenants if t.tenant_id == tenant_id)

    @property
    def policy(self) -> ChangedPolicy:
        if self.changed is None:
            raise DemoStepFailed("no policy was changed")
        return self.changed

    def restore(self, tenant: DemoTenant, body: dict[str, Any], label: str) -> dict[str, Any]:
        """Start a restore run in `tenant`, follow it live to its end, keep it under `label`."""
        answer = self.call("POST", f"api/tenants/{tenant.tenant_id}/restores", 202, json=body)
        print(f"POST /api/tenants/{{{tenant.name}}}/restores mode={body['mode']} -> 202, "
              f"run {answer.json()['id']}")
        try:
            (run,) = LiveProgress(self.session, self.headers, count_items=True).follow(
                [(label, answer.headers["Location"], answer.json())], RESTORE_TIMEOUT_SECONDS
            )
        except RunTimedOut as error:
            raise DemoStepFailed(str(error)) from error
        self.runs[label] = run
        return run

    def items(self, tenant: DemoTenant, run: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The run's items by item ID."""
        path = f"api/tenants/{tenant.tenant_id}/runs/{run['id']}/items"
        listed = self.call("GET", path, 200, params={"pageSize": "1000"}).json()["items"]
        return {item["itemId"]: item for item in listed}


def show_health(demo: Demo) -> None:
    """The API answers."""
    answer = demo.call("GET", "api/health", 200)
    print(f"GET /api/health -> 200 {answer.json()['status']}")


def register_tenants(demo: Demo) -> None:
    """Every simulator tenant registered (admin command) with alice as operator."""
    registered = demo.admin_command("list")
    for tenant in demo.tenants:
        if tenant.tenant_id not in registered:
            print(demo.admin_command(
                "add-tenant", "--tenant-id", tenant.tenant_id, "--name", tenant.name,
                "--credential-ref", GRAPHSIM_CREDENTIAL_REF,
            ))
        print(demo.admin_command(
            "grant", "--tenant-id", tenant.tenant_id, "--user", OPERATOR_A, "--role", "operator"
        ))
    listed = demo.call("GET", "api/tenants", 200).json()["items"]
    print(f"GET /api/tenants -> {[(t['displayName'], t['role']) for t in listed]}")


def backup_all_tenants(demo: Demo) -> None:
    """All tenants backed up at once; one live progress line per tenant."""
    demo.graph_admin.set_latency(base_ms=DEMO_LATENCY_MS, jitter_ms=DEMO_JITTER_MS)
    _backup(demo, demo.tenants)


def change_a_policy(demo: Demo) -> None:
    """An admin changes a settings catalog policy in the first tenant (in the simulator, as Graph)."""
    tenant = demo.tenants[0]
    policies = demo.graph_admin.tenant_state(tenant.tenant_id)["collections"][SETTINGS_CATALOG]
    policy = next(p for p in policies if any(_choice(s) for s in p.get("settings", [])))
    settings = [dict(s) for s in policy["settings"]]
    index = next(i for i, s in enumerate(settings) if _choice(s))
    instance = settings[index]["settingInstance"]
    old_value = instance["choiceSettingValue"]["value"]
    new_value = old_value[:-1] + ("0" if old_value.endswith("1") else "1")
    choice = {**instance["choiceSettingValue"], "value": new_value}
    settings[index] = {**settings[index], "settingInstance": {**instance, "choiceSettingValue": choice}}
    description = f"Changed by the demo at {time.strftime('%H:%M:%S')}"
    demo.graph_admin.patch_object(
        tenant.tenant_id, SETTINGS_CATALOG, policy["id"], {"settings": settings, "description": description}
    )
    demo.changed = ChangedPolicy(
        "configurationPolicies", policy["id"], policy["name"], dict(policy), instance["settingDefinitionId"]
    )
    print(f"{tenant.name}, settings catalog policy {policy['name']!r} ({policy['id']}):")
    print(f"  setting {_short(instance['settingDefinitionId'])}: {_short(old_value)} -> {_short(new_value)}")
    print(f"  description -> {description!r}")


def backup_changed_tenant(demo: Demo) -> None:
    """The changed tenant backed up again."""
    _backup(demo, demo.tenants[:1])


def show_policy_diff(demo: Demo) -> None:
    """The field-level diff between the changed policy's versions in the two backups."""
    if demo.changed is None:
        raise DemoStepFailed("no policy was changed")
    tenant = demo.tenants[0]
    first, second = (_version_in(demo, run, demo.changed) for run in demo.backups[tenant.tenant_id][-2:])
    path = (f"api/tenants/{tenant.tenant_id}/policies/{demo.changed.policy_type}/"
            f"{demo.changed.policy_id}/diff")
    diff = demo.call("GET", path, 200, params={"from": first, "to": second}).json()
    print(f"GET .../policies/{demo.changed.policy_type}/{demo.changed.policy_id}/diff"
          f"?from={first}&to={second}")
    print(f"  {demo.changed.name!r}: {diff['summary']}")
    for change in diff["changes"][:DIFF_LINES]:
        print(f"  {change['op']} {_short(change['path'], 96)}")
        print(f"      {_short(change['before'])} -> {_short(change['after'])}")
    paths = " ".join(change["path"] for change in diff["changes"])
    if "description" not in paths or "choiceSettingValue" not in paths:
        raise DemoStepFailed(f"the diff does not show both changes: {paths}")


def show_notifications(demo: Demo) -> None:
    """alice was notified of every backup that finished."""
    runs = {run["id"] for runs in demo.backups.values() for run in runs}
    notes = demo.call("GET", "api/me/notifications", 200, params={"pageSize": "100"}).json()["items"]
    finished = [n for n in notes if n["runId"] in runs and n["event"] in ("succeeded", "partially_succeeded")]
    for note in finished[:3]:
        print(f"notification: {note['title']} ({note['event']}) -> {note['link']}")
    if {n["runId"] for n in finished} != runs:
        raise DemoStepFailed(f"{len(runs)} backups, but finished notifications for {len(finished)}")
    print(f"... {len(finished)} finished-backup notifications in all")


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
        print(f"    {change['op']} {_short(change['path'], 96)}")
        print(f"        {_short(change['before'])} -> {_short(change['after'])}")
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
        f"{_version_in(demo, backup, policy)}", 200,
    ).json()
    versus_backup = diff_policies(policy.policy_type, version["content"], normalize(entry, now)[0])
    print(f"graphsim admin: {SETTINGS_CATALOG}/{policy.policy_id}, raw:")
    print(f"  name {now['name']!r}, description {now.get('description')!r}")
    print(f"  setting {_short(policy.setting_id)}: {_short(_value_of(now, policy.setting_id))} "
          f"(before the change: {_short(_value_of(policy.before, policy.setting_id))})")
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


STEPS: list[Callable[[Demo], None]] = [
    show_health,
    register_tenants,
    backup_all_tenants,
    change_a_policy,
    backup_changed_tenant,
    show_policy_diff,
    show_notifications,
    make_alice_admin,
    preview_restore,
    restore_live,
    show_audit_trail,
    verify_in_graph,
    preview_baseline,
    restore_baseline,
]


def _backup(demo: Demo, tenants: list[DemoTenant]) -> None:
    """Start one backup per tenant, follow them all live, print each backup's totals."""
    started = []
    for tenant in tenants:
        answer = demo.call("POST", f"api/tenants/{tenant.tenant_id}/backups", 202)
        started.append((tenant.name, answer.headers["Location"], answer.json()))
    print(f"POST /api/tenants/{{tenant}}/backups x {len(tenants)} -> 202; following the status URLs:")
    try:
        ended = LiveProgress(demo.session, demo.headers).follow(started, BACKUP_TIMEOUT_SECONDS)
    except RunTimedOut as error:
        raise DemoStepFailed(str(error)) from error
    for run in ended:
        if run["status"] != "succeeded":
            name = demo.name_of(run["tenantId"])
            raise DemoStepFailed(f"backup {run['id']} of {name} ended {run['status']}: {run.get('error')}")
        demo.backups.setdefault(run["tenantId"], []).append(run)
        backup = demo.call("GET", f"api/tenants/{run['tenantId']}/backups/{run['id']}", 200).json()
        types = sum(1 for counts in backup["countsByType"].values() if counts["listed"])
        print(f"  {demo.name_of(run['tenantId']):<20} backup {backup['id']}: {backup['totals']['succeeded']} "
              f"objects of {types} types")


def _version_in(demo: Demo, run: dict[str, Any], policy: ChangedPolicy) -> str:
    path = f"api/tenants/{run['tenantId']}/backups/{run['id']}"
    items = demo.call("GET", path, 200, params={"includeItems": "true"}).json()["items"]
    return str(next(i["versionId"] for i in items[policy.policy_type] if i["policyId"] == policy.policy_id))


def _value_of(policy: dict[str, Any], setting_id: str) -> Any:
    """The choice value of one setting of a raw settings catalog policy."""
    instance: dict[str, Any] = next(
        (s["settingInstance"] for s in policy.get("settings", [])
         if s.get("settingInstance", {}).get("settingDefinitionId") == setting_id),
        {},
    )
    return instance.get("choiceSettingValue", {}).get("value")


def _choice(setting: dict[str, Any]) -> bool:
    value = setting.get("settingInstance", {}).get("choiceSettingValue", {}).get("value")
    return isinstance(value, str) and value[-1:] in ("0", "1")


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
    return "(none)" if value is None else _short(value, 24)


def _hash(value: Any) -> str:
    return f"{value[:16]}..." if isinstance(value, str) else repr(value)


def _clip(text: str, width: int = 100) -> str:
    """Reasons and notes say the most at their start."""
    return text if len(text) <= width else text[: width - 3] + "..."


def _short(value: Any, width: int = 48) -> str:
    """Long setting IDs and values differ at their end: keep that."""
    text = value if isinstance(value, str) and not value.startswith("'") else repr(value)
    return text if len(text) <= width else "..." + text[-(width - 3):]


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    exit_on_sigterm()
    began = time.monotonic()
    try:
        with Stack(port=0, timers=False) as stack:
            print("\n".join(["Stack started:", *stack.describe(), ""]))
            demo = Demo.on(stack)
            with demo.session:
                for step in STEPS:
                    print(f"\n== {(step.__doc__ or step.__name__).strip()}")
                    step(demo)
    except (DemoStepFailed, StackError, DevhostStartError, AzuriteError) as error:
        print(f"Demo failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; the stack is stopped.")
        return 130
    print(f"\nDemo finished in {time.monotonic() - began:.1f} s; everything is stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
