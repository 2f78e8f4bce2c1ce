"""Deterministic, realistic MSP data for graphsim tenants (see `generate.py`)."""

from __future__ import annotations

from .generate import generate as populate_tenant

__all__ = ["populate_tenant"]
