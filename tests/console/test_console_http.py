"""The console as the devhost serves it over HTTP (no browser): the page, its assets, its settings, the dev
sign-in, and the notification's page link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from local.apptesting import OPERATOR_A, App
from shared.auth.dev_tokens import DevSignInOff, dev_sign_in
from shared.config.settings import DEV_AUDIENCE, DEV_ISSUER, AuthSettings
from tests.console.conftest import ADMIN_A
from tests.polling import wait_until


def test_the_root_is_the_console_and_its_script_is_an_immutable_hashed_asset(console_app: App) -> None:
    page = requests.get(console_app.devhost.url("/"), timeout=30)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = re.search(r'src="/(assets/main-[A-Z0-9]+\.js)"', page.text)
    assert script is not None
    asset = requests.get(console_app.devhost.url(script.group(1)), timeout=30)
    assert asset.status_code == 200
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert asset.headers["Content-Type"].startswith("text/javascript")
    deep = requests.get(console_app.devhost.url(f"/tenants/{console_app.tenant_a}/runs/x"), timeout=30)
    assert deep.text == page.text


def test_an_unknown_api_path_is_a_problem_not_the_page(console_app: App) -> None:
    answer = requests.get(console_app.devhost.url("/api/no/such/route"), timeout=30)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == "route.not_found"


def test_the_console_settings_offer_the_dev_sign_in_and_its_principals(console_app: App) -> None:
    config = requests.get(console_app.devhost.url("/config.json"), timeout=30).json()
    assert config["msal"] is None
    assert ADMIN_A in config["devSignIn"]["principals"]


def test_a_dev_sign_in_token_is_accepted_by_the_api_as_that_principal(console_app: App) -> None:
    signed = requests.post(console_app.devhost.url("/api/console/dev-token"), json={"principal": OPERATOR_A},
                           timeout=30)
    assert signed.status_code == 200
    body = signed.json()
    assert body["principal"] == console_app.principal_key(OPERATOR_A)
    tenants = requests.get(console_app.devhost.url("/api/tenants"), timeout=30,
                           headers={"Authorization": f"Bearer {body['accessToken']}"})
    assert [t["tenantId"] for t in tenants.json()["items"]] == [console_app.tenant_a]


@pytest.mark.parametrize("body", [{}, {"principal": ""}, {"principal": "a b"}, {"principal": ["x"]},
                                  {"principal": "x" * 200}])
def test_a_bad_principal_name_is_a_400(console_app: App, body: dict[str, object]) -> None:
    answer = requests.post(console_app.devhost.url("/api/console/dev-token"), json=body, timeout=30)
    assert answer.status_code == 400
    assert answer.json()["code"] == "console.invalid_principal"


def test_without_dev_tokens_there_is_no_dev_sign_in(tmp_path: Path) -> None:
    entra = AuthSettings(("api://tenantatlas",), ("https://login.microsoftonline.com/t/v2.0",), "https://x/keys")
    with pytest.raises(DevSignInOff) as refused:
        dev_sign_in(entra, tmp_path, OPERATOR_A)
    assert refused.value.status == 404
    dev = AuthSettings((DEV_AUDIENCE,), (DEV_ISSUER,), (tmp_path / "jwks.json").as_uri(), dev_mode=True)
    with pytest.raises(DevSignInOff, match=r"local\.tokens init"):
        dev_sign_in(dev, tmp_path, OPERATOR_A)


@pytest.mark.slow
def test_a_notification_names_the_console_page_of_its_run(console_app: App) -> None:
    started = console_app.post(f"api/tenants/{console_app.tenant_a}/backups", ADMIN_A)
    run = started.json()

    def notified() -> list[dict[str, object]]:
        notes = console_app.get("api/me/notifications", ADMIN_A, params={"pageSize": "100"}).json()["items"]
        return [n for n in notes if n["runId"] == run["id"]]

    note = wait_until(notified, timeout=60, interval=0.2)[0]
    assert note["page"] == f"/tenants/{console_app.tenant_a}/runs/{run['id']}"
    assert note["link"] == f"/api/tenants/{console_app.tenant_a}/runs/{run['id']}"
    console_app.wait_until_ended(started.headers["Location"], ADMIN_A)
