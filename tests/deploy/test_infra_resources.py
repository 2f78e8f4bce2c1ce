"""Properties of infra/ resources that a deployment only discovers by failing: role assignments from a
pipeline, Key Vault references, the Python runtime, a soft-deleted Key Vault after `azd down`."""

from __future__ import annotations

import tomllib

from tests.deploy.bicep import BicepFile, Expr
from tests.deploy.infra import API_BICEP, INFRA, REPO_ROOT, function_app


def test_every_role_assignment_takes_its_principal_type_from_a_parameter() -> None:
    """ARM refuses a principalType that does not match the principal: a pipeline's service principal
    deploying as the 'user' needs ServicePrincipal (AZURE_PRINCIPAL_TYPE), so none is hard-coded."""
    checked = []
    for path in sorted(INFRA.rglob("*.bicep")):
        bicep = BicepFile(path)
        params = bicep.params()
        for resource in bicep.resources():
            if resource.type.startswith("Microsoft.Authorization/roleAssignments@"):
                principal_type = resource.body["properties"]["principalType"]
                assert principal_type.identifier in params, f"{path.name} {resource.symbol}: {principal_type}"
                checked.append(resource.symbol)
    assert len(checked) >= 4, checked


def test_key_vault_references_resolve_with_the_user_assigned_identity() -> None:
    site = function_app(BicepFile(API_BICEP))
    assert site.body["properties"]["keyVaultReferenceIdentity"] == Expr("identityId")
    assert set(site.body["identity"]["userAssignedIdentities"]) == {"${identityId}"}


def test_the_python_runtime_is_the_one_the_project_requires() -> None:
    runtime = function_app(BicepFile(API_BICEP)).body["properties"]["functionAppConfig"]["runtime"]
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        requires = tomllib.load(file)["project"]["requires-python"]
    assert runtime["name"].literal == "python"
    assert requires == f">={runtime['version'].literal}"


def test_a_soft_deleted_key_vault_is_recovered_by_a_parameter() -> None:
    """The vault is purge-protected and its name fixed per environment: after `azd down`, `azd up`
    must recover it (docs/deploy.md), so its createMode is a parameter main.bicep passes on."""
    keyvault = BicepFile(INFRA / "core" / "keyvault.bicep")
    (vault,) = [r for r in keyvault.resources() if r.type.startswith("Microsoft.KeyVault/vaults@")]
    assert vault.body["properties"]["enablePurgeProtection"] == Expr("true")
    assert vault.body["properties"]["createMode"] == Expr("createMode")
    assert keyvault.params()["createMode"].decorators["allowed"] == "['default', 'recover']"
    main = BicepFile(INFRA / "main.bicep")
    assert "createMode: keyVaultCreateMode" in main.clean
    assert main.params()["keyVaultCreateMode"].default == Expr("'default'")
