"""Timer triggers: NCRONTAB with seconds, run_on_startup, --no-timers, and the admin API's run-now."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import requests

from local.azurite import AzuriteEndpoints
from local.devhost.testing import DevhostProcess, start_devhost
from tests.polling import wait_until

SAMPLE_APP = Path(__file__).parent / "sample_app"


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_schedule_and_run_on_startup(azurite: AzuriteEndpoints, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    host = start_devhost(
        SAMPLE_APP,
        tmp_path / "state",
        azurite.connection_string,
        app_module="plain_app",
        settings={"SAMPLE_OUT_DIR": str(out)},
        timers=True,
    )
    with host:
        wait_until(lambda: _lines(out / "every_second.txt") >= 3, message="three runs of every_second")
        assert _lines(out / "yearly_with_startup.txt") == 1
        assert "Functions.every_second' (Succeeded" in host.log_text()
    seen = [json.loads(line) for line in (out / "every_second.txt").read_text().splitlines()]
    assert {(timer["type"], timer["pastDue"]) for timer in seen} == {("TimerRequest", False)}
    assert all(datetime.fromisoformat(timer["next"]) for timer in seen)
    assert host.process.returncode == 0


def test_no_timers_flag_and_admin_run(plain_host: DevhostProcess, sample_out: Path) -> None:
    time.sleep(1.5)  # the test itself: with --no-timers, a second-by-second timer stays silent meanwhile
    assert not (sample_out / "every_second.txt").exists()
    assert not (sample_out / "yearly_with_startup.txt").exists()
    run = plain_host.url("admin/functions/yearly_with_startup")
    assert requests.post(run, json={"input": ""}, timeout=10).status_code == 401
    wrong_key = {"x-functions-key": plain_host.keys.function_default}
    assert requests.post(run, json={"input": ""}, headers=wrong_key, timeout=10).status_code == 401
    master = {"x-functions-key": plain_host.keys.master}
    assert requests.post(run, json={"input": ""}, headers=master, timeout=10).status_code == 202
    wait_until(lambda: _lines(sample_out / "yearly_with_startup.txt") == 1, message="the run asked for")
    unknown = plain_host.url("admin/functions/nope")
    assert requests.post(unknown, json={}, headers=master, timeout=10).status_code == 404
    http_function = plain_host.url("admin/functions/hello")
    assert requests.post(http_function, json={}, headers=master, timeout=10).status_code == 400
