"""Engine on Azurite: a process killed with SIGKILL in the middle of a fan-out, started again on the same
storage, finishes the orchestration with the right output (activities that were running run again)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from local.azurite import AzuriteEndpoints
from local.devhost.engine.testing import unique_hub
from tests.polling import wait_until

WORKER = Path(__file__).with_name("crash_worker.py")
COUNT = 400


def _worker(mode: str, azurite: AzuriteEndpoints, hub: str, marks: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), mode, azurite.connection_string, hub, "crash-1", str(COUNT),
         str(marks)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _marks(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


@pytest.mark.slow
def test_kill_9_mid_fan_out_then_restart_completes(azurite: AzuriteEndpoints, tmp_path: Path) -> None:
    hub, marks = unique_hub(), tmp_path / "marks.txt"
    first = _worker("start", azurite, hub, marks)

    def a_quarter_done() -> bool:
        assert first.poll() is None, first.communicate()
        return len(_marks(marks)) >= COUNT // 4

    wait_until(a_quarter_done, timeout=60, interval=0.02, message="a quarter of the fan-out")
    first.kill()
    first.communicate()
    done_before_kill = len(set(_marks(marks)))
    assert done_before_kill < COUNT, "the kill came too late to test anything"

    second = _worker("resume", azurite, hub, marks)
    out, err = second.communicate(timeout=180)
    assert second.returncode == 0, err
    status = json.loads(out.strip().splitlines()[-1])
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == [sum(n * n for n in range(COUNT)), 4]
    assert set(_marks(marks)) == set(range(COUNT))
