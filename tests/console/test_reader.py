"""A reader sees what a reader may do: no backup, restore, snapshot or schedule controls; and a restore
forced by its URL shows the role it needs, or the API's 403 where the reader holds no role at all."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from local.apptesting import READER_A, App
from tests.console.conftest import screenshot, sign_in, tenant_name

pytestmark = pytest.mark.browser


def test_a_reader_is_offered_no_action_a_reader_may_not_take(page: Page, console_app: App) -> None:
    tenant = console_app.tenant_a
    sign_in(page, READER_A)
    expect(page.locator("table.fleet tbody tr")).to_have_count(1)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(page.get_by_role("button", name="Back up selected")).to_have_count(0)
    expect(page.locator("table.fleet tbody td").get_by_text("…")).to_have_count(0)
    screenshot(page, "09-fleet-reader")

    page.get_by_role("link", name=tenant_name(console_app, tenant)).click()
    expect(page.get_by_role("link", name="Runs")).to_be_visible()
    expect(page.get_by_role("button", name="Back up now")).to_have_count(0)
    expect(page.get_by_role("link", name="Restore…")).to_have_count(0)
    page.get_by_role("link", name="Schedules").click()
    expect(page.get_by_role("button", name="New schedule")).to_have_count(0)
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    page.get_by_role("link", name="Backups").click()
    expect(page.get_by_role("link", name="Restore from this")).to_have_count(0)

    page.goto(f"/tenants/{tenant}/restore")
    expect(page.get_by_role("note")).to_contain_text("needs the operator role")
    expect(page.get_by_role("button", name="Preview the restore")).to_have_count(0)


def test_a_restore_forced_on_a_tenant_without_a_role_shows_the_apis_403(page: Page, console_app: App) -> None:
    sign_in(page, READER_A, f"/tenants/{console_app.tenant_b}/restore")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not allowed")
    expect(alert).to_contain_text("HTTP 403 · auth.forbidden")
    expect(page.get_by_role("button", name="Preview the restore")).to_have_count(0)
    screenshot(page, "10-restore-forbidden")
