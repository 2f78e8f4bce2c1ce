"""The asynchronous-operation status URL of a run, as Logic Apps and Power Automate poll it.

They poll `Location` until the answer is not 202, waiting `Retry-After` seconds between polls.
A run that ended answers 200 with the run, whatever its outcome, unless the caller asked with
`failOnError=true`: then a failed or cancelled run answers 422 (problem+json `run.failed` /
`run.cancelled`, the run in the `run` member). 422 rather than the Durable API's 500 because
both products retry 5xx (and 408/429) under their default retry policy, which would re-send the
request; a 4xx fails the action at once with the body at hand. A partially succeeded run is a
200: its items say which failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from shared.http.problems import ProblemError
from shared.runs import Run, RunStatus

FAIL_ON_ERROR_PARAM = "failOnError"
RETRY_AFTER_SECONDS = 5


class RunFailed(ProblemError):
    status = 422
    code = "run.failed"
    title = "The run failed."


class RunCancelled(RunFailed):
    code = "run.cancelled"
    title = "The run was cancelled."


@dataclass(frozen=True)
class StatusAnswer:
    status_code: int
    headers: dict[str, str]
    body: dict[str, Any]


def status_url(api_base: str, tenant_id: str, run_id: str, *, fail_on_error: bool = False) -> str:
    """The absolute status URL of a run; `api_base` is the scheme, host and route prefix (`.../api`)."""
    url = f"{api_base}/tenants/{quote(tenant_id, safe='')}/runs/{quote(run_id, safe='')}/status"
    return url + (f"?{FAIL_ON_ERROR_PARAM}=true" if fail_on_error else "")


def status_answer(run: Run, url: str, *, fail_on_error: bool) -> StatusAnswer:
    """202 with `Location` (this URL again) and `Retry-After` while queued or running, then 200,
    or 422 for a failed or cancelled run when `fail_on_error`."""
    if run.status.is_active:
        headers = {"Location": url, "Retry-After": str(RETRY_AFTER_SECONDS)}
        return StatusAnswer(202, headers, run.to_api())
    if fail_on_error and run.status in (RunStatus.FAILED, RunStatus.CANCELLED):
        error_type = RunFailed if run.status is RunStatus.FAILED else RunCancelled
        problem = error_type(run.error or f"The run ended {run.status.value}.", run=run.to_api())
        return StatusAnswer(problem.status, {}, problem.to_problem().to_dict())
    return StatusAnswer(200, {}, run.to_api())


def api_base_of(request_url: str) -> str:
    """Scheme, host and route prefix of a request to a tenant-scoped route (`https://h/api`)."""
    marker = request_url.find("/tenants/")
    if marker < 0:
        raise ValueError(f"{request_url!r} is not a tenant-scoped route.")
    return request_url[:marker]
