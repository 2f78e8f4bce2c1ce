"""The one module that reads configuration; everything else is handed a `Settings`.

The Functions host puts app settings (in Azure) or `local.settings.json` Values (locally)
into the environment. `Settings.from_env` takes that mapping explicitly so tests pass a
dict; `get_settings()` reads the process environment once, with `local.settings.json`
Values underneath in local mode only (for commands run outside the host). Every problem
raises `ConfigurationError` naming the setting and the fix, at start-up rather than mid-job.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential

from shared.config.errors import ConfigurationError, MissingSetting
from shared.graph.config import CLOUDS, ClientCertificate, ClientSecret, CloudEndpoints
from shared.graph.credentials import KEY_VAULT_SPECS, CredentialSpec, GraphAppCredential, load_credentials
from shared.graph.pacing import PacingPolicy
from shared.redact import register_secret_values
from shared.storage import StorageConfig
from shared.storage.metering import METER_SETTING

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_SETTINGS_FILE = REPO_ROOT / "local.settings.json"

ENV_PREFIXES = ("TENANTATLAS_", "AzureWebJobsStorage", "GRAPH_CREDENTIAL__", "IDENTITY_HEADER")
"""Every variable this module reads starts with one of these (tests clear them)."""

ENVIRONMENT_SETTING = "TENANTATLAS_ENVIRONMENT"
LOCAL_ENVIRONMENT = "local"
DEV_AUDIENCE = "api://tenantatlas-dev"
DEV_ISSUER = "https://login.tenantatlas.invalid/dev/v2.0"
"""Issuer of locally minted tokens; `.invalid` can never be a real Entra host."""
DEV_AUTH_FOLDER = "dev-auth"
DEV_JWKS_FILE = "jwks.json"
DEV_SIGNING_KEY_FILE = "signing-key.pem"

DEFAULT_CLOCK_SKEW_SECONDS = 60
DEFAULT_KEY_VAULT_REFRESH_SECONDS = 300
MAX_KEY_VAULT_REFRESH_SECONDS = 86_400
MAX_CLOCK_SKEW_SECONDS = 300
_V1_ISSUER_HOSTS = {"china": "https://sts.chinacloudapi.cn"}
_DEFAULT_V1_ISSUER_HOST = "https://sts.windows.net"
_CONNECTION_SECRETS = re.compile(r"(?:AccountKey|SharedAccessSignature)=([^;]+)")


@dataclass(frozen=True)
class StorageSettings:
    """The app's storage account: a connection string (local) or service URIs with an identity."""

    connection_string: str | None = field(default=None, repr=False)
    table_service_uri: str | None = None
    blob_service_uri: str | None = None
    managed_identity_client_id: str | None = None
    """Client ID of a user-assigned identity; None uses the default credential chain."""
    name_prefix: str = ""
    meter_folder: str | None = None
    """TENANTATLAS_STORAGE_METER: where benchmarks have the storage clients' requests counted."""

    @functools.cached_property
    def config(self) -> StorageConfig:
        """The `shared.storage` configuration, with an azure-identity credential when keyless.

        Built once: `shared.storage.worker_account` keys its clients by this object.
        """
        if self.connection_string is not None:
            return StorageConfig(
                connection_string=self.connection_string,
                name_prefix=self.name_prefix,
                meter_folder=self.meter_folder,
            )
        return StorageConfig(
            table_endpoint=self.table_service_uri,
            blob_endpoint=self.blob_service_uri,
            credential=self._credential(),
            name_prefix=self.name_prefix,
            meter_folder=self.meter_folder,
        )

    def _credential(self) -> TokenCredential:
        from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

        if self.managed_identity_client_id:
            return ManagedIdentityCredential(client_id=self.managed_identity_client_id)
        return DefaultAzureCredential()


@dataclass(frozen=True)
class AuthSettings:
    """How callers' bearer tokens are validated (docs/architecture.md#caller-tokens)."""

    audiences: tuple[str, ...]
    issuers: tuple[str, ...]
    jwks_url: str
    """`https://` in Azure; `file://` for the dev JWKS (same validation code, another loader)."""
    clock_skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS
    dev_mode: bool = False


