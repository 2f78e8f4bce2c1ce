"""The bodies of the API, as pydantic models: what each route takes and answers.

Response models forbid extra members, so the document says exactly what a route writes, and the
tests (a unit test per shape, and contract fuzzing against the running app) fail when a route's
answer and its model part. Enumerations come from the domain (`RunStatus`, `Role`, ...), so a new
status is in the document the moment it exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.alerts.subscriptions import WebhookEvent, WebhookFormat
from shared.audit import AuditOutcome
from shared.auth.roles import Role
from shared.runs import ItemOutcome, RunStatus
from shared.schedules.model import MAX_KEEP_DAYS, MAX_KEEP_LAST
from shared.tenants import HealthStatus, TenantStatus

JsonObject = dict[str, Any]


class ApiModel(BaseModel):
    """camelCase members, nothing undeclared."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, use_enum_values=True
    )


class IgnoringModel(ApiModel):
    """A request body whose undeclared members the route ignores (it reads only what it knows)."""

    model_config = ConfigDict(extra="ignore")


class Page(ApiModel):
    """One page of a list: pass `continuationToken` back for the next; null on the last page."""

    continuation_token: str | None = Field(description="Send it back as `continuationToken` for more.")


# --- tenants, health -------------------------------------------------------------------------


class TenantHealth(ApiModel):
    """What the tenant's last verification found (consent, permissions, a Graph probe)."""

    status: HealthStatus
    checked_at: datetime | None
    missing_permissions: list[str] = Field(description="Application permissions not consented.")
    capabilities: dict[str, bool] = Field(description="Per capability (backup, restore, ...): allowed?")
    detail: str | None = Field(description="What was found, e.g. an AADSTS code; never a secret.")


class Tenant(ApiModel):
    tenant_id: str = Field(description="The managed tenant's Entra tenant ID (GUID).")
    display_name: str
    cloud: str
    credential_ref: str = Field(description="The configured Graph credential that reaches it (a name).")
    status: TenantStatus
    created_at: datetime
    health: TenantHealth


class MyTenant(Tenant):
    role: Role | None = Field(description="The caller's role on this tenant (null: a platform admin's view).")


class MyTenants(ApiModel):
    items: list[MyTenant]
    platform_admin: bool = Field(description="The caller holds the platform role `msp.admin`.")


class TenantView(Tenant):
    role: Role = Field(description="The caller's role on this tenant.")


class ConsentLink(ApiModel):
    tenant_id: str
    consent_url: str = Field(description="Send it to the customer's Global Administrator.")
    client_id: str = Field(description="The MSP's multi-tenant app registration.")
    credential: Literal[
        "federated", "key_vault_certificate", "key_vault_secret", "certificate", "client_secret"
    ] = Field(description="How the app proves itself to the tenant (the kind, never a value).")
    next: str = Field(description="What to call once consent is given.")


class RegisteredTenant(Tenant):
    consent: ConsentLink


class OffboardedTenant(ApiModel):
    tenant_id: str
    deleted: Literal[True]
    note: str = Field(description="What is kept (backups, audit) and for how long.")


class NewTenantRequest(ApiModel):
    tenant: str = Field(description="The tenant ID (GUID) or one of its verified domains.", max_length=512)
    display_name: str = Field(max_length=256)
    credential_ref: str = Field(description="A configured Graph credential (GRAPH_CREDENTIAL__<name>__*).")
    cloud: str = Field("public", description="The national cloud (`public`, `usgov`, ...).")


class TenantChangesRequest(ApiModel):
    """At least one member."""

    display_name: str | None = Field(None, max_length=256)
    status: TenantStatus | None = None


class RoleGrant(ApiModel):
    role: Role


class Membership(ApiModel):
    principal: str = Field(description="`user:<object id>` or `app:<client id>`.")
    tenant_id: str
    role: Role
    granted_by: str
    granted_at: datetime


class Memberships(ApiModel):
    items: list[Membership]


class GroupRole(ApiModel):
    tenant_id: str
    group_id: str = Field(description="The Entra group's object ID; its members hold `role`.")
    role: Role
    granted_by: str
    granted_at: datetime


class GroupRoles(ApiModel):
    items: list[GroupRole]


