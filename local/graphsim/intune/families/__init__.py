"""Types whose semantics go beyond generic CRUD plug in here, one module per family."""

from __future__ import annotations

from ..context import Family
from .access import (
    AuthenticationContextFamily,
    AuthenticationStrengthFamily,
    ConditionalAccessFamily,
    NamedLocationFamily,
)
from .apple_enrollment import AppleEnrollmentFamily
from .apps import AppProtectionFamily, MobileAppFamily, NotificationTemplateFamily
from .cloud_pc import CloudPcFamily
from .compliance import ComplianceFamily
from .device_configurations import DeviceConfigurationFamily
from .enrollment import EnrollmentFamily
from .group_policy import GroupPolicyFamily
from .intents import IntentFamily, TemplateFamily
from .rbac import RoleAssignmentFamily, RoleDefinitionFamily, ScopeTagFamily
from .reusable_settings import ReusableSettingFamily
from .scripts import ScriptFamily
from .settings_catalog import SettingsCatalogFamily
from .settings_compliance import SettingsComplianceFamily
from .tenant_settings import DeviceManagementFamily

FAMILY_CLASSES: tuple[type[Family], ...] = (
    AppleEnrollmentFamily,
    AppProtectionFamily,
    AuthenticationContextFamily,
    AuthenticationStrengthFamily,
    CloudPcFamily,
    ConditionalAccessFamily,
    DeviceManagementFamily,
    MobileAppFamily,
    NamedLocationFamily,
    NotificationTemplateFamily,
    ComplianceFamily,
    DeviceConfigurationFamily,
    EnrollmentFamily,
    GroupPolicyFamily,
    IntentFamily,
    TemplateFamily,
    ReusableSettingFamily,
    RoleAssignmentFamily,
    RoleDefinitionFamily,
    ScopeTagFamily,
    ScriptFamily,
    SettingsCatalogFamily,
    SettingsComplianceFamily,
)

FAMILIES: dict[str, Family] = {
    collection: family for family in (cls() for cls in FAMILY_CLASSES) for collection in family.collections
}
GENERIC = Family()


def family_for(collection: str) -> Family:
    return FAMILIES.get(collection, GENERIC)
