"""HTTP triggers on a real devhost: routes, constraints, methods, auth levels, conversion, errors, logs."""

from __future__ import annotations

import uuid

import requests

from local.devhost.testing import DevhostProcess


def _get(host: DevhostProcess, path: str, **kwargs: object) -> requests.Response:
    return requests.get(host.url(path), timeout=10, **kwargs)  # type: ignore[arg-type]


def test_route_parameters_and_constraints(plain_host: DevhostProcess) -> None:
    key = {"x-functions-key": plain_host.keys.function_default}
    assert _get(plain_host, "api/hello/World").text == "Hello, World!"
    assert _get(plain_host, "api/hello/W0rld").status_code == 404  # alpha constraint
    full = _get(plain_host, "api/items/7/shelf?q=1", headers=key).json()
    assert full["route_params"] == {"id": "7", "label": "shelf"}
    assert full["params"] == {"q": "1"}
    assert _get(plain_host, "api/items/7", headers=key).json()["route_params"] == {"id": "7"}  # optional
    assert _get(plain_host, "api/items/seven", headers=key).status_code == 404  # int constraint
    thing = str(uuid.uuid4())
    assert _get(plain_host, f"api/things/{thing}").json()["route_params"] == {"id": thing}
    assert _get(plain_host, "api/things/latest").text == "latest"  # literal wins over a parameter
    assert _get(plain_host, "api/things/not-a-guid").status_code == 404
    assert _get(plain_host, "api/status/418").status_code == 418
    assert _get(plain_host, "api/status/700").status_code == 404  # range constraint
    assert _get(plain_host, "api/no-such-route").status_code == 404
    assert _get(plain_host, "hello/World").status_code == 404  # routes live under the prefix


def test_methods_request_and_response_conversion(plain_host: DevhostProcess) -> None:
    key = {"x-functions-key": plain_host.keys.function_default, "x-sample": "header-value"}
    posted = requests.post(plain_host.url("api/items/3"), data=b'{"a": 1}', headers=key, timeout=10)
    assert posted.status_code == 200
    assert posted.headers["x-echo"] == "yes"
    assert posted.headers["content-type"] == "application/json"
    echo = posted.json()
    assert echo["method"] == "POST"
    assert echo["body"] == '{"a": 1}'
    assert echo["header"] == "header-value"
    assert echo["url"] == plain_host.url("api/items/3")
    assert requests.delete(plain_host.url("api/items/3"), headers=key, timeout=10).status_code == 404
    assert requests.post(plain_host.url("api/hello/World"), timeout=10).status_code == 404  # GET only
    text = _get(plain_host, "api/text")
    assert (text.status_code, text.text) == (200, "plain text")
    assert text.headers["content-type"].startswith("text/plain")


def test_header_bytes_that_are_not_utf8_reach_the_app_widened(plain_host: DevhostProcess) -> None:
    """aiohttp keeps them as surrogate escapes, which the protocol cannot carry: a 500 before this."""
    key = plain_host.keys.function_default
    echo = _get(plain_host, "api/items/1", headers={"x-functions-key": key, "x-sample": b"\xff\xfe ok"})
    assert echo.status_code == 200
    assert echo.json()["header"] == "\xff\xfe ok"
    utf8 = _get(plain_host, "api/items/1", headers={"x-functions-key": key, "x-sample": "é".encode()})
    assert utf8.json()["header"] == "é"


def test_a_host_header_that_names_no_host_is_a_400(plain_host: DevhostProcess) -> None:
    key = plain_host.keys.function_default
    for host in ("x:99999", "127.0.0.1:1/../x"):
        answer = _get(plain_host, "api/items/1", headers={"x-functions-key": key, "Host": host})
        assert (answer.status_code, answer.text) == (400, "Bad Request: invalid Host header"), host
    echo = _get(plain_host, "api/items/1", headers={"x-functions-key": key, "Host": "example.test:8080"})
    assert echo.json()["url"] == "http://example.test:8080/api/items/1"


