"""Seed profiles: which tenants, apps and consents a graphsim starts with.

IDs are deterministic (UUIDv5 from the profile and position), so a demo or a benchmark names the
same tenants every run; secrets and certificates are fresh per start and only ever written to
the state folder. The plan is kept, so an admin reset restores exactly the start state.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

from local.graphsim.directory import App, FederatedCredential
from local.graphsim.identity import IDENTITY_ISSUER, TOKEN_EXCHANGE_AUDIENCE
from local.graphsim.pki import AppCertificate, make_app_certificate
from local.graphsim.simulator import Simulator

Profile = Literal["demo", "empty", "sized"]
PROFILES: tuple[Profile, ...] = ("demo", "empty", "sized")

_NAMESPACE = uuid.UUID("5d6c1f8e-4b1e-4a51-9a0c-7f3e2f1a9b20")
_DEMO_TENANTS = ("Contoso Dental", "Fabrikam Legal", "Northwind Clinics")
DEMO_OBJECTS = 150

ALL_INTUNE_PERMISSIONS = frozenset(
    {
        "DeviceManagementConfiguration.ReadWrite.All",
        "DeviceManagementApps.ReadWrite.All",
        "DeviceManagementServiceConfig.ReadWrite.All",
        "DeviceManagementRBAC.ReadWrite.All",
        "DeviceManagementManagedDevices.ReadWrite.All",
        "DeviceManagementScripts.ReadWrite.All",
        "Group.Read.All",
        "Policy.Read.All",
        "Policy.ReadWrite.ConditionalAccess",
        "CloudPC.ReadWrite.All",
    }
)
"""What an MSP backup-and-restore app is consented with: Intune read/write plus what assignments refer to."""


@dataclass(frozen=True)
class TenantPlan:
    id: str
    name: str
    objects: int | None
    """Objects to generate, or None for Intune's built-in defaults only."""
    seed: int


@dataclass(frozen=True)
class IdentityPlan:
    """The MSP's user-assigned managed identity (the Function App's, as `azd up` creates it)."""

    client_id: str
    object_id: str
    name: str


@dataclass(frozen=True)
class AppPlan:
    client_id: str
    name: str
    secret: str | None
    certificate: AppCertificate | None
    roles: frozenset[str]
    federated_identity: IdentityPlan | None = None
    """The identity a federated credential of the app trusts: the app has no secret or certificate."""


@dataclass(frozen=True)
class SeedPlan:
    profile: Profile
    tenants: tuple[TenantPlan, ...]
    apps: tuple[AppPlan, ...]
    identity: IdentityPlan


def build_plan(profile: Profile, tenants: int | None = None, objects: int | None = None) -> SeedPlan:
    """Tenants for the profile, the MSP's managed identity, and three apps (secret, certificate, federated
    with the identity) consented in all of them."""
    if profile == "demo":
        names = [_DEMO_TENANTS[i % 3] if i < 3 else f"Customer {i + 1:03d}" for i in range(tenants or 3)]
        count: int | None = objects if objects is not None else DEMO_OBJECTS
    elif profile == "empty":
        names = [f"Customer {i + 1:03d}" for i in range(tenants or 3)]
        count = None
    else:
        names = [f"Customer {i + 1:03d}" for i in range(tenants or 10)]
        count = objects if objects is not None else 300
    tenant_plans = tuple(
        TenantPlan(_stable_id(profile, f"tenant/{i}"), name, count, i + 1) for i, name in enumerate(names)
    )
    identity = IdentityPlan(
        _stable_id("identity", "client"), _stable_id("identity", "object"), "id-tenantatlas-api"
    )
    apps = (
        AppPlan(
            _stable_id("app", "secret"),
            "TenantAtlas (secret)",
            secrets.token_urlsafe(30),
            None,
            ALL_INTUNE_PERMISSIONS,
        ),
        AppPlan(
            _stable_id("app", "certificate"),
            "TenantAtlas (certificate)",
            None,
            make_app_certificate("TenantAtlas graphsim"),
            ALL_INTUNE_PERMISSIONS,
        ),
        AppPlan(
            _stable_id("app", "federated"),
            "TenantAtlas (federated)",
            None,
            None,
            ALL_INTUNE_PERMISSIONS,
            identity,
        ),
    )
    return SeedPlan(profile, tenant_plans, apps, identity)


def apply_plan(sim: Simulator, plan: SeedPlan) -> None:
    for tenant in plan.tenants:
        sim.directory.add_tenant(tenant.id, tenant.name)
        if tenant.objects is None:
            sim.model.populate_defaults(tenant.id)
        else:
            sim.model.populate_tenant(tenant.id, tenant.objects, tenant.seed)
    identity = plan.identity
    sim.directory.add_identity(identity.name, identity.client_id, identity.object_id)
    for app_plan in plan.apps:
        app: App = sim.directory.add_app(app_plan.name, app_plan.client_id)
        app.required_roles = app_plan.roles
        if app_plan.secret is not None:
            app.secrets.append(app_plan.secret)
        if app_plan.certificate is not None:
            app.certificates.append(app_plan.certificate)
        if app_plan.federated_identity is not None:
            sim.directory.set_federated_credential(
                app.client_id,
                FederatedCredential(
                    "tenantatlas-api",
                    IDENTITY_ISSUER,
                    app_plan.federated_identity.object_id,
                    (TOKEN_EXCHANGE_AUDIENCE,),
                ),
            )
        for tenant in plan.tenants:
            sim.directory.consent(tenant.id, app.client_id, app_plan.roles)


def _stable_id(scope: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"graphsim/{scope}/{name}"))
