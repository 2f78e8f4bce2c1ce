"""The Entra side's state: tenants, app registrations with their credentials, admin consents and the
managed identities of the MSP's Azure resources.

An MSP's app is registered once (multi-tenant) and consented per customer tenant with a set of
application permissions; a token request to a tenant without consent is AADSTS700016. An app may
trust a managed identity through a federated credential (issuer, subject, audience): a token of that
identity is then a client assertion for the app, and no secret or certificate exists.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from dataclasses import dataclass, field

from local.graphsim.pki import AppCertificate

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class DirectoryInputError(ValueError):
    """An admin request is invalid (a duplicate, a malformed ID); the message says what is wrong."""


class UnknownEntity(DirectoryInputError):
    """An admin request names a tenant, app or consent that does not exist."""


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    domain: str
    """The `*.onmicrosoft.com` name, accepted in authority URLs instead of the ID."""

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "domain": self.domain}


@dataclass(frozen=True)
class FederatedCredential:
    """Trust in tokens of another issuer: a token whose `iss`, `sub` and `aud` match stands for the app."""

    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]

    def matches(self, issuer: str, subject: str, audience: str) -> bool:
        return self.issuer == issuer and self.subject == subject and audience in self.audiences

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "issuer": self.issuer,
            "subject": self.subject,
            "audiences": list(self.audiences),
        }


@dataclass(frozen=True)
class ManagedIdentity:
    """A user-assigned managed identity of the MSP's Azure resources (the Function App's)."""

    client_id: str
    object_id: str
    """The identity's service principal object ID: the `sub` of its tokens."""
    name: str

    def to_json(self) -> dict[str, str]:
        return {"client_id": self.client_id, "object_id": self.object_id, "name": self.name}


