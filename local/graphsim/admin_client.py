"""A typed client for graphsim's admin API, for tests, the demo and benchmarks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests


class AdminApiError(RuntimeError):
    """The admin API refused a call; carries the status and graphsim's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RegisteredApp:
    """An app registered through the admin API; the secret or key is only known to the caller."""

    client_id: str
    name: str
    client_secret: str | None = None
    certificate_pem: str | None = None
    private_key_pem: str | None = None
    thumbprint: str | None = None

    def msal_credential(self) -> str | dict[str, str]:
        """What MSAL's `client_credential` takes for this app."""
        if self.client_secret is not None:
            return self.client_secret
        if self.private_key_pem is None or self.certificate_pem is None:
            raise ValueError(f"App {self.client_id} has no credential the client holds.")
        return {"private_key": self.private_key_pem, "public_certificate": self.certificate_pem}


class AdminClient:
    """Calls `/_sim/...` with the admin key over a session that trusts graphsim's CA."""

    def __init__(self, url: str, header: str, key: str, session: requests.Session) -> None:
        self.url = url.rstrip("/")
        self._headers = {header: key}
        self._session = session

    @property
    def auth_headers(self) -> dict[str, str]:
        """The admin key header, for raw calls a test wants to make itself."""
        return dict(self._headers)

    def call(self, method: str, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        response = self._session.request(
            method, f"{self.url}{path}", json=json, params=params, headers=self._headers, timeout=60
        )
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text
            raise AdminApiError(response.status_code, message)
        return response.json() if response.content else None

    def reset(self, reseed: bool = True) -> None:
        """Back to the start profile, start configuration, empty log (tokens stay valid)."""
        self.call("POST", "/reset", {"reseed": reseed})

    def create_tenant(
        self,
        name: str | None = None,
        tenant_id: str | None = None,
        seed: str | Mapping[str, int] = "defaults",
    ) -> str:
        """A new tenant's ID; seed is "none", "defaults" or {"objects": N, "seed": S}."""
        return str(self.call("POST", "/tenants", {"name": name, "id": tenant_id, "seed": seed})["id"])

    def register_app(
        self,
        name: str = "test app",
        secret: bool | None = None,
        certificate: bool = False,
        certificate_pem: str | None = None,
        required_roles: Iterable[str] = (),
    ) -> RegisteredApp:
        """Register an app; `required_roles` are the permissions it requests (what admin consent grants)."""
        body: dict[str, Any] = {
            "name": name,
            "certificate": certificate,
            "certificate_pem": certificate_pem,
            "required_roles": sorted(required_roles),
        }
        if secret is not None:
            body["secret"] = secret
        answer = self.call("POST", "/apps", body)
        return RegisteredApp(
            client_id=answer["client_id"],
            name=answer["name"],
            client_secret=answer.get("client_secret"),
            certificate_pem=answer.get("certificate_pem"),
            private_key_pem=answer.get("private_key_pem"),
            thumbprint=answer.get("thumbprint"),
        )

    def add_certificate(self, client_id: str, certificate_pem: str) -> str:
        """Register another certificate on an app; its SHA-1 thumbprint (hex)."""
        answer = self.call("POST", f"/apps/{client_id}/certificates", {"certificate_pem": certificate_pem})
        return str(answer["thumbprint"])

    def remove_certificate(self, client_id: str, thumbprint: str) -> None:
        self.call("DELETE", f"/apps/{client_id}/certificates/{thumbprint}")

    def new_secret(self, client_id: str, replace: bool = False) -> str:
        """A new client secret of the app; `replace` drops its other secrets."""
        return str(self.call("POST", f"/apps/{client_id}/secrets", {"replace": replace})["client_secret"])

    def set_federated_credential(
        self, client_id: str, name: str, issuer: str, subject: str, audiences: Iterable[str]
    ) -> None:
        body = {"issuer": issuer, "subject": subject, "audiences": list(audiences)}
        self.call("PUT", f"/apps/{client_id}/federated-credentials/{name}", body)

    def remove_federated_credential(self, client_id: str, name: str) -> None:
        self.call("DELETE", f"/apps/{client_id}/federated-credentials/{name}")

    def add_identity(self, name: str) -> dict[str, str]:
        """A new managed identity: `{"client_id", "object_id", "name"}`."""
        return dict(self.call("POST", "/identities", {"name": name}))

    def consent(self, tenant_id: str, client_id: str, roles: Iterable[str]) -> None:
        self.call("PUT", f"/tenants/{tenant_id}/consents/{client_id}", {"roles": sorted(roles)})

    def revoke(self, tenant_id: str, client_id: str) -> None:
        self.call("DELETE", f"/tenants/{tenant_id}/consents/{client_id}")

    def put_object(self, tenant_id: str, collection: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Insert an object exactly as Graph would return it; returns it with its ID."""
        return dict(
            self.call("POST", f"/tenants/{tenant_id}/objects", {"collection": collection, "object": obj})
        )

    def patch_object(
        self, tenant_id: str, collection: str, object_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        body = {"collection": collection, "id": object_id, "changes": changes}
        return dict(self.call("PATCH", f"/tenants/{tenant_id}/objects", body))

    def delete_object(self, tenant_id: str, collection: str, object_id: str) -> None:
        self.call(
            "DELETE", f"/tenants/{tenant_id}/objects", params={"collection": collection, "id": object_id}
        )

    def tenant_state(self, tenant_id: str) -> dict[str, Any]:
        """`{"tenant", "consents", "collections": {collection: [objects]}}`."""
        return dict(self.call("GET", f"/tenants/{tenant_id}"))

    def configure(self, **sections: Mapping[str, Any]) -> dict[str, Any]:
        """Change latency / throttle / faults / tokens; given keys replace, `faults.rules` replaces whole."""
        return dict(self.call("PATCH", "/config", sections))

    def set_latency(self, base_ms: float = 0, jitter_ms: float = 0) -> None:
        self.configure(latency={"base_ms": base_ms, "jitter_ms": jitter_ms})

    def set_throttle(self, **throttle: Any) -> None:
        """e.g. `set_throttle(scale=0.01, window_seconds=2, retry_after="decimal")`."""
        self.configure(throttle=throttle)

    def set_faults(self, **faults: Any) -> None:
        """e.g. `set_faults(rate_503=0.1)` or `set_faults(rules=[{"path": "deviceConfigurations", ...}])`."""
        self.configure(faults=faults)

    def log(self, **filters: Any) -> list[dict[str, Any]]:
        """Request log entries, oldest first; filters: tenant, app, method, path (regex), status, kind,
        throttled, faulted, in_batch, since, limit."""
        params = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in filters.items()}
        return list(self.call("GET", "/log", params=params))

    def clear_log(self) -> None:
        self.call("DELETE", "/log")

    def counters(self) -> dict[str, Any]:
        return dict(self.call("GET", "/counters"))
