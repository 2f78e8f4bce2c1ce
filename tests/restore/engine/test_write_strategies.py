"""The restore engine has a writer for every write strategy a catalog entry can declare."""

from __future__ import annotations

from shared.intune import TYPES, WriteStrategy
from shared.restore.write import WRITERS


def test_every_write_strategy_has_its_own_writer() -> None:
    assert set(WRITERS) == set(WriteStrategy)
    assert len(set(WRITERS.values())) == len(WRITERS)


def test_every_catalog_entry_declares_a_strategy_with_a_writer() -> None:
    assert {entry.write_strategy for entry in TYPES} <= set(WRITERS)