class HealthCheck(ApiModel):
    status: Literal["ok", "error"]
    duration_ms: float
    error: str | None = None


class Health(ApiModel):
    status: Literal["healthy", "unhealthy"]
    version: str
    checks: dict[str, HealthCheck]


# --- runs ------------------------------------------------------------------------------------


class Counters(ApiModel):
    total: int
    processed: int
    succeeded: int
    failed: int
    skipped: int
    conflict: int = Field(0, description="Present only when an item conflicted (restores).")


class Run(ApiModel):
    """A background run: a backup, a capture, a restore preview or live restore, a retention."""

    id: str = Field(description="The run ID (newest sorts first).")
    tenant_id: str
    type: str = Field(description="What the run does, e.g. `backup.tenant`, `restore.preview`.")
    status: RunStatus
    instance_id: str
    requested_by: str = Field(description="Principal key of the caller, or `system` for a schedule.")
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    counters: Counters
    summary: JsonObject | None
    error: str | None
    source: JsonObject | None
    parameters: JsonObject | None


class RunAccepted(Run):
    """The run a start request created (or found active: `reused`), and where to poll it."""

    reused: bool = Field(description="True when an active run with the same request was found.")
    status_url: str = Field(description="The status URL, also in `Location`.")


class FleetTenant(ApiModel):
    tenant_id: str
    run_id: str | None = Field(description="The tenant's backup run (null when it was skipped).")
    run: Run | None = Field(description="That run as it stands now.")
    skipped: str | None = Field(description="Why no backup was started for the tenant (code: detail).")


class FleetRun(Run):
    """A fleet run (tenant `fleet`): its items are its tenants, each with its own backup run."""

    tenants: list[FleetTenant]


class FleetCancelled(FleetRun):
    left_running: dict[str, str] = Field(
        description="Tenant ID -> why its run was not cancelled (another's run, no operator role there)."
    )


class FleetAccepted(FleetRun):
    reused: bool = Field(description="True when an active fleet run over the same tenants was found.")
    status_url: str = Field(description="The fleet run, also in `Location`: poll it until it has ended.")


class FleetBackupRequest(ApiModel):
    tenants: list[str] | Literal["all"] = Field(
        description='Tenant IDs (each needs the operator role), or "all": every tenant operated.'
    )


class RestoreAccepted(RunAccepted):
    link: str = Field(description="Where the console shows the run.")


class RunPage(Page):
    items: list[Run]


class RunItem(ApiModel):
    """What happened to one item of a run."""

    item_id: str
    type: str
    policy_id: str | None
    display_name: str | None
    outcome: ItemOutcome
    reason: str | None
    error: str | None = Field(description="Why the item failed, redacted.")
    version_id: str | None
    started_at: datetime | None
    ended_at: datetime
    action: str | None = Field(description="A restore's plan: create, update, unchanged, skip, conflict.")
    details: JsonObject | None


class RunItemPage(Page):
    items: list[RunItem]


# --- audit, notifications ---------------------------------------------------------------------


class AuditEvent(ApiModel):
    id: str
    at: datetime
    actor: str
    action: str
    outcome: AuditOutcome
    run_id: str | None
    details: JsonObject


class AuditPage(Page):
    items: list[AuditEvent]


class Notification(ApiModel):
    id: str
    event: str
    title: str
    status: str
    run_id: str
    tenant_id: str
    link: str = Field(description="The run in the API.")
    page: str = Field(description="The run's page in the console (a path from the app's root).")
    created_at: datetime
    read: bool


class NotificationPage(Page):
    items: list[Notification]


# --- policies, versions, diffs -------------------------------------------------------------------


class PolicyVersion(ApiModel):
    id: str
    tenant_id: str
    policy_type: str
    policy_id: str
    display_name: str
    content_sha256: str
    size: int
    changed: bool = Field(description="Its content differs from the version before it.")
    previous_version_id: str | None
    captured_at: datetime
    run_id: str
    secrets_not_captured: list[str]


class PolicyVersionContent(PolicyVersion):
    content: JsonObject = Field(description="The captured payload, as a restore would write it.")


class PolicyVersionPage(Page):
    items: list[PolicyVersion]


