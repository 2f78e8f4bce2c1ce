"""A devhost engine in a process of its own, for the crash test: `start` begins a fan-out and serves it
until killed; `resume` starts the engine on the same hub (which resumes unfinished work), waits for the
instance and prints its final status as JSON on the last line.

Usage: python crash_worker.py {start|resume} <connection string> <hub> <instance ID> <count> <marks file>
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from azure.durable_functions import DurableOrchestrationContext

from local.devhost.engine import Engine
from local.devhost.engine.testing import function_maps

MODE, CONNECTION, HUB, INSTANCE_ID, COUNT, MARKS = sys.argv[1:7]


async def square(value: int) -> int:
    """Slow enough that a kill lands mid fan-out; leaves a mark per run (runs may repeat: at least once)."""
    await asyncio.sleep(0.01)
    with open(MARKS, "a") as marks:
        marks.write(f"{value}\n")
    return value * value


def fan_out(context: DurableOrchestrationContext) -> Any:
    values = yield context.task_all([context.call_activity("square", n) for n in range(context.get_input())])
    total = yield context.call_activity("square", 2)
    return [sum(values), total]


async def main() -> None:
    engine = Engine(CONNECTION, HUB, function_maps({"fan_out": fan_out}, {"square": square}),
                    max_concurrent_activities=4)
    await engine.start()
    try:
        if MODE == "start":
            await engine.start_new("fan_out", INSTANCE_ID, json.dumps(int(COUNT)))
            print("started", flush=True)
            await asyncio.Event().wait()
        status = await engine.wait_for_completion(INSTANCE_ID, 120)
        print(json.dumps(status), flush=True)
    finally:
        await engine.stop()


asyncio.run(main())
