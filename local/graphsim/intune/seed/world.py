"""What seeded objects refer to (groups, filters, scope tags, notification templates), and the
assignments that refer to them: include and exclude groups, filters, all devices / users."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .random_source import Source

TARGET = "#microsoft.graph."


@dataclass
class World:
    source: Source
    groups: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    scope_tags: list[str] = field(default_factory=lambda: ["0"])
    templates: list[str] = field(default_factory=list)
    apps: list[str] = field(default_factory=list)
    app_names: set[str] = field(default_factory=set)
    reusable_settings: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    """Custom authentication strengths first, then the built-ins every tenant has."""
    contexts: list[str] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    """Role definitions (built-in and custom) as a role assignment refers to them."""
    admx: list[dict[str, Any]] = field(default_factory=list)
    """Shared ADMX definitions; seeded definition values refer to these very dicts (no copies)."""
    intent_templates: list[dict[str, Any]] = field(default_factory=list)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def tags(self) -> list[str]:
        """Most objects stay on the Default tag; some carry the MSP's own tags."""
        if len(self.scope_tags) == 1 or self.source.chance(0.6):
            return ["0"]
        return self.source.sample(self.scope_tags[1:], self.source.between(1, 2))

    def assignments(self, owner_id: str, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        source = self.source
        if not self.groups or source.chance(0.15):
            return []
        targets: list[dict[str, Any]] = []
        if source.chance(0.2):
            targets.append({"@odata.type": TARGET + "allDevicesAssignmentTarget"})
        for group in source.sample(self.groups, source.between(1, 3)):
            targets.append({"@odata.type": TARGET + "groupAssignmentTarget", "groupId": group})
        if source.chance(0.35):
            excluded = source.pick(self.groups)
            if all(target.get("groupId") != excluded for target in targets):
                targets.append(
                    {"@odata.type": TARGET + "exclusionGroupAssignmentTarget", "groupId": excluded}
                )
        result = []
        for target in targets:
            if "exclusion" not in target["@odata.type"]:
                use_filter = self.filters and source.chance(0.3)
                target["deviceAndAppManagementAssignmentFilterId"] = (
                    source.pick(self.filters) if use_filter else None
                )
                target["deviceAndAppManagementAssignmentFilterType"] = (
                    source.pick(("include", "exclude")) if use_filter else "none"
                )
            key = target.get("groupId") or target["@odata.type"].rsplit(".", 1)[-1]
            result.append({"id": f"{owner_id}_{key}", **(extra or {}), "target": target})
        return result
