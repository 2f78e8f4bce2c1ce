"""Every Intune object type TenantAtlas captures, one declarative entry each.

Facts per type are in docs/graph-intune.md#object-types; the restore order is scope tags, device
categories, assignment filters, notification templates, roles and their assignments, conditional
access companions, reusable settings, then policies, with assignments written last by the restore
engine (they refer to groups and filters remapped by then). A type written other than by POST and
PATCH declares its `write_strategy`, which picks its writer in `shared/restore/write.py`.
"""

from __future__ import annotations

from types import MappingProxyType

from shared.intune.errors import UnknownPolicyType
from shared.intune.model import (
    COMMON_VOLATILE,
    ObjectType,
    ParentCollection,
    PathRead,
    SkipRule,
    Strategy,
    SubCollection,
    WriteOp,
    WriteStrategy,
)

DM = "/deviceManagement"
DAM = "/deviceAppManagement"
CA = "/identity/conditionalAccess"

ORDER_SCOPE_TAGS = 10
ORDER_DEVICE_CATEGORIES = 15
ORDER_FILTERS = 20
ORDER_TEMPLATES = 30
ORDER_ROLES = 40
ORDER_ROLE_ASSIGNMENTS = 50
ORDER_ACCESS_REFERENCES = 60
"""Named locations, authentication strengths and contexts: conditional access policies refer to them."""
ORDER_REUSABLE_SETTINGS = 70
ORDER_REFERENCED_SCRIPTS = 90
ORDER_POLICIES = 100
ORDER_APP_POLICIES = 110

ASSIGNMENTS = SubCollection(
    "assignments",
    sort_by=("target.@odata.type", "target.groupId"),
    strip=frozenset({"id", "sourceId"}),
)
POLICY_REFERENCES = ("roleScopeTags", "assignmentFilters")
SETTINGS = SubCollection("settings", sort_by=("settingInstance.settingDefinitionId",))
SCHEDULED_ACTIONS = SubCollection(
    "scheduledActionsForRule",
    sort_by=("ruleName",),
    children=(
        SubCollection(
            "scheduledActionConfigurations",
            sort_by=("actionType", "gracePeriodHours", "notificationTemplateId"),
        ),
    ),
)
EXPAND_ACTIONS = "scheduledActionsForRule($expand=scheduledActionConfigurations)"


def _post() -> tuple[WriteOp, ...]:
    return (WriteOp("POST", "", note="@odata.type names the concrete type; no read-only fields"),)


def _patch() -> tuple[WriteOp, ...]:
    return (WriteOp("PATCH", "/{id}"),)


def _assign(body_key: str = "assignments") -> WriteOp:
    return WriteOp("POST", "/{id}/assign", body_key=body_key, note="replaces the whole set")


PER_TARGET_ASSIGN = WriteOp("POST", "/{id}/assignments", per_target=True, note="one request per target")


def _policy(
    name: str,
    *,
    collection: str | None = None,
    assign_key: str | None = "assignments",
    volatile: frozenset[str] = frozenset(),
    version: str = "beta",
    **fields: object,
) -> ObjectType:
    """A policy-like type: POST creates, PATCH updates, `/assign` takes `assign_key`, assignments expanded."""
    defaults: dict[str, object] = {
        "expand": ("assignments",) if assign_key else (),
        "sub_collections": (ASSIGNMENTS,) if assign_key else (),
        "create": _post(),
        "update": _patch(),
        "assign": _assign(assign_key) if assign_key else None,
        "restore_order": ORDER_POLICIES,
        "depends_on": POLICY_REFERENCES,
    }
    defaults.update(fields)
    return ObjectType(
        name=name,
        collection=collection or f"{DM}/{name}",
        version=version,
        volatile=COMMON_VOLATILE | volatile,
        **defaults,  # type: ignore[arg-type]
    )


