"""The policy diff route: what changed between two captured versions of one policy."""

from __future__ import annotations

import azure.functions as func

from shared.api import models
from shared.api.operations import operation
from shared.api.params import DIFF_FROM, DIFF_TO
from shared.auth.authorize import TenantAccess
from shared.auth.gate import tenant_route
from shared.auth.roles import Role
from shared.http.request import InvalidQueryParameter, object_id_param
from shared.http.response import json_response
from shared.intune.errors import VersionNotFound
from shared.intune.version_diff import diff_versions
from shared.jobs.capture_snapshot import check_policy_type
from shared.services import services

bp = func.Blueprint()

_MAX_VERSION_ID_CHARS = 64


@bp.route(route="api/tenants/{tenantId}/policies/{policyType}/{policyId}/diff", methods=["GET"])
@operation("Compare two policy versions", response=models.VersionDiff, query=(DIFF_FROM, DIFF_TO),
           problems=(VersionNotFound,))
@tenant_route(Role.READER, action="policy.versions.diff")
def diff_policy_versions(req: func.HttpRequest, access: TenantAccess) -> func.HttpResponse:
    """`?from=&to=` (version IDs; `to` defaults to the latest, `from` to the one before `to`).

    Answers the diff (`changes`, `summary`, `notComparable`) with the two versions as `from`/`to`.
    A version of another policy is a 404, as an unknown one is.
    """
    policy_type = check_policy_type(req.route_params.get("policyType", ""))
    policy_id = object_id_param(req, "policyId")
    result = diff_versions(
        services().account,
        access.tenant_id,
        policy_type,
        policy_id,
        _version_param(req, "from"),
        _version_param(req, "to"),
    )
    return json_response(result.to_api())


def _version_param(req: func.HttpRequest, name: str) -> str | None:
    value = req.params.get(name)
    if value is None:
        return None
    if not value or len(value) > _MAX_VERSION_ID_CHARS:
        raise InvalidQueryParameter(f"`{name}` is a version ID as the versions route lists them.")
    return value