@dataclass(frozen=True)
class GraphSettings:
    """Cloud endpoints and where the per-tenant Graph credentials come from."""

    clouds: Mapping[str, CloudEndpoints]
    ca_bundle: str | None = None
    """CA file to trust for Graph and login (the local simulator's CA); None trusts the system."""
    key_vault_uri: str | None = None
    """The vault of `KEY_VAULT_CERTIFICATE` and `KEY_VAULT_SECRET` credentials."""
    managed_identity_client_id: str | None = None
    """The app's user-assigned identity, which reads the vault; None uses a system-assigned one."""
    key_vault_refresh_seconds: int = DEFAULT_KEY_VAULT_REFRESH_SECONDS
    """How long a credential read from Key Vault is used before the vault is asked for its latest version."""
    credentials: Mapping[str, CredentialSpec] = field(default_factory=dict, repr=False)
    """Credentials by reference name, from GRAPH_CREDENTIAL__<name>__* (`shared.graph.credentials`)."""
    pacing: PacingPolicy = field(default_factory=PacingPolicy)
    """TENANTATLAS_GRAPH_PACING_SCALE scales Graph's limits (docs/graph-intune.md#throttling) for a
    scaled-down simulator; TENANTATLAS_GRAPH_PACING=false turns client-side pacing off;
    TENANTATLAS_GRAPH_BUDGET=process paces each process alone instead of against the budget every
    instance shares (the default, `shared`)."""

    def cloud(self, name: str) -> CloudEndpoints:
        try:
            return self.clouds[name]
        except KeyError:
            raise ConfigurationError(
                "cloud", f"unknown cloud {name!r}; use one of {', '.join(sorted(self.clouds))}."
            ) from None


@dataclass(frozen=True)
class RunSettings:
    """How the reconciler treats runs: a queued run whose orchestration has not started after
    `start_grace_seconds` is started; a running one whose orchestration made no progress for
    `stall_minutes` is reported."""

    start_grace_seconds: int = 120
    stall_minutes: int = 30
    retention_grace_hours: int = 168
    """Retention keeps every version captured, and payload written, this recently (on-demand
    snapshots, running backups, restores being begun): `shared.jobs.retention_sweep`."""
    history_purge_days: int = 30
    """The Durable history of a run is purged this long after the run ended."""


@dataclass(frozen=True)
class AlertSettings:
    """Outbound webhooks (docs/alerts.md): where links in a delivery point, and how a failed delivery
    is retried (attempt n waits `retry_base_seconds * 4**(n-1)` after attempt n-1)."""

    public_base_url: str | None = None
    """The app's own URL (TENANTATLAS_PUBLIC_BASE_URL, else https://WEBSITE_HOSTNAME on Azure): links
    in deliveries are absolute under it; None leaves them relative."""
    retry_base_seconds: int = 30
    max_attempts: int = 6
    """30 s, 2 min, 8 min, 32 min, about 2 h: a receiver down for an afternoon still gets its events."""


@dataclass(frozen=True)
class ConsoleSettings:
    """How the console signs users in (docs/console.md#sign-in): MSAL.js against Entra with the console's
    own app registration, or, with dev tokens, a dev sign-in as one of the demo principals."""

    client_id: str | None = None
    """The console's (single-page application) app registration; None: MSAL sign-in is off."""
    authority: str | None = None
    scopes: tuple[str, ...] = ()
    """The API's delegated scope(s) the console asks for, e.g. `api://<api>/access_as_user`."""
    dev_principals: tuple[str, ...] = ()
    """Names the dev sign-in offers (local only; any name may still be typed)."""


