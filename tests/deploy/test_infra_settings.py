"""What infra/ deploys is what the app needs: the app settings the Bicep gives the Function App load
through shared/config/settings.py outside local mode, and every setting the loader requires is among them.

The required settings are the loader's own, never a list kept here: loading names the first missing
setting, a stand-in fills it and loading goes on, so a requirement added to shared/config/settings.py fails
this test until infra sets it too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from shared.config.errors import MissingSetting
from shared.config.settings import ENVIRONMENT_SETTING, LOCAL_ENVIRONMENT, Settings
from shared.graph.credentials import FederatedCredentialSpec
from tests.deploy.bicep import BicepFile, evaluate
from tests.deploy.infra import INFRA, app_settings

TENANT = "8f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
API_CLIENT_ID = "0b5f4e3d-2c1b-4a09-8f7e-6d5c4b3a2910"
API_APP_ID_URI = "api://tenantatlas"
IDENTITY_CLIENT_ID = "11111111-2222-3333-4444-555555555555"
BLOB = "https://stexample.blob.core.windows.net/"
TABLE = "https://stexample.table.core.windows.net/"
VAULT = "https://kv-example.vault.azure.net/"
GRAPH_APP_CLIENT_ID = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"

AZURE_VALUES = {
    "identityClientId": IDENTITY_CLIENT_ID,
    "storage.properties.primaryEndpoints.blob": BLOB,
    "storage.properties.primaryEndpoints.queue": "https://stexample.queue.core.windows.net/",
    "storage.properties.primaryEndpoints.table": TABLE,
    "keyVaultUri": VAULT,
    "authTenantIds": TENANT,
    "apiClientId": API_CLIENT_ID,
    "apiAppIdUri": API_APP_ID_URI,
    "graphAppClientId": GRAPH_APP_CLIENT_ID,
}
"""What a deployment puts in place of each Bicep expression the app settings use (parameters, outputs)."""

STAND_INS = {
    "TENANTATLAS_AUTH_AUDIENCE": API_APP_ID_URI,
    "TENANTATLAS_AUTH_TENANT_IDS": TENANT,
    "AzureWebJobsStorage__tableServiceUri": TABLE,
    "AzureWebJobsStorage__blobServiceUri": BLOB,
}
"""Valid values for required settings infra may lack, so loading can go on to name the next one."""


def deployed_environment() -> dict[str, str]:
    """The environment the Functions host gives the app in Azure, from infra/app/api.bicep."""
    return {name: evaluate(value, AZURE_VALUES) for name, value in app_settings().items()}


def required_but_unset(environ: Mapping[str, str]) -> list[str]:
    """Every setting the loader requires that `environ` lacks, in the order it asks for them."""
    filled, unset = dict(environ), []
    while True:
        try:
            Settings.from_env(filled)
        except MissingSetting as exc:
            assert exc.setting not in unset, f"a stand-in did not satisfy the loader: {exc}"
            unset.append(exc.setting)
            filled[exc.setting] = STAND_INS.get(exc.setting, "stand-in")
        else:
            return unset


def test_infra_sets_every_setting_the_app_requires_outside_local_mode() -> None:
    unset = required_but_unset(deployed_environment())
    assert unset == [], (
        f"infra/app/api.bicep does not set {', '.join(unset)}, which shared/config/settings.py requires "
        "outside local mode: every route would answer 503 config.invalid"
    )


def test_the_deployed_settings_describe_the_designed_deployment() -> None:
    settings = Settings.from_env(deployed_environment())
    assert not settings.is_local
    assert not settings.auth.dev_mode
    assert settings.auth.audiences == (API_APP_ID_URI, API_CLIENT_ID), "v1 and v2 tokens both pass"
    assert f"https://login.microsoftonline.com/{TENANT}/v2.0" in settings.auth.issuers
    assert settings.storage.connection_string is None, "keyless: shared-key access is off on the account"
    assert settings.storage.managed_identity_client_id == IDENTITY_CLIENT_ID
    assert settings.storage.table_service_uri == TABLE.rstrip("/")
    assert settings.graph.key_vault_uri == VAULT.rstrip("/")
    assert settings.graph.managed_identity_client_id == IDENTITY_CLIENT_ID
    assert settings.graph.pacing.shared, "instances share one Graph budget per tenant"


def test_the_deployed_graph_credential_is_federation_with_the_apps_identity() -> None:
    """No secret or certificate is deployed: tenants onboarded with `msp-app` use the identity's token."""
    settings = Settings.from_env(deployed_environment())
    assert dict(settings.graph.credentials) == {
        "msp-app": FederatedCredentialSpec(GRAPH_APP_CLIENT_ID, IDENTITY_CLIENT_ID, "api://AzureADTokenExchange")
    }
    assert settings.secret_values() == ()


def test_infra_names_a_non_local_environment_so_local_settings_json_is_never_read() -> None:
    environment = app_settings().get(ENVIRONMENT_SETTING)
    assert environment is not None, f"infra must set {ENVIRONMENT_SETTING}"
    assert environment.literal not in (None, LOCAL_ENVIRONMENT), environment


def test_every_parameter_azd_must_give_is_in_the_parameters_file_and_cannot_be_empty() -> None:
    """azd substitutes an unset variable as '': a required string needs @minLength(1) to fail then,
    and a parameter with @allowed values needs a `${VAR=default}` that is its Bicep default."""
    params = BicepFile(INFRA / "main.bicep").params()
    given = {
        name: entry["value"]
        for name, entry in json.loads((INFRA / "main.parameters.json").read_text())["parameters"].items()
    }
    assert set(given) <= set(params), f"not parameters of main.bicep: {sorted(set(given) - set(params))}"
    for name, param in params.items():
        if param.default is None:
            assert name in given, f"main.parameters.json does not give {name}"
            if param.type == "string":
                assert param.decorators.get("minLength") == "1", f"{name} would deploy empty"
        if "allowed" in param.decorators and name in given:
            substitution = re.fullmatch(r"\$\{\w+=(\w+)\}", given[name])
            assert substitution is not None, f"{name}: an unset variable would pass '' to @allowed"
            assert param.default is not None
            assert substitution.group(1) == param.default.literal, f"{name}: two different defaults"
            assert f"'{param.default.literal}'" in param.decorators["allowed"]
