"""The declarative table of every object type graphsim serves (docs/graph-intune.md#object-types).

One row per collection. Families with special semantics (settings catalog, group policy,
compliance, intents, scripts, app protection) still get their row here; their extra routes
plug in through `families/`.
"""

from __future__ import annotations

from .catalog_capture import CAPTURE_ONLY
from .catalog_companions import COMPANIONS
from .spec import Nav, TypeSpec
from .subtypes import (
    APP_PROTECTION,
    COMPLIANCE_TYPES,
    DEVICE_CONFIGURATION_TYPES,
    ENROLLMENT_TYPES,
)

G = "microsoft.graph."


def assignments(entity: str) -> Nav:
    return Nav("assignments", G + entity)


NAMED: dict[str, tuple[type, bool]] = {"displayName": (str, True), "description": (str, False)}
STATUS_NAVS = ("deviceStatuses", "userStatuses", "deviceStatusOverview", "userStatusOverview")

SCRIPT_SCHEMA = {**NAMED, "scriptContent": (str, True), "fileName": (str, True), "runAsAccount": (str, False)}

DM = "deviceManagement/"
DAM = "deviceAppManagement/"

CONFIGURABLE: tuple[TypeSpec, ...] = (
    TypeSpec(
        DM + "deviceConfigurations",
        G + "deviceConfiguration",
        "config",
        DEVICE_CONFIGURATION_TYPES,
        v1=True,
        assign_key="assignments",
        navs=(assignments("deviceConfigurationAssignment"),),
        inert_navs=(*STATUS_NAVS, "groupAssignments", "deviceSettingStateSummaries"),
        version="int",
        schema={**NAMED, "omaSettings": (list, False)},
    ),
    TypeSpec(
        DM + "deviceCompliancePolicies",
        G + "deviceCompliancePolicy",
        "config",
        COMPLIANCE_TYPES,
        v1=True,
        assign_key="assignments",
        navs=(
            assignments("deviceCompliancePolicyAssignment"),
            Nav(
                "scheduledActionsForRule",
                G + "deviceComplianceScheduledActionForRule",
                (Nav("scheduledActionConfigurations", G + "deviceComplianceActionItem"),),
            ),
        ),
        inert_navs=(*STATUS_NAVS, "deviceSettingStateSummaries"),
        version="int",
        schema=NAMED,
    ),
    TypeSpec(
        DM + "configurationPolicies",
        G + "deviceManagementConfigurationPolicy",
        "config",
        assign_key="assignments",
        put_replaces=True,
        page_size=25,
        navs=(
            assignments("deviceManagementConfigurationPolicyAssignment"),
            Nav(
                "settings",
                G + "deviceManagementConfigurationSetting",
                (Nav("settingDefinitions", G + "deviceManagementConfigurationSettingDefinition"),),
                page_size=25,
            ),
        ),
        timestamps=("createdDateTime", "lastModifiedDateTime"),
        schema={
            "name": (str, True),
            "description": (str, False),
            "platforms": (str, True),
            "technologies": (str, True),
            "settings": (list, False),
            "templateReference": (dict, False),
        },
    ),
    TypeSpec(
        DM + "groupPolicyConfigurations",
        G + "groupPolicyConfiguration",
        "config",
        assign_key="assignments",
        navs=(
            assignments("groupPolicyConfigurationAssignment"),
            Nav(
                "definitionValues",
                G + "groupPolicyDefinitionValue",
                (
                    Nav(
                        "definition",
                        G + "groupPolicyDefinition",
                        (Nav("presentations", G + "groupPolicyPresentation"),),
                        single=True,
                    ),
                    Nav(
                        "presentationValues",
                        G + "groupPolicyPresentationValue",
                        (Nav("presentation", G + "groupPolicyPresentation", single=True),),
                    ),
                ),
            ),
        ),
        schema=NAMED,
    ),
    TypeSpec(
        DM + "groupPolicyDefinitions",
        G + "groupPolicyDefinition",
        "config",
        writable=False,
        builtin=True,
        navs=(Nav("presentations", G + "groupPolicyPresentation"),),
        scope_tags=None,
        timestamps=("lastModifiedDateTime",),
    ),
    TypeSpec(
        DM + "intents",
        G + "deviceManagementIntent",
        "config",
        assign_key="assignments",
        navs=(
            assignments("deviceManagementIntentAssignment"),
            Nav("settings", G + "deviceManagementSettingInstance"),
            Nav(
                "categories",
                G + "deviceManagementIntentSettingCategory",
                (Nav("settings", G + "deviceManagementSettingInstance"),),
            ),
        ),
        inert_navs=("deviceStates", "userStates", "deviceStateSummary"),
        timestamps=("lastModifiedDateTime",),
        schema=NAMED,
    ),
    TypeSpec(
        DM + "templates",
        G + "deviceManagementTemplate",
        "config",
        writable=False,
        builtin=True,
        navs=(
            Nav("settings", G + "deviceManagementSettingInstance"),
            Nav(
                "categories",
                G + "deviceManagementTemplateSettingCategory",
                (Nav("recommendedSettings", G + "deviceManagementSettingInstance"),),
            ),
        ),
        inert_navs=("migratableTo",),
        scope_tags=None,
        timestamps=(),
    ),
    TypeSpec(
        DM + "deviceManagementScripts",
        G + "deviceManagementScript",
        "scripts",
        assign_key="deviceManagementScriptAssignments",
        list_omits=("scriptContent",),
        navs=(assignments("deviceManagementScriptAssignment"),),
        inert_navs=("groupAssignments", "runSummary", "deviceRunStates", "userRunStates"),
        schema=SCRIPT_SCHEMA,
    ),
    TypeSpec(
        DM + "deviceHealthScripts",
        G + "deviceHealthScript",
        "scripts",
        assign_key="deviceHealthScriptAssignments",
        list_omits=("detectionScriptContent", "remediationScriptContent"),
        navs=(assignments("deviceHealthScriptAssignment"),),
        inert_navs=("runSummary", "deviceRunStates"),
        version="str",
        schema={
            **NAMED,
            "publisher": (str, True),
            "detectionScriptContent": (str, True),
            "remediationScriptContent": (str, False),
            "runAsAccount": (str, False),
        },
    ),
    TypeSpec(
        DM + "deviceShellScripts",
        G + "deviceShellScript",
        "scripts",
        assign_key="deviceManagementScriptAssignments",
        list_omits=("scriptContent",),
        navs=(assignments("deviceManagementScriptAssignment"),),
        inert_navs=("groupAssignments", "runSummary"),
        schema=SCRIPT_SCHEMA,
    ),
    TypeSpec(
        DM + "deviceCustomAttributeShellScripts",
        G + "deviceCustomAttributeShellScript",
        "scripts",
        assign_key="deviceManagementScriptAssignments",
        list_omits=("scriptContent",),
        navs=(assignments("deviceManagementScriptAssignment"),),
        inert_navs=("groupAssignments", "runSummary"),
        schema={**SCRIPT_SCHEMA, "customAttributeName": (str, True), "customAttributeType": (str, True)},
    ),
    TypeSpec(
        DM + "deviceComplianceScripts",
        G + "deviceComplianceScript",
        "scripts",
        list_omits=("detectionScriptContent",),
        inert_navs=("runSummary", "deviceRunStates"),
        version="str",
        schema={**NAMED, "publisher": (str, True), "detectionScriptContent": (str, True)},
    ),
    TypeSpec(
        DM + "windowsAutopilotDeploymentProfiles",
        G + "windowsAutopilotDeploymentProfile",
        "service",
        (
            G + "azureADWindowsAutopilotDeploymentProfile",
            G + "activeDirectoryWindowsAutopilotDeploymentProfile",
        ),
        assign_per_target=True,
        navs=(assignments("windowsAutopilotDeploymentProfileAssignment"),),
        inert_navs=("assignedDevices",),
        schema={**NAMED, "outOfBoxExperienceSettings": (dict, False)},
    ),
    TypeSpec(
        DM + "deviceEnrollmentConfigurations",
        G + "deviceEnrollmentConfiguration",
        "service",
        ENROLLMENT_TYPES,
        v1=True,
        assign_key="enrollmentConfigurationAssignments",
        navs=(assignments("enrollmentConfigurationAssignment"),),
        version="int",
        schema={**NAMED, "priority": (int, False)},
    ),
    TypeSpec(
        DM + "assignmentFilters",
        G + "deviceAndAppManagementAssignmentFilter",
        "config",
        scope_tags="roleScopeTags",
        schema={**NAMED, "platform": (str, True), "rule": (str, True)},
    ),
    TypeSpec(
        DM + "roleScopeTags",
        G + "roleScopeTag",
        "rbac",
        assign_key="assignments",
        navs=(assignments("roleScopeTagAutoAssignment"),),
        scope_tags=None,
        timestamps=(),
        schema=NAMED,
    ),
    TypeSpec(
        DM + "roleDefinitions",
        G + "roleDefinition",
        "rbac",
        (G + "deviceAndAppManagementRoleDefinition",),
        odata_type_required=False,
        v1=True,
        navs=(Nav("roleAssignments", G + "roleAssignment"),),
        timestamps=(),
        schema={**NAMED, "rolePermissions": (list, True), "isBuiltIn": (bool, False)},
    ),
    TypeSpec(
        DM + "roleAssignments",
        G + "roleAssignment",
        "rbac",
        (G + "deviceAndAppManagementRoleAssignment",),
        odata_type_required=False,
        v1=True,
        navs=(Nav("roleDefinition", G + "roleDefinition", single=True),),
        timestamps=(),
        schema={
            **NAMED,
            "members": (list, True),
            "resourceScopes": (list, False),
            "scopeMembers": (list, False),
            "scopeType": (str, False),
        },
    ),
    TypeSpec(
        DM + "notificationMessageTemplates",
        G + "notificationMessageTemplate",
        "service",
        v1=True,
        navs=(Nav("localizedNotificationMessages", G + "localizedNotificationMessage"),),
        timestamps=("lastModifiedDateTime",),
        schema={**NAMED, "brandingOptions": (str, False)},
    ),
    TypeSpec(
        DM + "windowsFeatureUpdateProfiles",
        G + "windowsFeatureUpdateProfile",
        "config",
        assign_key="assignments",
        navs=(assignments("windowsFeatureUpdateProfileAssignment"),),
        schema={**NAMED, "featureUpdateVersion": (str, True)},
    ),
    TypeSpec(
        DM + "windowsQualityUpdateProfiles",
        G + "windowsQualityUpdateProfile",
        "config",
        assign_key="assignments",
        navs=(assignments("windowsQualityUpdateProfileAssignment"),),
        schema=NAMED,
    ),
    TypeSpec(
        DM + "windowsDriverUpdateProfiles",
        G + "windowsDriverUpdateProfile",
        "config",
        assign_key="assignments",
        navs=(assignments("windowsDriverUpdateProfileAssignment"),),
        inert_navs=("driverInventories",),
        schema={**NAMED, "approvalType": (str, True)},
    ),
    TypeSpec(
        DM + "termsAndConditions",
        G + "termsAndConditions",
        "service",
        v1=True,
        assign_per_target=True,
        navs=(assignments("termsAndConditionsAssignment"),),
        inert_navs=("acceptanceStatuses", "groupAssignments"),
        version="int",
        schema={**NAMED, "title": (str, True), "bodyText": (str, True), "acceptanceStatement": (str, True)},
    ),
    TypeSpec(
        DAM + "managedAppPolicies",
        G + "managedAppPolicy",
        "apps",
        writable=False,
        mixed_of=tuple(DAM + name for name in APP_PROTECTION),
    ),
    *(
        TypeSpec(
            DAM + collection,
            G + entity,
            "apps",
            (G + entity,),
            odata_type_required=False,
            v1=True,
            assign_key="assignments",
            navs=(assignments("targetedManagedAppPolicyAssignment"), Nav("apps", G + "managedMobileApp")),
            inert_navs=("deploymentSummary",),
            version="str",
            schema=NAMED,
        )
        for collection, entity in APP_PROTECTION.items()
    ),
    TypeSpec(
        DAM + "mobileAppConfigurations",
        G + "managedDeviceMobileAppConfiguration",
        "apps",
        (G + "iosMobileAppConfiguration", G + "androidManagedStoreAppConfiguration"),
        v1=True,
        assign_key="assignments",
        navs=(assignments("managedDeviceMobileAppConfigurationAssignment"),),
        inert_navs=("deviceStatuses", "userStatuses", "deviceStatusSummary", "userStatusSummary"),
        version="int",
        schema={**NAMED, "targetedMobileApps": (list, True)},
    ),
    TypeSpec(
        DM + "compliancePolicies",
        G + "deviceManagementCompliancePolicy",
        "config",
        assign_key="assignments",
        put_replaces=True,
        page_size=25,
        navs=(
            assignments("deviceManagementConfigurationPolicyAssignment"),
            Nav(
                "settings",
                G + "deviceManagementConfigurationSetting",
                (Nav("settingDefinitions", G + "deviceManagementConfigurationSettingDefinition"),),
                page_size=25,
            ),
            Nav(
                "scheduledActionsForRule",
                G + "deviceManagementComplianceScheduledActionForRule",
                (Nav("scheduledActionConfigurations", G + "deviceManagementComplianceActionItem"),),
            ),
        ),
        timestamps=("createdDateTime", "lastModifiedDateTime"),
        schema={
            "name": (str, True),
            "description": (str, False),
            "platforms": (str, True),
            "technologies": (str, True),
            "settings": (list, False),
            "scheduledActionsForRule": (list, False),
        },
    ),
    TypeSpec(
        DM + "deviceCategories",
        G + "deviceCategory",
        "devices",
        v1=True,
        timestamps=(),
        schema=NAMED,
    ),
    TypeSpec(
        DM + "reusablePolicySettings",
        G + "deviceManagementReusablePolicySetting",
        "config",
        scope_tags=None,
        inert_navs=("referencingConfigurationPolicies",),
        version="int",
        schema={**NAMED, "settingDefinitionId": (str, True), "settingInstance": (dict, True)},
    ),
)

TYPES: tuple[TypeSpec, ...] = (*CONFIGURABLE, *COMPANIONS, *CAPTURE_ONLY)
BY_COLLECTION: dict[str, TypeSpec] = {spec.collection: spec for spec in TYPES}
BY_ENTITY: dict[str, TypeSpec] = {spec.entity: spec for spec in TYPES if not spec.mixed_of}