@dataclass(frozen=True)
class Settings:
    environment: str
    version: str
    state_dir: Path
    storage: StorageSettings
    auth: AuthSettings
    graph: GraphSettings
    runs: RunSettings = RunSettings()
    identity_header: str | None = field(default=None, repr=False)
    """IDENTITY_HEADER, the secret the platform gives the app for its managed identity endpoint: the
    app never sends it itself (azure-identity does), it is read only so redaction knows it."""
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    alerts: AlertSettings = AlertSettings()

    @property
    def is_local(self) -> bool:
        return self.environment == LOCAL_ENVIRONMENT

    def secret_values(self) -> tuple[str, ...]:
        """Every secret this configuration holds, for `shared.redact` to mask wherever it appears."""
        values: list[str] = [self.identity_header] if self.identity_header else []
        if self.storage.connection_string:
            values.append(self.storage.connection_string)
            values += _CONNECTION_SECRETS.findall(self.storage.connection_string)
        for app in self.graph.credentials.values():
            if not isinstance(app, GraphAppCredential):
                continue
            if isinstance(app.credential, ClientSecret):
                values.append(app.credential.value)
            elif isinstance(app.credential, ClientCertificate):
                values.append(app.credential.private_key_pem.strip())
        return tuple(values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Parse and check every setting; raises ConfigurationError naming the first bad one."""
        env = _Reader(environ)
        environment = env.get(ENVIRONMENT_SETTING) or "azure"
        state_dir = Path(env.get("TENANTATLAS_STATE_DIR") or REPO_ROOT / ".state")
        return cls(
            environment=environment,
            version=env.get("TENANTATLAS_VERSION") or packaged_version(),
            state_dir=state_dir,
            storage=_storage(env),
            auth=_auth(env, environment, state_dir),
            graph=_graph(env),
            runs=_runs(env),
            identity_header=env.get("IDENTITY_HEADER"),
            console=_console(env),
            alerts=_alerts(env),
        )


class _Reader:
    """Reads settings by name; empty values count as absent (app settings cannot be unset in a slot)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def get(self, name: str) -> str | None:
        value = self.environ.get(name, "").strip()
        if value.startswith("@Microsoft.KeyVault("):
            raise ConfigurationError(
                name,
                "the Key Vault reference did not resolve; grant the app's identity "
                "'Key Vault Secrets User' on the vault and check the secret name.",
            )
        return value or None

    def csv(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in (self.get(name) or "").split(",") if part.strip())

    def flag(self, name: str) -> bool:
        value = (self.get(name) or "false").lower()
        if value not in {"true", "false", "1", "0"}:
            raise ConfigurationError(name, f"expected true or false, got {value!r}.")
        return value in {"true", "1"}

    def whole(self, name: str, default: int, *, low: int, high: int) -> int:
        raw = self.get(name)
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
            raise ConfigurationError(name, f"a whole number from {low} to {high}, got {raw!r}.")
        return int(raw)

    def https_url(self, name: str) -> str | None:
        value = self.get(name)
        if value is not None and (urlsplit(value).scheme != "https" or not urlsplit(value).netloc):
            raise ConfigurationError(name, f"expected an https:// URL, got {value!r}.")
        return value.rstrip("/") if value else None


def _storage(env: _Reader) -> StorageSettings:
    prefix = env.get("TENANTATLAS_STORAGE_PREFIX") or ""
    if not re.fullmatch(r"([a-z][a-z0-9]{0,23})?", prefix):
        raise ConfigurationError(
            "TENANTATLAS_STORAGE_PREFIX", "up to 24 lowercase letters and digits, starting with a letter."
        )
    meter = env.get(METER_SETTING)
    connection_string = env.get("AzureWebJobsStorage")
    if connection_string is not None:
        if connection_string.replace(" ", "").lower().startswith("usedevelopmentstorage=true"):
            raise ConfigurationError(
                "AzureWebJobsStorage",
                "UseDevelopmentStorage=true is not supported (Azurite runs on free ports with its own key); "
                "give the full connection string the Azurite launcher hands out.",
            )
        if "AccountName=" not in connection_string and "EndpointSuffix" not in connection_string:
            raise ConfigurationError("AzureWebJobsStorage", "not a storage connection string.")
        return StorageSettings(connection_string=connection_string, name_prefix=prefix, meter_folder=meter)
    why = "when AzureWebJobsStorage (a connection string) is not set"
    table_uri = env.https_url("AzureWebJobsStorage__tableServiceUri")
    blob_uri = env.https_url("AzureWebJobsStorage__blobServiceUri")
    if table_uri is None:
        raise MissingSetting("AzureWebJobsStorage__tableServiceUri", f"required {why}.")
    if blob_uri is None:
        raise MissingSetting("AzureWebJobsStorage__blobServiceUri", f"required {why}.")
    credential = (env.get("AzureWebJobsStorage__credential") or "managedidentity").lower()
    if credential != "managedidentity":
        raise ConfigurationError(
            "AzureWebJobsStorage__credential", "the only supported value is managedidentity."
        )
    return StorageSettings(
        table_service_uri=table_uri,
        blob_service_uri=blob_uri,
        managed_identity_client_id=env.get("AzureWebJobsStorage__clientId"),
        name_prefix=prefix,
        meter_folder=meter,
    )


def _auth(env: _Reader, environment: str, state_dir: Path) -> AuthSettings:
    dev_mode = env.flag("TENANTATLAS_AUTH_DEV_MODE")
    if dev_mode and environment != LOCAL_ENVIRONMENT:
        raise ConfigurationError(
            "TENANTATLAS_AUTH_DEV_MODE",
            f"dev tokens are refused unless TENANTATLAS_ENVIRONMENT is "
            f"{LOCAL_ENVIRONMENT!r} (it is {environment!r}).",
        )
    audiences = env.csv("TENANTATLAS_AUTH_AUDIENCE") or ((DEV_AUDIENCE,) if dev_mode else ())
    if not audiences:
        raise MissingSetting("TENANTATLAS_AUTH_AUDIENCE", "the API's application ID URI and/or client ID.")
    issuers = _issuers(env) or ((DEV_ISSUER,) if dev_mode else ())
    if not issuers:
        raise MissingSetting(
            "TENANTATLAS_AUTH_TENANT_IDS",
            "the Entra tenant ID(s) whose users and apps may call the API "
            "(or TENANTATLAS_AUTH_ISSUERS with the exact issuers).",
        )
    jwks_url = _jwks_url(env, dev_mode, state_dir)
    skew_text = env.get("TENANTATLAS_AUTH_CLOCK_SKEW_SECONDS") or str(DEFAULT_CLOCK_SKEW_SECONDS)
    if not skew_text.isdigit() or int(skew_text) > MAX_CLOCK_SKEW_SECONDS:
        raise ConfigurationError(
            "TENANTATLAS_AUTH_CLOCK_SKEW_SECONDS", f"whole seconds from 0 to {MAX_CLOCK_SKEW_SECONDS}."
        )
    return AuthSettings(audiences, issuers, jwks_url, int(skew_text), dev_mode)


def _issuers(env: _Reader) -> tuple[str, ...]:
    """Both token versions' issuers for each allowed tenant, plus any exact issuers given."""
    cloud = _auth_cloud(env)
    issuers: list[str] = []
    for tenant_id in env.csv("TENANTATLAS_AUTH_TENANT_IDS"):
        try:
            tid = str(uuid.UUID(tenant_id))
        except ValueError:
            raise ConfigurationError("TENANTATLAS_AUTH_TENANT_IDS", f"{tenant_id!r} is not a GUID.") from None
        issuers.append(f"{_V1_ISSUER_HOSTS.get(cloud, _DEFAULT_V1_ISSUER_HOST)}/{tid}/")
        issuers.append(f"{CLOUDS[cloud].login_base_url}/{tid}/v2.0")
    return tuple(issuers) + env.csv("TENANTATLAS_AUTH_ISSUERS")


def _auth_cloud(env: _Reader) -> str:
    cloud = env.get("TENANTATLAS_AUTH_CLOUD") or "public"
    if cloud not in CLOUDS:
        raise ConfigurationError("TENANTATLAS_AUTH_CLOUD", f"one of {', '.join(CLOUDS)}, got {cloud!r}.")
    return cloud


def _jwks_url(env: _Reader, dev_mode: bool, state_dir: Path) -> str:
    explicit = env.get("TENANTATLAS_AUTH_JWKS_URL")
    if explicit is None:
        if dev_mode:
            return (state_dir / DEV_AUTH_FOLDER / DEV_JWKS_FILE).resolve().as_uri()
        return f"{CLOUDS[_auth_cloud(env)].login_base_url}/common/discovery/v2.0/keys"
    scheme = urlsplit(explicit).scheme
    if scheme == "https" or (scheme == "file" and dev_mode):
        return explicit
    raise ConfigurationError(
        "TENANTATLAS_AUTH_JWKS_URL", "an https:// URL (file:// only with TENANTATLAS_AUTH_DEV_MODE)."
    )


def _console(env: _Reader) -> ConsoleSettings:
    """The console's sign-in; the scope defaults to `access_as_user` of the API's App ID URI and the
    authority to the first tenant of TENANTATLAS_AUTH_TENANT_IDS."""
    client_id = env.get("TENANTATLAS_CONSOLE_CLIENT_ID")
    authority = env.https_url("TENANTATLAS_CONSOLE_AUTHORITY")
    tenants = env.csv("TENANTATLAS_AUTH_TENANT_IDS")
    if authority is None and tenants:
        authority = f"{CLOUDS[_auth_cloud(env)].login_base_url}/{tenants[0]}"
    scopes = env.csv("TENANTATLAS_CONSOLE_SCOPES") or tuple(
        f"{audience.rstrip('/')}/access_as_user"
        for audience in env.csv("TENANTATLAS_AUTH_AUDIENCE")[:1]
        if audience.startswith("api://")
    )
    if client_id is not None and (authority is None or not scopes):
        raise ConfigurationError(
            "TENANTATLAS_CONSOLE_CLIENT_ID",
            "console sign-in needs TENANTATLAS_CONSOLE_AUTHORITY (or TENANTATLAS_AUTH_TENANT_IDS) and "
            "TENANTATLAS_CONSOLE_SCOPES (or an api:// TENANTATLAS_AUTH_AUDIENCE).",
        )
    return ConsoleSettings(client_id, authority, scopes, env.csv("TENANTATLAS_CONSOLE_DEV_PRINCIPALS"))


def _graph(env: _Reader) -> GraphSettings:
    graph_url = env.https_url("TENANTATLAS_GRAPH_BASE_URL")
    login_url = env.https_url("TENANTATLAS_GRAPH_LOGIN_URL")
    clouds = {
        name: CloudEndpoints(graph_url or cloud.graph_base_url, login_url or cloud.login_base_url)
        for name, cloud in CLOUDS.items()
    }
    ca_bundle = env.get("TENANTATLAS_CA_BUNDLE")
    if ca_bundle is not None and not Path(ca_bundle).is_file():
        raise ConfigurationError("TENANTATLAS_CA_BUNDLE", f"no file at {ca_bundle}.")
    credentials = load_credentials(env.environ, env.get)
    key_vault_uri = env.https_url("TENANTATLAS_KEY_VAULT_URI")
    in_vault = sorted(ref for ref, spec in credentials.items() if isinstance(spec, KEY_VAULT_SPECS))
    if in_vault and key_vault_uri is None:
        raise MissingSetting(
            "TENANTATLAS_KEY_VAULT_URI", f"the vault of the Graph credential(s) {', '.join(in_vault)}."
        )
    return GraphSettings(
        clouds=MappingProxyType(clouds),
        ca_bundle=ca_bundle,
        key_vault_uri=key_vault_uri,
        managed_identity_client_id=_optional_guid(env, "TENANTATLAS_MANAGED_IDENTITY_CLIENT_ID"),
        key_vault_refresh_seconds=env.whole(
            "TENANTATLAS_KEY_VAULT_REFRESH_SECONDS",
            DEFAULT_KEY_VAULT_REFRESH_SECONDS,
            low=1,
            high=MAX_KEY_VAULT_REFRESH_SECONDS,
        ),
        credentials=MappingProxyType(credentials),
        pacing=_pacing(env),
    )


def _optional_guid(env: _Reader, name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ConfigurationError(name, f"a client ID (GUID), got {value!r}.") from None


def _runs(env: _Reader) -> RunSettings:
    return RunSettings(
        start_grace_seconds=env.whole("TENANTATLAS_RUN_START_GRACE_SECONDS", 120, low=1, high=3600),
        stall_minutes=env.whole("TENANTATLAS_RUN_STALL_MINUTES", 30, low=1, high=24 * 60),
        retention_grace_hours=env.whole("TENANTATLAS_RETENTION_GRACE_HOURS", 168, low=1, high=24 * 366),
        history_purge_days=env.whole("TENANTATLAS_HISTORY_PURGE_DAYS", 30, low=1, high=3660),
    )


def _alerts(env: _Reader) -> AlertSettings:
    base_url = env.https_url("TENANTATLAS_PUBLIC_BASE_URL")
    if base_url is None and env.get("WEBSITE_HOSTNAME"):
        base_url = f"https://{env.get('WEBSITE_HOSTNAME')}"
    return AlertSettings(
        public_base_url=base_url.rstrip("/") if base_url else None,
        retry_base_seconds=env.whole("TENANTATLAS_WEBHOOK_RETRY_SECONDS", 30, low=1, high=3600),
        max_attempts=env.whole("TENANTATLAS_WEBHOOK_MAX_ATTEMPTS", 6, low=1, high=12),
    )


def _pacing(env: _Reader) -> PacingPolicy:
    raw = env.get("TENANTATLAS_GRAPH_PACING_SCALE") or "1"
    try:
        scale = float(raw)
    except ValueError:
        scale = 0.0
    if not 0 < scale <= 10:
        raise ConfigurationError(
            "TENANTATLAS_GRAPH_PACING_SCALE", f"a number above 0 and at most 10, got {raw!r}."
        )
    enabled = env.flag("TENANTATLAS_GRAPH_PACING") if env.get("TENANTATLAS_GRAPH_PACING") else True
    budget = (env.get("TENANTATLAS_GRAPH_BUDGET") or "shared").lower()
    if budget not in {"shared", "process"}:
        raise ConfigurationError(
            "TENANTATLAS_GRAPH_BUDGET",
            f"shared (one budget per tenant for every instance, kept in a table) or process "
            f"(each process paces alone), got {budget!r}.",
        )
    return PacingPolicy(scale=scale, enabled=enabled, shared=budget == "shared")


def packaged_version() -> str:
    """The version in pyproject.toml, deployed with the app; deployments may pin TENANTATLAS_VERSION."""
    try:
        with (REPO_ROOT / "pyproject.toml").open("rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def read_local_settings(path: Path) -> dict[str, str]:
    """The `Values` of a local.settings.json, as the Functions host would put them in the environment."""
    if not path.is_file():
        return {}
    try:
        values = json.loads(path.read_text(encoding="utf-8")).get("Values", {})
    except (ValueError, AttributeError) as exc:
        raise ConfigurationError(str(path), f"not a local.settings.json with a Values object: {exc}") from exc
    return {str(k): str(v) for k, v in values.items()}


def _process_environment() -> dict[str, str]:
    """The process environment, over `local.settings.json` Values in local mode only.

    Azure names a non-local TENANTATLAS_ENVIRONMENT (infra/app/api.bicep), so there the file is
    never opened: a stray copy shipped with the code cannot switch on dev tokens or plant settings.
    """
    environ = dict(os.environ)
    declared = environ.get(ENVIRONMENT_SETTING, "").strip()
    if declared and declared != LOCAL_ENVIRONMENT:
        return environ
    file_values = read_local_settings(LOCAL_SETTINGS_FILE)
    if (declared or file_values.get(ENVIRONMENT_SETTING, "").strip()) != LOCAL_ENVIRONMENT:
        return environ
    return {**file_values, **environ}


@functools.cache
def get_settings() -> Settings:
    """The process's settings, loaded once; their secrets are registered for redaction."""
    settings = Settings.from_env(_process_environment())
    register_secret_values(settings.secret_values())
    return settings
