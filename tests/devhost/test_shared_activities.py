"""Activities shared by the devhosts of one task hub through Azurite queues, as Durable spreads them.

In process: two pools on one hub, each with its own invokers, show where calls ran and that every
completion reaches the devhost that scheduled the call, large payloads included. Across processes:
two devhosts started with `--shared-activities` run one fan-out together.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import pytest
import requests

from local.azurite import Azurite, AzuriteEndpoints
from local.devhost.engine.history import Event, EventType
from local.devhost.engine.shared_work import INLINE_LIMIT, SharedActivities
from local.devhost.engine.work import ActivityCall
from local.devhost.testing import poll_status, start_devhost

SAMPLE_APP = Path(__file__).parent / "sample_app"


def pool(
    azurite: AzuriteEndpoints, hub: str, ran_by: list[str], delivered: dict[int, Event]
) -> SharedActivities:
    """A devhost's shared pool whose one activity, `echo`, notes which pool ran it."""
    name = f"pool{len(ran_by)}-{secrets.token_hex(2)}"

    async def echo(payload: str) -> str:
        ran_by.append(name)
        await asyncio.sleep(0.01)
        return json.dumps({"echo": json.loads(payload), "by": name})

    def deliver(instance_id: str, execution_id: str, event: Event) -> None:
        assert (instance_id, execution_id) == ("instance-1", "execution-1")
        delivered[int(event["TaskScheduledId"])] = event

    return SharedActivities(azurite.connection_string, hub, {"echo": echo}, 4, deliver)


def test_calls_one_devhost_schedules_run_on_both_and_complete_where_scheduled(
    azurite: AzuriteEndpoints,
) -> None:
    async def scenario() -> tuple[list[str], dict[int, Event], dict[int, Event]]:
        hub = "Shared" + secrets.token_hex(4)
        ran_by: list[str] = []
        scheduled: dict[int, Event] = {}
        elsewhere: dict[int, Event] = {}
        first, second = pool(azurite, hub, ran_by, scheduled), pool(azurite, hub, ran_by, elsewhere)
        first.start()
        second.start()
        big = "x" * (INLINE_LIMIT + 1000)
        for task_id in range(40):
            payload = big if task_id == 7 else task_id
            first.submit(ActivityCall("instance-1", "execution-1", task_id, "echo", json.dumps(payload)))
        async with asyncio.timeout(60):
            while len(scheduled) < 40:
                await asyncio.sleep(0.05)
        await first.stop()
        await second.stop()
        return ran_by, scheduled, elsewhere

    ran_by, scheduled, elsewhere = asyncio.run(scenario())

    assert len(set(ran_by)) == 2, "both devhosts ran calls"
    assert elsewhere == {}, "completions go back to the devhost that scheduled the call"
    results = {task_id: json.loads(event["Result"]) for task_id, event in scheduled.items()}
    assert {task_id: result["echo"] for task_id, result in results.items() if task_id != 7} == {
        task_id: task_id for task_id in range(40) if task_id != 7
    }
    assert len(results[7]["echo"]) == INLINE_LIMIT + 1000, "a call and result over a message went by blob"
    assert {event["EventType"] for event in scheduled.values()} == {EventType.TASK_COMPLETED}


@pytest.mark.slow
def test_two_devhosts_on_one_hub_run_a_fan_out_together(tmp_path: Path) -> None:
    """A fresh Azurite: devhosts of a hub resume its unfinished instances, so they share it with no other."""
    with Azurite(in_memory=True) as azurite:
        settings = {"SAMPLE_OUT_DIR": str(tmp_path)}
        hosts = [
            start_devhost(
                SAMPLE_APP,
                tmp_path / f"host{n}",
                azurite.connection_string,
                settings=settings,
                shared_activities=True,
            )
            for n in range(2)
        ]
        try:
            started = requests.post(
                hosts[0].url("api/start/fan_out"),
                json={"count": 200, "activity": "slow_double"},
                headers={"x-functions-key": hosts[0].keys.function_default},
                timeout=60,
            )
            assert started.status_code == 202
            final = poll_status(started.headers["Location"], timeout=120)
            runs = [host.log_text().count("Functions.slow_double' (Succeeded") for host in hosts]
        finally:
            for host in hosts:
                host.stop()

    assert final.json()["runtimeStatus"] == "Completed"
    assert final.json()["output"] == 2 * sum(range(200))
    assert sum(runs) >= 200
    assert min(runs) > 0, f"both devhosts ran activities: {runs}"
