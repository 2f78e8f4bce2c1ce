"""Fixtures for schedule tests; storage and run tables come from tests/conftest.py."""

from __future__ import annotations

import pytest

from shared.schedules import ScheduleStore
from shared.storage import StorageAccount


@pytest.fixture
def store(storage: StorageAccount) -> ScheduleStore:
    return ScheduleStore(storage)
