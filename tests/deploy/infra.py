"""The Function App as infra/ declares it, for the deploy tests: its resource and its app settings."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.bicep import BicepFile, Expr, Resource

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA = REPO_ROOT / "infra"
API_BICEP = INFRA / "app" / "api.bicep"


def function_app(bicep: BicepFile) -> Resource:
    sites = [r for r in bicep.resources() if r.type.startswith("Microsoft.Web/sites@")]
    assert len(sites) == 1, f"expected one Microsoft.Web/sites resource in {bicep.path}, found {len(sites)}"
    return sites[0]


def app_settings(path: Path = API_BICEP) -> dict[str, Expr]:
    """Name to Bicep value of the settings the `config` resource named 'appsettings' gives the app.

    That resource replaces every app setting, siteConfig.appSettings included, so it is the one source.
    """
    bicep = BicepFile(path)
    site = function_app(bicep)
    found = [
        r.body["properties"]
        for r in bicep.resources()
        if r.body.get("name") == Expr("'appsettings'")
        and (
            (r.type == "config" and site.span[0] < r.span[0] < site.span[1])
            or r.type.startswith("Microsoft.Web/sites/config@")
        )
    ]
    assert len(found) == 1, f"expected one 'appsettings' config resource in {path}, found {len(found)}"
    settings: dict[str, Expr] = found[0]
    return settings
