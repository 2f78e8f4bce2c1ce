"""kill -9 the devhost in the middle of a fan-out; a devhost started again on the same Azurite and state
folder resumes the orchestration, which completes with the right output."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from local.azurite import AzuriteEndpoints
from local.devhost.testing import poll_status, start_devhost
from tests.polling import wait_until

SAMPLE_APP = Path(__file__).parent / "sample_app"
COUNT = 1500


@pytest.mark.slow
def test_kill_9_mid_fan_out_then_resume(azurite: AzuriteEndpoints, tmp_path: Path) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    out.mkdir()
    settings = {"SAMPLE_OUT_DIR": str(out)}
    first = start_devhost(SAMPLE_APP, state, azurite.connection_string, settings=settings)
    started = requests.post(
        first.url("api/start/fan_out"),
        json={"count": COUNT, "activity": "slow_double"},
        headers={"x-functions-key": first.keys.function_default},
        timeout=60,
    )
    assert started.status_code == 202
    status_path = started.headers["Location"].removeprefix(first.base_url)
    wait_until(
        lambda: first.log_text().count("Functions.slow_double' (Succeeded") >= 100,
        message="100 activities of the fan-out to succeed",
    )
    first.kill()
    assert first.process.returncode == -9
    done_before = first.log_text().count("Functions.slow_double' (Succeeded")
    assert done_before < COUNT, "the fan-out finished before the kill; make it slower"

    second = start_devhost(SAMPLE_APP, state, azurite.connection_string, settings=settings)
    with second:
        final = poll_status(second.base_url + status_path, timeout=120)
        assert final.status_code == 200
        assert final.json()["runtimeStatus"] == "Completed"
        assert final.json()["output"] == 2 * sum(range(COUNT))
        # at least once: every activity succeeded in one run or the other (the log holds both runs)
        assert second.log_text().count("Functions.slow_double' (Succeeded") >= COUNT
