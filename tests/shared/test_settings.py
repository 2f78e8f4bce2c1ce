"""Settings: one reader of configuration, clear errors naming the setting, secrets known for redaction."""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from shared.config.errors import ConfigurationError, MissingSetting
from shared.config.settings import DEV_AUDIENCE, DEV_ISSUER, Settings, get_settings
from shared.graph.config import ClientCertificate, ClientSecret
from shared.graph.credentials import (
    FederatedCredentialSpec,
    GraphAppCredential,
    KeyVaultCertificateSpec,
    KeyVaultSecretSpec,
)
from shared.redact import redact

TENANT = "8f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
ACCOUNT_KEY = "Zm9vYmFy" * 11  # 88 chars, shape of a storage key
CONNECTION = (
    f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={ACCOUNT_KEY};EndpointSuffix=core.windows.net"
)


def env(**overrides: str) -> dict[str, str]:
    base = {
        "TENANTATLAS_ENVIRONMENT": "azure",
        "AzureWebJobsStorage": CONNECTION,
        "TENANTATLAS_AUTH_AUDIENCE": "api://tenantatlas",
        "TENANTATLAS_AUTH_TENANT_IDS": TENANT,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v != "<unset>"}


def test_production_shape_loads() -> None:
    settings = Settings.from_env(env(TENANTATLAS_VERSION="1.2.3"))
    assert settings.version == "1.2.3"
    assert not settings.is_local
    assert settings.auth.audiences == ("api://tenantatlas",)
    assert settings.auth.issuers == (
        f"https://sts.windows.net/{TENANT}/",
        f"https://login.microsoftonline.com/{TENANT}/v2.0",
    )
    assert settings.auth.jwks_url == "https://login.microsoftonline.com/common/discovery/v2.0/keys"
    assert settings.auth.clock_skew_seconds == 60
    assert not settings.auth.dev_mode
    assert settings.graph.cloud("usgov").graph_base_url == "https://graph.microsoft.us"


def test_china_cloud_auth_uses_its_own_issuers_and_keys() -> None:
    settings = Settings.from_env(env(TENANTATLAS_AUTH_CLOUD="china"))
    assert settings.auth.issuers == (
        f"https://sts.chinacloudapi.cn/{TENANT}/",
        f"https://login.chinacloudapi.cn/{TENANT}/v2.0",
    )
    assert settings.auth.jwks_url.startswith("https://login.chinacloudapi.cn/")


def test_version_defaults_to_the_packaged_one() -> None:
    assert Settings.from_env(env()).version == "0.1.0"


BAD_SETTINGS = [
    ("TENANTATLAS_AUTH_AUDIENCE", "<unset>", "config.missing"),
    ("TENANTATLAS_AUTH_TENANT_IDS", "<unset>", "config.missing"),
    ("TENANTATLAS_AUTH_TENANT_IDS", "contoso", "config.invalid"),
    ("TENANTATLAS_AUTH_CLOUD", "mars", "config.invalid"),
    ("TENANTATLAS_AUTH_JWKS_URL", "http://keys.example/jwks", "config.invalid"),
    ("TENANTATLAS_AUTH_JWKS_URL", "file:///tmp/jwks.json", "config.invalid"),
    ("TENANTATLAS_AUTH_CLOCK_SKEW_SECONDS", "600", "config.invalid"),
    ("TENANTATLAS_AUTH_CLOCK_SKEW_SECONDS", "-5", "config.invalid"),
    ("TENANTATLAS_AUTH_DEV_MODE", "yes please", "config.invalid"),
    ("TENANTATLAS_AUTH_DEV_MODE", "true", "config.invalid"),
    ("AzureWebJobsStorage", "UseDevelopmentStorage=true", "config.invalid"),
    ("TENANTATLAS_STORAGE_PREFIX", "Bad-Prefix", "config.invalid"),
    ("TENANTATLAS_GRAPH_BASE_URL", "http://127.0.0.1:8443", "config.invalid"),
    ("TENANTATLAS_CA_BUNDLE", "/nonexistent/ca.pem", "config.invalid"),
    ("TENANTATLAS_GRAPH_BUDGET", "cluster", "config.invalid"),
    ("TENANTATLAS_AUTH_AUDIENCE", "@Microsoft.KeyVault(VaultName=kv;SecretName=x)", "config.invalid"),
]