def _capture_only(
    name: str,
    *,
    reason: str,
    collection: str | None = None,
    volatile: frozenset[str] = frozenset(),
    **fields: object,
) -> ObjectType:
    """A type kept for the record only: tokens, certificates and connections cannot be written back."""
    return ObjectType(
        name=name,
        collection=collection or f"{DM}/{name}",
        volatile=COMMON_VOLATILE | volatile,
        not_restorable_reason=reason,
        restore_order=ORDER_POLICIES,
        **fields,  # type: ignore[arg-type]
    )


SCRIPT_VOLATILE = frozenset({"runSummary"})

TYPES: tuple[ObjectType, ...] = (
    _policy("deviceConfigurations", version="beta", write_strategy=WriteStrategy.KEEP_TARGET_SECRETS),
    _policy(
        "deviceCompliancePolicies",
        expand=(EXPAND_ACTIONS, "assignments"),
        sub_collections=(ASSIGNMENTS, SCHEDULED_ACTIONS),
        create=(WriteOp("POST", "", note="with exactly one block scheduled action"),),
        update=(
            WriteOp("PATCH", "/{id}", note="without scheduledActionsForRule"),
            WriteOp(
                "POST", "/{id}/scheduleActionsForRules", body_key="deviceComplianceScheduledActionForRules"
            ),
        ),
        write_strategy=WriteStrategy.COMPLIANCE_ACTIONS,
        depends_on=(*POLICY_REFERENCES, "notificationMessageTemplates", "deviceComplianceScripts"),
    ),
    _policy(
        "configurationPolicies",
        display_name="name",
        expand=("settings", "assignments"),
        list_expand=("assignments",),
        expanded_pages=("settings",),
        volatile=frozenset({"settingCount", "creationSource", "priorityMetaData"}),
        sub_collections=(ASSIGNMENTS, SETTINGS),
        create=(
            WriteOp(
                "POST", "", note="name, description, platforms, technologies, scope tags, template, settings"
            ),
        ),
        update=(WriteOp("PUT", "/{id}", note="the whole policy including settings"),),
        write_strategy=WriteStrategy.PUT_WHOLE,
        depends_on=(*POLICY_REFERENCES, "reusablePolicySettings"),
    ),
    _policy(
        "compliancePolicies",
        display_name="name",
        expand=("settings", "assignments", EXPAND_ACTIONS),
        list_expand=("assignments",),
        expanded_pages=("settings",),
        volatile=frozenset({"settingCount", "creationSource"}),
        sub_collections=(ASSIGNMENTS, SETTINGS, SCHEDULED_ACTIONS),
        create=(
            WriteOp("POST", "", note="settings, and scheduledActionsForRule with exactly one block action"),
        ),
        update=(
            WriteOp("PUT", "/{id}", note="the whole policy including settings"),
            WriteOp("POST", "/{id}/setScheduledActions", body_key="scheduledActions"),
        ),
        write_strategy=WriteStrategy.SETTINGS_COMPLIANCE,
        depends_on=(*POLICY_REFERENCES, "notificationMessageTemplates", "reusablePolicySettings"),
    ),
    _policy(
        "reusablePolicySettings",
        assign_key=None,
        volatile=frozenset({"referencingConfigurationPolicyCount"}),
        restore_order=ORDER_REUSABLE_SETTINGS,
        depends_on=(),
    ),
    _policy(
        "groupPolicyConfigurations",
        strategy=Strategy.GROUP_POLICY,
        path_reads=(PathRead("definitionValues", MappingProxyType({"$expand": "definition"})),),
        sub_collections=(
            ASSIGNMENTS,
            SubCollection(
                "definitionValues",
                sort_by=("definition.id",),
                strip=frozenset({"id", "createdDateTime", "lastModifiedDateTime"}),
                keep_only=MappingProxyType(
                    {"definition": ("id", "displayName", "classType", "categoryPath", "policyType")}
                ),
                children=(
                    SubCollection(
                        "presentationValues",
                        sort_by=("presentation.id",),
                        strip=frozenset({"id", "createdDateTime", "lastModifiedDateTime"}),
                        keep_only=MappingProxyType({"presentation": ("@odata.type", "id", "label")}),
                    ),
                ),
            ),
        ),
        create=(
            WriteOp("POST", "", note="the container only"),
            WriteOp(
                "POST",
                "/{id}/updateDefinitionValues",
                note='{"added"} with definition@odata.bind and presentation@odata.bind',
            ),
        ),
        update=(
            WriteOp("PATCH", "/{id}"),
            WriteOp("POST", "/{id}/updateDefinitionValues", note='{"added", "updated", "deletedIds"}'),
        ),
        write_strategy=WriteStrategy.DEFINITION_VALUES,
    ),
    _policy(
        "intents",
        path_reads=(PathRead("settings"),),
        sub_collections=(ASSIGNMENTS, SubCollection("settings", sort_by=("definitionId",))),
        volatile=frozenset({"isMigratingToConfigurationPolicy"}),
        read_only=frozenset({"templateId"}),
        create=(
            WriteOp(
                "POST",
                "/deviceManagement/templates/{templateId}/createInstance",
                note="{displayName, description, settingsDelta, roleScopeTagIds}",
            ),
        ),
        update=(WriteOp("PATCH", "/{id}"), WriteOp("POST", "/{id}/updateSettings", body_key="settings")),
        write_strategy=WriteStrategy.FROM_TEMPLATE,
    ),
    _policy(
        "deviceManagementScripts",
        list_omits=("scriptContent",),
        volatile=SCRIPT_VOLATILE,
        assign_key="deviceManagementScriptAssignments",
    ),
    _policy(
        "deviceHealthScripts",
        list_omits=("detectionScriptContent", "remediationScriptContent"),
        volatile=SCRIPT_VOLATILE,
        read_only=frozenset({"isGlobalScript", "highestAvailableVersion"}),
        assign_key="deviceHealthScriptAssignments",
    ),
    _policy(
        "deviceShellScripts",
        list_omits=("scriptContent",),
        volatile=SCRIPT_VOLATILE,
        assign_key="deviceManagementScriptAssignments",
    ),
    _policy(
        "deviceCustomAttributeShellScripts",
        list_omits=("scriptContent",),
        volatile=SCRIPT_VOLATILE,
        assign_key="deviceManagementScriptAssignments",
    ),
    _policy(
        "deviceComplianceScripts",
        list_omits=("detectionScriptContent",),
        volatile=SCRIPT_VOLATILE,
        read_only=frozenset({"isGlobalScript", "highestAvailableVersion"}),
        assign_key=None,
        depends_on=("roleScopeTags",),
        restore_order=ORDER_REFERENCED_SCRIPTS,
    ),
    _policy(
        "windowsAutopilotDeploymentProfiles",
        assign=PER_TARGET_ASSIGN,
        volatile=frozenset({"assignedDevices"}),
    ),
    _policy(
        "deviceEnrollmentConfigurations",
        version="beta",
        assign_key="enrollmentConfigurationAssignments",
        read_only=frozenset({"deviceEnrollmentConfigurationType"}),
        update=(WriteOp("PATCH", "/{id}"), WriteOp("POST", "/{id}/setPriority", note='{"priority": n}')),
        write_strategy=WriteStrategy.SET_PRIORITY,
        skip=SkipRule(
            "Intune's default enrollment configurations exist in every tenant and cannot be created.",
            id_suffixes=(
                "_DefaultLimit",
                "_DefaultPlatformRestrictions",
                "_DefaultWindowsHelloForBusiness",
                "_DefaultWindows10EnrollmentCompletionPageConfiguration",
                "_DefaultWindowsRestrictions",
            ),
            property_equals=MappingProxyType({"priority": 0}),
        ),
    ),
    _policy(
        "assignmentFilters",
        assign_key=None,
        volatile=frozenset({"payloads"}),
        create=(WriteOp("POST", "", note="scope tags in roleScopeTags, not roleScopeTagIds"),),
        restore_order=ORDER_FILTERS,
        depends_on=("roleScopeTags",),
    ),
    _policy(
        "roleScopeTags",
        volatile=frozenset({"isBuiltIn"}),
        restore_order=ORDER_SCOPE_TAGS,
        depends_on=(),
        skip=SkipRule("The built-in Default scope tag exists in every tenant.", property_equals={"id": "0"}),
    ),
    _policy(
        "roleDefinitions",
        assign_key=None,
        list_params=MappingProxyType({"$filter": "isBuiltIn eq false"}),
        expand=("roleAssignments",),
        read_only=frozenset({"isBuiltIn"}),
        sub_collections=(SubCollection("roleAssignments", sort_by=("displayName",)),),
        restore_order=ORDER_ROLES,
        depends_on=("roleScopeTags",),
        skip=SkipRule("Built-in roles exist in every tenant.", property_equals={"isBuiltIn": True}),
    ),
    _policy(
        "notificationMessageTemplates",
        assign_key=None,
        expand=("localizedNotificationMessages",),
        sub_collections=(
            SubCollection(
                "localizedNotificationMessages",
                sort_by=("locale",),
                strip=frozenset({"id", "lastModifiedDateTime"}),
            ),
        ),
        create=(
            WriteOp("POST", ""),
            WriteOp("POST", "/{id}/localizedNotificationMessages", note="one request per locale"),
        ),
        write_strategy=WriteStrategy.LOCALIZED_MESSAGES,
        restore_order=ORDER_TEMPLATES,
        depends_on=("roleScopeTags",),
    ),
    _policy("windowsFeatureUpdateProfiles", volatile=frozenset({"endOfSupportDate"})),
    _policy("windowsQualityUpdateProfiles"),
    _policy(
        "windowsDriverUpdateProfiles",
        volatile=frozenset({"deviceReporting", "newUpdates", "inventorySyncStatus"}),
    ),
    _policy("termsAndConditions", assign=PER_TARGET_ASSIGN),
    _policy(
        "deviceCategories",
        assign_key=None,
        restore_order=ORDER_DEVICE_CATEGORIES,
        depends_on=("roleScopeTags",),
    ),
    _policy(
        "roleAssignments",
        assign_key=None,
        expand=("roleDefinition",),
        projections=MappingProxyType({"roleDefinition": ("id", "displayName")}),
        create=(WriteOp("POST", "", note="the role bound with roleDefinition@odata.bind"),),
        update=(WriteOp("PATCH", "/{id}", note="the role bound with roleDefinition@odata.bind"),),
        write_strategy=WriteStrategy.ROLE_BINDING,
        restore_order=ORDER_ROLE_ASSIGNMENTS,
        depends_on=("roleScopeTags", "roleDefinitions"),
    ),
    ObjectType(
        name="deviceManagementSettings",
        collection=f"{DM}/settings",
        strategy=Strategy.SINGLETON,
        update=(WriteOp("PATCH", DM, body_key="settings", note='the parent: {"settings": {...}}'),),
        write_strategy=WriteStrategy.PARENT_PROPERTY,
        target_must_exist="Every tenant has its device management settings; this one could not be read.",
    ),
    ObjectType(
        name="appleEnrollmentProfiles",
        collection=f"{DM}/depOnboardingSettings",
        strategy=Strategy.NESTED,
        parent=ParentCollection(f"{DM}/depOnboardingSettings", "enrollmentProfiles", key="tokenName"),
        read_only=frozenset({"isDefault"}),
        create=(WriteOp("POST", "{parent}", note="into the target's Apple token of the same name"),),
        update=(WriteOp("PATCH", "{parent}/{id}"),),
        write_strategy=WriteStrategy.IN_PARENT,
    ),
    _policy(
        "cloudPcProvisioningPolicies",
        collection=f"{DM}/virtualEndpoint/provisioningPolicies",
        read_only=frozenset({"managedBy"}),
        depends_on=(),
    ),
    _policy(
        "cloudPcUserSettings",
        collection=f"{DM}/virtualEndpoint/userSettings",
        depends_on=(),
    ),
    _policy(
        "managedAppPolicies",
        collection=f"{DAM}/managedAppPolicies",
        strategy=Strategy.MIXED_LIST,
        expand=(),
        list_expand=(),
        volatile=frozenset({"deployedAppCount"}),
        sub_collections=(
            ASSIGNMENTS,
            SubCollection("apps", sort_by=("mobileAppIdentifier.bundleId", "mobileAppIdentifier.packageId")),
        ),
        typed_collections=MappingProxyType(
            {
                "#microsoft.graph.iosManagedAppProtection": f"{DAM}/iosManagedAppProtections",
                "#microsoft.graph.androidManagedAppProtection": f"{DAM}/androidManagedAppProtections",
                "#microsoft.graph.windowsInformationProtectionPolicy": (
                    f"{DAM}/windowsInformationProtectionPolicies"
                ),
                "#microsoft.graph.mdmWindowsInformationProtectionPolicy": (
                    f"{DAM}/mdmWindowsInformationProtectionPolicies"
                ),
                "#microsoft.graph.targetedManagedAppConfiguration": f"{DAM}/targetedManagedAppConfigurations",
            }
        ),
        typed_expand=MappingProxyType(
            {
                "#microsoft.graph.iosManagedAppProtection": ("apps", "assignments"),
                "#microsoft.graph.androidManagedAppProtection": ("apps", "assignments"),
                "#microsoft.graph.windowsInformationProtectionPolicy": ("assignments",),
                "#microsoft.graph.mdmWindowsInformationProtectionPolicy": ("assignments",),
                "#microsoft.graph.targetedManagedAppConfiguration": ("apps", "assignments"),
            }
        ),
        create=(WriteOp("POST", "{typed_collection}", note="typed collection chosen by @odata.type"),),
        update=(
            WriteOp("PATCH", "{typed_collection}/{id}"),
            WriteOp("POST", "{typed_collection}/{id}/targetApps"),
        ),
        write_strategy=WriteStrategy.TARGET_APPS,
        assign=WriteOp("POST", "{typed_collection}/{id}/assign", body_key="assignments"),
        restore_order=ORDER_APP_POLICIES,
    ),
    _policy(
        "mobileAppConfigurations",
        collection=f"{DAM}/mobileAppConfigurations",
        assign=WriteOp(
            "POST",
            "/{id}/microsoft.graph.managedDeviceMobileAppConfiguration/assign",
            body_key="assignments",
        ),
        restore_order=ORDER_APP_POLICIES,
        depends_on=(*POLICY_REFERENCES, "mobileApps"),
    ),
    _policy(
        "mobileAppAssignments",
        collection=f"{DAM}/mobileApps",
        captured_fields=("displayName", "publisher", "assignments"),
        match_also=("publisher",),
        create=(),
        update=(),
        assign=_assign("mobileAppAssignments"),
        write_strategy=WriteStrategy.ASSIGN_ONLY,
        target_must_exist=(
            "The app is not in the target (matched by name and publisher); add the app, then restore "
            "again. Its binary is never restored."
        ),
        restore_order=ORDER_APP_POLICIES,
        depends_on=("assignmentFilters",),
    ),
    _policy(
        "namedLocations",
        collection=f"{CA}/namedLocations",
        version="v1.0",
        assign_key=None,
        create=(WriteOp("POST", "", note="@odata.type ipNamedLocation or countryNamedLocation"),),
        update=(WriteOp("PATCH", "/{id}", note="with its @odata.type"),),
        restore_order=ORDER_ACCESS_REFERENCES,
        depends_on=(),
    ),
    _policy(
        "authenticationStrengthPolicies",
        collection="/policies/authenticationStrengthPolicies",
        version="v1.0",
        assign_key=None,
        read_only=frozenset({"policyType", "requirementsSatisfied"}),
        update=(
            WriteOp("PATCH", "/{id}", note="displayName and description"),
            WriteOp("POST", "/{id}/updateAllowedCombinations", body_key="allowedCombinations"),
        ),
        write_strategy=WriteStrategy.ALLOWED_COMBINATIONS,
        restore_order=ORDER_ACCESS_REFERENCES,
        depends_on=(),
        skip=SkipRule(
            "Built-in authentication strengths exist in every tenant.",
            property_equals=MappingProxyType({"policyType": "builtIn"}),
        ),
    ),
    _policy(
        "authenticationContextClassReferences",
        collection=f"{CA}/authenticationContextClassReferences",
        version="v1.0",
        assign_key=None,
        create=(WriteOp("POST", "", note="with the ID chosen by the client, c1 to c99"),),
        write_strategy=WriteStrategy.CHOSEN_ID,
        restore_order=ORDER_ACCESS_REFERENCES,
        depends_on=(),
    ),
    _policy(
        "conditionalAccessPolicies",
        collection=f"{CA}/policies",
        version="v1.0",
        assign_key=None,
        projections=MappingProxyType({"grantControls.authenticationStrength": ("id",)}),
        depends_on=(
            "namedLocations",
            "authenticationStrengthPolicies",
            "authenticationContextClassReferences",
        ),
    ),
    _policy(
        "mobileApps",
        collection=f"{DAM}/mobileApps",
        volatile=frozenset({"publishingState", "uploadState", "dependentAppCount", "supersedingAppCount"}),
        create=(),
        update=(),
        assign=None,
        not_restorable_reason="App binaries and store links are not in Graph reads; re-upload the app.",
    ),
    _capture_only(
        "applePushNotificationCertificate",
        strategy=Strategy.SINGLETON,
        display_name="appleIdentifier",
        secret_properties=("certificate",),
        reason="The Apple MDM push certificate is issued by Apple to this tenant; renew it in Intune.",
    ),
    _capture_only(
        "depOnboardingSettings",
        display_name="tokenName",
        volatile=frozenset(
            {
                "syncedDeviceCount",
                "lastSuccessfulSyncDateTime",
                "lastSyncTriggeredDateTime",
                "lastSyncErrorCode",
            }
        ),
        reason="The Apple Business Manager token is bound to this tenant; upload a new one in Intune.",
    ),
    _capture_only(
        "vppTokens",
        collection=f"{DAM}/vppTokens",
        secret_properties=("token",),
        volatile=frozenset({"lastSyncDateTime", "lastSyncStatus", "state"}),
        reason="VPP tokens are issued by Apple to this tenant; upload a new one in Intune.",
    ),
    _capture_only(
        "deviceManagementPartners",
        volatile=frozenset({"lastHeartbeatDateTime", "partnerState"}),
        reason="Partner connections are set up from the partner's console, not written through Graph.",
    ),
    _capture_only(
        "androidManagedStoreAccountEnterpriseSettings",
        strategy=Strategy.SINGLETON,
        display_name="ownerOrganizationName",
        volatile=frozenset({"lastAppSyncDateTime", "lastAppSyncStatus"}),
        reason=(
            "Managed Google Play is bound by signing in with a Google account in the Intune admin "
            "center; Graph cannot bind it."
        ),
    ),
    _capture_only(
        "complianceManagementPartners",
        volatile=frozenset({"lastHeartbeatDateTime", "partnerState"}),
        reason="A compliance partner is connected from the partner's own console; Graph cannot connect it.",
    ),
    _capture_only(
        "remoteAssistancePartners",
        volatile=frozenset({"lastConnectionDateTime", "onboardingStatus"}),
        reason=(
            "A remote assistance partner is onboarded in the partner's portal (beginOnboarding hands "
            "over to it); Graph cannot complete it."
        ),
    ),
)

BY_NAME: MappingProxyType[str, ObjectType] = MappingProxyType({entry.name: entry for entry in TYPES})


def object_type(name: str) -> ObjectType:
    """The catalog entry for a type key; `UnknownPolicyType` (404) names the known ones otherwise."""
    entry = BY_NAME.get(name)
    if entry is None:
        raise UnknownPolicyType(
            f"'{name}' is not a policy type TenantAtlas knows. Use one of: {', '.join(sorted(BY_NAME))}.",
            policyType=name,
        )
    return entry


def restore_sequence() -> list[ObjectType]:
    """Restorable types in the order a restore writes them (ties keep catalog order)."""
    return sorted((entry for entry in TYPES if entry.restorable), key=lambda entry: entry.restore_order)