@dataclass
class App:
    client_id: str
    name: str
    secrets: list[str] = field(default_factory=list)
    certificates: list[AppCertificate] = field(default_factory=list)
    federated_credentials: dict[str, FederatedCredential] = field(default_factory=dict)
    required_roles: frozenset[str] = frozenset()
    """The application permissions the registration requests: what an admin consent grants."""

    def federated_match(self, issuer: str, subject: str, audience: str) -> FederatedCredential | None:
        return next(
            (fic for fic in self.federated_credentials.values() if fic.matches(issuer, subject, audience)),
            None,
        )

    def secret_matches(self, candidate: str) -> bool:
        return any(hmac.compare_digest(candidate.encode(), secret.encode()) for secret in self.secrets)

    def certificate_for(self, x5t: str | None, x5t_s256: str | None) -> AppCertificate | None:
        """The certificate a client assertion names; thumbprints may come with or without base64 padding."""
        x5t, x5t_s256 = (x5t or "").rstrip("="), (x5t_s256 or "").rstrip("=")
        for cert in self.certificates:
            if (x5t_s256 and cert.x5t_s256 == x5t_s256) or (x5t and cert.x5t == x5t):
                return cert
        return None

    def to_json(self) -> dict[str, object]:
        """Public view: never the secrets, only how many and which certificate thumbprints."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "secret_count": len(self.secrets),
            "certificate_thumbprints": [cert.thumbprint for cert in self.certificates],
            "federated_credentials": [fic.to_json() for fic in self.federated_credentials.values()],
            "required_roles": sorted(self.required_roles),
        }


class Directory:
    """Tenants, apps and consents, kept in memory and used from the event loop only."""

    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self._by_domain: dict[str, Tenant] = {}
        self.apps: dict[str, App] = {}
        self._consents: dict[tuple[str, str], frozenset[str]] = {}
        self.identities: dict[str, ManagedIdentity] = {}

    def add_tenant(self, tenant_id: str | None = None, name: str | None = None) -> Tenant:
        tenant_id = (tenant_id or str(uuid.uuid4())).lower()
        if not _GUID.match(tenant_id):
            raise DirectoryInputError(f"Tenant ID '{tenant_id}' is not a GUID.")
        if tenant_id in self.tenants:
            raise DirectoryInputError(f"Tenant '{tenant_id}' already exists.")
        name = name or f"Tenant {tenant_id[:8]}"
        domain = re.sub(r"[^a-z0-9]", "", name.lower())[:27] or "tenant"
        if f"{domain}.onmicrosoft.com" in self._by_domain:
            domain = f"{domain}{tenant_id[:4]}"
        tenant = Tenant(tenant_id, name, f"{domain}.onmicrosoft.com")
        self.tenants[tenant_id] = tenant
        self._by_domain[tenant.domain] = tenant
        return tenant

    def find_tenant(self, id_or_domain: str) -> Tenant | None:
        """The tenant for an authority path segment: its GUID or its onmicrosoft.com domain."""
        key = id_or_domain.lower()
        return self.tenants.get(key) or self._by_domain.get(key)

    def tenant(self, tenant_id: str) -> Tenant:
        tenant = self.find_tenant(tenant_id)
        if tenant is None:
            raise UnknownEntity(f"Unknown tenant '{tenant_id}'; create it with POST /_sim/tenants.")
        return tenant

    def add_app(self, name: str, client_id: str | None = None) -> App:
        client_id = (client_id or str(uuid.uuid4())).lower()
        if not _GUID.match(client_id):
            raise DirectoryInputError(f"Client ID '{client_id}' is not a GUID.")
        if client_id in self.apps:
            raise DirectoryInputError(f"App '{client_id}' is already registered.")
        app = App(client_id, name)
        self.apps[client_id] = app
        return app

    def add_secret(self, client_id: str) -> str:
        secret = secrets.token_urlsafe(30)
        self.app(client_id).secrets.append(secret)
        return secret

    def app(self, client_id: str) -> App:
        app = self.apps.get(client_id.lower())
        if app is None:
            raise UnknownEntity(f"Unknown app '{client_id}'; register it first with POST /_sim/apps.")
        return app

    def consent(self, tenant_id: str, client_id: str, roles: frozenset[str]) -> None:
        """Admin consent of an app in a tenant with exactly these application permissions (replaces any)."""
        tenant, app = self.tenant(tenant_id), self.app(client_id)
        self._consents[(tenant.id, app.client_id)] = roles

    def revoke(self, tenant_id: str, client_id: str) -> None:
        tenant, app = self.tenant(tenant_id), self.app(client_id)
        if self._consents.pop((tenant.id, app.client_id), None) is None:
            raise UnknownEntity(f"App '{client_id}' has no consent in tenant '{tenant_id}'.")

    def roles(self, tenant_id: str, client_id: str) -> frozenset[str] | None:
        """The consented permissions, or None when the app is not consented in the tenant."""
        return self._consents.get((tenant_id, client_id))

    def consents_of(self, tenant_id: str) -> dict[str, list[str]]:
        return {app: sorted(roles) for (tid, app), roles in self._consents.items() if tid == tenant_id}

    def add_identity(
        self, name: str, client_id: str | None = None, object_id: str | None = None
    ) -> ManagedIdentity:
        client_id = (client_id or str(uuid.uuid4())).lower()
        object_id = (object_id or str(uuid.uuid4())).lower()
        for value in (client_id, object_id):
            if not _GUID.match(value):
                raise DirectoryInputError(f"'{value}' is not a GUID.")
        if client_id in self.identities:
            raise DirectoryInputError(f"Managed identity '{client_id}' already exists.")
        identity = ManagedIdentity(client_id, object_id, name)
        self.identities[client_id] = identity
        return identity

    def identity(self, client_id: str) -> ManagedIdentity | None:
        return self.identities.get(client_id.lower())

    def set_federated_credential(self, client_id: str, credential: FederatedCredential) -> None:
        """Add or replace the app's federated credential of that name."""
        if not credential.issuer or not credential.subject or not credential.audiences:
            raise DirectoryInputError("A federated credential needs an issuer, a subject and audiences.")
        self.app(client_id).federated_credentials[credential.name] = credential

    def remove_federated_credential(self, client_id: str, name: str) -> None:
        if self.app(client_id).federated_credentials.pop(name, None) is None:
            raise UnknownEntity(f"App '{client_id}' has no federated credential '{name}'.")
