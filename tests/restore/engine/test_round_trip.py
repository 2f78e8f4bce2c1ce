"""Round trip: capture every restorable type of a `demo` tenant, write it into an empty tenant with
`write_item` in catalog restore order, capture the target, and compare type by type.

References are compared by name in each tenant's own space (group, filter, scope tag, template
and app IDs differ between tenants), so the check does not lean on the remapping under test.
One referenced group is missing in the target: its assignments must be reported, not written, and
a policy that excludes it must not be written at all (without the exclusion it would apply to more).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from local.graphsim.testing import GraphSim
from shared.intune import SECRETS_MARKER, CapturedPolicy, restore_sequence
from shared.intune.catalog import ORDER_TEMPLATES, TYPES
from shared.restore.remap import IdMap, build_id_map
from shared.restore.write import RestoreWouldWiden, WriteResult, write_item
from shared.storage import canonical_json

MakeClient = Callable[[str], Any]
Capture = Callable[[Any, list[str]], dict[str, list[CapturedPolicy]]]
ID_LISTS = ("roleScopeTagIds", "roleScopeTags", "targetedMobileApps", "includeGroups", "excludeGroups")
ID_VALUES = ("groupId", "deviceAndAppManagementAssignmentFilterId", "notificationTemplateId")
EXCLUSION = "#microsoft.graph.exclusionGroupAssignmentTarget"
REFERENCE_COLLECTIONS = {
    "groups": "group",
    "deviceManagement/roleScopeTags": "tag",
    "deviceManagement/assignmentFilters": "filter",
    "deviceManagement/notificationMessageTemplates": "template",
    "deviceAppManagement/mobileApps": "app",
}


def reference_names(sim: GraphSim, tenant_id: str) -> dict[str, str]:
    """Every reference ID of a tenant -> `kind:displayName`, read through the admin API."""
    collections = sim.admin.tenant_state(tenant_id)["collections"]
    names = {"0": "tag:Default"}
    for collection, kind in REFERENCE_COLLECTIONS.items():
        names.update({obj["id"]: f"{kind}:{obj['displayName']}" for obj in collections[collection]})
    return names


def in_names(value: Any, names: dict[str, str], key: str = "") -> Any:
    """The content with reference IDs replaced by names and lists of assignments sorted again."""
    if isinstance(value, dict):
        return {k: in_names(v, names, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [
            names.get(v, v) if key in ID_LISTS and isinstance(v, str) else in_names(v, names) for v in value
        ]
        return sorted(items, key=canonical_json) if key in ("assignments", *ID_LISTS) else items
    if key in ID_VALUES and isinstance(value, str):
        return names.get(value, value)
    return value


def expected_in_target(content: dict[str, Any], missing_group: str) -> dict[str, Any]:
    """What the target should hold: no assignment to (nor group list naming) the missing group, no
    setting whose secret the backup lacks, no TenantAtlas annotations."""
    expected = {key: value for key, value in content.items() if key != SECRETS_MARKER}
    if isinstance(expected.get("assignments"), list):
        expected["assignments"] = [
            item for item in expected["assignments"] if item["target"].get("groupId") != missing_group
        ]
    if isinstance(expected.get("omaSettings"), list):
        expected["omaSettings"] = [item for item in expected["omaSettings"] if not item.get("isEncrypted")]
    return dict(without_group(expected, missing_group))


def without_group(value: Any, group: str) -> Any:
    if isinstance(value, dict):
        return {key: without_group(item, group) for key, item in value.items()}
    if isinstance(value, list):
        return [without_group(item, group) for item in value if item != group]
    return value


def without_server_defaults(payload: dict[str, Any], source_keys: set[str]) -> dict[str, Any]:
    """The target's object without properties the service fills in with an empty or false default
    on create that the source object never had (e.g. `isGlobalScript: false`)."""
    return {
        key: value
        for key, value in payload.items()
        if key in source_keys or value not in (None, False, "", [], {})
    }


def seed_references(sim: GraphSim, source: str, target: str, missing_group: str) -> None:
    """Groups (but one) and apps of the source, under the same names and new IDs, as an admin would
    have them in the customer's tenant: restore creates neither. Apps the demo seeds twice under one
    name exist once in the target, so the name still says which app is meant."""
    collections = sim.admin.tenant_state(source)["collections"]
    for group in collections["groups"]:
        if group["id"] != missing_group:
            sim.admin.put_object(target, "groups", {k: v for k, v in group.items() if k != "id"})
    apps = {app["displayName"]: app for app in collections["deviceAppManagement/mobileApps"]}
    for app in apps.values():
        sim.admin.put_object(
            target, "deviceAppManagement/mobileApps", {k: v for k, v in app.items() if k != "id"}
        )


def referenced_group(backup: dict[str, list[CapturedPolicy]]) -> str:
    """A group some policy assigns to (the one the target will lack): of those, the one the fewest
    (but if any, at least one) policies exclude, so the refusal is exercised and nearly every policy
    still makes the round trip."""
    included = {
        str(item["target"]["groupId"])
        for policies in backup.values()
        for policy in policies
        for item in policy.payload.get("assignments") or []
        if item["target"].get("groupId") and item["target"]["@odata.type"] != EXCLUSION
    }
    if not included:
        raise AssertionError("the demo tenant assigns nothing to a group")
    policies = [policy.payload for typed in backup.values() for policy in typed]
    counts = {group: sum(excludes(p, group) for p in policies) for group in sorted(included)}
    return min(counts, key=lambda group: (counts[group] == 0, counts[group]))


def excludes(content: dict[str, Any], group: str) -> bool:
    """Whether the policy excludes the group (an exclusion assignment, or a CA policy's excludeGroups)."""
    users = (content.get("conditions") or {}).get("users") or {}
    return group in (users.get("excludeGroups") or []) or any(
        item["target"]["@odata.type"] == EXCLUSION and item["target"].get("groupId") == group
        for item in content.get("assignments") or []
    )


def test_every_restorable_type_survives_a_round_trip_into_an_empty_tenant(
    sim: GraphSim,
    make_client: MakeClient,
    capture: Capture,
    demo_tenant: str,
    empty_tenant: str,
    no_throttle: None,
) -> None:
    source, target = make_client(demo_tenant), make_client(empty_tenant)
    restorable = [entry.name for entry in restore_sequence()]
    backup = capture(source, restorable)
    missing_group = referenced_group(backup)
    seed_references(sim, demo_tenant, empty_tenant, missing_group)
    source_names = reference_names(sim, demo_tenant)
    missing_name = source_names[missing_group].removeprefix("group:")

    results: dict[str, list[tuple[CapturedPolicy, WriteResult]]] = {}
    refused: dict[str, list[CapturedPolicy]] = {}
    ids: IdMap = build_id_map(source, target)
    phase = 0
    for entry in restore_sequence():
        if phase and phase <= ORDER_TEMPLATES and entry.restore_order != phase:
            ids = build_id_map(source, target)
        phase = entry.restore_order
        for policy in backup[entry.name]:
            try:
                result = write_item(
                    target, entry.name, policy.payload, target_id=None, ids=ids, source_id=policy.policy_id
                )
            except RestoreWouldWiden as exc:
                assert exc.exclusions == (missing_name,), (entry.name, exc.reason)
                refused.setdefault(entry.name, []).append(policy)
                continue
            assert result.action == "created"
            results.setdefault(entry.name, []).append((policy, result))

    covered = {name for name, written in results.items() if written}
    assert covered == {entry.name for entry in TYPES if entry.restorable}
    assert {(name, policy.policy_id) for name, policies in refused.items() for policy in policies} == {
        (name, policy.policy_id)
        for name, policies in backup.items()
        for policy in policies
        if excludes(policy.payload, missing_group)
    }, "exactly the policies that exclude the missing group are refused"

    restored = capture(target, restorable)
    target_names = reference_names(sim, empty_tenant)
    for name in restorable:
        want = Counter(
            canonical_json(in_names(expected_in_target(policy.payload, missing_group), source_names))
            for policy in backup[name]
            if policy not in refused.get(name, [])
        )
        source_keys = {key for policy in backup[name] for key in policy.payload}
        have = Counter(
            canonical_json(in_names(without_server_defaults(policy.payload, source_keys), target_names))
            for policy in restored[name]
        )
        assert have == want, (name, sorted(have - want)[:1], sorted(want - have)[:1])

    for name, written in results.items():
        for policy, result in written:
            assigned = [item["target"].get("groupId") for item in policy.payload.get("assignments") or []]
            if missing_group in assigned:
                assert any(missing_name in note and "not restored" in note for note in result.notes), (
                    name,
                    result.notes,
                )
            if SECRETS_MARKER in policy.payload:
                assert any("not captured" in note for note in result.notes), (name, result.notes)
    assert any(
        missing_group in [a["target"].get("groupId") for a in p.payload.get("assignments") or []]
        for policies in backup.values()
        for p in policies
    )