def test_admin_functions_lists_what_the_worker_indexed(plain_host: DevhostProcess) -> None:
    listing = plain_host.url("admin/functions")
    assert requests.get(listing, timeout=10).status_code == 401
    function_key = {"x-functions-key": plain_host.keys.function_default}
    assert requests.get(listing, headers=function_key, timeout=10).status_code == 401
    answer = requests.get(listing, headers={"x-functions-key": plain_host.keys.master}, timeout=10)
    functions = {f["name"]: f for f in answer.json()}
    items = functions["items"]
    trigger = next(b for b in items["config"]["bindings"] if b["type"] == "httpTrigger")
    assert (trigger["route"], sorted(trigger["methods"])) == ("items/{id:int}/{label?}", ["GET", "POST"])
    assert items["invoke_url_template"] == plain_host.url("api/items/{id:int}/{label?}")
    assert {"hello", "things", "latest_thing", "admin_only", "boom"} <= set(functions)
    for function in functions.values():
        types = {binding["type"] for binding in function["config"]["bindings"]}
        assert ("invoke_url_template" in function) == ("httpTrigger" in types)
    assert "yearly_with_startup" in functions


def test_auth_levels(plain_host: DevhostProcess) -> None:
    keys = plain_host.keys
    assert _get(plain_host, "api/items/1").status_code == 401
    assert _get(plain_host, "api/items/1", headers={"x-functions-key": "wrong"}).status_code == 401
    assert _get(plain_host, "api/items/1", params={"code": keys.function_default}).status_code == 200
    assert _get(plain_host, "api/items/1", headers={"x-functions-key": keys.master}).status_code == 200
    assert (
        _get(plain_host, "api/admin-only", headers={"x-functions-key": keys.function_default}).status_code
        == 401
    )
    assert _get(plain_host, "api/admin-only", headers={"x-functions-key": keys.master}).text == "admin ok"
    keys_file = plain_host.state_dir / "host-keys.json"
    assert keys_file.stat().st_mode & 0o077 == 0


def test_exception_is_500_without_details_and_logged(plain_host: DevhostProcess) -> None:
    answer = _get(plain_host, "api/boom")
    assert answer.status_code == 500
    assert "secret-detail" not in answer.text
    assert "Traceback" not in answer.text
    assert "secret-detail-that-must-not-leak" in plain_host.log_text()


def test_sync_functions_on_pool_async_on_loop_with_context(plain_host: DevhostProcess) -> None:
    """Functions run in the worker process, sync ones on its pool; the worker gives the context."""
    where = _get(plain_host, "api/thread").json()
    assert where["mainThread"] is False
    assert where["pid"] != plain_host.process.pid
    context = _get(plain_host, "api/async-sleep").json()
    assert context["function"] == "async_sleep"
    assert f"Id={uuid.UUID(context['id'])}" in plain_host.log_text()


def test_settings_reach_the_app(plain_host: DevhostProcess) -> None:
    assert _get(plain_host, "api/setting/SAMPLE_SETTING").text == "from-settings"


def test_one_log_line_per_invocation_without_secrets(plain_host: DevhostProcess) -> None:
    marker = uuid.uuid4().hex
    headers = {"x-functions-key": plain_host.keys.function_default, "x-sample": marker}
    requests.post(
        plain_host.url(f"api/items/9?q={marker}"), data=marker.encode(), headers=headers, timeout=10
    )
    lines = [line for line in plain_host.log_text().splitlines() if "Functions.items" in line]
    assert lines, "the invocation was not logged"
    assert "Succeeded" in lines[-1] and "Duration=" in lines[-1] and "Id=" in lines[-1]
    log = plain_host.log_text()
    assert marker not in log
    for secret in (
        plain_host.keys.function_default,
        plain_host.keys.master,
        plain_host.keys.durable_extension,
    ):
        assert secret not in log


def test_function_logs_reach_the_host_with_their_invocation_id(plain_host: DevhostProcess) -> None:
    """A record a function writes comes back as the worker's RpcLog, filed under its invocation."""
    marker = uuid.uuid4().hex
    invocation_id = _get(plain_host, f"api/log/{marker}").text
    uuid.UUID(invocation_id)
    lines = plain_host.log_text().splitlines()
    logged = [line for line in lines if f"marker {marker}" in line]
    assert len(logged) == 1
    assert "WARNING Function.log_marker" in logged[0] and f"(Id={invocation_id})" in logged[0]
    assert any(f"Functions.log_marker' (Succeeded, Id={invocation_id}" in line for line in lines)

