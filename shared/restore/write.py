"""Write one restore item into the target tenant, following its type's write strategy from the catalog.

Each catalog entry declares a `WriteStrategy` (`ObjectType.write_strategy`); `WRITERS` holds one
writer per strategy. The generic writer POSTs to the collection, PATCHes `/{id}` and assigns; the
others change what a create or an update sends, or write parts after it: settings catalog policies
are PUT whole; ADMX values go through `updateDefinitionValues`; compliance actions through
`scheduleActionsForRules`; notification templates get one localized message per locale; intents
come from their template; app protection gets its target apps; enrollment configurations set their
priority; custom profiles keep the target's secrets. Mixed lists (app protection) write to the
typed collection of their `@odata.type`; Autopilot and terms take one assignment per target.

Exactly once: a create whose answer was lost (`GraphWriteOutcomeUnknown`) is looked up by natural
key and a single new match is adopted instead of creating again. Every follow-up write is either
idempotent (PATCH, PUT, `/assign`, `scheduleActionsForRules`) and resent once, or a sync that reads
the target first and sends only what is missing, so it can run again after a lost answer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from shared.graph import GraphClient, GraphWriteOutcomeUnknown
from shared.intune.catalog import object_type
from shared.intune.model import ObjectType, WriteStrategy
from shared.redact import register_secret_values
from shared.restore.lookup import find_matches, natural_key
from shared.restore.payload import Payload, build_payload
from shared.restore.remap import IdMap, remap_content
from shared.storage import canonical_json

T = TypeVar("T")
ADMX_DEFINITIONS = "/deviceManagement/groupPolicyDefinitions"
BLOCK = "block"


LOST_ANSWER_RESENDS = 3
"""Times an idempotent write whose answer was lost is sent again before it counts as unknown."""

class RestoreNotPossible(Exception):
    """The item cannot be written through Graph (capture-only type, service default); `reason` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class RestoreWouldWiden(RestoreNotPossible):
    """Writing the item would apply it to more users or devices than the source did: something it
    excludes cannot be restored in the target (a group the target lacks; in another tenant, a CA
    policy's excluded users or named locations), and dropping an exclusion widens a policy.
    Nothing is written; `exclusions` names them (a group's display name, else its ID; `user <id>`,
    `named location <id>`)."""

    def __init__(self, reason: str, exclusions: tuple[str, ...]) -> None:
        self.exclusions = exclusions
        super().__init__(reason)


@dataclass(frozen=True)
class WriteResult:
    target_id: str
    action: str
    """`created` or `updated`."""
    notes: tuple[str, ...] = ()


def write_item(
    client: GraphClient,
    policy_type: str,
    content: Mapping[str, Any],
    *,
    target_id: str | None,
    ids: IdMap,
    source_id: str | None = None,
    existing: Collection[str] | None = None,
) -> WriteResult:
    """Create (target_id None) or update target_id from restore content; assignments last.

    `source_id` lets the catalog's skip rules see the source object's ID. `existing` are the IDs of
    same-named objects the caller saw in the target before this create (its own lookup); None
    means look them up here, so a lost create is never mistaken for an object that was there.
    Raises RestoreNotPossible (RestoreWouldWiden, before any request, when a group the item
    excludes is missing in the target); GraphError subclasses propagate.
    """
    entry = object_type(policy_type)
    if entry.not_restorable_reason is not None:
        raise RestoreNotPossible(entry.not_restorable_reason)
    if entry.skip is not None and entry.skip.applies_to({**content, "id": source_id or ""}):
        raise RestoreNotPossible(entry.skip.reason)
    remapped = remap_content(policy_type, content, ids)
    if remapped.blocked:
        raise RestoreWouldWiden(" ".join(remapped.blocked), remapped.missing_exclusions)
    payload = build_payload(policy_type, remapped.content)
    writer = WRITERS[entry.write_strategy](
        client, entry, payload, natural_key(policy_type, content), remapped.content
    )
    if target_id is None:
        target_id, action = writer.create(existing), "created"
    else:
        writer.update(target_id)
        action = "updated"
    writer.assign(target_id)
    return WriteResult(target_id, action, (*remapped.notes, *payload.notes, *writer.notes))


