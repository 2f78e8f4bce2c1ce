"""The writers of Intune policy types whose writes go beyond POST and PATCH (the catalog's
`WriteStrategy`): settings catalog policies are PUT whole; ADMX values go through
`updateDefinitionValues`; compliance actions through `scheduleActionsForRules` (or
`setScheduledActions` for settings catalog compliance); notification templates get one localized
message per locale; intents come from their template; app protection gets its target apps;
enrollment configurations set their priority; custom profiles keep the target's secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.redact import register_secret_values
from shared.restore.writer import RestoreNotPossible, Writer

ADMX_DEFINITIONS = "/deviceManagement/groupPolicyDefinitions"
BLOCK = "block"


class KeepTargetSecretsWriter(Writer):
    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        if self.payload.left_out:
            self._keep_target_secrets(object_id, body)
        super()._write_update(object_id, item, body)

    def _keep_target_secrets(self, object_id: str, body: dict[str, Any]) -> None:
        """OMA settings whose secret the backup lacks keep the target's own value (read as plain
        text from the target, never a mask or a secret handle) instead of being removed by the PATCH.
        The value is registered with the redaction, so a refusal that echoes the body stores no secret."""
        current = self.client.get(f"{self.collection}/{object_id}", version=self.entry.version)
        by_uri = {
            item.get("omaUri"): item
            for item in current.get("omaSettings") or []
            if isinstance(item, dict) and item.get("secretReferenceValueId")
        }
        for left_out in self.payload.left_out:
            target_item = by_uri.get(left_out.item.get("omaUri"))
            if left_out.list_name != "omaSettings" or target_item is None:
                continue
            reference = target_item["secretReferenceValueId"]
            plain = self.client.get(
                f"{self.collection}/{object_id}/getOmaSettingPlainTextValue(secretReferenceValueId='{reference}')",
                version=self.entry.version,
            )
            if isinstance(plain.get("value"), str):
                register_secret_values([plain["value"]])
            body.setdefault("omaSettings", []).append({**left_out.item, "value": plain.get("value")})
            self.notes.append(
                f"omaSettings[omaUri='{left_out.item.get('omaUri')}'] kept the target's current secret value."
            )


class PutWholeWriter(Writer):
    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        body.setdefault("settings", [])
        self._again_if_lost(lambda: self.client.put(item, body, version=self.entry.version))


class SetPriorityWriter(Writer):
    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        priority = body.pop("priority", None)
        super()._write_update(object_id, item, body)
        if priority is not None:
            self._again_if_lost(lambda: self._post(f"{item}/setPriority", {"priority": priority}))


class ComplianceActionsWriter(Writer):
    default_rule: str | None = "PasswordRequired"
    """The rule name of the block action written when the backup has none."""

    def _create_request(self) -> tuple[str, dict[str, Any]]:
        path, body = super()._create_request()
        body["scheduledActionsForRule"] = self._rules_with_one_block()
        return path, body

    def _after_update(self, object_id: str, item: str) -> None:
        if "scheduledActionsForRule" in self.payload.parts:
            rules = {"deviceComplianceScheduledActionForRules": self._rules_with_one_block()}
            self._again_if_lost(lambda: self._post(f"{item}/scheduleActionsForRules", rules))

    def _rules_with_one_block(self) -> list[dict[str, Any]]:
        """Graph takes a compliance policy only with exactly one block action; a backup without one
        gets the service's default (block at once), and the note says so."""
        rules = [dict(rule) for rule in self.payload.parts.get("scheduledActionsForRule") or []]
        blocks = sum(
            1
            for rule in rules
            for action in rule.get("scheduledActionConfigurations") or []
            if action.get("actionType") == BLOCK
        )
        if blocks == 0:
            self.notes.append("The backup had no block action; the default (block at once) was written.")
            rules.append(
                {
                    "ruleName": self.default_rule,
                    "scheduledActionConfigurations": [{"actionType": BLOCK, "gracePeriodHours": 0}],
                }
            )
        return rules


class SettingsComplianceWriter(ComplianceActionsWriter):
    """Settings catalog compliance: created with its settings and actions; an update PUTs the whole
    policy (settings included), then replaces the actions through `setScheduledActions`."""

    default_rule = None

    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        body.setdefault("settings", [])
        self._again_if_lost(lambda: self.client.put(item, body, version=self.entry.version))

    def _after_update(self, object_id: str, item: str) -> None:
        if "scheduledActionsForRule" in self.payload.parts:
            rules = {"scheduledActions": self._rules_with_one_block()}
            self._again_if_lost(lambda: self._post(f"{item}/setScheduledActions", rules))


