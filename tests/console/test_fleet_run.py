"""A person who operates two tenants backs both up in one fleet backup from the fleet page, follows
the fleet run to its end on its own page, and opens a tenant's own run from it; a second fleet backup,
with Graph slowed, is cancelled from the same page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from local.apptesting import App
from local.tokens import demo_object_id
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.tenants import TenantRegistry
from tests.console.conftest import ADMIN_A, screenshot, sign_in, tenant_name

pytestmark = pytest.mark.slow


@pytest.fixture
def two_tenants(console_app: App) -> Iterator[None]:
    """ADMIN_A operates tenant B too, for this test only (the other tests see their fixed roles)."""
    memberships = MembershipStore(console_app.storage, TenantRegistry(console_app.storage))
    principal = f"user:{demo_object_id(ADMIN_A)}"
    memberships.grant(principal, console_app.tenant_b, Role.OPERATOR, "console-tests")
    yield
    memberships.revoke(principal, console_app.tenant_b)


def _back_up_both(page: Page, app: App) -> str:
    page.get_by_label(f"Select {tenant_name(app, app.tenant_a)}").check()
    page.get_by_label(f"Select {tenant_name(app, app.tenant_b)}").check()
    page.get_by_role("button", name="Back up selected (2)").click()
    expect(page).to_have_url(re.compile(r"/fleet/runs/[^/]+$"))
    expect(page.get_by_role("heading", name="Fleet backup")).to_be_visible()
    return page.url.rsplit("/", 1)[1]


def test_a_fleet_backup_from_the_fleet_page_is_followed_to_its_end(
    page: Page, console_app: App, two_tenants: None
) -> None:
    sign_in(page, ADMIN_A)
    fleet_id = _back_up_both(page, console_app)
    rows = page.locator("table.fleet-run tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(".run-status-line .badge")).to_have_text("succeeded", timeout=120_000)
    run = console_app.get(f"api/fleet/runs/{fleet_id}", ADMIN_A).json()
    assert (run["status"], run["counters"]["succeeded"]) == ("succeeded", 2)
    for tenant in run["tenants"]:
        row = page.locator(f'tr[data-tenant="{tenant["tenantId"]}"]')
        expect(row.locator(".badge")).to_have_text("succeeded")
        counters = tenant["run"]["counters"]
        expect(row).to_contain_text(f"{counters['succeeded']} of {counters['total']}")
    expect(page.get_by_role("button", name="Cancel fleet run")).to_have_count(0)
    screenshot(page, "18-fleet-run-succeeded")
    first = run["tenants"][0]
    page.locator(f'tr[data-tenant="{first["tenantId"]}"] td a').click()
    expect(page).to_have_url(re.compile(rf"/tenants/{first['tenantId']}/runs/{first['runId']}$"))


def test_a_running_fleet_backup_is_cancelled_from_its_page(
    page: Page, console_app: App, two_tenants: None
) -> None:
    console_app.graphsim.admin.set_latency(base_ms=1500)
    try:
        sign_in(page, ADMIN_A)
        fleet_id = _back_up_both(page, console_app)
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Cancel fleet run").click()
        expect(page.locator(".run-status-line .badge")).to_have_text("cancelled")
        expect(page.locator("table.fleet-run tbody .badge")).to_have_text(["cancelled", "cancelled"])
        screenshot(page, "19-fleet-run-cancelled")
    finally:
        console_app.graphsim.admin.set_latency(base_ms=0)
    run = console_app.get(f"api/fleet/runs/{fleet_id}", ADMIN_A).json()
    assert run["status"] == "cancelled" and {t["run"]["status"] for t in run["tenants"]} == {"cancelled"}
