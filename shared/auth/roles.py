"""Roles a principal holds per managed tenant, ordered: each includes the ones below it."""

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
