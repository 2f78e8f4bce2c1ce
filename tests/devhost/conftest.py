"""Devhost fixtures: the sample app served by real devhost processes on the session's Azurite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.azurite import AzuriteEndpoints
from local.devhost.testing import DevhostProcess, start_devhost

SAMPLE_APP = Path(__file__).parent / "sample_app"


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the sample app's activities and timers leave their marks."""
    return tmp_path_factory.mktemp("sample-out")


@pytest.fixture(scope="session")
def plain_host(
    azurite: AzuriteEndpoints, tmp_path_factory: pytest.TempPathFactory, sample_out: Path
) -> Iterator[DevhostProcess]:
    """The sample app's HTTP functions, without Durable Functions, timers off."""
    settings = {"SAMPLE_OUT_DIR": str(sample_out), "SAMPLE_SETTING": "from-settings"}
    host = start_devhost(
        SAMPLE_APP,
        tmp_path_factory.mktemp("plain-host"),
        azurite.connection_string,
        app_module="plain_app",
        settings=settings,
    )
    with host:
        yield host


@pytest.fixture(scope="session")
def durable_host(
    azurite: AzuriteEndpoints, tmp_path_factory: pytest.TempPathFactory, sample_out: Path
) -> Iterator[DevhostProcess]:
    """The whole sample app, Durable Functions included, timers off."""
    host = start_devhost(
        SAMPLE_APP,
        tmp_path_factory.mktemp("durable-host"),
        azurite.connection_string,
        settings={"SAMPLE_OUT_DIR": str(sample_out)},
    )
    with host:
        yield host
