"""Every other page at 1280 px and on a tablet (768 px): the tenant's tabs, a backup set, the audit trail
with a filter; deep links open where they point; no page runs wider than the window."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from local.apptesting import OPERATOR_A, App
from tests.console.conftest import ADMIN_A, backed_up, screenshot, sign_in

pytestmark = pytest.mark.slow


def fits_the_window(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= page.viewport_size["width"] if page.viewport_size else False


def test_the_tenant_pages_open_by_deep_link_and_fit_the_window(page: Page, console_app: App) -> None:
    tenant = console_app.tenant_a
    run = backed_up(console_app, tenant, OPERATOR_A)
    sign_in(page, ADMIN_A, f"/tenants/{tenant}/runs?type=backup.tenant&status=succeeded")
    expect(page.get_by_label("Type")).to_have_value("backup.tenant")
    expect(page.get_by_label("Status")).to_have_value("succeeded")
    expect(page.locator(f'a[href="/tenants/{tenant}/runs/{run["id"]}"]')).to_be_visible()
    assert fits_the_window(page)
    screenshot(page, "11-tenant-runs")

    page.get_by_role("link", name="Inventory").click()
    expect(page.locator("table tbody tr").first).to_be_visible()
    assert fits_the_window(page)
    screenshot(page, "12-tenant-inventory")

    page.goto(f"/tenants/{tenant}/backups/{run['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Backup set")
    expect(page.locator("details.type-group").first).to_be_visible()
    screenshot(page, "13-backup-set")

    page.goto(f"/tenants/{tenant}/audit?action=backup.tenant.requested")
    expect(page.get_by_label("Action")).to_have_value("backup.tenant.requested")
    rows = page.locator("table.audit tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("table.audit tbody td:nth-child(2)")).to_have_text(
        ["backup.tenant.requested"] * rows.count()
    )
    screenshot(page, "14-tenant-audit")

    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(f"/tenants/{tenant}/runs/{run['id']}")
    expect(page.locator(".run-status-line .badge")).to_have_text("succeeded")
    expect(page.locator("table.items-table tbody tr").first).to_be_visible()
    assert fits_the_window(page)
    screenshot(page, "15-run-tablet")
    page.goto("/")
    expect(page.locator("table.fleet tbody tr")).to_have_count(1)
    assert fits_the_window(page)
    screenshot(page, "16-fleet-tablet")
