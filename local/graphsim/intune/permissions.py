"""Which application permissions (token `roles`) open which collections, as Graph decides a 403."""

from __future__ import annotations

from dataclasses import dataclass

from local.graphsim.contract import Caller

from .errors import GraphFailure
from .spec import TypeSpec


@dataclass(frozen=True)
class Area:
    read: tuple[str, ...]
    """Any one of these allows reads (ReadWrite scopes are listed too: ReadWrite implies Read)."""
    write: tuple[str, ...]


def _intune(family: str, *also: str) -> Area:
    read_write = f"{family}.ReadWrite.All"
    also_write = tuple(scope for scope in also if "ReadWrite" in scope)
    return Area((f"{family}.Read.All", read_write, *also), (read_write, *also_write))


AREAS: dict[str, Area] = {
    "config": _intune("DeviceManagementConfiguration"),
    "apps": _intune("DeviceManagementApps"),
    "service": _intune("DeviceManagementServiceConfig"),
    "rbac": _intune("DeviceManagementRBAC"),
    "devices": _intune("DeviceManagementManagedDevices"),
    "scripts": _intune(
        "DeviceManagementScripts",
        "DeviceManagementConfiguration.Read.All",
        "DeviceManagementConfiguration.ReadWrite.All",
    ),
    "groups": Area(
        ("Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
        ("Group.ReadWrite.All", "Directory.ReadWrite.All"),
    ),
    "ca": Area(
        ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"),
        ("Policy.ReadWrite.ConditionalAccess",),
    ),
    "cloudpc": Area(("CloudPC.Read.All", "CloudPC.ReadWrite.All"), ("CloudPC.ReadWrite.All",)),
}


def authorize(caller: Caller, spec: TypeSpec, *, write: bool) -> None:
    """Raise Graph's 403 unless the caller holds one of the scopes the operation needs."""
    area = AREAS[spec.area]
    needed = area.write if write else area.read
    if caller.roles.isdisjoint(needed):
        raise forbidden(spec, needed)


def forbidden(spec: TypeSpec, needed: tuple[str, ...]) -> GraphFailure:
    if not spec.intune:
        return GraphFailure(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
    scopes = ", ".join(needed)
    return GraphFailure(
        403,
        "Forbidden",
        "Application is not authorized to perform this operation. "
        f"Application must have one of the following scopes: {scopes}",
        intune=True,
    )
