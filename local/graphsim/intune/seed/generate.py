"""The seed mix: how many of each type a tenant of `objects` objects gets, built in restore order
so references (groups, filters, scope tags, notification templates) exist before their users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..families.device_configurations import SECRETS
from ..store import TenantStore
from . import companions, management, policies, updates_apps
from . import directory_objects as directory
from .random_source import Source
from .world import World

DM, DAM, CA = "deviceManagement/", "deviceAppManagement/", "identity/conditionalAccess/"
Builder = Callable[[World, int], dict[str, Any]]

MIX: tuple[tuple[str, float, Builder], ...] = (
    ("groups", 0.07, directory.group),
    (DM + "roleScopeTags", 0.02, directory.scope_tag),
    (DM + "deviceCategories", 0.01, companions.device_category),
    (DM + "assignmentFilters", 0.03, directory.assignment_filter),
    (DM + "notificationMessageTemplates", 0.02, directory.notification_template),
    (DM + "reusablePolicySettings", 0.01, companions.reusable_setting),
    (DM + "configurationPolicies", 0.20, policies.settings_catalog),
    (DM + "compliancePolicies", 0.02, companions.settings_compliance),
    (DM + "deviceConfigurations", 0.08, policies.device_configuration),
    (DM + "deviceCompliancePolicies", 0.06, policies.compliance_policy),
    (DM + "groupPolicyConfigurations", 0.06, policies.group_policy_configuration),
    (DM + "intents", 0.02, policies.intent),
    (DM + "deviceManagementScripts", 0.03, management.powershell_script),
    (DM + "deviceHealthScripts", 0.03, management.health_script),
    (DM + "deviceShellScripts", 0.01, management.shell_script),
    (DM + "deviceCustomAttributeShellScripts", 0.01, management.custom_attribute_script),
    (DM + "deviceComplianceScripts", 0.01, management.compliance_script),
    (DM + "windowsAutopilotDeploymentProfiles", 0.02, management.autopilot_profile),
    (DM + "deviceEnrollmentConfigurations", 0.02, management.enrollment_configuration),
    (DM + "roleDefinitions", 0.01, management.role_definition),
    (DM + "roleAssignments", 0.01, companions.role_assignment),
    (DM + "windowsFeatureUpdateProfiles", 0.01, updates_apps.feature_update),
    (DM + "windowsQualityUpdateProfiles", 0.01, updates_apps.quality_update),
    (DM + "windowsDriverUpdateProfiles", 0.01, updates_apps.driver_update),
    (DM + "termsAndConditions", 0.01, updates_apps.terms),
    (DAM + "managedAppPolicies", 0.04, lambda world, index: {}),
    (DAM + "mobileApps", 0.04, directory.mobile_app),
    (DAM + "mobileAppConfigurations", 0.01, updates_apps.app_configuration),
    (CA + "namedLocations", 0.01, companions.named_location),
    ("policies/authenticationStrengthPolicies", 0.01, companions.authentication_strength),
    (CA + "authenticationContextClassReferences", 0.01, companions.authentication_context),
    (CA + "policies", 0.03, directory.conditional_access),
    (DM + "virtualEndpoint/provisioningPolicies", 0.01, companions.provisioning_policy),
    (DM + "virtualEndpoint/userSettings", 0.01, companions.cloud_pc_user_setting),
)
FIXED_SERVICES = 6
"""APNs certificate, DEP token, VPP token, device management, compliance and remote assistance
partners."""


def counts(objects: int, existing: int) -> dict[str, int]:
    """Per-type counts adding up to about `objects` (defaults and fixed services included)."""
    budget = max(objects - existing - FIXED_SERVICES, 0)
    result = {collection: round(budget * share) for collection, share, _ in MIX}
    if budget >= len(MIX):
        for collection in result:
            result[collection] = max(result[collection], 1)
    result[DM + "configurationPolicies"] += budget - sum(result.values())
    return result


def generate(tenant: TenantStore, shared: TenantStore, objects: int, seed: int) -> None:
    world = World(
        Source(seed, tenant.tenant_id),
        scope_tags=list(tenant.table(DM + "roleScopeTags")),
        admx=list(shared.table(DM + "groupPolicyDefinitions").values()),
        intent_templates=list(shared.table(DM + "templates").values()),
        roles=[_role_reference(role) for role in tenant.table(DM + "roleDefinitions").values()],
        strengths=list(tenant.table("policies/authenticationStrengthPolicies")),
    )
    existing = sum(len(table) for table in tenant.tables.values())
    planned = counts(objects, existing)
    for collection, _, build in MIX:
        for index in range(planned[collection]):
            if collection == DAM + "managedAppPolicies":
                typed, obj = updates_apps.app_protection(world, index)
                tenant.table(typed)[obj["id"]] = obj
                continue
            obj = build(world, index)
            tenant.table(collection)[obj["id"]] = obj
            _remember(world, collection, obj)
    if objects > existing:
        for collection, items in directory.tenant_services(world).items():
            tenant.table(collection).update((item["id"], item) for item in items)
    tenant.table(SECRETS).update(world.secrets)


def _remember(world: World, collection: str, obj: dict[str, Any]) -> None:
    """Later objects refer to earlier ones, as a real tenant's do."""
    if collection == "groups":
        world.groups.append(obj["id"])
    elif collection == DM + "assignmentFilters":
        world.filters.append(obj["id"])
    elif collection == DM + "roleScopeTags":
        world.scope_tags.append(obj["id"])
    elif collection == DM + "notificationMessageTemplates":
        world.templates.append(obj["id"])
    elif collection == DAM + "mobileApps":
        world.apps.append(obj["id"])
    elif collection == DM + "reusablePolicySettings":
        world.reusable_settings.append(obj["id"])
    elif collection == DM + "roleDefinitions":
        world.roles.append(_role_reference(obj))
    elif collection == CA + "namedLocations":
        world.locations.append(obj["id"])
    elif collection == "policies/authenticationStrengthPolicies":
        world.strengths.insert(0, obj["id"])
    elif collection == CA + "authenticationContextClassReferences":
        world.contexts.append(obj["id"])


def _role_reference(role: dict[str, Any]) -> dict[str, Any]:
    """A role definition as a role assignment's expanded `roleDefinition` shows it."""
    return {key: role[key] for key in ("id", "displayName", "description", "isBuiltIn") if key in role}
