"""Placeholder generator: groups only, widened to every type in the next commits."""

from __future__ import annotations

import random
import uuid

from ..store import TenantStore


def generate(tenant: TenantStore, shared: TenantStore, objects: int, seed: int) -> None:
    rng = random.Random(f"{seed}:{tenant.tenant_id}")
    groups = tenant.table("groups")
    for index in range(max(objects // 10, 1)):
        group_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        groups[group_id] = {
            "id": group_id,
            "displayName": f"SG-Intune-{index:03d}",
            "securityEnabled": True,
            "mailEnabled": False,
            "groupTypes": [],
            "createdDateTime": "2022-01-01T00:00:00Z",
        }
