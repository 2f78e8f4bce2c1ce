"""The parameters of the API, each described once: path parameters by the name routes give them, and
query and header parameters as values routes list in their `@operation(...)`.

A route template naming a path parameter not described here fails the build of the document, so a
new `{name}` in a route comes with its description.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from shared.alerts.subscriptions import SUBSCRIPTION_ID_PATTERN, WebhookNotFound
from shared.auth.group_roles import InvalidGroupId
from shared.auth.memberships import InvalidPrincipal
from shared.backups.sets import BackupSetNotFound
from shared.http.problems import ProblemError
from shared.http.request import InvalidPathParameter, InvalidQueryParameter
from shared.intune.catalog import BY_NAME
from shared.intune.errors import UnknownPolicyType, VersionNotFound
from shared.notifications import NOTIFICATION_ID_PATTERN, NotificationNotFound
from shared.runs import ItemOutcome, RunStatus
from shared.runs.errors import RunNotFound
from shared.runs.model import RUN_ID_PATTERN
from shared.runs.status import FAIL_ON_ERROR_PARAM
from shared.schedules.errors import ScheduleNotFound
from shared.storage import MAX_PAGE_SIZE
from shared.storage.errors import InvalidContinuationToken
from shared.tenants import InvalidTenant, InvalidTenantId

Location = Literal["path", "query", "header"]


@dataclass(frozen=True)
class Param:
    """One parameter: where it goes, its JSON schema, and the words people see (`summary`)."""

    name: str
    location: Location
    schema: dict[str, Any]
    summary: str
    description: str = ""
    required: bool = False
    visibility: Literal["important", "advanced", "internal"] = "important"
    extensions: dict[str, Any] = field(default_factory=dict)
    """`x-ms-*` members the connector definition carries (pickers)."""
    problems: tuple[type[ProblemError], ...] = (InvalidQueryParameter,)
    """What a bad or unknown value of it answers."""

    def to_openapi(self) -> dict[str, Any]:
        parameter: dict[str, Any] = {
            "name": self.name,
            "in": self.location,
            "required": self.required or self.location == "path",
            "description": self.description or self.summary,
            "schema": self.schema,
            "x-ms-summary": self.summary,
            "x-ms-visibility": self.visibility,
        }
        return {**parameter, **self.extensions}


BOOLEAN = {"type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0|)$", "default": "false"}
"""Flags: `true` or `false` in any case, or 1/0; empty is false (`shared.http.request.flag_param`)."""

_HEX = "[0-9A-Fa-f]"
PRINCIPAL_KEY_PATTERN = f"^(user|app):{_HEX}{{8}}-?{_HEX}{{4}}-?{_HEX}{{4}}-?{_HEX}{{4}}-?{_HEX}{{12}}$"
_RUN_ID = {"type": "string", "pattern": RUN_ID_PATTERN.pattern}

PATH_PARAMS: dict[str, Param] = {
    param.name: param
    for param in (
        Param(
            "tenantId", "path", {"type": "string", "format": "uuid"}, "Tenant",
            "The managed tenant's Entra tenant ID (GUID).", problems=(InvalidTenantId,),
            extensions={
                "x-ms-dynamic-values": {
                    "operationId": "listMyTenants", "value-collection": "items",
                    "value-path": "tenantId", "value-title": "displayName",
                }
            },
        ),
        Param("runId", "path", _RUN_ID, "Run", "A run ID, as the start answer or the runs list gives it.",
              problems=(RunNotFound,)),
        Param("fleetRunId", "path", _RUN_ID, "Fleet run", "A fleet run ID, as `POST /api/backups` gives it.",
              problems=(RunNotFound,)),
        Param(
            "backupId", "path", _RUN_ID, "Backup set", "A backup set ID (the ID of the run that took it).",
            problems=(BackupSetNotFound,),
            extensions={
                "x-ms-dynamic-values": {
                    "operationId": "listBackups", "parameters": {"tenantId": {"parameter": "tenantId"}},
                    "value-collection": "items", "value-path": "id", "value-title": "createdAt",
                }
            },
        ),
        Param(
            "policyType", "path", {"type": "string", "enum": sorted(BY_NAME)}, "Policy type",
            "An Intune object type of the catalog.", problems=(UnknownPolicyType,),
        ),
        Param(
            "policyId", "path",
            {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$"},
            "Policy ID", "The Graph object ID of the policy.", problems=(InvalidPathParameter,),
        ),
        Param(
            "versionId", "path", {"type": "string", "pattern": "^[0-9a-f]{32}$"}, "Version",
            "A version ID, as the versions list gives it.", problems=(VersionNotFound,),
        ),
        Param(
            "scheduleId", "path", {"type": "string", "pattern": "^[0-9a-f]{32}$"}, "Schedule",
            "A schedule ID.", problems=(ScheduleNotFound,),
        ),
        Param(
            "principal", "path", {"type": "string", "pattern": PRINCIPAL_KEY_PATTERN}, "Principal",
            "`user:<object id>` or `app:<client id>`.", problems=(InvalidPrincipal,),
        ),
        Param(
            "groupId", "path", {"type": "string", "format": "uuid"}, "Group",
            "An Entra group's object ID.", problems=(InvalidGroupId,),
        ),
        Param(
            "webhookId", "path", {"type": "string", "pattern": SUBSCRIPTION_ID_PATTERN.pattern}, "Webhook",
            "A webhook subscription ID.", problems=(WebhookNotFound,),
        ),
        Param(
            "notificationId", "path", {"type": "string", "pattern": NOTIFICATION_ID_PATTERN.pattern},
            "Notification", "A notification ID of the caller's.", problems=(NotificationNotFound,),
        ),
    )
}

PAGE_SIZE = Param(
    "pageSize", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}, "Page size",
    f"Items per page, 1 to {MAX_PAGE_SIZE} (default 50).", visibility="advanced",
)
CONTINUATION = Param(
    "continuationToken", "query", {"type": "string", "maxLength": 2048}, "Continuation token",
    "The `continuationToken` of the page before.", visibility="advanced",
    problems=(InvalidQueryParameter, InvalidContinuationToken),
)
PAGED = (PAGE_SIZE, CONTINUATION)

FAIL_ON_ERROR = Param(
    FAIL_ON_ERROR_PARAM, "query", BOOLEAN, "Fail on error",
    "`true`: a failed or cancelled run answers 422 at its status URL (a 4xx stops a flow's action; "
    "a 5xx would be retried).",
)
RUN_STATUS = Param(
    "status", "query", {"type": "string", "enum": [s.value for s in RunStatus]}, "Status",
    "Only runs in this status.", visibility="advanced",
)
RUN_TYPE = Param(
    "type", "query", {"type": "string", "minLength": 1, "maxLength": 64}, "Run type",
    "Only runs of this type, e.g. `backup.tenant`.", visibility="advanced",
)
ITEM_OUTCOME = Param(
    "outcome", "query", {"type": "string", "enum": [o.value for o in ItemOutcome]}, "Outcome",
    "Only items with this outcome.",
)
AUDIT_ACTION = Param(
    "action", "query", {"type": "string"}, "Action", "Only events of this action.",
)
SINCE = Param(
    "since", "query", {"type": "string", "format": "date-time"}, "Since",
    "Events at or after this time (ISO 8601 with a zone).",
)
UNTIL = Param(
    "until", "query", {"type": "string", "format": "date-time"}, "Until",
    "Events before this time (ISO 8601 with a zone).",
)
UNREAD = Param("unread", "query", BOOLEAN, "Unread only", "`true`: only notifications not read yet.")
POLICY_TYPE_FILTER = Param(
    "type", "query", {"type": "string", "enum": sorted(BY_NAME)}, "Policy type", "Only this type.",
    problems=(UnknownPolicyType,),
)
NAME_PREFIX = Param(
    "name", "query", {"type": "string"}, "Name starts with", "A display name prefix.",
)
INCLUDE_ITEMS = Param(
    "includeItems", "query", BOOLEAN, "Include items", "`true`: add the versions the set holds, per type.",
)
DIFF_FROM = Param(
    "from", "query", {"type": "string", "minLength": 1, "maxLength": 64}, "From version",
    "The older version (default: the one before `to`).",
)
DIFF_TO = Param(
    "to", "query", {"type": "string", "minLength": 1, "maxLength": 64}, "To version",
    "The newer version (default: the latest).",
)
IF_MATCH = Param(
    "If-Match", "header", {"type": "string"}, "ETag",
    "The schedule's `ETag` as read (or `*`); a stale one answers 412, an empty one counts as none.",
    visibility="advanced", problems=(),
)
IF_MATCH_REQUIRED = replace(IF_MATCH, schema={"type": "string", "minLength": 1}, required=True)
"""A change needs it: without it (or empty) the answer is 428."""
REDIRECT_URI = Param(
    "redirectUri", "query", {"type": "string", "format": "uri", "pattern": "^https://", "maxLength": 1024},
    "Redirect URI", "Where Entra sends the admin after consent (registered on the app).",
    visibility="advanced", problems=(InvalidTenant,),
)
