"""Deterministic, realistic MSP data for graphsim tenants (see `generate.py`)."""

from __future__ import annotations

from ..store import TenantStore


def populate_tenant(tenant: TenantStore, shared: TenantStore, objects: int, seed: int) -> None:
    from .generate import generate

    generate(tenant, shared, objects, seed)
