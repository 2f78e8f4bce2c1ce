"""A tenant admin's Access tab: verify the tenant and see what was found, get the admin consent link,
grant a role and revoke it; every change goes through the API and lands in the audit trail. A reader
has no such tab."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from local.apptesting import READER_A, App
from tests.console.conftest import ADMIN_A, screenshot, sign_in

pytestmark = pytest.mark.slow


def test_an_admin_verifies_the_tenant_and_grants_then_revokes_a_role(page: Page, console_app: App) -> None:
    tenant = console_app.tenant_a
    newcomer = f"user:{uuid.uuid4()}"
    sign_in(page, ADMIN_A, f"/tenants/{tenant}/access")

    page.get_by_role("button", name="Verify now").click()
    expect(page.get_by_role("button", name="Verify now")).to_be_enabled()
    health = console_app.get(f"api/tenants/{tenant}", ADMIN_A).json()["health"]
    assert health["checkedAt"] is not None
    expect(page.locator(".access dl .badge")).to_have_text(health["status"].replace("_", " "))

    page.get_by_role("button", name="Admin consent link").click()
    link = page.get_by_label("Send this to the customer's Global Administrator, then verify")
    expect(link).to_have_value(re.compile(rf"^https://.+/{tenant}/adminconsent\?client_id="))

    members = page.get_by_role("region", name="Members")
    members.get_by_label("Principal (user:<object id> or app:<client id>)").fill(newcomer)
    members.get_by_label("Role").select_option("operator")
    members.get_by_role("button", name="Grant").click()
    row = members.locator("tr", has_text=newcomer)
    expect(row).to_contain_text("operator")
    granted = console_app.get(f"api/tenants/{tenant}/members/{newcomer}", ADMIN_A)
    assert (granted.status_code, granted.json()["role"]) == (200, "operator")
    screenshot(page, "17-tenant-access", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_have_count(0)
    assert console_app.get(f"api/tenants/{tenant}/members/{newcomer}", ADMIN_A).status_code == 404
    audit = console_app.get(f"api/tenants/{tenant}/audit", ADMIN_A, params={"action": "membership.granted"})
    revoked = console_app.get(f"api/tenants/{tenant}/audit", ADMIN_A, params={"action": "membership.revoked"})
    events = [e for e in audit.json()["items"] + revoked.json()["items"] if _names(e, newcomer)]
    assert sorted(e["action"] for e in events) == ["membership.granted", "membership.revoked"]
    assert all(e["details"]["actorName"] for e in events)


def _names(event: dict[str, Any], principal: str) -> bool:
    """The audit event's change is about `principal` (its record before or after)."""
    details = event["details"]
    return any(isinstance(side, dict) and side.get("principal") == principal
               for side in (details.get("before"), details.get("after")))


def test_a_reader_has_no_access_tab(page: Page, console_app: App) -> None:
    sign_in(page, READER_A, f"/tenants/{console_app.tenant_a}/runs")
    expect(page.get_by_role("link", name="Runs")).to_be_visible()
    expect(page.get_by_role("link", name="Access")).to_have_count(0)
    page.goto(f"/tenants/{console_app.tenant_a}/access")
    expect(page.get_by_text("No such section.")).to_be_visible()
