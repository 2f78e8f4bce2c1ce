"""The as-built document of a backup set: every policy by type, its settings by the display names of
their definitions (where Graph gives them) with their values, its assignments by group name; as
Markdown and as HTML (docs/reports.md).

Built in two steps: `build_report` turns the set's stored contents and the names looked up in Graph
(`ReportNames`) into a small document model; `to_markdown` and `to_html` render it. The renderers are
a few lines each over `html.escape`: one fixed document shape needs no template engine.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.intune.catalog import BY_NAME

SETTINGS_CATALOG_TYPES = frozenset({"configurationPolicies", "compliancePolicies"})
"""Types whose settings are setting instances named by definition IDs (the settings catalog)."""
_META = frozenset(
    {
        "id",
        "displayName",
        "name",
        "description",
        "createdDateTime",
        "lastModifiedDateTime",
        "version",
        "roleScopeTagIds",
        "assignments",
        "settings",
        "settingCount",
        "creationSource",
        "priorityMetaData",
        "isAssigned",
        "supportsScopeTags",
        "deviceManagementApplicabilityRuleOsEdition",
        "deviceManagementApplicabilityRuleOsVersion",
        "deviceManagementApplicabilityRuleDeviceMode",
    }
)
_TARGETS = {
    "#microsoft.graph.allDevicesAssignmentTarget": "All devices",
    "#microsoft.graph.allLicensedUsersAssignmentTarget": "All users",
}
_EXCLUSION = "#microsoft.graph.exclusionGroupAssignmentTarget"
_MAX_VALUE_CHARS = 300


@dataclass(frozen=True)
class Definition:
    display_name: str
    options: Mapping[str, str] = field(default_factory=dict)
    """Choice option item ID -> display name."""


@dataclass(frozen=True)
class ReportNames:
    """What Graph says the IDs in the contents are called."""

    groups: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)
    definitions: Mapping[str, Definition] = field(default_factory=dict)


@dataclass(frozen=True)
class Setting:
    name: str
    value: str
    depth: int = 0
    named_by_graph: bool = True


@dataclass(frozen=True)
class PolicyReport:
    policy_type: str
    policy_id: str
    display_name: str
    description: str
    settings: tuple[Setting, ...]
    assignments: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    tenant_id: str
    tenant_name: str
    backup_id: str
    created_at: str
    status: str
    policies: tuple[PolicyReport, ...]

    @property
    def definition_figures(self) -> tuple[int, int]:
        """Settings-catalog settings named by their Graph definition, and all of them."""
        catalog = [s for p in self.policies if p.policy_type in SETTINGS_CATALOG_TYPES for s in p.settings]
        return sum(1 for s in catalog if s.named_by_graph), len(catalog)

    def by_type(self) -> Iterator[tuple[str, list[PolicyReport]]]:
        types: dict[str, list[PolicyReport]] = {}
        for policy in self.policies:
            types.setdefault(policy.policy_type, []).append(policy)
        for policy_type in sorted(types):
            yield policy_type, sorted(types[policy_type], key=lambda p: (p.display_name.lower(), p.policy_id))


def definition_ids(content: Mapping[str, Any]) -> set[str]:
    """Every settingDefinitionId in a settings-catalog content (its settings and their children)."""
    found: set[str] = set()
    _walk_ids(content.get("settings"), found)
    return found


def _walk_ids(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("settingDefinitionId"), str):
            found.add(node["settingDefinitionId"])
        for value in node.values():
            _walk_ids(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_ids(value, found)


def build_report(
    *,
    tenant_id: str,
    tenant_name: str,
    backup_id: str,
    created_at: datetime,
    status: str,
    contents: Iterable[tuple[str, str, Mapping[str, Any]]],
    names: ReportNames,
) -> Report:
    """The document model from (policy type, policy ID, content) triples."""
    policies = []
    for policy_type, policy_id, content in contents:
        entry = BY_NAME.get(policy_type)
        name_field = entry.display_name if entry else "displayName"
        settings = (
            tuple(_catalog_settings(content.get("settings"), names))
            if policy_type in SETTINGS_CATALOG_TYPES
            else tuple(_property_settings(content))
        )
        policies.append(
            PolicyReport(
                policy_type=policy_type,
                policy_id=policy_id,
                display_name=str(content.get(name_field) or content.get("displayName") or policy_id),
                description=str(content.get("description") or ""),
                settings=settings,
                assignments=tuple(_assignments(content.get("assignments"), names)),
            )
        )
    return Report(tenant_id, tenant_name, backup_id, created_at.isoformat(), status, tuple(policies))


def _catalog_settings(settings: Any, names: ReportNames) -> Iterator[Setting]:
    for setting in settings if isinstance(settings, list) else []:
        if isinstance(setting, dict):
            yield from _instance(setting.get("settingInstance"), names, 0)


def _instance(instance: Any, names: ReportNames, depth: int) -> Iterator[Setting]:
    if not isinstance(instance, dict) or not isinstance(instance.get("settingDefinitionId"), str):
        return
    definition_id = instance["settingDefinitionId"]
    definition = names.definitions.get(definition_id)
    name = definition.display_name if definition else definition_id
    children: list[Any] = []
    value = ""
    if isinstance(instance.get("choiceSettingValue"), dict):
        choice = instance["choiceSettingValue"]
        value = _option(choice.get("value"), definition)
        children = list(choice.get("children") or [])
    elif isinstance(instance.get("simpleSettingValue"), dict):
        value = _text(instance["simpleSettingValue"].get("value"))
    elif isinstance(instance.get("simpleSettingCollectionValue"), list):
        value = ", ".join(
            _text(v.get("value")) for v in instance["simpleSettingCollectionValue"] if isinstance(v, dict)
        )
    elif isinstance(instance.get("choiceSettingCollectionValue"), list):
        values = [v for v in instance["choiceSettingCollectionValue"] if isinstance(v, dict)]
        value = ", ".join(_option(v.get("value"), definition) for v in values)
        children = [child for v in values for child in v.get("children") or []]
    elif isinstance(instance.get("groupSettingCollectionValue"), list):
        groups = [g for g in instance["groupSettingCollectionValue"] if isinstance(g, dict)]
        value = f"{len(groups)} item(s)"
        children = [child for g in groups for child in g.get("children") or []]
    elif isinstance(instance.get("groupSettingValue"), dict):
        children = list(instance["groupSettingValue"].get("children") or [])
    yield Setting(name, value, depth, definition is not None)
    for child in children:
        yield from _instance(child, names, depth + 1)


def _option(value: Any, definition: Definition | None) -> str:
    if not isinstance(value, str):
        return _text(value)
    if definition and value in definition.options:
        return definition.options[value]
    return _humanize(value.rsplit("_", 1)[-1])


def _property_settings(content: Mapping[str, Any]) -> Iterator[Setting]:
    """A type without setting definitions: its properties are its settings, named from their keys."""
    for key in sorted(content):
        if key in _META or key.startswith("@") or "@odata" in key:
            continue
        value = content[key]
        if value is None or value == [] or value == {}:
            continue
        yield Setting(_humanize(key), _text(value), 0, False)


def _assignments(assignments: Any, names: ReportNames) -> Iterator[str]:
    for assignment in assignments if isinstance(assignments, list) else []:
        target = assignment.get("target") if isinstance(assignment, dict) else None
        if not isinstance(target, dict):
            continue
        kind = str(target.get("@odata.type") or "")
        group = target.get("groupId")
        if kind in _TARGETS:
            text = _TARGETS[kind]
        elif group:
            label = names.groups.get(str(group), f"unknown group {group}")
            text = f"Excluded: {label}" if kind == _EXCLUSION else f"Group: {label}"
        else:
            text = kind.rsplit(".", 1)[-1] or "unknown target"
        filter_id = target.get("deviceAndAppManagementAssignmentFilterId")
        filter_type = target.get("deviceAndAppManagementAssignmentFilterType")
        if filter_id and filter_type not in (None, "none"):
            text += f" (filter {names.filters.get(str(filter_id), str(filter_id))}, {filter_type})"
        yield text


def _humanize(key: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key.replace("_", " ").replace("-", " ")).strip()
    return words[:1].upper() + words[1:].lower() if words else key


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS] + "…"


# --- rendering -------------------------------------------------------------------------------------


def to_markdown(report: Report) -> str:
    lines = [
        f"# As-built: {_md(report.tenant_name)}",
        "",
        f"Tenant `{report.tenant_id}`, backup `{report.backup_id}` of {report.created_at} ({report.status}), "
        f"{len(report.policies)} policies.",
        "",
        _figures_line(report),
    ]
    for policy_type, policies in report.by_type():
        lines += ["", f"## {policy_type} ({len(policies)})"]
        for policy in policies:
            lines += ["", f"### {_md(policy.display_name)}", "", f"ID `{policy.policy_id}`"]
            if policy.description:
                lines += ["", _md(policy.description)]
            lines += ["", "**Assignments:** " + (", ".join(_md(a) for a in policy.assignments) or "none")]
            if policy.settings:
                lines += ["", "| Setting | Value |", "|---|---|"]
                for setting in policy.settings:
                    indent = "&nbsp;&nbsp;" * setting.depth
                    lines.append(f"| {indent}{_cell(setting.name)} | {_cell(setting.value)} |")
    return "\n".join(lines) + "\n"


def to_html(report: Report) -> str:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>As-built: {e(report.tenant_name)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
        "</style></head><body>",
        f"<h1>As-built: {e(report.tenant_name)}</h1>",
        f"<p>Tenant <code>{e(report.tenant_id)}</code>, backup <code>{e(report.backup_id)}</code> of "
        f"{e(report.created_at)} ({e(report.status)}), {len(report.policies)} policies.</p>",
        f"<p>{e(_figures_line(report))}</p>",
    ]
    for policy_type, policies in report.by_type():
        parts.append(f"<h2>{e(policy_type)} ({len(policies)})</h2>")
        for policy in policies:
            parts.append(f"<h3>{e(policy.display_name)}</h3><p>ID <code>{e(policy.policy_id)}</code></p>")
            if policy.description:
                parts.append(f"<p>{e(policy.description)}</p>")
            assigned = ", ".join(e(a) for a in policy.assignments) or "none"
            parts.append(f"<p><strong>Assignments:</strong> {assigned}</p>")
            if policy.settings:
                rows = "".join(
                    f'<tr><td style="padding-left:{0.5 + setting.depth * 1.5}rem">{e(setting.name)}</td>'
                    f"<td>{e(setting.value)}</td></tr>"
                    for setting in policy.settings
                )
                parts.append(f"<table><tr><th>Setting</th><th>Value</th></tr>{rows}</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _figures_line(report: Report) -> str:
    named, total = report.definition_figures
    return (
        f"Settings catalog settings named by their Graph definition: {named} of {total}; the others by "
        "their definition ID, and other types' settings by their property names."
    )


def _md(text: str) -> str:
    """Text safe in Markdown prose: characters that would start markup are escaped."""
    return re.sub(r"([\\`*_{}\[\]<>#|!])", r"\\\1", text).replace("\n", " ")


def _cell(text: str) -> str:
    return _md(text)
