"""Types whose semantics go beyond generic CRUD plug in here, one module per family."""

from __future__ import annotations

from ..context import Family
from .apps import AppProtectionFamily, NotificationTemplateFamily
from .compliance import ComplianceFamily
from .device_configurations import DeviceConfigurationFamily
from .enrollment import EnrollmentFamily
from .group_policy import GroupPolicyFamily
from .intents import IntentFamily, TemplateFamily
from .rbac import RoleDefinitionFamily, ScopeTagFamily
from .scripts import ScriptFamily
from .settings_catalog import SettingsCatalogFamily

FAMILY_CLASSES: tuple[type[Family], ...] = (
    AppProtectionFamily,
    NotificationTemplateFamily,
    ComplianceFamily,
    DeviceConfigurationFamily,
    EnrollmentFamily,
    GroupPolicyFamily,
    IntentFamily,
    TemplateFamily,
    RoleDefinitionFamily,
    ScopeTagFamily,
    ScriptFamily,
    SettingsCatalogFamily,
)

FAMILIES: dict[str, Family] = {
    collection: family for family in (cls() for cls in FAMILY_CLASSES) for collection in family.collections
}
GENERIC = Family()


def family_for(collection: str) -> Family:
    return FAMILIES.get(collection, GENERIC)
