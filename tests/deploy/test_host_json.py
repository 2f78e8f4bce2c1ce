"""host.json as Azure runs it: the durable backend's chatter stays out of the logs, requests stay in."""

from __future__ import annotations

import json
from typing import Any

from tests.deploy.infra import REPO_ROOT


def host_json() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((REPO_ROOT / "host.json").read_text(encoding="utf-8"))
    return config


def test_durable_task_logs_only_warnings_and_up() -> None:
    """At Information the Azure Storage backend logs every queue poll and partition lease: most of the
    telemetry bill, none of the insight."""
    levels = host_json()["logging"]["logLevel"]
    assert levels["DurableTask.AzureStorage"] == "Warning"
    assert levels["DurableTask.Core"] == "Warning"


def test_sampling_never_drops_requests() -> None:
    """Failure rates and latencies come from request telemetry: sampling must count every request."""
    sampling = host_json()["logging"]["applicationInsights"]["samplingSettings"]
    excluded = [kind.strip() for kind in sampling.get("excludedTypes", "").split(";")]
    assert not sampling.get("isEnabled", True) or "Request" in excluded
