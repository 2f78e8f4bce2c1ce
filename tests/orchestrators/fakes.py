"""One set of orchestrator fakes: a context that records every task an orchestrator schedules, and a driver
that runs the orchestrator's generator to its end, answering activities by a dispatch on their names.

Every payload and answer crosses a wire as in Azure: encoded and decoded by the Durable Functions SDK's own
codec (`df_dumps`/`df_loads`), so a record that does not survive its custom-object envelope fails here.
Sub-orchestrations are driven in place with the same answers; `task_all` resolves its children in the order
scheduled (the first failure is raised); `task_any` hands back the first unfinished child scheduled, or the
last (`last_first`), as when chunks end out of order. Timers fire at once; their length is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.durable_functions.models.utils.df_serialization import df_dumps, df_loads

from shared.jobs.messages import Activity, Orchestrator

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
Answer = Callable[[Activity, Any], Any]
"""`answer(activity name, payload)`: the activity's result, or an exception it failed with."""


def wire(value: Any) -> Any:
    """`value` as the other side of the engine gets it."""
    return df_loads(df_dumps(value))


@dataclass(eq=False)
class FakeTask:
    kind: str
    name: str = ""
    payload: Any = None
    instance_id: str | None = None
    children: list[FakeTask] = field(default_factory=list)
    result: Any = None
    done: bool = False


@dataclass
class FakeContext:
    """Records every activity, sub-orchestration and timer, in order, into `log` (shared with children)."""

    payload: Any
    log: list[FakeTask]
    instance_id: str = "instance-1"
    is_replaying: bool = False
    current_utc_datetime: datetime = NOW

    def get_input(self, expected_type: type | None = None) -> Any:
        decoded = df_loads(df_dumps(self.payload), expected_type=expected_type)
        assert expected_type is None or isinstance(decoded, expected_type), decoded
        return decoded

    def _schedule(self, task: FakeTask) -> FakeTask:
        self.log.append(task)
        return task

    def call_activity_with_retry(self, name: str, options: Any, payload: Any) -> FakeTask:
        return self._schedule(FakeTask("activity", name, wire(payload)))

    def call_sub_orchestrator(self, name: str, payload: Any, instance_id: str) -> FakeTask:
        return self._schedule(FakeTask("sub", name, wire(payload), instance_id))

    def create_timer(self, fire_at: datetime) -> FakeTask:
        return self._schedule(FakeTask("timer", payload=(fire_at - NOW).total_seconds()))

    def task_all(self, tasks: list[FakeTask]) -> FakeTask:
        return FakeTask("all", children=list(tasks))

    def task_any(self, tasks: list[FakeTask]) -> FakeTask:
        return FakeTask("any", children=list(tasks))


Orchestrators = Mapping[Orchestrator, Any]
"""Decorated orchestrator functions by name; the user function is taken from each as the SDK builds it."""


def drive(
    orchestrators: Orchestrators,
    name: Orchestrator,
    payload: Any,
    answer: Answer,
    *,
    last_first: bool = False,
    log: list[FakeTask] | None = None,
) -> tuple[Any, list[FakeTask]]:
    """Run orchestrator `name` to its end: its result and every task scheduled (children's too)."""
    log = [] if log is None else log
    function = orchestrators[name].build().get_user_function().orchestrator_function
    generator: Generator[Any, Any, Any] = function(FakeContext(payload, log))

    def resolve(task: FakeTask) -> Any:
        if task.done:
            return task.result
        if task.kind == "activity":
            answered = answer(Activity(task.name), task.payload)
            task.result = answered if isinstance(answered, Exception) else wire(answered)
        elif task.kind == "sub":
            try:
                child, _ = drive(orchestrators, Orchestrator(task.name), task.payload, answer,
                                 last_first=last_first, log=log)
                task.result = wire(child)
            except Exception as exc:
                task.result = exc
        elif task.kind == "all":
            results = [resolve(child) for child in task.children]
            task.result = next((r for r in results if isinstance(r, Exception)), results)
        elif task.kind == "any":
            chosen = task.children[-1] if last_first else task.children[0]
            resolve(chosen)
            task.result = chosen
        task.done = True
        return task.result

    try:
        result = resolve(next(generator))
        while True:
            step = generator.throw(result) if isinstance(result, Exception) else generator.send(result)
            result = resolve(step)
    except StopIteration as stop:
        return stop.value, log


def names(log: list[FakeTask], *, seconds: bool = False) -> list[str]:
    """What was scheduled, in order: activity and sub-orchestration names, `timer` (or `timer 5s`)."""
    return [
        task.name or (f"timer {task.payload:g}s" if seconds and task.kind == "timer" else task.kind)
        for task in log
    ]


def calls(log: list[FakeTask], name: str) -> list[Any]:
    return [task.payload for task in log if task.name == name]


def timers(log: list[FakeTask]) -> list[float]:
    return [task.payload for task in log if task.kind == "timer"]
