"""An in-process Graph client over `GraphModel.handle`, for unit tests of the model without a server."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local.graphsim.contract import Caller, GraphRequest, GraphResponse

from .model import GraphModel

BASE_URL = "https://127.0.0.1:8443"
ALL_ROLES = frozenset(
    f"{family}.ReadWrite.All"
    for family in (
        "DeviceManagementConfiguration",
        "DeviceManagementApps",
        "DeviceManagementServiceConfig",
        "DeviceManagementRBAC",
        "DeviceManagementScripts",
        "DeviceManagementManagedDevices",
        "Group",
    )
) | {"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "CloudPC.ReadWrite.All"}


class ModelClient:
    """Sends requests as one app of one tenant; `roles` defaults to every permission the model knows."""

    def __init__(self, model: GraphModel, tenant_id: str, roles: Iterable[str] = ALL_ROLES) -> None:
        self.model = model
        self.caller = Caller(tenant_id, "00000000-0000-0000-0000-00000000a991", frozenset(roles))
        self._ids = itertools.count(1)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Mapping[str, str] | None = None,
        version: str = "beta",
    ) -> GraphResponse:
        if "?" in path:
            path, _, raw_query = path.partition("?")
            query = {**dict(parse_qsl(raw_query)), **(query or {})}
        request = GraphRequest(
            method,
            version,
            path,
            dict(query or {}),
            body,
            {},
            self.caller,
            BASE_URL,
            f"req-{next(self._ids)}",
        )
        return self.model.handle(request)

    def get(self, path: str, **kwargs: Any) -> GraphResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> GraphResponse:
        return self.request("POST", path, body, **kwargs)

    def follow(self, next_link: str) -> GraphResponse:
        """GET an `@odata.nextLink` exactly as given, as a real client would."""
        parts = urlsplit(next_link)
        version, _, path = parts.path.lstrip("/").partition("/")
        return self.request("GET", "/" + path, query=dict(parse_qsl(parts.query)), version=version)

    def get_all(self, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        response = self.get(path, **kwargs)
        assert response.status == 200, response.body
        items = list(response.body["value"])
        while "@odata.nextLink" in response.body:
            response = self.follow(response.body["@odata.nextLink"])
            assert response.status == 200, response.body
            items.extend(response.body["value"])
        return items
