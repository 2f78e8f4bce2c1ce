"""Starting a run's orchestration exactly once, for every trigger that starts one.

The run record (a conditional insert keyed by the dedupe key) decides that a run exists; this decides
that its orchestration runs. The durable client raises a bare Exception for every refusal, "already
exists" included, so an existing instance after a refused start is the expected outcome of a race.
"""

from __future__ import annotations

import azure.durable_functions as df

from shared.jobs.messages import Message, Orchestrator, RunRef
from shared.runs import Run


async def start_once(
    client: df.DurableOrchestrationClient, orchestrator: Orchestrator, instance_id: str, payload: Message
) -> bool:
    """Start the instance; False if it exists already (another request or tick started it)."""
    try:
        await client.start_new(orchestrator, instance_id, payload)
    except Exception:  # the durable client raises bare Exception, also for "already exists"
        if await client.get_status(instance_id):
            return False
        raise
    return True


async def ensure_started(
    client: df.DurableOrchestrationClient,
    run: Run,
    reused: bool,
    orchestrator: Orchestrator,
    payload: Message | None = None,
) -> None:
    """A new run starts its orchestration (with `payload`, by default the run's `RunRef`). A reused run
    that is still queued may belong to a request that crashed before starting it, so it is started here
    unless its instance exists."""
    if reused and (not run.status.is_active or run.started_at is not None):
        return
    if reused and await client.get_status(run.instance_id):
        return
    payload = payload or RunRef(tenant_id=run.tenant_id, run_id=run.run_id)
    await start_once(client, orchestrator, run.instance_id, payload)
