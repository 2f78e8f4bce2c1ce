"""Baseline rollout: one restore source (a backup set or versions of one tenant) previewed into many
tenants, reviewed once, then written live into the tenants confirmed (docs/fleet.md#baseline-rollout).

Both steps are fleet runs (`restore.fleet_preview`, `restore.fleet_live`) whose children are the
tenants' ordinary restore runs (`restore.preview`, `restore.live`), requested through the same code
as a single tenant's, so every check of a restore holds for each tenant. Every tenant is authorized
before anything is recorded: one the caller lacks the role on refuses the whole request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from shared.auth.authorize import Authorizer, TenantAccess
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.jobs.fleet import (
    CHILDREN,
    FLEET_LIVE,
    FLEET_PREVIEW,
    FleetRequest,
    InvalidFleetRequest,
    parse_fleet_tenants,
    start_fleet,
)
from shared.jobs.restore_request import (
    RestoreNotConfirmed,
    checked_source,
    request_live,
    request_preview,
    usable_preview,
)
from shared.runs import get_run
from shared.runs.errors import RunNotFound
from shared.runs.model import FLEET, RUN_ID_PATTERN
from shared.services import Services
from shared.storage import stable_hash


class PreviewNotInFleet(InvalidFleetRequest):
    status = 409
    code = "fleet.not_previewed"
    title = "A tenant to restore has no preview in the fleet preview named."


def request_fleet_restore(services: Services, principal: Principal, body: Any) -> FleetRequest:
    if not isinstance(body, dict):
        raise InvalidFleetRequest("The body is a JSON object with `mode` (`preview` or `live`).")
    if body.get("mode") == "preview":
        return _fleet_preview(services, principal, body)
    if body.get("mode") == "live":
        return _fleet_live(services, principal, body)
    raise InvalidFleetRequest("`mode` is `preview` or `live`.")


def _accesses(
    services: Services, principal: Principal, tenants: Sequence[str], role: Role
) -> dict[str, TenantAccess]:
    """Each tenant's access, checked for all of them before anything is written (Forbidden, audited)."""
    authorizer = Authorizer(services.memberships, services.audit, services.group_roles)
    return {
        tenant_id: TenantAccess(
            principal, authorizer.authorize(principal, tenant_id, role, action="restore.fleet")
        )
        for tenant_id in tenants
    }


def _fleet_preview(services: Services, principal: Principal, body: Mapping[str, Any]) -> FleetRequest:
    tenants = parse_fleet_tenants({"tenants": body.get("tenants")})
    source = body.get("source")
    if tenants is None or not isinstance(source, dict) or not isinstance(source.get("tenantId"), str):
        raise InvalidFleetRequest(
            "A baseline rollout names `tenants` (a list) and a `source` with its `tenantId` and a `backupId` "
            "or `versions`."
        )
    child_body = {key: value for key, value in body.items() if key != "tenants"}
    spec = checked_source(services, child_body, tenants[0])
    accesses = _accesses(services, principal, tenants, Role.OPERATOR)
    _accesses(services, principal, [spec.tenant_id], Role.READER)
    source_hash = stable_hash(json.dumps(spec.to_json(), sort_keys=True))
    return start_fleet(
        services,
        principal,
        FLEET_PREVIEW,
        [source_hash, *sorted(tenants)],
        tenants,
        lambda tenant_id: request_preview(services, accesses[tenant_id], child_body),
        parameters={
            "tenants": tenants,
            "source": {
                "tenantId": spec.tenant_id,
                "backupId": spec.backup_id,
                "versions": len(spec.versions),
                "types": list(spec.types),
                "sha256": source_hash,
            },
        },
    )


def _fleet_live(services: Services, principal: Principal, body: Mapping[str, Any]) -> FleetRequest:
    fleet_run_id = body.get("fleetRunId")
    if not isinstance(fleet_run_id, str) or not RUN_ID_PATTERN.match(fleet_run_id):
        raise InvalidFleetRequest("`fleetRunId` names the fleet preview to write.")
    override = body.get("overrideConflicts", False)
    if not isinstance(override, bool):
        raise InvalidFleetRequest("`overrideConflicts` is true or false.")
    if body.get("confirm") is not True:
        raise RestoreNotConfirmed("Send `confirm: true` to write to the tenants; review the previews first.")
    try:
        fleet_preview = get_run(services.runs, FLEET, fleet_run_id)
    except RunNotFound:
        raise PreviewNotInFleet(f"No fleet preview {fleet_run_id}.") from None
    if fleet_preview.run_type != FLEET_PREVIEW or fleet_preview.requested_by != principal.key:
        raise PreviewNotInFleet(f"Run {fleet_run_id} is no fleet preview of the caller's.")
    previews: dict[str, str] = dict((fleet_preview.summary or {}).get(CHILDREN) or {})
    named = parse_fleet_tenants({"tenants": body["tenants"]}) if "tenants" in body else None
    tenants = named if named is not None else sorted(previews)
    missing = [tenant for tenant in tenants if tenant not in previews]
    if missing or not tenants:
        raise PreviewNotInFleet(
            f"{len(missing)} tenant(s) named have no preview in fleet run {fleet_run_id}."
        )
    accesses = _accesses(services, principal, tenants, Role.ADMIN)
    for tenant_id in tenants:  # every preview usable before any live run is recorded
        usable_preview(services, tenant_id, previews[tenant_id])
    live_body = {"confirm": True, "overrideConflicts": override}
    return start_fleet(
        services,
        principal,
        FLEET_LIVE,
        [fleet_run_id, *sorted(tenants)],
        tenants,
        lambda tenant_id: request_live(
            services, accesses[tenant_id], {**live_body, "previewRunId": previews[tenant_id]}
        ),
        parameters={"tenants": tenants, "fleetPreviewRunId": fleet_run_id, "overrideConflicts": override},
    )
