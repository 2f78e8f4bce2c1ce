"""`make demo`: start the local stack, back up every demo tenant at once with a live view of progress,
change a policy in the Graph simulator, back that tenant up again and show the field-level diff between
the two versions; then restore the policy from the backup taken before the change (a read-only preview
with its diff, a live restore with its safety backup, the audit trail, the object in the simulator) and
roll tenant A's backup out to tenant B as a baseline; stop everything and exit 0 (non-zero if a step
does not see what it should).

The demo is a list of steps (`STEPS`), each a function of the `Demo` (`local.demo_support`), which
carries what earlier steps found (tenants, backup runs, the changed policy, restore runs) to later
ones; a new part is a step appended to it. The restore steps are in `local.demo_restore`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

from local.apptesting import OPERATOR_A, READER_A, SETTINGS_CATALOG
from local.azurite import AzuriteError
from local.demo_restore import RESTORE_STEPS
from local.demo_support import (
    DIFF_LINES,
    ChangedPolicy,
    Demo,
    DemoStepFailed,
    DemoTenant,
    flippable,
    short,
    version_in,
)
from local.devhost.testing import DevhostStartError
from local.live_progress import LiveProgress, RunTimedOut
from local.stack import GRAPHSIM_CREDENTIAL_REF, Stack, StackError, exit_on_sigterm

DEMO_LATENCY_MS = 100
DEMO_JITTER_MS = 30
"""Graph answers as slowly as in the benchmarks (bench/README.md), so progress is seen, not only the end."""
BACKUP_TIMEOUT_SECONDS = 60
CONSOLE_URL = "http://127.0.0.1:7071/"
"""Where `make run` serves the console (the devhost's default port)."""


def show_health(demo: Demo) -> None:
    """The API answers."""
    answer = demo.call("GET", "api/health", 200)
    print(f"GET /api/health -> 200 {answer.json()['status']}")


def register_tenants(demo: Demo) -> None:
    """Every simulator tenant registered and verified through the API (the admin command, as a platform
    admin), with alice as operator. Graph is reached by federation: no secret exists in the app."""
    registered = demo.admin_command("list")
    for tenant in demo.tenants:
        if tenant.tenant_id not in registered:
            print(demo.admin_command(
                "add-tenant", "--tenant", tenant.tenant_id, "--name", tenant.name,
                "--credential-ref", GRAPHSIM_CREDENTIAL_REF,
            ))
        print(demo.admin_command("verify", "--tenant-id", tenant.tenant_id))
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
    policy = next(p for p in policies if any(flippable(s) for s in p.get("settings", [])))
    settings = [dict(s) for s in policy["settings"]]
    index = next(i for i, s in enumerate(settings) if flippable(s))
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
    print(f"  setting {short(instance['settingDefinitionId'])}: {short(old_value)} -> {short(new_value)}")
    print(f"  description -> {description!r}")


def backup_changed_tenant(demo: Demo) -> None:
    """The changed tenant backed up again."""
    _backup(demo, demo.tenants[:1])


def show_policy_diff(demo: Demo) -> None:
    """The field-level diff between the changed policy's versions in the two backups."""
    if demo.changed is None:
        raise DemoStepFailed("no policy was changed")
    tenant = demo.tenants[0]
    first, second = (version_in(demo, run, demo.changed) for run in demo.backups[tenant.tenant_id][-2:])
    path = (f"api/tenants/{tenant.tenant_id}/policies/{demo.changed.policy_type}/"
            f"{demo.changed.policy_id}/diff")
    diff = demo.call("GET", path, 200, params={"from": first, "to": second}).json()
    print(f"GET .../policies/{demo.changed.policy_type}/{demo.changed.policy_id}/diff"
          f"?from={first}&to={second}")
    print(f"  {demo.changed.name!r}: {diff['summary']}")
    for change in diff["changes"][:DIFF_LINES]:
        print(f"  {change['op']} {short(change['path'], 96)}")
        print(f"      {short(change['before'])} -> {short(change['after'])}")
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


def show_console(demo: Demo) -> None:
    """The console serves this data: rita is made reader of the first tenant, to see what a reader sees."""
    first = demo.tenants[0]
    print(demo.admin_command("grant", "--tenant-id", first.tenant_id, "--user", READER_A, "--role", "reader"))
    page = demo.call("GET", "", 200)
    if "text/html" not in page.headers.get("Content-Type", ""):
        raise DemoStepFailed(f"GET / is not the console's page: {page.headers.get('Content-Type')}")
    print("GET / -> 200, the console's page")
    print(f"Console: run `make run` and open {CONSOLE_URL} (the data of this demo is kept in .state/).")
    print(f"  Sign in as {OPERATOR_A} (admin of {first.name} and {demo.tenants[1].name}) or {READER_A} "
          f"(reader of {first.name}).")


STEPS: list[Callable[[Demo], None]] = [
    show_health,
    register_tenants,
    backup_all_tenants,
    change_a_policy,
    backup_changed_tenant,
    show_policy_diff,
    show_notifications,
    *RESTORE_STEPS,
    show_console,
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
