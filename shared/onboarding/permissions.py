"""The application permissions each capability needs in a managed tenant, as Graph decides a 403.

A requirement is met by any of its accepted permissions (ReadWrite implies Read, as in Graph).
`backup` reads; `restore` writes what a backup holds; scripts and apps have permissions of their own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Requirement:
    permission: str
    """The permission named when it is missing (the least one that meets the requirement)."""
    also: tuple[str, ...] = ()
    """Other permissions that meet it too."""

    def met_by(self, granted: frozenset[str]) -> bool:
        return self.permission in granted or not granted.isdisjoint(self.also)


def _read(family: str) -> Requirement:
    return Requirement(f"{family}.Read.All", (f"{family}.ReadWrite.All",))


def _write(family: str) -> Requirement:
    return Requirement(f"{family}.ReadWrite.All")


_GROUPS = Requirement(
    "Group.Read.All", ("Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
)
"""Assignments name groups: a backup resolves them, a restore maps them."""

CAPABILITIES: dict[str, tuple[Requirement, ...]] = {
    "backup": (
        _read("DeviceManagementConfiguration"),
        _read("DeviceManagementServiceConfig"),
        _read("DeviceManagementRBAC"),
        _GROUPS,
        Requirement("Policy.Read.All", ("Policy.ReadWrite.ConditionalAccess",)),
    ),
    "restore": (
        _write("DeviceManagementConfiguration"),
        _write("DeviceManagementServiceConfig"),
        _write("DeviceManagementRBAC"),
        _GROUPS,
        Requirement("Policy.ReadWrite.ConditionalAccess"),
    ),
    "scripts": (_write("DeviceManagementScripts"),),
    "apps": (_write("DeviceManagementApps"),),
}
"""Capability -> what it needs (tests/shared/test_onboarding_rules.py)."""

ALL_PERMISSIONS = frozenset(r.permission for requirements in CAPABILITIES.values() for r in requirements)
"""What the MSP's app registration requests: a full admin consent grants all of it."""


def missing_for(capability: str, granted: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted({r.permission for r in CAPABILITIES[capability] if not r.met_by(granted)}))


def assess(granted: frozenset[str]) -> tuple[dict[str, bool], tuple[str, ...]]:
    """Per capability whether it is possible, and every permission missing for any of them."""
    capabilities = {name: not missing_for(name, granted) for name in CAPABILITIES}
    missing = sorted({p for name in CAPABILITIES for p in missing_for(name, granted)})
    return capabilities, tuple(missing)
