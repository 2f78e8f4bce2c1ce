"""Durable Functions through the devhost: the real DurableOrchestrationClient (inside the sample app's HTTP
functions) talks to the devhost's management API, and the status URLs answer callers as on Azure."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests

from local.devhost.engine.history import parse_time
from local.devhost.testing import DevhostProcess, poll_status
from tests.polling import wait_until


def _key(host: DevhostProcess) -> dict[str, str]:
    return {"x-functions-key": host.keys.function_default}


def _start(host: DevhostProcess, name: str, body: Any = None, instance_id: str = "") -> requests.Response:
    path = f"api/start/{name}/{instance_id}" if instance_id else f"api/start/{name}"
    answer = requests.post(host.url(path), json=body, headers=_key(host), timeout=60)
    assert answer.status_code == 202, answer.text
    return answer


def _run(host: DevhostProcess, name: str, body: Any = None, timeout: float = 60) -> dict[str, Any]:
    final = poll_status(_start(host, name, body).headers["Location"], timeout=timeout)
    status: dict[str, Any] = final.json()
    return status


def _client_status(host: DevhostProcess, instance_id: str) -> requests.Response:
    return requests.get(host.url(f"api/status/{instance_id}"), headers=_key(host), timeout=30)


def _wait_running(host: DevhostProcess, instance_id: str) -> None:
    wait_until(
        lambda: _client_status(host, instance_id).json().get("runtimeStatus") == "Running",
        message=f"{instance_id} to run",
    )


def _completed(host: DevhostProcess, instance_id: str) -> dict[str, Any] | None:
    status: dict[str, Any] = _client_status(host, instance_id).json()
    return status if status["runtimeStatus"] == "Completed" else None


def test_check_status_response_and_polling(durable_host: DevhostProcess) -> None:
    started = _start(durable_host, "hello_sequence")
    payload = started.json()
    assert started.headers["Location"] == payload["statusQueryGetUri"]
    assert started.headers["Retry-After"] == "10"
    assert set(payload) >= {
        "id",
        "statusQueryGetUri",
        "sendEventPostUri",
        "terminatePostUri",
        "purgeHistoryDeleteUri",
    }
    assert payload["statusQueryGetUri"].startswith(
        durable_host.base_url + "/runtime/webhooks/durabletask/instances/"
    )
    assert payload["id"] in payload["statusQueryGetUri"]
    assert f"code={durable_host.keys.durable_extension}" in payload["statusQueryGetUri"]
    final = poll_status(payload["statusQueryGetUri"])
    assert final.status_code == 200
    assert final.json()["runtimeStatus"] == "Completed"
    assert final.json()["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    through_client = _client_status(durable_host, payload["id"]).json()
    assert through_client["runtimeStatus"] == "Completed"


def test_status_url_codes(durable_host: DevhostProcess) -> None:
    waiting = _start(durable_host, "wait_for_go").json()
    _wait_running(durable_host, waiting["id"])
    running = requests.get(waiting["statusQueryGetUri"], timeout=30)
    assert running.status_code == 202
    assert running.headers["Location"] == waiting["statusQueryGetUri"]
    assert running.headers["Retry-After"] == "10"
    failed = _start(durable_host, "fail_now").json()["statusQueryGetUri"]
    assert poll_status(failed).status_code == 200
    assert poll_status(failed).json()["runtimeStatus"] == "Failed"
    assert "failed on purpose" in str(poll_status(failed).json()["output"])
    assert requests.get(failed + "&returnInternalServerErrorOnFailure=true", timeout=30).status_code == 500
    unknown = waiting["statusQueryGetUri"].replace(waiting["id"], uuid.uuid4().hex)
    assert requests.get(unknown, timeout=30).status_code == 404
    without_key = waiting["statusQueryGetUri"].split("?")[0]
    assert requests.get(without_key, timeout=30).status_code == 401
    requests.post(durable_host.url(f"api/terminate/{waiting['id']}"), headers=_key(durable_host), timeout=30)
    assert poll_status(waiting["statusQueryGetUri"]).status_code == 200  # Terminated is 200


def test_client_get_status_of_unknown_is_falsy(durable_host: DevhostProcess) -> None:
    answer = _client_status(durable_host, uuid.uuid4().hex)
    assert (answer.status_code, answer.json()) == (404, {"found": False})


def test_query_by_prefix_and_status(durable_host: DevhostProcess) -> None:
    prefix = f"q-{uuid.uuid4().hex[:8]}-"
    for n in range(3):
        poll_status(_start(durable_host, "hello_sequence", instance_id=f"{prefix}{n}").headers["Location"])
    found = requests.get(
        durable_host.url("api/instances"),
        params={"prefix": prefix, "status": "Completed"},
        headers=_key(durable_host),
        timeout=30,
    )
    assert found.json() == [f"{prefix}{n}" for n in range(3)]


def test_200_concurrent_starts_of_one_id_run_one_instance(
    durable_host: DevhostProcess, sample_out: Any
) -> None:
    instance_id = f"dup-{uuid.uuid4().hex}"
    answer = requests.post(
        durable_host.url(f"api/start-many/wait_for_go/{instance_id}"),
        params={"count": "200"},
        headers=_key(durable_host),
        timeout=120,
    ).json()
    assert answer["started"] == 1
    assert len(answer["errors"]) == 199
    assert all("already exists" in error for error in answer["errors"])
    # Running means the first episode ran; the activity it scheduled may not have yet.
    runs = sample_out / f"runs-{instance_id}.txt"
    assert wait_until(lambda: runs.exists() and runs.read_text(), message="the first activity") == "run\n"
    raised = requests.post(
        durable_host.url(f"api/event/{instance_id}/go"), json={"n": 1}, headers=_key(durable_host), timeout=30
    )
    assert raised.json() == {"raised": True}
    status = wait_until(lambda: _completed(durable_host, instance_id), message=f"{instance_id} to complete")
    assert status["output"] == {"got": {"n": 1}}
    assert runs.read_text() == "run\n"


def test_start_of_a_finished_id_runs_it_again(durable_host: DevhostProcess) -> None:
    instance_id = f"again-{uuid.uuid4().hex}"
    for _ in range(2):
        final = poll_status(
            _start(durable_host, "hello_sequence", instance_id=instance_id).headers["Location"]
        )
        assert final.json()["runtimeStatus"] == "Completed"


@pytest.mark.slow
def test_fan_out_of_1000_activities(durable_host: DevhostProcess) -> None:
    status = _run(durable_host, "fan_out", {"count": 1000}, timeout=120)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == 2 * sum(range(1000))


def test_async_activities(durable_host: DevhostProcess) -> None:
    status = _run(durable_host, "fan_out", {"count": 20, "activity": "double_async"})
    assert status["output"] == 2 * sum(range(20))


def test_retry_that_ends_in_success(durable_host: DevhostProcess) -> None:
    spec = {"key": uuid.uuid4().hex, "failures": 2, "attempts": 3}
    status = _run(durable_host, "retry_flaky", spec)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == "succeeded on attempt 3"


def test_retry_that_ends_in_failure(durable_host: DevhostProcess, sample_out: Any) -> None:
    spec = {"key": uuid.uuid4().hex, "failures": 5, "attempts": 2}
    status = _run(durable_host, "retry_flaky", spec)
    assert status["runtimeStatus"] == "Failed"
    assert "attempt 2 failed on purpose" in str(status["output"])
    assert (sample_out / f"flaky-{spec['key']}.count").read_text() == "2"


def test_durable_timer(durable_host: DevhostProcess) -> None:
    location = _start(durable_host, "durable_timer", 1).headers["Location"]
    status = poll_status(location).json()
    assert (status["runtimeStatus"], status["output"]) == ("Completed", "fired")
    history = requests.get(f"{location}&showHistory=true", timeout=30).json()["historyEvents"]
    events = {event["EventType"]: event for event in history}
    assert list(events) == ["ExecutionStarted", "TimerCreated", "TimerFired", "ExecutionCompleted"]
    fire_at = parse_time(events["TimerCreated"]["FireAt"])
    # Armed for a second after the orchestrator ran, and not fired before that.
    assert fire_at - parse_time(events["ExecutionStarted"]["Timestamp"]) >= timedelta(seconds=1)
    assert parse_time(events["TimerFired"]["Timestamp"]) >= fire_at


def test_external_event(durable_host: DevhostProcess) -> None:
    instance_id = _start(durable_host, "wait_for_go").json()["id"]
    _wait_running(durable_host, instance_id)
    event = durable_host.url(f"api/event/{instance_id}/go")
    assert requests.post(event, json="green", headers=_key(durable_host), timeout=30).json() == {
        "raised": True
    }
    final = poll_status(
        durable_host.url(f"runtime/webhooks/durabletask/instances/{instance_id}")
        + f"?code={durable_host.keys.durable_extension}"
    )
    assert final.json()["output"] == {"got": "green"}
    gone = requests.post(event, json="late", headers=_key(durable_host), timeout=30).json()
    assert "is gone" in gone["error"]
    unknown = durable_host.url(f"api/event/{uuid.uuid4().hex}/go")
    assert (
        "No instance"
        in requests.post(unknown, json=1, headers=_key(durable_host), timeout=30).json()["error"]
    )


def test_terminate(durable_host: DevhostProcess) -> None:
    started = _start(durable_host, "wait_for_go").json()
    _wait_running(durable_host, started["id"])
    terminate = durable_host.url(f"api/terminate/{started['id']}")
    assert requests.post(terminate, headers=_key(durable_host), timeout=30).json() == {"terminated": True}
    final = poll_status(started["statusQueryGetUri"])
    assert final.json()["runtimeStatus"] == "Terminated"
    assert requests.post(terminate, headers=_key(durable_host), timeout=30).json() == {
        "terminated": True
    }  # 410
    unknown = durable_host.url(f"api/terminate/{uuid.uuid4().hex}")
    assert "No instance" in requests.post(unknown, headers=_key(durable_host), timeout=30).json()["error"]


def test_purge(durable_host: DevhostProcess) -> None:
    started = _start(durable_host, "hello_sequence").json()
    poll_status(started["statusQueryGetUri"])
    purge = durable_host.url(f"api/purge/{started['id']}")
    assert requests.delete(purge, headers=_key(durable_host), timeout=30).json() == {"deleted": 1}
    assert requests.get(started["statusQueryGetUri"], timeout=30).status_code == 404
    assert requests.delete(purge, headers=_key(durable_host), timeout=30).json() == {"deleted": 0}


def test_start_errors_on_the_public_api(durable_host: DevhostProcess) -> None:
    code = {"code": durable_host.keys.durable_extension}
    base = durable_host.url("runtime/webhooks/durabletask/orchestrators")
    unknown = requests.post(f"{base}/no_such_orchestrator", params=code, timeout=30)
    assert unknown.status_code == 400
    assert "doesn't exist" in unknown.json()["ExceptionMessage"]
    bad_id = requests.post(f"{base}/hello_sequence/@bad", params=code, timeout=30)
    assert bad_id.status_code == 400
    plain_json = requests.post(f"{base}/fan_out", params=code, json={"count": 3}, timeout=30)
    assert plain_json.status_code == 202
    assert poll_status(plain_json.headers["Location"]).json()["output"] == 6
    assert requests.post(f"{base}/hello_sequence", timeout=30).status_code == 401
    failing_starter = requests.post(
        durable_host.url("api/start/no_such_orchestrator"), headers=_key(durable_host), timeout=30
    )
    assert failing_starter.status_code == 500


def test_sub_orchestrations_with_and_without_retry(durable_host: DevhostProcess) -> None:
    status = _run(durable_host, "parent")
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == {"child": ["Hello Tokyo!", "Hello Seattle!", "Hello London!"], "fan_out": 20}
    child = _client_status(durable_host, f"{status['instanceId']}-child").json()
    assert child["runtimeStatus"] == "Completed"


def test_continue_as_new_and_custom_status(durable_host: DevhostProcess) -> None:
    status = _run(durable_host, "count_up", 0)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == 3
    assert status["customStatus"] == {"counter": 3}
