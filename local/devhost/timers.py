"""Timer triggers: NCRONTAB schedules (six fields, seconds first) or TimeSpan intervals, `run_on_startup`.

Times are UTC, as on Azure without WEBSITE_TIME_ZONE. A timer never overlaps itself: the next occurrence
is computed after the previous invocation ends, as the Functions timer does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from local.devhost.app_loader import FunctionSpec
from local.devhost.invocation import FunctionInvoker
from local.devhost.rpc.function_rpc_pb2 import TypedData
from local.devhost.worker_process import WorkerError

log = logging.getLogger("devhost.timers")

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$")
_SETTING = re.compile(r"^%(\w+)%$")


class ScheduleError(ValueError):
    """A timer schedule the devhost cannot read; names the function and the expected form."""


NextOccurrence = Callable[[datetime], datetime]


def parse_schedule(function_name: str, schedule: str) -> NextOccurrence:
    """`%Setting%` is read from the app settings; `hh:mm:ss` is an interval; anything else is NCRONTAB."""
    setting = _SETTING.match(schedule.strip())
    if setting:
        schedule = os.environ.get(setting.group(1), "")
    timespan = _TIMESPAN.match(schedule.strip())
    if timespan:
        days, hours, minutes, seconds = (int(part or 0) for part in timespan.groups())
        interval = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return lambda after: after + interval
    fields = schedule.split()
    if len(fields) != 6 or not croniter.is_valid(schedule, second_at_beginning=True):
        raise ScheduleError(
            f"timer {function_name}: schedule `{schedule}` is not NCRONTAB with six fields "
            "(second minute hour day month day-of-week), e.g. `0 */5 * * * *`"
        )
    return lambda after: croniter(schedule, after, second_at_beginning=True).get_next(datetime)


def timer_request(last: datetime | None, next_due: datetime) -> TypedData:
    """The TimerInfo JSON the host sends, which the worker turns into `func.TimerRequest`."""
    info = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {
            "Last": last.isoformat() if last else None,
            "Next": next_due.isoformat(),
            "LastUpdated": datetime.now(UTC).isoformat(),
        },
        "IsPastDue": False,
    }
    return TypedData(json=json.dumps(info))


class TimerScheduler:
    """One task per timer function while the host runs."""

    def __init__(self, timers: list[FunctionSpec], invoker: FunctionInvoker) -> None:
        self._invoker = invoker
        self._schedules = [
            (spec, parse_schedule(spec.name, str(spec.trigger["schedule"]))) for spec in timers
        ]
        self._tasks: list[asyncio.Task[Any]] = []

    def start(self) -> None:
        for spec, next_occurrence in self._schedules:
            self._tasks.append(
                asyncio.create_task(self._run(spec, next_occurrence), name=f"timer-{spec.name}")
            )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _run(self, spec: FunctionSpec, next_occurrence: NextOccurrence) -> None:
        last: datetime | None = None
        if spec.trigger.get("runOnStartup"):
            await self._fire(spec, None, next_occurrence(datetime.now(UTC)))
        while True:
            due = next_occurrence(datetime.now(UTC))
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
            await self._fire(spec, last, next_occurrence(due))
            last = due

    async def _fire(self, spec: FunctionSpec, last: datetime | None, next_due: datetime) -> None:
        """An invocation that raises is logged (by the invoker) and the schedule goes on."""
        try:
            await self._invoker.invoke(spec, timer_request(last, next_due))
        except WorkerError as error:
            log.error("Timer function %s raised: %s\n%s", spec.name, error, error.stack_trace)
