"""The durable client binding JSON and the URLs in it, shaped as the Durable extension shapes them.

Two surfaces serve the same handlers: the public webhooks under `/runtime/webhooks/durabletask/`, which
take the extension's system key (`code=`), and the worker-facing RPC base under `/durabletask/`, which
like the extension's local RPC endpoint takes no key and answers only loopback callers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

from local.devhost.keys import HostKeys

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
RPC_PATH = "/durabletask"
INSTANCE_PLACEHOLDER = "INSTANCEID"


@dataclass
class DurableUrls:
    """Builds URLs once the host knows where it listens."""

    hub_name: str
    keys: HostKeys
    base_url: str = ""

    @property
    def webhook_base(self) -> str:
        return f"{self.base_url}{WEBHOOK_PATH}"

    @property
    def required_query(self) -> str:
        return f"code={quote(self.keys.durable_extension, safe='')}"

    def _query(self, *leading: str) -> str:
        return "?" + "&".join(
            [*leading, f"taskHub={quote(self.hub_name)}", "connection=Storage", self.required_query]
        )

    def management_urls(self, instance_id: str = INSTANCE_PLACEHOLDER) -> dict[str, str]:
        instance = f"{self.webhook_base}/instances/{instance_id}"
        return {
            "id": instance_id,
            "statusQueryGetUri": instance + self._query(),
            "sendEventPostUri": f"{instance}/raiseEvent/{{eventName}}" + self._query(),
            "terminatePostUri": f"{instance}/terminate" + self._query("reason={text}"),
            "rewindPostUri": f"{instance}/rewind" + self._query("reason={text}"),
            "purgeHistoryDeleteUri": instance + self._query(),
            "restartPostUri": f"{instance}/restart" + self._query(),
            "suspendPostUri": f"{instance}/suspend" + self._query("reason={text}"),
            "resumePostUri": f"{instance}/resume" + self._query("reason={text}"),
        }

    def client_binding(self) -> str:
        """The string the worker hands to a `durable_client_input` parameter."""
        orchestrators = f"{self.webhook_base}/orchestrators/{{functionName}}[/{{instanceId}}]"
        return json.dumps(
            {
                "taskHubName": self.hub_name,
                "creationUrls": {
                    "createNewInstancePostUri": f"{orchestrators}?{self.required_query}",
                    "createAndWaitOnNewInstancePostUri": (
                        f"{orchestrators}?timeout={{timeoutInSeconds}}&pollingInterval={{intervalInSeconds}}"
                        f"&{self.required_query}"
                    ),
                },
                "managementUrls": self.management_urls(),
                "baseUrl": self.webhook_base,
                "requiredQueryStringParameters": self.required_query,
                "rpcBaseUrl": f"{self.base_url}{RPC_PATH}/",
            }
        )