class FieldChange(ApiModel):
    op: Literal["added", "removed", "changed"]
    path: str
    before: Any
    after: Any


class DiffSummary(ApiModel):
    added: int
    removed: int
    changed: int
    not_comparable: int


class NotComparable(ApiModel):
    path: str
    reason: str


class VersionDiff(ApiModel):
    policy_type: str
    unchanged: bool
    summary: DiffSummary
    changes: list[FieldChange]
    not_comparable: list[NotComparable]
    from_: PolicyVersion = Field(alias="from")
    to: PolicyVersion


class InventoryEntry(ApiModel):
    type: str
    id: str
    display_name: str
    latest_version_id: str
    content_sha256: str
    last_changed_at: datetime | None
    last_seen_at: datetime
    last_seen_run_id: str
    deleted_in_graph: bool
    deleted_detected_at: datetime | None


class InventoryPage(Page):
    items: list[InventoryEntry]


# --- backups ----------------------------------------------------------------------------------


class BackupCounts(ApiModel):
    listed: int
    succeeded: int
    failed: int
    skipped: int


class BackupSet(ApiModel):
    id: str = Field(description="The backup set ID (the run that took it).")
    tenant_id: str
    run_id: str
    status: RunStatus
    created_at: datetime
    totals: BackupCounts
    counts_by_type: dict[str, BackupCounts]
    protected: bool
    referenced_by: list[str] = Field(description="Restore runs that use this set.")
    kind: Literal["backup", "retry", "safety"] = Field(
        description="A full backup, a retry of a backup's failed items, or a live restore's safety backup."
    )
    retry_of: str | None = Field(description="For a retry: the backup run whose failed items it took.")


class ManifestEntry(ApiModel):
    policy_type: str
    policy_id: str
    display_name: str
    version_id: str
    content_sha256: str


class BackupSetItems(BackupSet):
    items: dict[str, list[ManifestEntry]] = Field(
        default_factory=dict, description="With `includeItems=true`: per type, the versions the set holds."
    )


class BackupSetPage(Page):
    items: list[BackupSet]


# --- schedules --------------------------------------------------------------------------------


class Retention(ApiModel):
    keep_last: int | None
    keep_days: int | None


class RetentionSpec(ApiModel):
    """Keep the last `keepLast` backups and/or those newer than `keepDays` days: one at least."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    keep_last: Annotated[int, Field(ge=1, le=MAX_KEEP_LAST)] | None = None
    keep_days: Annotated[int, Field(ge=1, le=MAX_KEEP_DAYS)] | None = None


class ScheduleSpec(ApiModel):
    """A backup schedule as a caller writes it."""

    cron: str = Field(
        description="NCRONTAB, six fields with seconds.", max_length=256, examples=["0 0 2 * * *"]
    )
    time_zone: str = Field(description="IANA time zone.", max_length=64, examples=["Europe/Berlin"])
    retention: RetentionSpec
    enabled: bool = True


class Schedule(ApiModel):
    id: str
    tenant_id: str
    cron: str
    time_zone: str
    retention: Retention
    enabled: bool
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    next_due: str | None = Field(description="The next slot, null while disabled.")
    last_slot: str | None
    last_run_id: str | None
    etag: str | None = Field(description="Send it back as `If-Match` to change the schedule.")


class SchedulePage(Page):
    items: list[Schedule]


# --- restores ---------------------------------------------------------------------------------


class VersionRef(IgnoringModel):
    type: str
    policy_id: str = Field(min_length=1)
    version_id: str = Field(min_length=1)


class BackupSource(IgnoringModel):
    backup_id: str = Field(
        description="A backup set of the source tenant.",
        json_schema_extra={
            "x-ms-dynamic-values": {
                "operationId": "listBackups", "parameters": {"tenantId": {"parameter": "tenantId"}},
                "value-collection": "items", "value-path": "id", "value-title": "createdAt",
            }
        },
    )
    tenant_id: str | None = Field(None, description="Another tenant to restore from (reader role there).")


class VersionsSource(IgnoringModel):
    versions: list[VersionRef] = Field(min_length=1, max_length=500)
    tenant_id: str | None = Field(None, description="Another tenant to restore from (reader role there).")


class RestorePreviewRequest(IgnoringModel):
    """A read-only plan: what a live restore of this source would create, update or skip."""

    mode: Literal["preview"]
    source: BackupSource | VersionsSource
    types: list[str] | None = Field(None, description="Only these catalog types.")


class RestoreLiveRequest(IgnoringModel):
    """Write a finished preview's items (or a subset) to the tenant, after a safety backup."""

    mode: Literal["live"]
    preview_run_id: str = Field(min_length=1)
    confirm: Literal[True]
    items: list[Annotated[str, Field(max_length=256)]] | None = Field(None, min_length=1, max_length=400)
    override_conflicts: bool = False


