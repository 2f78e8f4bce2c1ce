"""The status URL's answers, as Logic Apps and Power Automate read them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.runs import Run, RunStatus
from shared.runs.status import api_base_of, status_answer, status_url

URL = "https://app.example/api/tenants/t/runs/r/status"


def _run(status: RunStatus, error: str | None = None) -> Run:
    created = datetime.now(UTC)
    return Run("r", "t", "policy.capture_snapshot", status, "k", "i", "user:u", created, error=error)


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_an_active_run_is_202_with_location_and_retry_after(status: RunStatus) -> None:
    answer = status_answer(_run(status), URL, fail_on_error=True)
    assert answer.status_code == 202
    assert answer.headers["Location"] == URL and int(answer.headers["Retry-After"]) > 0


@pytest.mark.parametrize("status", list(RunStatus)[2:])
def test_an_ended_run_is_200_without_the_flag(status: RunStatus) -> None:
    assert status_answer(_run(status), URL, fail_on_error=False).status_code == 200


def test_with_the_flag_failure_is_a_422_problem_carrying_the_run_and_partial_success_a_200() -> None:
    failed = status_answer(_run(RunStatus.FAILED, "GET /x failed with 404"), URL, fail_on_error=True)
    assert failed.status_code == 422
    assert failed.body["code"] == "run.failed" and failed.body["run"]["id"] == "r"
    assert failed.body["detail"] == "GET /x failed with 404"
    cancelled = status_answer(_run(RunStatus.CANCELLED), URL, fail_on_error=True)
    assert cancelled.status_code == 422 and cancelled.body["code"] == "run.cancelled"
    partial = status_answer(_run(RunStatus.PARTIALLY_SUCCEEDED), URL, fail_on_error=True)
    assert partial.status_code == 200


def test_the_status_url_keeps_the_flag_and_the_api_base_of_the_request() -> None:
    base = api_base_of("https://app.example/api/tenants/t/policies/x/y/snapshots?failOnError=true")
    assert base == "https://app.example/api"
    assert status_url(base, "t", "r", fail_on_error=True) == URL + "?failOnError=true"
    assert status_url(base, "t", "r") == URL
