"""How the app serves the console, without a browser: which file a path means, its cache policy, and
that API paths and unknown files never get the console's page. And the routes of the app: every API
route under `api/`, the console's one function for everything else."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from shared.config.errors import ConfigurationError
from shared.config.settings import Settings
from shared.console import (
    IMMUTABLE,
    REVALIDATE,
    ConsoleFiles,
    ConsoleNotBuilt,
    NoSuchFile,
    NoSuchRoute,
    content_security_policy,
)

INDEX = b"<!doctype html><title>TenantAtlas</title>" + b"<p>x</p>" * 200
SCRIPT = b"console.log('the console');" * 50


@pytest.fixture
def files(tmp_path: Path) -> ConsoleFiles:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "assets" / "main-ABC123.js").write_bytes(SCRIPT)
    return ConsoleFiles.load(tmp_path)


PAGES = ["", "/", "tenants/t1/runs/r1", "tenants/t1/policies/configurationPolicies/p"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_of_the_console_is_its_index_revalidated_on_load(files: ConsoleFiles, path: str) -> None:
    answer = files.answer(path, accepts_gzip=False)
    assert answer.status == 200
    assert answer.body == INDEX
    assert answer.headers["Cache-Control"] == REVALIDATE
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"


def test_a_hashed_asset_is_cached_for_a_year_and_sent_gzipped_when_asked(files: ConsoleFiles) -> None:
    answer = files.answer("assets/main-ABC123.js", accepts_gzip=True)
    assert answer.headers["Cache-Control"] == IMMUTABLE
    assert answer.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert answer.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(answer.body) == SCRIPT
    plain = files.answer("assets/main-ABC123.js", accepts_gzip=False)
    assert plain.body == SCRIPT and "Content-Encoding" not in plain.headers


def test_a_known_etag_is_a_304_without_a_body(files: ConsoleFiles) -> None:
    first = files.answer("", accepts_gzip=False)
    again = files.answer("tenants/x", accepts_gzip=False, if_none_match=first.headers["ETag"])
    assert (again.status, again.body) == (304, b"")


@pytest.mark.parametrize("path", ["assets/main-OLD.js", "assets/../index.html", "favicon.ico", "index.html",
                                  "assets/%2e%2e/secret.txt", "../function_app.py"])
def test_a_file_the_build_does_not_hold_is_a_404_never_the_page(files: ConsoleFiles, path: str) -> None:
    with pytest.raises(NoSuchFile):
        files.answer(path, accepts_gzip=False)


@pytest.mark.parametrize("path", ["api", "api/", "api/tenants/t/restores", "api/nothing/here"])
def test_an_api_path_no_route_took_is_a_problem_404(files: ConsoleFiles, path: str) -> None:
    with pytest.raises(NoSuchRoute) as missing:
        files.answer(path, accepts_gzip=False)
    assert missing.value.to_problem().to_dict()["code"] == "route.not_found"


def test_a_missing_build_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(ConsoleNotBuilt, match="make setup"):
        ConsoleFiles.load(tmp_path / "dist")


def test_the_page_runs_only_its_own_scripts_and_reaches_only_the_api_and_the_sign_in_authority() -> None:
    policy = content_security_policy("https://login.microsoftonline.com/6c2f0e5e-0000-4000-8000-000000000001")
    assert "script-src 'self';" in policy
    assert "connect-src 'self' https://login.microsoftonline.com;" in policy
    assert "frame-ancestors 'none'" in policy
    assert "connect-src 'self';" in content_security_policy(None)


def test_console_sign_in_follows_the_apis_registration_unless_named() -> None:
    tenant = "6c2f0e5e-0000-4000-8000-000000000001"
    base = {
        "TENANTATLAS_ENVIRONMENT": "azure",
        "TENANTATLAS_AUTH_TENANT_IDS": tenant,
        "TENANTATLAS_AUTH_AUDIENCE": "api://tenantatlas,11111111-2222-3333-4444-555555555555",
        "AzureWebJobsStorage__tableServiceUri": "https://st.table.core.windows.net",
        "AzureWebJobsStorage__blobServiceUri": "https://st.blob.core.windows.net",
    }
    assert Settings.from_env(base).console.client_id is None
    console = Settings.from_env({**base, "TENANTATLAS_CONSOLE_CLIENT_ID": "spa-client"}).console
    assert console.authority == f"https://login.microsoftonline.com/{tenant}"
    assert console.scopes == ("api://tenantatlas/access_as_user",)
    named = Settings.from_env({**base, "TENANTATLAS_CONSOLE_CLIENT_ID": "spa-client",
                               "TENANTATLAS_CONSOLE_SCOPES": "api://other/.default"}).console
    assert named.scopes == ("api://other/.default",)
    with pytest.raises(ConfigurationError, match="TENANTATLAS_CONSOLE_CLIENT_ID"):
        Settings.from_env({**base, "TENANTATLAS_AUTH_AUDIENCE": "11111111-2222-3333-4444-555555555555",
                           "TENANTATLAS_CONSOLE_CLIENT_ID": "spa-client"})
