"""Where a webhook's host resolves is checked before each delivery (pure logic: the resolver is given)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.alerts.subscriptions import UnsafeTarget, check_resolved_target


def _resolver(*addresses: str) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        assert port == 443
        return list(addresses)

    return resolve


@pytest.mark.parametrize("address", ["20.50.2.1", "2603:1020::1"])
def test_a_public_address_is_sent_to(address: str) -> None:
    check_resolved_target(
        "https://hooks.example.com/x", allow_loopback_http=False, resolve=_resolver(address)
    )


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.5",
        "127.0.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1%eth0",
        "::ffff:10.0.0.1",
        "224.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address the target resolves to, not a bind
    ],
)
def test_a_name_resolving_inside_the_network_is_refused_for_good(address: str) -> None:
    with pytest.raises(UnsafeTarget) as refused:
        check_resolved_target(
            "https://hooks.example.com/x", allow_loopback_http=False, resolve=_resolver("20.50.2.1", address)
        )
    assert refused.value.final and "private or loopback" in str(refused.value)


def test_a_name_that_does_not_resolve_is_tried_again_later() -> None:
    def fails(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(UnsafeTarget) as refused:
        check_resolved_target("https://hooks.example.com/x", allow_loopback_http=False, resolve=fails)
    assert not refused.value.final


def test_a_loopback_receiver_is_allowed_only_in_local_mode() -> None:
    check_resolved_target(
        "http://127.0.0.1:8080/hook", allow_loopback_http=True, resolve=_resolver("1.1.1.1")
    )
    with pytest.raises(UnsafeTarget):
        check_resolved_target(
            "https://localhost/hook", allow_loopback_http=False, resolve=_resolver("127.0.0.1")
        )