@pytest.mark.parametrize(("setting", "value", "code"), BAD_SETTINGS)
def test_bad_or_missing_settings_name_the_setting(setting: str, value: str, code: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env(env(**{setting: value}))
    assert raised.value.setting == setting
    assert raised.value.code == code
    assert setting in str(raised.value)


def test_the_graph_budget_is_shared_by_every_instance_unless_told_to_pace_each_process() -> None:
    assert Settings.from_env(env()).graph.pacing.shared
    assert not Settings.from_env(env(TENANTATLAS_GRAPH_BUDGET="process")).graph.pacing.shared
    assert Settings.from_env(env(TENANTATLAS_GRAPH_BUDGET="Shared")).graph.pacing.shared


def test_storage_needs_a_connection_string_or_service_uris() -> None:
    with pytest.raises(MissingSetting) as raised:
        Settings.from_env(env(AzureWebJobsStorage="<unset>"))
    assert raised.value.setting == "AzureWebJobsStorage__tableServiceUri"


def test_dev_mode_only_in_local_environment_and_reads_the_state_folder_jwks(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "TENANTATLAS_ENVIRONMENT": "local",
            "TENANTATLAS_AUTH_DEV_MODE": "true",
            "TENANTATLAS_STATE_DIR": str(tmp_path),
            "AzureWebJobsStorage": CONNECTION,
        }
    )
    assert settings.auth.dev_mode
    assert settings.auth.audiences == (DEV_AUDIENCE,)
    assert settings.auth.issuers == (DEV_ISSUER,)
    assert settings.auth.jwks_url == (tmp_path / "dev-auth" / "jwks.json").as_uri()


def test_managed_identity_storage_builds_a_keyless_config() -> None:
    settings = Settings.from_env(
        env(
            AzureWebJobsStorage="<unset>",
            AzureWebJobsStorage__tableServiceUri="https://acct.table.core.windows.net/",
            AzureWebJobsStorage__blobServiceUri="https://acct.blob.core.windows.net/",
            AzureWebJobsStorage__credential="managedidentity",
            AzureWebJobsStorage__clientId="11111111-2222-3333-4444-555555555555",
        )
    )
    config = settings.storage.config
    assert config.connection_string is None
    assert config.table_endpoint == "https://acct.table.core.windows.net"
    assert type(config.credential).__name__ == "ManagedIdentityCredential"
    assert settings.storage.config is config, "built once, so worker_account reuses its clients"
    assert settings.secret_values() == ()


