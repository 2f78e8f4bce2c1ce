"""Secrets on restore: a value the backup could not capture is never written (the item's notes say
which), a masked `****` or a `secretReferenceValueId` never reaches Graph, and an update keeps the
target's own secret rather than wiping it."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest

from local.graphsim.testing import GraphSim
from shared.graph import GraphClient, GraphError
from shared.intune import SECRETS_MARKER, capture_policy
from shared.redact import redact
from shared.restore.remap import build_id_map
from shared.restore.write import write_item

MakeClient = Callable[[str], GraphClient]
DC = "deviceManagement/deviceConfigurations"
G = "#microsoft.graph."


def custom_profile_id(sim: GraphSim, tenant: str) -> str:
    objects = sim.admin.tenant_state(tenant)["collections"][DC]
    return str(
        next(o["id"] for o in objects if any(s.get("isEncrypted") for s in o.get("omaSettings") or []))
    )


def stored(sim: GraphSim, tenant: str, object_id: str) -> dict[str, Any]:
    return dict(next(o for o in sim.admin.tenant_state(tenant)["collections"][DC] if o["id"] == object_id))


def test_uncaptured_secret_is_not_written_and_the_notes_say_which(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str, customer_tenant: str
) -> None:
    source, target = make_client(demo_tenant), make_client(customer_tenant)
    backup = capture_policy(source, "deviceConfigurations", custom_profile_id(sim, demo_tenant))
    [secret_path] = backup.payload[SECRETS_MARKER]
    secret_uri = next(s["omaUri"] for s in backup.payload["omaSettings"] if s.get("isEncrypted"))

    result = write_item(
        target, "deviceConfigurations", backup.payload, target_id=None, ids=build_id_map(source, target)
    )

    assert any(secret_path in note and "not captured" in note for note in result.notes), result.notes
    written = stored(sim, customer_tenant, result.target_id)
    assert secret_uri not in [s["omaUri"] for s in written["omaSettings"]]
    assert len(written["omaSettings"]) == len(backup.payload["omaSettings"]) - 1
    assert "****" not in json.dumps(written) and SECRETS_MARKER not in written


def test_masked_values_and_secret_handles_never_reach_graph(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str, empty_tenant: str
) -> None:
    """Content that still holds a mask and a secret handle (not normalized): graphsim would reject the
    handle on create with a 400 and would store any `****` it got as a new secret."""
    source, target = make_client(demo_tenant), make_client(empty_tenant)
    content = {
        "@odata.type": G + "windows10CustomConfiguration",
        "displayName": "WIN - Leaky custom profile",
        "roleScopeTagIds": ["0"],
        "omaSettings": [
            {"@odata.type": G + "omaSettingInteger", "displayName": "A", "omaUri": "./Device/A", "value": 1},
            {
                "@odata.type": G + "omaSettingString",
                "displayName": "Key",
                "omaUri": "./Vendor/Key",
                "value": "****",
                "isEncrypted": True,
                "secretReferenceValueId": "0b5e0d1c-0000-0000-0000-000000000001",
            },
        ],
    }
    result = write_item(
        target, "deviceConfigurations", content, target_id=None, ids=build_id_map(source, target)
    )
    written = stored(sim, empty_tenant, result.target_id)
    assert [s["omaUri"] for s in written["omaSettings"]] == ["./Device/A"]
    assert "****" not in json.dumps(written)
    assert result.notes == ("omaSettings[1] holds a masked secret or secret handle; it was not written.",)


def test_update_keeps_the_targets_own_secret(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str
) -> None:
    client = make_client(demo_tenant)
    profile_id = custom_profile_id(sim, demo_tenant)
    backup = capture_policy(client, "deviceConfigurations", profile_id)

    def plain_text() -> str:
        secret = next(s for s in stored(sim, demo_tenant, profile_id)["omaSettings"] if s.get("isEncrypted"))
        reference = secret["secretReferenceValueId"]
        path = f"/{DC}/{profile_id}/getOmaSettingPlainTextValue(secretReferenceValueId='{reference}')"
        return str(client.get(path)["value"])

    before = plain_text()
    sim.admin.patch_object(demo_tenant, DC, profile_id, {"displayName": "renamed in the portal"})

    result = write_item(
        client, "deviceConfigurations", backup.payload, target_id=profile_id, ids=build_id_map(client, client)
    )

    assert plain_text() == before and before != "****"
    assert capture_policy(client, "deviceConfigurations", profile_id).payload == backup.payload
    assert any("kept the target's current secret value" in note for note in result.notes), result.notes


def test_a_refusal_that_echoes_the_kept_secret_is_redacted(
    sim: GraphSim, make_client: MakeClient, demo_tenant: str
) -> None:
    """Graph may quote a refused body in its error; the plain value read to keep the target's secret
    is registered with the redaction, so the error (and the item and audit event made of it) lacks it."""
    client = make_client(demo_tenant)
    value = f"psk-{secrets.token_hex(8)}"
    profile_id = client.post(
        f"/{DC}",
        {
            "@odata.type": G + "windows10CustomConfiguration",
            "displayName": f"Echoed secret {secrets.token_hex(3)}",
            "omaSettings": [
                {
                    "@odata.type": G + "omaSettingString",
                    "displayName": "Key",
                    "omaUri": "./Vendor/Echo",
                    "value": value,
                    "isEncrypted": True,
                }
            ],
        },
    )["id"]
    backup = capture_policy(client, "deviceConfigurations", profile_id)
    assert backup.payload[SECRETS_MARKER] and redact(value) == value
    echo = {
        "method": "PATCH",
        "path": rf"/deviceConfigurations/{profile_id}$",
        "action": "status",
        "status": 400,
        "code": "BadRequest",
        "message": f"Invalid OMA setting value '{value}'.",
    }
    sim.admin.set_faults(rules=[echo])
    try:
        with pytest.raises(GraphError) as refused:
            write_item(
                client,
                "deviceConfigurations",
                backup.payload,
                target_id=profile_id,
                ids=build_id_map(client, client),
            )
    finally:
        sim.admin.set_faults(rules=[])

    assert "Invalid OMA setting value '[REDACTED]'" in str(refused.value)
    assert value not in str(refused.value)
