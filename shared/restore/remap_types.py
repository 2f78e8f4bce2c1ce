"""Per-type remapping of the references that live inside an item's content (its scope tags and
assignments are remapped for every type by `remap.py`).

What may be left off with a note: whatever only narrows an item (an included group, a compliance
notification whose template is missing, an admin or scope group of a role assignment). What blocks
the item instead: whatever would change whom it applies to or what it does when left off or
written unmapped (an excluded group or user, a named location, an authentication strength or
context, a reusable setting, a role, a network connection of another tenant).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from shared.restore.idmap import IdMap
from shared.restore.remap_notes import Notes, group_label, label, map_groups, named

NO_TEMPLATE = "00000000-0000-0000-0000-000000000000"
"""What Graph stores for a compliance action without a notification template."""
REFERENCE_VALUE = "#microsoft.graph.deviceManagementConfigurationReferenceSettingValue"
"""A settings catalog value that names a reusable policy setting by ID."""
CROSS_TENANT_CA = (
    "Restore the policy without that exclusion only by hand, or restore it within its own tenant."
)
CA_USER_KEYWORDS = frozenset({"All", "None", "GuestsOrExternalUsers"})
CA_LOCATION_KEYWORDS = frozenset({"All", "AllTrusted"})
"""Values of a CA policy's user and location lists that are the same in every tenant (not IDs)."""


def _compliance_actions(content: dict[str, Any], ids: IdMap, notes: Notes) -> None:
    """Notification templates and CC groups of compliance actions; an action whose template is
    missing is dropped (the block action never refers to one)."""
    for rule in content.get("scheduledActionsForRule") or []:
        kept = []
        for action in rule.get("scheduledActionConfigurations") or []:
            template = action.get("notificationTemplateId")
            if template and template != NO_TEMPLATE:
                mapped = ids.notification_templates.get(str(template))
                if mapped is None:
                    notes.append(
                        f"Compliance action '{action.get('actionType')}' of rule '{rule.get('ruleName')}' "
                        f"not restored: notification template {named(ids, str(template))} does not "
                        "exist in the target."
                    )
                    continue
                action["notificationTemplateId"] = mapped
            if isinstance(action.get("notificationMessageCCList"), list):
                action["notificationMessageCCList"] = map_groups(
                    action["notificationMessageCCList"], ids, notes, "CC of a compliance notification"
                )
            kept.append(action)
        rule["scheduledActionConfigurations"] = kept


def _reusable_settings(content: dict[str, Any], ids: IdMap, notes: Notes) -> None:
    """Settings that name a reusable setting (a firewall rule's address set) name the target's copy;
    one the target lacks blocks the policy: the rule would lose what it matches."""
    for setting in content.get("settings") or []:
        _reference_values(setting, ids, notes)


def _reference_values(node: Any, ids: IdMap, notes: Notes) -> None:
    if isinstance(node, dict):
        if node.get("@odata.type") == REFERENCE_VALUE and node.get("value"):
            source_id = str(node["value"])
            mapped = ids.reusable_settings.get(source_id)
            if mapped is None:
                notes.missing_reference("Reusable setting", label(ids, source_id), "the policy's settings")
            else:
                node["value"] = mapped
        for value in node.values():
            _reference_values(value, ids, notes)
    elif isinstance(node, list):
        for value in node:
            _reference_values(value, ids, notes)


def _settings_compliance(content: dict[str, Any], ids: IdMap, notes: Notes) -> None:
    _reusable_settings(content, ids, notes)
    _compliance_actions(content, ids, notes)


def _conditional_access(content: dict[str, Any], ids: IdMap, notes: Notes) -> None:
    """Included groups the target lacks are left off (the policy covers fewer users); an excluded
    one blocks the policy and stays unmapped. Named locations, authentication strengths and
    contexts are mapped by name; one the target lacks blocks the policy (left off, the policy would
    apply elsewhere or ask for something else). Users are not mapped between tenants, so in another
    tenant an excluded user blocks the policy; included ones go through as they are."""
    conditions = content.get("conditions") or {}
    if not ids.same_tenant():
        _unmapped_user_exclusions(conditions, notes)
    _locations(conditions.get("locations"), ids, notes)
    _contexts(conditions.get("applications"), ids, notes)
    _strength(content.get("grantControls"), ids, notes)
    users = conditions.get("users")
    if not isinstance(users, dict):
        return
    if isinstance(users.get("includeGroups"), list):
        users["includeGroups"] = map_groups(
            users["includeGroups"], ids, notes, "conditions.users.includeGroups"
        )
    excluded = users.get("excludeGroups")
    if isinstance(excluded, list):
        for group in excluded:
            if str(group) not in ids.groups:
                notes.block(
                    group_label(ids, str(group)),
                    "in conditions.users.excludeGroups but does not exist in the target",
                )
        users["excludeGroups"] = [ids.groups.get(str(group), group) for group in excluded]


def _unmapped_user_exclusions(conditions: Mapping[str, Any], notes: Notes) -> None:
    values = (conditions.get("users") or {}).get("excludeUsers")
    for value in values if isinstance(values, list) else []:
        if str(value) not in CA_USER_KEYWORDS:
            notes.block(
                str(value),
                "in conditions.users.excludeUsers, and users are not mapped between tenants",
                kind="User",
                fix=CROSS_TENANT_CA,
            )


