"""Drive the product app on a local devhost as a caller would: dev tokens, HTTP calls, polling.

Shared by the end-to-end tests and `make demo`, so both exercise the API the same way.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests

from local.devhost.testing import DevhostProcess
from local.graphsim.testing import GraphSim
from local.tokens import DevSigningKey, demo_object_id, mint_token
from shared.storage import StorageAccount

OPERATOR_A = "alice@msp.example"
"""Demo principals: alice operates tenant A, rita reads it, bob operates tenant B."""
READER_A = "rita@msp.example"
OPERATOR_B = "bob@msp.example"
CONFIGURATIONS = "deviceManagement/deviceConfigurations"
SETTINGS_CATALOG = "deviceManagement/configurationPolicies"


@dataclass
class App:
    """The running app, the storage it writes to, the simulator behind it and the dev signing key."""

    devhost: DevhostProcess
    storage: StorageAccount
    graphsim: GraphSim
    key: DevSigningKey
    tenant_a: str
    tenant_b: str

    def token(self, principal: str, **claims: Any) -> str:
        return mint_token(self.key, principal_name=principal, **claims)

    def headers(self, principal: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(principal)}"}

    @staticmethod
    def principal_key(principal: str) -> str:
        return f"user:{demo_object_id(principal)}"

    def get(self, path: str, principal: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.devhost.url(path), headers=self.headers(principal), timeout=30, **kwargs)

    def post(self, path: str, principal: str, **kwargs: Any) -> requests.Response:
        return requests.post(self.devhost.url(path), headers=self.headers(principal), timeout=30, **kwargs)

    def capture_path(self, tenant: str, policy_id: str, policy_type: str = "deviceConfigurations") -> str:
        return f"api/tenants/{tenant}/policies/{policy_type}/{policy_id}/snapshots"

    def wait_until_ended(self, status_url: str, principal: str, timeout: float = 60) -> requests.Response:
        """Poll the status URL as Logic Apps does (until it stops answering 202), faster than Retry-After."""
        deadline = time.monotonic() + timeout
        while True:
            answer = requests.get(status_url, headers=self.headers(principal), timeout=30)
            if answer.status_code != 202:
                return answer
            if time.monotonic() > deadline:
                raise TimeoutError(f"run still {answer.json()['status']} after {timeout}s")
            time.sleep(0.1)

    def new_policy(self, tenant: str, **fields: Any) -> str:
        """A Windows device configuration put straight into the simulator; its ID."""
        body = {
            "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
            "displayName": f"Windows baseline {secrets.token_hex(3)}",
            "passwordRequired": True,
            **fields,
        }
        return str(self.graphsim.admin.put_object(tenant, CONFIGURATIONS, body)["id"])
