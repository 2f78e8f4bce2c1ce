"""An operator of tenant A: the fleet shows A only; a backup started there runs to its end on the run page;
the bell's notification opens that page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from local.apptesting import OPERATOR_A, App
from tests.console.conftest import screenshot, sign_in, tenant_name

pytestmark = pytest.mark.slow

LAYOUT_SHIFTS = """() => {
  window.layoutShift = 0;
  window.shifted = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      window.layoutShift += entry.value;
      window.shifted.push(...entry.sources.map((s) => `${s.node?.nodeName}.${s.node?.className}`));
    }
  }).observe({ type: "layout-shift" });
}"""
"""Sums the page's layout shifts from now on, with what moved (the Layout Instability API, as CLS counts)."""


def test_an_operator_backs_up_their_tenant_and_follows_its_run(page: Page, console_app: App) -> None:
    name_a = tenant_name(console_app, console_app.tenant_a)
    name_b = tenant_name(console_app, console_app.tenant_b)
    sign_in(page, OPERATOR_A)
    fleet = page.locator("table.fleet tbody tr")
    expect(fleet).to_have_count(1)
    expect(fleet.first).to_contain_text(name_a)
    expect(page.get_by_text(name_b)).to_have_count(0)
    health = console_app.get(f"api/tenants/{console_app.tenant_a}", OPERATOR_A).json()["health"]["status"]
    expect(fleet.first.locator("td .badge").nth(1)).to_have_text(health.replace("_", " "))
    screenshot(page, "01-fleet-operator")

    page.get_by_label(f"Select {name_a}").check()
    page.get_by_role("button", name="Back up selected (1)").click()
    page.get_by_role("link", name="view run").click()
    expect(page).to_have_url(re.compile(rf"/tenants/{console_app.tenant_a}/runs/[^/]+$"))
    run_id = page.url.rsplit("/", 1)[1]
    page.evaluate(LAYOUT_SHIFTS)
    expect(page.locator(".run-status-line .badge")).to_have_text("succeeded", timeout=90_000)
    moved = page.evaluate("window.shifted")
    assert page.evaluate("window.layoutShift") < 0.01, f"moved while the run updated: {moved}"
    run = console_app.get(f"api/tenants/{console_app.tenant_a}/runs/{run_id}", OPERATOR_A).json()
    assert run["counters"]["succeeded"] > 0
    for counter in ("total", "processed", "succeeded", "failed"):
        expect(page.locator(f'[data-counter="{counter}"]')).to_have_text(str(run["counters"][counter]))
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("table.items-table tbody tr").first).to_be_visible()
    screenshot(page, "02-run-succeeded")

    page.goto("/")
    bell = page.get_by_role("button", name=re.compile(r"Notifications, [1-9]\d* unread"))
    expect(bell).to_be_visible()
    bell.click()
    panel = page.get_by_role("region", name="Notifications")
    panel.get_by_role("link", name=re.compile("succeeded")).first.click()
    expect(page).to_have_url(re.compile(rf"/tenants/{console_app.tenant_a}/runs/{run_id}$"))
    expect(page.locator(".run-status-line .badge")).to_have_text("succeeded")


def test_an_operator_cancels_their_running_backup(page: Page, console_app: App) -> None:
    """Graph answers slowly, so the backup is still running when the button is pressed."""
    tenant = console_app.tenant_a
    console_app.graphsim.admin.set_latency(base_ms=400)
    try:
        started = console_app.post(f"api/tenants/{tenant}/backups", OPERATOR_A).json()
        sign_in(page, OPERATOR_A, f"/tenants/{tenant}/runs/{started['id']}")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Cancel run").click()
        expect(page.locator(".run-status-line .badge")).to_have_text("cancelled")
        expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
    finally:
        console_app.graphsim.admin.set_latency(base_ms=0)
    run = console_app.get(f"api/tenants/{tenant}/runs/{started['id']}", OPERATOR_A).json()
    assert run["status"] == "cancelled"