@dataclass
class _Writer:
    """The generic writer: POST to the collection, PATCH `/{id}`, then the assignments. The writers
    of the other strategies override its hooks: `_create_request`, `_after_create`, `_write_update`
    and `_after_update`."""

    client: GraphClient
    entry: ObjectType
    payload: Payload
    name: str
    content: Mapping[str, Any]
    notes: list[str] = field(default_factory=list)

    # paths and requests

    @property
    def collection(self) -> str:
        if self.entry.typed_collections:
            odata_type = str(self.payload.body.get("@odata.type", ""))
            typed = self.entry.typed_collections.get(odata_type)
            if typed is None:
                raise RestoreNotPossible(
                    f"{self.entry.name} of @odata.type {odata_type!r} has no typed collection to write to."
                )
            return typed
        return self.entry.collection

    def _post(self, path: str, body: Any) -> Any:
        return self.client.post(path, body, version=self.entry.version)

    def _again_if_lost(self, write: Callable[[], T]) -> T:
        """An idempotent write whose answer was lost is simply sent again, a few times at most (its
        answers may be lost again; what then stays unknown is checked by reading the target)."""
        for _ in range(LOST_ANSWER_RESENDS):
            try:
                return write()
            except GraphWriteOutcomeUnknown:
                continue
        return write()

    def _sync_again_if_lost(self, sync: Callable[[bool], None], fresh: bool, writes: int) -> None:
        """A sync reads the target first, so after a lost answer it runs again and sends only what is
        still missing; each lost write it makes may cost one more run (`writes` of them at most).
        `fresh` skips the first read for an object this call just created (it holds nothing yet)."""
        for _ in range(max(writes, LOST_ANSWER_RESENDS)):
            try:
                sync(fresh)
                return
            except GraphWriteOutcomeUnknown:
                fresh = False
        sync(False)

    # create

    def create(self, existing: Collection[str] | None) -> str:
        odata_type = self.payload.body.get("@odata.type") if self.entry.typed_collections else None
        before = (
            set(existing)
            if existing is not None
            else set(find_matches(self.client, self.entry.name, self.name, odata_type=odata_type))
        )
        path, body = self._create_request()
        try:
            created = self._post(path, body)
        except GraphWriteOutcomeUnknown:
            created = {"id": self._adopt_or_retry(path, body, before, odata_type)}
        object_id = str(created["id"])
        self._after_create(object_id)
        self._note_unwritten_parts()
        return object_id

    def _adopt_or_retry(self, path: str, body: Any, before: set[str], odata_type: Any) -> str:
        found = [
            match
            for match in find_matches(self.client, self.entry.name, self.name, odata_type=odata_type)
            if match not in before
        ]
        if len(found) == 1:
            self.notes.append("The create's answer was lost; the object it made was found by name and kept.")
            return found[0]
        if found:
            raise GraphWriteOutcomeUnknown(
                f"A lost create left {len(found)} new {self.entry.name} named {self.name!r}; "
                "remove the extra ones, then restore again.",
                method="POST",
                path=path,
            )
        return str(self._post(path, body)["id"])

    def _create_request(self) -> tuple[str, dict[str, Any]]:
        """The path and body of the create."""
        return self.collection, dict(self.payload.body)

    def _after_create(self, object_id: str) -> None:
        """Writes that follow the create (parts written apart), before the assignments."""

    # update

    def update(self, object_id: str) -> None:
        item = f"{self.collection}/{object_id}"
        self._write_update(object_id, item, dict(self.payload.body))
        self._after_update(object_id, item)
        self._note_unwritten_parts()

    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        """The write of the object itself."""
        self._again_if_lost(lambda: self.client.patch(item, body, version=self.entry.version))

    def _after_update(self, object_id: str, item: str) -> None:
        """Writes that follow the update (parts written apart), before the assignments."""

    def _note_unwritten_parts(self) -> None:
        if self.payload.parts.get("roleAssignments"):
            self.notes.append(
                "Role assignments of this role were not restored: assign the role's members in Intune."
            )

    # assignments

    def assign(self, object_id: str) -> None:
        op = self.entry.assign
        assignments = self.payload.assignments
        if op is None or assignments is None:
            return
        if op.per_target:
            self._sync_again_if_lost(
                lambda fresh: self._sync_per_target(object_id, assignments), False, len(assignments)
            )
            return
        path = op.path.replace("{typed_collection}", self.collection).replace("{id}", object_id)
        if not path.startswith(self.collection):
            path = f"{self.collection}{path}"
        body = {op.body_key or "assignments": assignments}
        self._again_if_lost(lambda: self._post(path, body))

    def _sync_per_target(self, object_id: str, assignments: list[dict[str, Any]]) -> None:
        """One `POST /{id}/assignments {"target"}` per missing target; targets not in the backup go."""
        nav = f"{self.collection}/{object_id}/assignments"
        current = self.client.get_all(nav, version=self.entry.version)
        have = {canonical_json(item.get("target")): str(item["id"]) for item in current}
        wanted = {canonical_json(item.get("target")): item for item in assignments}
        for key, item in wanted.items():
            if key not in have:
                self._post(nav, {"target": item["target"]})
        for key, assignment_id in have.items():
            if key not in wanted:
                self.client.delete(f"{nav}/{assignment_id}", version=self.entry.version)


class _KeepTargetSecretsWriter(_Writer):
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


class _PutWholeWriter(_Writer):
    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        body.setdefault("settings", [])
        self._again_if_lost(lambda: self.client.put(item, body, version=self.entry.version))


class _SetPriorityWriter(_Writer):
    def _write_update(self, object_id: str, item: str, body: dict[str, Any]) -> None:
        priority = body.pop("priority", None)
        super()._write_update(object_id, item, body)
        if priority is not None:
            self._again_if_lost(lambda: self._post(f"{item}/setPriority", {"priority": priority}))


class _ComplianceActionsWriter(_Writer):
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
                    "ruleName": "PasswordRequired",
                    "scheduledActionConfigurations": [{"actionType": BLOCK, "gracePeriodHours": 0}],
                }
            )
        return rules


class _DefinitionValuesWriter(_Writer):
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


class _LocalizedMessagesWriter(_Writer):
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


class _FromTemplateWriter(_Writer):
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


class _TargetAppsWriter(_Writer):
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


WRITERS: Mapping[WriteStrategy, type[_Writer]] = MappingProxyType(
    {
        WriteStrategy.GENERIC: _Writer,
        WriteStrategy.KEEP_TARGET_SECRETS: _KeepTargetSecretsWriter,
        WriteStrategy.PUT_WHOLE: _PutWholeWriter,
        WriteStrategy.SET_PRIORITY: _SetPriorityWriter,
        WriteStrategy.COMPLIANCE_ACTIONS: _ComplianceActionsWriter,
        WriteStrategy.DEFINITION_VALUES: _DefinitionValuesWriter,
        WriteStrategy.LOCALIZED_MESSAGES: _LocalizedMessagesWriter,
        WriteStrategy.FROM_TEMPLATE: _FromTemplateWriter,
        WriteStrategy.TARGET_APPS: _TargetAppsWriter,
    }
)
"""The writer of each write strategy a catalog entry can declare."""
