"""Roles a principal holds per managed tenant, ordered: each includes the ones below it; and the
platform role above them, held in the token, not per tenant."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    READER = "reader"
    """View tenants, runs, versions and audit."""
    OPERATOR = "operator"
    """Also capture, back up and preview restores."""
    ADMIN = "admin"
    """Also restore live, manage schedules and tenant settings."""

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def includes(self, required: Role) -> bool:
        """True when a holder of this role may do what `required` allows."""
        return self.rank >= required.rank


_RANKS = {Role.READER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}


PLATFORM_ADMIN_ROLE = "msp.admin"
"""The app role (on the API's app registration, in the token's `roles` claim) of the MSP's platform
administrators: they register, rename, disable and remove tenants and manage every tenant's members.
It grants no access to a tenant's data: a platform admin grants themselves a tenant role for that,
which is audited like any grant."""


def parse_role(value: object) -> Role:
    """A tenant role from user input; ValueError names the choices."""
    if isinstance(value, str):
        try:
            return Role(value)
        except ValueError:
            pass
    raise ValueError(f"A role is one of {', '.join(role.value for role in Role)}.")