RestoreRequest = Annotated[RestorePreviewRequest | RestoreLiveRequest, Field(discriminator="mode")]


class FleetPreviewRequest(IgnoringModel):
    """Preview one source (with its `tenantId`) into each tenant named (operator on each)."""

    mode: Literal["preview"]
    tenants: list[str] = Field(min_length=1, max_length=200)
    source: BackupSource | VersionsSource
    types: list[str] | None = Field(None, description="Only these catalog types.")


class FleetLiveRequest(IgnoringModel):
    """Write a fleet preview's previews into the tenants confirmed (admin on each)."""

    mode: Literal["live"]
    fleet_run_id: str = Field(description="The fleet preview run.")
    confirm: Literal[True]
    tenants: list[str] | None = Field(None, min_length=1, max_length=200, description="Default: all.")
    override_conflicts: bool = False


FleetRestoreRequest = Annotated[FleetPreviewRequest | FleetLiveRequest, Field(discriminator="mode")]


class RetryRequest(IgnoringModel):
    confirm: bool = Field(
        False, description="`true` to retry a live restore's items (admin); a backup's retry needs none."
    )


class DevTokenRequest(ApiModel):
    principal: str = Field(description="A demo principal's name, e.g. `alice@msp.example`.", max_length=128)


class DevToken(ApiModel):
    """A dev token: the same validation as an Entra token, signed by the local stack's dev key."""

    access_token: str
    expires_on: int = Field(description="Unix time the token expires.")
    principal: str = Field(description="`user:<object id>` of the demo principal.")
    name: str


# --- webhooks ---------------------------------------------------------------------------------


class WebhookSpec(ApiModel):
    """A webhook subscription as a caller writes it."""

    url: str = Field(
        description="The receiver: https:// (a Teams Workflows URL for `teams`). Kept in Key Vault.",
        max_length=2048,
        examples=["https://hooks.example.com/tenantatlas"],
    )
    format: WebhookFormat = Field(
        WebhookFormat.JSON, description="`json`: the event, signed; `teams`: an Adaptive Card message."
    )
    events: list[WebhookEvent] | None = Field(None, description="What to send; all events when left out.")
    description: str = Field("", max_length=256)


class Webhook(ApiModel):
    id: str
    tenant_id: str | None = Field(description="The tenant whose events it gets; null: every tenant's.")
    target: str = Field(description="The receiver's scheme, host and path (never the query).")
    format: WebhookFormat
    events: list[WebhookEvent]
    description: str
    created_by: str
    created_at: datetime


class WebhookCreated(Webhook):
    signing_secret: str = Field(
        description="The HMAC-SHA256 key of the signatures: shown this once, kept only in Key Vault."
    )


class Webhooks(ApiModel):
    items: list[Webhook]


class WebhookDelivery(ApiModel):
    id: str = Field(description="Also sent as `X-TenantAtlas-Delivery`: the same on every attempt.")
    subscription_id: str
    event: WebhookEvent
    event_id: str
    tenant_id: str
    run_id: str | None
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class WebhookDeliveryPage(Page):
    items: list[WebhookDelivery]


# --- problems ---------------------------------------------------------------------------------


class Problem(BaseModel):
    """RFC 7807 problem details; `code` is stable, the text is not. Other members may follow."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None


class RunProblem(Problem):
    """A run that failed or was cancelled, asked for with `failOnError=true`."""

    run: Run


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow", frozen=True)

    openapi: str
    info: JsonObject
    paths: JsonObject
