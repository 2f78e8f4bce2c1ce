"""Fixtures for tests of shared/: no test sees the developer's settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import shared.config.settings
from shared.redact import clear_secret_values


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's settings: app variables are removed, local.settings.json is
    looked for in the test's tmp_path, and cached settings and registered secrets are dropped."""
    for name in list(os.environ):
        if name.startswith(shared.config.settings.ENV_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setattr(shared.config.settings, "LOCAL_SETTINGS_FILE", tmp_path / "local.settings.json")
    shared.config.settings.get_settings.cache_clear()
    clear_secret_values()
    yield
    shared.config.settings.get_settings.cache_clear()
    clear_secret_values()