def _locations(locations: Any, ids: IdMap, notes: Notes) -> None:
    if not isinstance(locations, dict):
        return
    for key in ("includeLocations", "excludeLocations"):
        values = locations.get(key)
        if isinstance(values, list):
            locations[key] = _mapped_or_blocked(
                values, ids.named_locations, ids, notes, "Named location", f"conditions.locations.{key}"
            )


def _contexts(applications: Any, ids: IdMap, notes: Notes) -> None:
    key = "includeAuthenticationContextClassReferences"
    if isinstance(applications, dict) and isinstance(applications.get(key), list):
        applications[key] = _mapped_or_blocked(
            applications[key],
            ids.auth_contexts,
            ids,
            notes,
            "Authentication context",
            f"conditions.applications.{key}",
        )


def _strength(grant: Any, ids: IdMap, notes: Notes) -> None:
    strength = grant.get("authenticationStrength") if isinstance(grant, dict) else None
    if isinstance(strength, dict) and strength.get("id"):
        source_id = str(strength["id"])
        mapped = ids.auth_strengths.get(source_id)
        if mapped is None:
            notes.missing_reference(
                "Authentication strength", label(ids, source_id), "grantControls.authenticationStrength"
            )
        else:
            strength["id"] = mapped


def _mapped_or_blocked(
    values: list[Any], mapping: Mapping[str, str], ids: IdMap, notes: Notes, kind: str, where: str
) -> list[Any]:
    """Each ID mapped; a keyword kept; one the target lacks blocks the item and stays as it was."""
    result = []
    for value in values:
        if str(value) in CA_LOCATION_KEYWORDS:
            result.append(value)
            continue
        mapped = mapping.get(str(value))
        if mapped is None:
            notes.missing_reference(kind, label(ids, str(value)), where)
        result.append(mapped if mapped is not None else value)
    return result


def _app_configuration(content: dict[str, Any], ids: IdMap, notes: Notes) -> None:
    apps = content.get("targetedMobileApps")
    if not isinstance(apps, list):
        return
    mapped = []
    for app in apps:
        target = ids.mobile_apps.get(str(app))
        if target is None:
            notes.append(
                f"Targeted app {named(ids, str(app))} does not exist in the target (matched by name and "
                "publisher); add the app, then restore again."
            )
        else:
            mapped.append(target)
    content["targetedMobileApps"] = mapped


def _role_assignment(content: dict[str, Any], ids: IdMap, notes: Notes) -> None:
    """The role by name (one the target lacks blocks the assignment); admin and scope groups the
    target lacks are left off (fewer admins, a narrower scope), but an assignment left with no
    admin group, or scoped to groups with none left, is not written."""
    role = content.get("roleDefinition")
    if isinstance(role, dict) and role.get("id"):
        mapped = ids.role_definitions.get(str(role["id"]))
        if mapped is None:
            notes.missing_reference("Role", str(role.get("displayName") or role["id"]), "roleDefinition")
        else:
            role["id"] = mapped
    if isinstance(content.get("members"), list):
        had = bool(content["members"])
        content["members"] = map_groups(content["members"], ids, notes, "members (admin groups)")
        if had and not content["members"]:
            notes.refuse(
                "No admin group of the role assignment exists in the target; it is not written.", "members"
            )
    scoped = False
    for key in ("resourceScopes", "scopeMembers"):
        if isinstance(content.get(key), list):
            scoped = scoped or bool(content[key])
            content[key] = map_groups(content[key], ids, notes, f"{key} (scope groups)")
    left = [*(content.get("resourceScopes") or []), *(content.get("scopeMembers") or [])]
    if scoped and not left and content.get("scopeType", "resourceScope") == "resourceScope":
        notes.refuse(
            "No scope group of the role assignment exists in the target; written without one its scope "
            "would change, so it is not written.",
            "scope groups",
        )


def _provisioning_policy(content: dict[str, Any], ids: IdMap, notes: Notes) -> None:
    """An Azure network connection belongs to its own tenant: in another tenant a policy joined
    through one cannot be written as it is."""
    if ids.same_tenant():
        return
    for join in content.get("domainJoinConfigurations") or []:
        connection = join.get("onPremisesConnectionId") if isinstance(join, dict) else None
        if connection:
            notes.refuse(
                f"The policy joins through Azure network connection {connection} of the source tenant; "
                "create a connection in the target and set it on the policy by hand.",
                f"network connection {connection}",
            )


SPECIAL: Mapping[str, Callable[[dict[str, Any], IdMap, Notes], None]] = MappingProxyType(
    {
        "deviceCompliancePolicies": _compliance_actions,
        "compliancePolicies": _settings_compliance,
        "configurationPolicies": _reusable_settings,
        "conditionalAccessPolicies": _conditional_access,
        "mobileAppConfigurations": _app_configuration,
        "roleAssignments": _role_assignment,
        "cloudPcProvisioningPolicies": _provisioning_policy,
    }
)
"""The type-specific remap of each type whose content refers to more than scope tags and assignments."""
