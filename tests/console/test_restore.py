"""An admin restores a changed policy with the wizard: preview, review with the diff, a live button that
stays off until the tenant's name is typed, the live run, its audit trail. And schedules are edited."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from local.apptesting import SETTINGS_CATALOG, App
from tests.console.conftest import ADMIN_A, backed_up, change_a_setting, screenshot, sign_in, tenant_name

pytestmark = pytest.mark.slow


def test_the_wizard_previews_confirms_by_name_restores_live_and_shows_the_audit(
    page: Page, console_app: App
) -> None:
    tenant = console_app.tenant_a
    name = tenant_name(console_app, tenant)
    backup = backed_up(console_app, tenant, ADMIN_A)
    changed = change_a_setting(console_app, tenant)

    sign_in(page, ADMIN_A, f"/tenants/{tenant}/backups")
    page.locator("table tbody tr").filter(has=page.locator(f'a[href$="/backups/{backup["id"]}"]')) \
        .get_by_role("link", name="Restore from this").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Restore into {name}")
    expect(page.get_by_label("Backup set")).to_have_value(backup["id"])
    screenshot(page, "04-restore-source")
    page.get_by_role("button", name="Preview the restore").click()
    expect(page).to_have_url(re.compile(r"\?preview="))

    review = page.locator("table.review")
    expect(review).to_be_visible(timeout=90_000)
    page.get_by_label("Action").select_option("update")
    row = review.locator("tbody tr").filter(has_text=changed.policy_name)
    expect(row.get_by_role("checkbox")).to_be_checked()
    row.get_by_role("button", name="Show diff").click()
    setting = page.locator("table.diff-table .setting-name").filter(has_text=changed.setting_name)
    expect(setting).to_be_visible()
    screenshot(page, "05-restore-review", full_page=True)

    live = page.get_by_role("button", name="Restore live")
    expect(live).to_be_disabled()
    page.get_by_label(re.compile("Type the tenant name")).fill(name.upper() + "x")
    expect(live).to_be_disabled()
    page.get_by_label(re.compile("Type the tenant name")).fill(name)
    expect(live).to_be_enabled()
    screenshot(page, "06-restore-confirm")
    live.click()

    expect(page).to_have_url(re.compile(r"&live="))
    expect(page.locator(".run-status-line .badge")).to_have_text("succeeded", timeout=90_000)
    trail = page.locator("table.audit")
    expect(trail).to_be_visible()
    expect(trail.get_by_text("restore.write")).to_have_count(1)
    expect(trail.get_by_text("restore.live.finished")).to_have_count(1)
    screenshot(page, "07-restore-live-audit", full_page=True)

    restored = console_app.graphsim.admin.tenant_state(tenant)["collections"][SETTINGS_CATALOG]
    policy = next(p for p in restored if p["id"] == changed.policy_id)
    values = [s["settingInstance"].get("choiceSettingValue", {}).get("value") for s in policy["settings"]]
    assert changed.old_value in values and changed.new_value not in values


def test_an_admin_creates_and_edits_a_schedule(page: Page, console_app: App) -> None:
    sign_in(page, ADMIN_A, f"/tenants/{console_app.tenant_a}/schedules")
    page.get_by_role("button", name="New schedule").click()
    page.get_by_label("Cron (six fields, seconds first)").fill("0 30 1 * * *")
    page.get_by_label("Time zone (IANA)").fill("Europe/Berlin")
    page.get_by_label("Keep last (backup sets)").fill("7")
    page.get_by_role("button", name="Save").click()
    row = page.locator("table tbody tr").filter(has_text="0 30 1 * * *")
    expect(row).to_contain_text("Europe/Berlin")
    expect(row).to_contain_text("last 7")
    row.get_by_role("button", name="Edit").click()
    page.get_by_label("Time zone (IANA)").fill("Europe/Vienna")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("table tbody tr").filter(has_text="0 30 1 * * *")).to_contain_text("Europe/Vienna")
    screenshot(page, "08-schedules-admin")
