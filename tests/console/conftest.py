"""Browser fixtures: the product app on a devhost (Azurite, graphsim, dev tokens) serving the built console,
and Debian's Chromium driven by Playwright for Python.

Tenants A and B are graphsim tenants registered in the app's storage. alice is operator and rita reader
on A, adam is admin on A, bob operator on B. Screenshots go to `.state/console-screenshots/` (git-ignored).
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from local.apptesting import OPERATOR_A, OPERATOR_B, READER_A, SETTINGS_CATALOG, App
from local.azurite import AzuriteEndpoints
from local.browser import chromium_path
from local.demo_support import flippable
from local.devhost.testing import REPO_ROOT, start_devhost
from local.graphsim.testing import GraphSim
from local.stack import GRAPHSIM_CREDENTIAL_REF, graphsim_settings
from local.tokens import demo_object_id, ensure_dev_signing_key
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.config.settings import DEV_AUDIENCE, DEV_AUTH_FOLDER, DEV_ISSUER
from shared.storage import StorageAccount, StorageConfig
from shared.tenants import TenantRegistry

ADMIN_A = "adam@msp.example"
SCREENSHOTS = REPO_ROOT / ".state" / "console-screenshots"
WIDTH, HEIGHT = 1280, 900
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")


@pytest.fixture(scope="session")
def console_build() -> Path:
    """The built console; built here when `make setup` has not (esbuild takes about a second)."""
    index = REPO_ROOT / "console" / "dist" / "index.html"
    if not index.exists():
        subprocess.run(["node", "console/build.mjs"], cwd=REPO_ROOT, check=True)
    return index.parent


@pytest.fixture(scope="session")
def console_app(
    azurite: AzuriteEndpoints,
    graphsim: GraphSim,
    console_build: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[App]:
    state_dir = tmp_path_factory.mktemp("console-app")
    key = ensure_dev_signing_key(state_dir / DEV_AUTH_FOLDER)
    prefix = "ui" + secrets.token_hex(4)
    settings = {
        "TENANTATLAS_ENVIRONMENT": "local",
        "TENANTATLAS_AUTH_DEV_MODE": "true",
        "TENANTATLAS_AUTH_AUDIENCE": DEV_AUDIENCE,
        "TENANTATLAS_AUTH_ISSUERS": DEV_ISSUER,
        "TENANTATLAS_STATE_DIR": str(state_dir),
        "TENANTATLAS_STORAGE_PREFIX": prefix,
        "TENANTATLAS_CONSOLE_DEV_PRINCIPALS": ",".join([OPERATOR_A, READER_A, ADMIN_A, OPERATOR_B]),
        **graphsim_settings(graphsim.state_dir / "credentials.json"),
    }
    storage = StorageAccount(StorageConfig(connection_string=azurite.connection_string, name_prefix=prefix))
    tenant_a, tenant_b = graphsim.tenants[0].id, graphsim.tenants[1].id
    registry = TenantRegistry(storage)
    memberships = MembershipStore(storage, registry)
    for sim_tenant in graphsim.tenants[:2]:
        registry.add(sim_tenant.id, sim_tenant.name, "public", GRAPHSIM_CREDENTIAL_REF)
    for principal, tenant, role in (
        (OPERATOR_A, tenant_a, Role.OPERATOR),
        (READER_A, tenant_a, Role.READER),
        (ADMIN_A, tenant_a, Role.ADMIN),
        (OPERATOR_B, tenant_b, Role.OPERATOR),
    ):
        memberships.grant(f"user:{demo_object_id(principal)}", tenant, role, "console-tests")
    devhost = start_devhost(REPO_ROOT, state_dir / "devhost", azurite.connection_string, settings=settings)
    try:
        yield App(devhost, storage, graphsim, key, tenant_a, tenant_b)
    finally:
        devhost.stop()
        storage.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Per test, not per session: Playwright's sync API keeps an asyncio loop running in this thread while
    it is started, and any later test's `asyncio.run` in the same worker would fail."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, console_app: App) -> Iterator[Page]:
    """A fresh browser context (no session storage left from another test) at 1280 px."""
    viewport: ViewportSize = {"width": WIDTH, "height": HEIGHT}
    context = browser.new_context(base_url=console_app.devhost.base_url, viewport=viewport)
    context.set_default_timeout(20_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def sign_in(page: Page, principal: str, path: str = "/") -> None:
    """The dev sign-in as a person uses it: the principal's button on the sign-in page."""
    page.goto(path)
    page.get_by_role("button", name=principal).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def screenshot(page: Page, name: str, full_page: bool = False) -> Path:
    """The 1280 px window as a person sees it (or the whole page), for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def tenant_name(app: App, tenant_id: str) -> str:
    return next(t.name for t in app.graphsim.tenants if t.id == tenant_id)


@dataclass(frozen=True)
class ChangedSetting:
    policy_id: str
    policy_name: str
    definition_id: str
    old_value: str
    new_value: str

    @property
    def setting_name(self) -> str:
        """The name the diff viewer shows: the definition ID's last word."""
        return self.definition_id.rsplit("_", 1)[-1]


def change_a_setting(app: App, tenant_id: str) -> ChangedSetting:
    """Flip one choice setting of a settings catalog policy in graphsim, as an admin would in Intune."""
    policies = app.graphsim.admin.tenant_state(tenant_id)["collections"][SETTINGS_CATALOG]
    policy = next(p for p in policies if any(flippable(s) for s in p.get("settings", [])))
    settings = [dict(s) for s in policy["settings"]]
    index = next(i for i, s in enumerate(settings) if flippable(s))
    instance = settings[index]["settingInstance"]
    old_value = instance["choiceSettingValue"]["value"]
    new_value = old_value[:-1] + ("0" if old_value.endswith("1") else "1")
    choice = {**instance["choiceSettingValue"], "value": new_value}
    settings[index] = {**settings[index], "settingInstance": {**instance, "choiceSettingValue": choice}}
    app.graphsim.admin.patch_object(tenant_id, SETTINGS_CATALOG, policy["id"], {"settings": settings})
    return ChangedSetting(policy["id"], policy["name"], instance["settingDefinitionId"], old_value, new_value)


def backed_up(app: App, tenant_id: str, principal: str) -> dict[str, Any]:
    """A backup through the API, to its end (the tests that watch one in the browser start their own)."""
    started = app.post(f"api/tenants/{tenant_id}/backups", principal)
    assert started.status_code == 202, started.text
    ended = app.wait_until_ended(started.headers["Location"], principal, timeout=120)
    run: dict[str, Any] = ended.json()
    assert run["status"] == "succeeded", run
    return run