class DefinitionValuesWriter(Writer):
    def _after_create(self, object_id: str) -> None:
        self._sync_again_if_lost(lambda fresh: self._sync_definition_values(object_id, fresh), True, 1)

    def _after_update(self, object_id: str, item: str) -> None:
        self._sync_again_if_lost(lambda fresh: self._sync_definition_values(object_id, fresh), False, 1)

    def _sync_definition_values(self, object_id: str, fresh: bool) -> None:
        """`updateDefinitionValues` with `added`, `updated` and `deletedIds`, matched by ADMX definition."""
        item = f"{self.collection}/{object_id}"
        current: dict[str, str] = {}
        if not fresh:
            values = self.client.get_all(
                f"{item}/definitionValues", params={"$expand": "definition"}, version=self.entry.version
            )
            current = {str(value["definition"]["id"]): str(value["id"]) for value in values}
        wanted = {
            str(value["definition"]["id"]): value
            for value in self.payload.parts.get("definitionValues") or []
        }
        added = [self._definition_value(d, v) for d, v in wanted.items() if d not in current]
        updated = [
            {**self._definition_value(d, v), "id": current[d]} for d, v in wanted.items() if d in current
        ]
        for value in updated:
            value.pop("definition@odata.bind")
        deleted = [value_id for d, value_id in current.items() if d not in wanted]
        if added or updated or deleted:
            self._post(
                f"{item}/updateDefinitionValues", {"added": added, "updated": updated, "deletedIds": deleted}
            )

    def _definition_value(self, definition_id: str, value: Mapping[str, Any]) -> dict[str, Any]:
        base = f"{self.client.config.graph_base_url.rstrip('/')}/{self.entry.version}{ADMX_DEFINITIONS}"
        definition = f"{base}('{definition_id}')"
        return {
            "enabled": value.get("enabled"),
            "definition@odata.bind": definition,
            "presentationValues": [
                {
                    **{
                        key: item
                        for key, item in presentation.items()
                        if key not in ("presentation", "id", "createdDateTime", "lastModifiedDateTime")
                    },
                    "presentation@odata.bind": (
                        f"{definition}/presentations('{presentation['presentation']['id']}')"
                    ),
                }
                for presentation in value.get("presentationValues") or []
            ],
        }


class LocalizedMessagesWriter(Writer):
    def _after_create(self, object_id: str) -> None:
        self._sync_again_if_lost(
            lambda fresh: self._sync_localized_messages(object_id, fresh), True, self._part_size()
        )

    def _after_update(self, object_id: str, item: str) -> None:
        self._sync_again_if_lost(
            lambda fresh: self._sync_localized_messages(object_id, fresh), False, self._part_size()
        )

    def _part_size(self) -> int:
        return len(self.payload.parts.get("localizedNotificationMessages") or [])

    def _sync_localized_messages(self, object_id: str, fresh: bool) -> None:
        """One POST per new locale, PATCH per changed one, DELETE per locale the backup lacks."""
        nav = f"{self.collection}/{object_id}/localizedNotificationMessages"
        current: dict[str, dict[str, Any]] = {}
        if not fresh:
            current = {str(m.get("locale")): m for m in self.client.get_all(nav, version=self.entry.version)}
        wanted = {
            str(m.get("locale")): m for m in self.payload.parts.get("localizedNotificationMessages") or []
        }
        for locale, message in wanted.items():
            body = {key: value for key, value in message.items() if key not in ("id", "lastModifiedDateTime")}
            if locale not in current:
                self._post(nav, body)
            elif any(current[locale].get(key) != value for key, value in body.items()):
                self.client.patch(f"{nav}/{current[locale]['id']}", body, version=self.entry.version)
        for locale, message in current.items():
            if locale not in wanted:
                self.client.delete(f"{nav}/{message['id']}", version=self.entry.version)


class FromTemplateWriter(Writer):
    def _create_request(self) -> tuple[str, dict[str, Any]]:
        template = self.content.get("templateId")
        if not template:
            raise RestoreNotPossible("The intent's content has no templateId, so it cannot be created.")
        body = dict(self.payload.body)
        body["settingsDelta"] = self.payload.parts.get("settings", [])
        return f"/deviceManagement/templates/{template}/createInstance", body

    def _after_update(self, object_id: str, item: str) -> None:
        if "settings" in self.payload.parts:
            settings = {"settings": self.payload.parts["settings"]}
            self._again_if_lost(lambda: self._post(f"{item}/updateSettings", settings))


class TargetAppsWriter(Writer):
    def _after_create(self, object_id: str) -> None:
        self._target_apps(object_id)

    def _after_update(self, object_id: str, item: str) -> None:
        self._target_apps(object_id)

    def _target_apps(self, object_id: str) -> None:
        apps = self.payload.parts.get("apps")
        if apps is None:
            return
        body = {"apps": [{"mobileAppIdentifier": app.get("mobileAppIdentifier")} for app in apps]}
        self._again_if_lost(lambda: self._post(f"{self.collection}/{object_id}/targetApps", body))
