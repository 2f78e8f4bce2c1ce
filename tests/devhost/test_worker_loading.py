"""The real Python worker is the judge of what loads: the app, as Azure indexes it at start, and a sample
app it rejects, which the devhost refuses to serve with the worker's own message."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from local.azurite import AzuriteEndpoints
from local.devhost.testing import DevhostStartError, start_devhost
from local.devhost.worker_process import WorkerError, WorkerProcess
from shared.jobs.messages import Activity, Orchestrator

REPO_ROOT = Path(__file__).resolve().parents[2]
REJECTED_APP = Path(__file__).parent / "rejected_app"
REJECTION = (
    "FunctionLoadError: cannot load the echo function: "
    "binding payload has invalid non-type annotation dict[str, typing.Any]"
)


def _declared_functions() -> dict[str, str]:
    """Name -> trigger type of every function `function_app.py` declares, read by the SDK alone in a process
    of its own (the SDK registers blueprints again on each `get_functions()` of one app object)."""
    script = (
        "import json, function_app\n"
        "print(json.dumps({f.get_function_name(): f.get_trigger().get_binding_name()"
        " for f in function_app.app.get_functions()}))"
    )
    listed = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, check=True, capture_output=True)
    declared: dict[str, str] = json.loads(listed.stdout.decode().strip().splitlines()[-1])
    return declared


def _load_with_worker(app_dir: Path) -> dict[str, str]:
    """Index and load the app in a worker process, as the Functions host does; name -> trigger type."""

    async def load() -> dict[str, str]:
        worker = WorkerProcess(app_dir)
        try:
            functions = await worker.start()
        finally:
            await worker.stop()
        loaded = {}
        for function in functions:
            bindings = [json.loads(raw) for raw in function.raw_bindings]
            loaded[function.name] = next(b["type"] for b in bindings if b["type"].endswith("Trigger"))
        return loaded

    return asyncio.run(load())


def test_every_function_of_the_app_loads_in_the_worker() -> None:
    loaded = _load_with_worker(REPO_ROOT)
    declared = _declared_functions()
    assert loaded == declared
    triggers = sorted(set(loaded.values()))
    assert triggers == ["activityTrigger", "httpTrigger", "orchestrationTrigger", "timerTrigger"]
    assert len(loaded) >= 80  # a floor: indexing found the app, not an empty module


def test_the_message_module_names_every_durable_function_the_worker_loads() -> None:
    loaded = _load_with_worker(REPO_ROOT)
    activities = {name for name, trigger in loaded.items() if trigger == "activityTrigger"}
    orchestrators = {name for name, trigger in loaded.items() if trigger == "orchestrationTrigger"}
    assert activities == {activity.value for activity in Activity}
    assert orchestrators == {orchestrator.value for orchestrator in Orchestrator}


def test_the_worker_rejects_a_builtin_generic_annotation() -> None:
    with pytest.raises(WorkerError) as rejected:
        _load_with_worker(REJECTED_APP)
    assert str(rejected.value) == REJECTION


def test_devhost_refuses_to_start_an_app_the_worker_rejects(
    azurite: AzuriteEndpoints, tmp_path: Path
) -> None:
    with pytest.raises(DevhostStartError) as refused:
        start_devhost(REJECTED_APP, tmp_path, azurite.connection_string)
    assert "devhost exited with 2" in str(refused.value)
    log = (tmp_path / "devhost.log").read_text()
    assert REJECTION in log
    assert "Traceback" not in log
