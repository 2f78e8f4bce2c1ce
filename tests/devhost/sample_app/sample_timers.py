"""Timer triggers that leave a line in SAMPLE_OUT_DIR each time they run."""

import json
import os
from pathlib import Path

import azure.functions as func

bp = func.Blueprint()


def _mark(name: str, line: str) -> None:
    with (Path(os.environ["SAMPLE_OUT_DIR"]) / name).open("a") as out:
        out.write(line + "\n")


@bp.timer_trigger(schedule="*/1 * * * * *", arg_name="timer")
def every_second(timer: func.TimerRequest) -> None:
    """What the worker built from the host's timer info."""
    status = timer.schedule_status  # type: ignore[attr-defined]  # the worker's TimerRequest has it, the ABC not
    seen = {"type": type(timer).__name__, "pastDue": timer.past_due, "next": status.get("Next")}
    _mark("every_second.txt", json.dumps(seen))


@bp.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True)
def yearly_with_startup(timer: func.TimerRequest) -> None:
    _mark("yearly_with_startup.txt", "ran")
