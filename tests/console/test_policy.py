"""A setting changed in Intune (graphsim), a backup taken again from the tenant page: the fleet counts one
change, the policy page shows the versions and the diff viewer names the changed setting, not raw JSON."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from local.apptesting import OPERATOR_A, App
from tests.console.conftest import backed_up, change_a_setting, screenshot, sign_in

pytestmark = pytest.mark.slow


def test_the_policy_page_shows_the_changed_setting_by_name(page: Page, console_app: App) -> None:
    tenant = console_app.tenant_a
    backed_up(console_app, tenant, OPERATOR_A)
    changed = change_a_setting(console_app, tenant)

    sign_in(page, OPERATOR_A, f"/tenants/{tenant}")
    page.get_by_role("button", name="Back up now").click()
    expect(page).to_have_url(re.compile(rf"/tenants/{tenant}/runs/[^/]+$"))
    expect(page.locator(".run-status-line .badge")).to_have_text("succeeded", timeout=90_000)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Fleet").click()
    row = page.locator(f'tr[data-tenant="{tenant}"]')
    expect(row.locator("td.num").nth(1)).to_have_text("1")
    row.get_by_role("link", name=console_app_name(console_app, tenant)).click()
    page.get_by_role("link", name="Inventory").click()
    page.get_by_label("Name starts with").fill(changed.policy_name)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=changed.policy_name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(changed.policy_name)
    expect(page.locator("table.timeline tbody tr")).not_to_have_count(1)
    expect(page.locator("table.timeline tbody tr").first.get_by_text("changed")).to_be_visible()

    change = page.locator("table.diff-table tbody tr").filter(has_text=changed.setting_name)
    expect(change).to_have_count(1)
    expect(change.locator(".setting-name")).to_have_text(changed.setting_name)
    expect(change.locator("td.before")).to_have_text(changed.old_value.rsplit("_", 1)[-1])
    expect(change.locator("td.after")).to_have_text(changed.new_value.rsplit("_", 1)[-1])
    expect(page.locator("table.diff-table")).not_to_contain_text("{")
    expect(page.get_by_role("button", name="Capture snapshot")).to_be_visible()
    screenshot(page, "03-policy-diff")


def console_app_name(app: App, tenant_id: str) -> str:
    return next(t.name for t in app.graphsim.tenants if t.id == tenant_id)
