"""The policy diff route on the devhost: capture, change one setting in graphsim, capture again, and the
diff names exactly that setting; defaults, another policy's version and bad input as problems."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from local.apptesting import CONFIGURATIONS, OPERATOR_A, OPERATOR_B, READER_A, App
from local.graphsim.testing import GraphSim
from tests.e2e import trail


def _capture(app: App, policy_id: str) -> str:
    started = app.post(app.capture_path(app.tenant_a, policy_id), OPERATOR_A)
    assert started.status_code == 202, started.text
    ended = app.wait_until_ended(started.headers["Location"], OPERATOR_A)
    assert ended.json()["status"] == "succeeded", ended.text
    items = app.get(f"api/tenants/{app.tenant_a}/runs/{started.json()['id']}/items", OPERATOR_A).json()
    return str(items["items"][0]["versionId"])


def _problem(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == code


@pytest.fixture(scope="module")
def changed_policy(app: App) -> dict[str, Any]:
    """A policy captured twice, with `passwordMinimumLength` changed from 8 to 14 in between."""
    policy_id = app.new_policy(app.tenant_a, passwordMinimumLength=8)
    first = _capture(app, policy_id)
    app.graphsim.admin.patch_object(app.tenant_a, CONFIGURATIONS, policy_id, {"passwordMinimumLength": 14})
    second = _capture(app, policy_id)
    return {"id": policy_id, "first": first, "second": second}


def _diff_path(app: App, policy_id: str) -> str:
    return f"api/tenants/{app.tenant_a}/policies/deviceConfigurations/{policy_id}/diff"


def test_diff_between_two_captures_shows_exactly_the_changed_setting(
    app: App, clean_graph: GraphSim, changed_policy: dict[str, Any]
) -> None:
    path = _diff_path(app, changed_policy["id"])
    params = {"from": changed_policy["first"], "to": changed_policy["second"]}
    answer = app.get(path, READER_A, params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["changes"] == [
        {"op": "changed", "path": "passwordMinimumLength", "before": 8, "after": 14}
    ]
    assert body["summary"] == {"added": 0, "removed": 0, "changed": 1, "notComparable": 0}
    assert body["unchanged"] is False
    assert (body["from"]["id"], body["to"]["id"]) == (changed_policy["first"], changed_policy["second"])
    assert body["to"]["previousVersionId"] == changed_policy["first"]

    defaulted = app.get(path, READER_A).json()
    assert defaulted["from"]["id"] == changed_policy["first"]
    assert defaulted["to"]["id"] == changed_policy["second"]
    assert defaulted["changes"] == body["changes"]

    backwards = app.get(path, READER_A, params={"from": params["to"], "to": params["from"]}).json()
    assert backwards["changes"][0]["before"] == 14 and backwards["changes"][0]["after"] == 8
    same = app.get(path, READER_A, params={"from": params["to"], "to": params["to"]}).json()
    assert same["unchanged"] is True and same["changes"] == []


def test_versions_of_another_policy_unknown_types_and_bad_ids_are_problems(
    app: App, clean_graph: GraphSim, changed_policy: dict[str, Any]
) -> None:
    other_id = app.new_policy(app.tenant_a)
    only_version = _capture(app, other_id)
    mixed = {"from": only_version, "to": changed_policy["second"]}
    _problem(app.get(_diff_path(app, changed_policy["id"]), READER_A, params=mixed), 404, "version.not_found")
    _problem(app.get(_diff_path(app, other_id), READER_A), 404, "version.not_found")
    _problem(app.get(_diff_path(app, app.new_policy(app.tenant_a)), READER_A), 404, "version.not_found")
    unknown_type = f"api/tenants/{app.tenant_a}/policies/noSuchType/{changed_policy['id']}/diff"
    _problem(app.get(unknown_type, READER_A), 404, "policy.unknown_type")
    _problem(app.get(_diff_path(app, changed_policy["id"]), READER_A, params={"to": "x" * 65}),
             400, "request.invalid_query")
    _problem(app.get(_diff_path(app, changed_policy["id"]), READER_A, params={"from": "nope"}),
             404, "version.not_found")


def test_diff_is_tenant_scoped(app: App, changed_policy: dict[str, Any]) -> None:
    since = trail.now()
    _problem(app.get(_diff_path(app, changed_policy["id"]), OPERATOR_B), 403, "auth.forbidden")
    anonymous = requests.get(app.devhost.url(_diff_path(app, changed_policy["id"])), timeout=30)
    _problem(anonymous, 401, "auth.missing_token")
    assert trail.denials(app, app.tenant_a, READER_A, since) == [
        (app.principal_key(OPERATOR_B), "policy.versions.diff", "auth.forbidden"),
        ("anonymous", "policy.versions.diff", "auth.missing_token"),
    ]
