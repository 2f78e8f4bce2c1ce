"""`GET /api/tenants`: the managed tenants the caller holds a role on, with that role."""

from __future__ import annotations

import azure.functions as func

from shared.auth.gate import authenticated_route
from shared.auth.memberships import tenants_of
from shared.auth.principal import Principal
from shared.http.response import json_response
from shared.services import services

bp = func.Blueprint()


@bp.route(route="api/tenants", methods=["GET"])
@authenticated_route()
def list_my_tenants(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    found = tenants_of(principal.key, services().tenants, services().memberships)
    return json_response(
        {
            "items": [
                {
                    "tenantId": tenant.tenant_id,
                    "displayName": tenant.display_name,
                    "cloud": tenant.cloud,
                    "status": str(tenant.status),
                    "role": str(role),
                }
                for tenant, role in found
            ]
        }
    )
