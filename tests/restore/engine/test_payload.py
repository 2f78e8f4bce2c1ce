"""build_payload without servers: what a write body leaves out, and the notes that say so."""

from __future__ import annotations

from typing import Any

from shared.intune import SECRETS_MARKER
from shared.restore.payload import build_payload, parse_path

G = "#microsoft.graph."


def oma_profile() -> dict[str, Any]:
    """A custom profile as a backup stores it: the encrypted setting's value was not captured."""
    return {
        "@odata.type": G + "windows10CustomConfiguration",
        "displayName": "WIN - Custom",
        "roleScopeTagIds": ["0"],
        "omaSettings": [
            {
                "@odata.type": G + "omaSettingInteger",
                "omaUri": "./Device/A",
                "value": 1,
                "isEncrypted": False,
            },
            {"@odata.type": G + "omaSettingString", "omaUri": "./Vendor/MSFT/WiFi/Key", "isEncrypted": True},
        ],
        "assignments": [{"target": {"@odata.type": G + "allDevicesAssignmentTarget"}}],
        SECRETS_MARKER: ["omaSettings[omaUri='./Vendor/MSFT/WiFi/Key'].value"],
    }


def test_uncaptured_secret_leaves_its_setting_out_and_says_so() -> None:
    payload = build_payload("deviceConfigurations", oma_profile())
    assert [item["omaUri"] for item in payload.body["omaSettings"]] == ["./Device/A"]
    assert SECRETS_MARKER not in payload.body
    assert len(payload.notes) == 1 and "./Vendor/MSFT/WiFi/Key" in payload.notes[0]
    assert [left.item["omaUri"] for left in payload.left_out] == ["./Vendor/MSFT/WiFi/Key"]


def test_top_level_secret_is_noted_and_nothing_else_changes() -> None:
    content = {"displayName": "VPN", "roleScopeTagIds": ["0"], SECRETS_MARKER: ["sharedKey"]}
    payload = build_payload("deviceConfigurations", content)
    assert payload.body == {"displayName": "VPN", "roleScopeTagIds": ["0"]}
    assert payload.notes == (
        "sharedKey is a secret that was not captured; it was not written. Set it in Intune.",
    )


def test_masks_and_secret_handles_never_reach_the_body() -> None:
    content = {
        "displayName": "Leaky",
        "password": "********",
        "omaSettings": [
            {"omaUri": "./A", "value": "****", "isEncrypted": True, "secretReferenceValueId": "ref-1"},
            {"omaUri": "./B", "value": 2, "secretReferenceValueId": None},
        ],
        "nested": {"secretReferenceValueId": "ref-2", "keep": 1},
    }
    payload = build_payload("deviceConfigurations", content)
    assert payload.body == {
        "displayName": "Leaky",
        "omaSettings": [{"omaUri": "./B", "value": 2}],
        "nested": {"keep": 1},
    }
    assert sorted(payload.notes) == sorted(
        f"{path} holds a masked secret or secret handle; it was not written."
        for path in ("password", "omaSettings[0]", "nested.secretReferenceValueId")
    )


def test_read_only_volatile_and_internal_fields_are_stripped() -> None:
    content = {
        "@odata.type": G + "deviceHealthScript",
        "@odata.context": "https://graph/x",
        "@tenantatlas.other": 1,
        "id": "abc",
        "version": "3",
        "createdDateTime": "2024-01-01T00:00:00Z",
        "lastModifiedDateTime": "2024-01-01T00:00:00Z",
        "supportsScopeTags": True,
        "isGlobalScript": False,
        "runSummary": {"x": 1},
        "displayName": "Fix",
        "roleScopeTagIds": [],
        "assignments": [
            {"id": "a1", "sourceId": "s", "target": {"@odata.type": G + "allDevicesAssignmentTarget"}}
        ],
    }
    payload = build_payload("deviceHealthScripts", content)
    assert payload.body == {
        "@odata.type": G + "deviceHealthScript",
        "displayName": "Fix",
        "roleScopeTagIds": ["0"],
    }
    assert payload.assignments == [{"target": {"@odata.type": G + "allDevicesAssignmentTarget"}}]


def test_parts_written_apart_leave_the_body() -> None:
    compliance = build_payload(
        "deviceCompliancePolicies", {"displayName": "C", "scheduledActionsForRule": [{"ruleName": "R"}]}
    )
    assert compliance.body == {"displayName": "C"} and compliance.parts == {
        "scheduledActionsForRule": [{"ruleName": "R"}]
    }
    intent = build_payload("intents", {"displayName": "I", "templateId": "t", "settings": []})
    assert intent.body == {"displayName": "I"} and intent.parts == {"settings": []}
    assert build_payload("roleDefinitions", {"displayName": "R", "isBuiltIn": False}).body == {
        "displayName": "R"
    }
    assert build_payload("deviceConfigurations", {"displayName": "D"}).assignments is None


def test_assignment_filters_take_scope_tags_in_role_scope_tags() -> None:
    payload = build_payload("assignmentFilters", {"displayName": "F", "roleScopeTagIds": ["3"]})
    assert payload.body == {"displayName": "F", "roleScopeTags": ["3"]}
    assert build_payload("assignmentFilters", {"displayName": "F", "roleScopeTags": []}).body[
        "roleScopeTags"
    ] == ["0"]


def test_secret_paths_parse_with_dots_and_brackets_in_labels() -> None:
    assert parse_path("omaSettings[omaUri='./A/B[1].x'].value") == [
        "omaSettings",
        ("omaUri", "./A/B[1].x"),
        "value",
    ]
    assert parse_path("a.b[2].c") == ["a", "b", 2, "c"]
