"""A read-only client (restore preview) refuses every write before it asks for a token or opens a socket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest

from shared.graph import BatchRequest, ClientSecret, GraphClient, GraphClientConfig, ReadOnlyViolation
from shared.graph.auth import TokenProvider


def _no_io(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise AssertionError("a read-only refusal must happen before any token request or network call")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphClient]:
    config = GraphClientConfig(
        graph_base_url="https://127.0.0.1:9",
        login_base_url="https://127.0.0.1:9",
        tenant_id="00000000-0000-0000-0000-000000000001",
        client_id="00000000-0000-0000-0000-000000000002",
        credential=ClientSecret("not-used-secret"),
        read_only=True,
    )
    provider = TokenProvider(config)
    monkeypatch.setattr(provider, "access_token", _no_io)
    monkeypatch.setattr(provider.session, "request", _no_io)
    yield GraphClient(config, token_provider=provider, sleep=_no_io)
    provider.session.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.post("/deviceManagement/deviceConfigurations", {"displayName": "x"}),
        lambda c: c.patch("/deviceManagement/deviceConfigurations/1", {"displayName": "x"}),
        lambda c: c.put("/deviceManagement/configurationPolicies/1", {}),
        lambda c: c.delete("/deviceManagement/deviceConfigurations/1"),
    ],
    ids=["post", "patch", "put", "delete"],
)
def test_writes_are_refused(client: GraphClient, call: Callable[[GraphClient], Any]) -> None:
    with pytest.raises(ReadOnlyViolation, match="read-only"):
        call(client)


def test_a_batch_with_one_write_anywhere_is_refused_whole(client: GraphClient) -> None:
    requests = [BatchRequest(str(n), "GET", f"/deviceManagement/deviceConfigurations/{n}") for n in range(30)]
    requests.append(BatchRequest("w", "patch", "/deviceManagement/deviceConfigurations/1", body={}))
    with pytest.raises(ReadOnlyViolation) as caught:
        client.batch(requests)
    assert (caught.value.method, caught.value.path) == ("PATCH", "/deviceManagement/deviceConfigurations/1")