def test_simulator_overrides_apply_to_every_cloud(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not checked here")
    settings = Settings.from_env(
        env(
            TENANTATLAS_GRAPH_BASE_URL="https://127.0.0.1:8443/",
            TENANTATLAS_GRAPH_LOGIN_URL="https://127.0.0.1:8443",
            TENANTATLAS_CA_BUNDLE=str(ca),
        )
    )
    for name in ("public", "usgov", "usgov-dod", "china"):
        assert settings.graph.cloud(name).graph_base_url == "https://127.0.0.1:8443"
        assert settings.graph.cloud(name).login_base_url == "https://127.0.0.1:8443"
    assert settings.graph.ca_bundle == str(ca)
    with pytest.raises(ConfigurationError, match="unknown cloud 'mars'"):
        settings.graph.cloud("mars")


def test_local_graph_credentials_by_reference_name(tmp_path: Path) -> None:
    pem_file = tmp_path / "app.pem"
    thumbprint = _write_certificate(pem_file)
    settings = Settings.from_env(
        env(
            GRAPH_CREDENTIAL__MSP_APP__CLIENT_ID="app-one",
            GRAPH_CREDENTIAL__MSP_APP__CLIENT_SECRET="abc8Q~secret-value-for-tests-0123456789ab",
            GRAPH_CREDENTIAL__CERTAPP__CLIENT_ID="app-two",
            GRAPH_CREDENTIAL__CERTAPP__CERTIFICATE_PATH=str(pem_file),
        )
    )
    secret_app = settings.graph.credentials["msp-app"]
    assert isinstance(secret_app, GraphAppCredential)
    assert secret_app.client_id == "app-one"
    assert isinstance(secret_app.credential, ClientSecret)
    assert "secret-value" not in repr(settings), "secrets never print"
    cert_app = settings.graph.credentials["certapp"]
    assert isinstance(cert_app, GraphAppCredential)
    assert isinstance(cert_app.credential, ClientCertificate)
    assert cert_app.credential.thumbprint == thumbprint
    assert cert_app.credential.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    secrets_known = settings.secret_values()
    assert "abc8Q~secret-value-for-tests-0123456789ab" in secrets_known
    assert cert_app.credential.private_key_pem.strip() in secrets_known
    assert ACCOUNT_KEY in secrets_known


MI_CLIENT_ID = "5e0c6a8f-3f3d-4d5e-9b0a-7c6d5e4f3a21"


def test_federated_and_key_vault_credentials_hold_no_secret() -> None:
    settings = Settings.from_env(
        env(
            TENANTATLAS_KEY_VAULT_URI="https://kv-example.vault.azure.net/",
            TENANTATLAS_MANAGED_IDENTITY_CLIENT_ID=MI_CLIENT_ID.upper(),
            TENANTATLAS_KEY_VAULT_REFRESH_SECONDS="60",
            GRAPH_CREDENTIAL__MSP_APP__CLIENT_ID="app-one",
            GRAPH_CREDENTIAL__MSP_APP__MANAGED_IDENTITY_CLIENT_ID=MI_CLIENT_ID,
            GRAPH_CREDENTIAL__GOV__CLIENT_ID="app-gov",
            GRAPH_CREDENTIAL__GOV__MANAGED_IDENTITY_CLIENT_ID=MI_CLIENT_ID,
            GRAPH_CREDENTIAL__GOV__ASSERTION_AUDIENCE="api://AzureADTokenExchangeUSGov",
            GRAPH_CREDENTIAL__VAULT_CERT__CLIENT_ID="app-two",
            GRAPH_CREDENTIAL__VAULT_CERT__KEY_VAULT_CERTIFICATE="graph-msp-cert",
            GRAPH_CREDENTIAL__VAULT_SECRET__CLIENT_ID="app-three",
            GRAPH_CREDENTIAL__VAULT_SECRET__KEY_VAULT_SECRET="graph-msp-secret",
            IDENTITY_HEADER="platform-identity-header-value",
        )
    )
    assert settings.graph.credentials == {
        "msp-app": FederatedCredentialSpec("app-one", MI_CLIENT_ID, "api://AzureADTokenExchange"),
        "gov": FederatedCredentialSpec("app-gov", MI_CLIENT_ID, "api://AzureADTokenExchangeUSGov"),
        "vault-cert": KeyVaultCertificateSpec("app-two", "graph-msp-cert"),
        "vault-secret": KeyVaultSecretSpec("app-three", "graph-msp-secret"),
    }
    assert settings.graph.managed_identity_client_id == MI_CLIENT_ID
    assert settings.graph.key_vault_refresh_seconds == 60
    assert settings.secret_values() == ("platform-identity-header-value", CONNECTION, ACCOUNT_KEY)
    assert "platform-identity-header-value" not in repr(settings)


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        (
            {
                "GRAPH_CREDENTIAL__APP__CLIENT_ID": "id",
                "GRAPH_CREDENTIAL__APP__KEY_VAULT_SECRET": "graph-secret",
            },
            "TENANTATLAS_KEY_VAULT_URI",
        ),
        (
            {
                "GRAPH_CREDENTIAL__APP__CLIENT_ID": "id",
                "GRAPH_CREDENTIAL__APP__MANAGED_IDENTITY_CLIENT_ID": "x",
            },
            "GRAPH_CREDENTIAL__APP__MANAGED_IDENTITY_CLIENT_ID",
        ),
        (
            {
                "GRAPH_CREDENTIAL__APP__CLIENT_ID": "id",
                "GRAPH_CREDENTIAL__APP__CLIENT_SECRET": "s",
                "GRAPH_CREDENTIAL__APP__ASSERTION_AUDIENCE": "api://x",
            },
            "GRAPH_CREDENTIAL__APP__ASSERTION_AUDIENCE",
        ),
        (
            {
                "TENANTATLAS_KEY_VAULT_URI": "https://kv.vault.azure.net",
                "GRAPH_CREDENTIAL__APP__CLIENT_ID": "id",
                "GRAPH_CREDENTIAL__APP__KEY_VAULT_CERTIFICATE": "not/a name",
            },
            "GRAPH_CREDENTIAL__APP__KEY_VAULT_CERTIFICATE",
        ),
        (
            {
                "GRAPH_CREDENTIAL__APP__CLIENT_ID": "id",
                "GRAPH_CREDENTIAL__APP__MANAGED_IDENTITY_CLIENT_ID": MI_CLIENT_ID,
                "GRAPH_CREDENTIAL__APP__KEY_VAULT_SECRET": "graph-secret",
            },
            "GRAPH_CREDENTIAL__APP__KEY_VAULT_SECRET",
        ),
        ({"TENANTATLAS_MANAGED_IDENTITY_CLIENT_ID": "my-identity"}, "TENANTATLAS_MANAGED_IDENTITY_CLIENT_ID"),
        ({"TENANTATLAS_KEY_VAULT_REFRESH_SECONDS": "0"}, "TENANTATLAS_KEY_VAULT_REFRESH_SECONDS"),
        ({"TENANTATLAS_KEY_VAULT_REFRESH_SECONDS": "1e3"}, "TENANTATLAS_KEY_VAULT_REFRESH_SECONDS"),
    ],
)
def test_bad_credential_sources_name_the_setting(overrides: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env(env(**overrides))
    assert raised.value.setting == setting


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"GRAPH_CREDENTIAL__APP__CLIENT_SECRET": "s3cret-value"}, "GRAPH_CREDENTIAL__APP__CLIENT_ID"),
        ({"GRAPH_CREDENTIAL__APP__CLIENT_ID": "id"}, "GRAPH_CREDENTIAL__APP__MANAGED_IDENTITY_CLIENT_ID"),
        (
            {
                "GRAPH_CREDENTIAL__APP__CLIENT_ID": "id",
                "GRAPH_CREDENTIAL__APP__CLIENT_SECRET": "s",
                "GRAPH_CREDENTIAL__APP__CERTIFICATE_PATH": "/x.pem",
            },
            "GRAPH_CREDENTIAL__APP__CERTIFICATE_PATH",
        ),
        ({"GRAPH_CREDENTIAL__APP__PASSWORD": "x"}, "GRAPH_CREDENTIAL__APP__PASSWORD"),
        (
            {"GRAPH_CREDENTIAL__APP__CLIENT_ID": "id", "GRAPH_CREDENTIAL__APP__CERTIFICATE_PATH": "/no.pem"},
            "GRAPH_CREDENTIAL__APP__CERTIFICATE_PATH",
        ),
    ],
)
def test_incomplete_graph_credentials_name_the_variable(overrides: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env(env(**overrides))
    assert raised.value.setting == setting


def test_get_settings_reads_environment_over_local_settings_and_registers_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.config import settings as settings_module

    values = env(
        TENANTATLAS_ENVIRONMENT="local",
        TENANTATLAS_VERSION="from-file",
        GRAPH_CREDENTIAL__APP__CLIENT_ID="id",
    )
    values["GRAPH_CREDENTIAL__APP__CLIENT_SECRET"] = "Planted~Secret~Value~42"
    settings_module.LOCAL_SETTINGS_FILE.write_text(json.dumps({"IsEncrypted": False, "Values": values}))
    monkeypatch.setenv("TENANTATLAS_VERSION", "from-environment")
    settings = get_settings()
    assert settings.version == "from-environment"
    assert settings.graph.credentials["app"].client_id == "id"
    assert get_settings() is settings
    leaked = "token request failed: Planted~Secret~Value~42 was rejected"
    assert redact(leaked) == "token request failed: [REDACTED] was rejected"
    assert ACCOUNT_KEY not in redact(f"storage failed for {CONNECTION.replace('AccountKey=', 'key ')}")


def test_outside_local_mode_local_settings_json_is_never_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Azure names its environment: a local.settings.json shipped with the code is not even parsed."""
    from shared.config import settings as settings_module

    settings_module.LOCAL_SETTINGS_FILE.write_text("{ not json, and would fail if read")
    for name, value in env().items():
        monkeypatch.setenv(name, value)
    assert not get_settings().is_local
    get_settings.cache_clear()
    monkeypatch.setenv("TENANTATLAS_ENVIRONMENT", "local")
    with pytest.raises(ConfigurationError) as raised:
        get_settings()
    assert raised.value.setting == str(settings_module.LOCAL_SETTINGS_FILE), "the same file is read locally"


def test_local_settings_json_plants_nothing_in_a_deployed_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import settings as settings_module

    planted = {
        "TENANTATLAS_ENVIRONMENT": "local",
        "TENANTATLAS_GRAPH_BASE_URL": "https://graph.planted.invalid",
        "GRAPH_CREDENTIAL__PLANTED__CLIENT_ID": "planted-app",
        "GRAPH_CREDENTIAL__PLANTED__CLIENT_SECRET": "Planted~Secret~Value~42",
    }
    settings_module.LOCAL_SETTINGS_FILE.write_text(json.dumps({"Values": planted}))
    for name, value in env().items():
        monkeypatch.setenv(name, value)
    settings = get_settings()
    assert not settings.is_local
    assert settings.graph.cloud("public").graph_base_url == "https://graph.microsoft.com"
    assert dict(settings.graph.credentials) == {}


def test_nothing_else_reads_the_environment() -> None:
    """settings.py is the one reader: no other app module touches os.environ or os.getenv."""
    root = Path(__file__).resolve().parents[2]
    reader = root / "shared" / "config" / "settings.py"
    offenders = []
    for folder in ("shared", "triggers", "orchestrators", "activities"):
        for path in (root / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path != reader and ("os.environ" in text or "getenv" in text):
                offenders.append(str(path.relative_to(root)))
    assert offenders == []
    assert "os.environ" in reader.read_text()
    assert os.environ.get("TENANTATLAS_ENVIRONMENT") is None, "the autouse fixture cleans the environment"


def _write_certificate(path: Path) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantatlas-test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(key_pem + certificate.public_bytes(serialization.Encoding.PEM))
    return certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - Entra's thumbprint is SHA-1
