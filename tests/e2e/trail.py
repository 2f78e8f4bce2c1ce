"""The refusals a tenant's audit trail holds, read through the audit route as a caller would."""

from __future__ import annotations

from datetime import UTC, datetime

from local.apptesting import App


def now() -> datetime:
    """Where a test starts reading the trail (the devhost writes it on the same clock)."""
    return datetime.now(UTC)


def denials(app: App, tenant: str, reader: str, since: datetime) -> list[tuple[str, str, str]]:
    """(actor, attempted action, problem code) of each refusal audited in `tenant` since `since`, oldest
    first; `reader` is a principal with a role on `tenant`."""
    answer = app.get(
        f"api/tenants/{tenant}/audit",
        reader,
        params={"action": "auth.denied", "since": since.isoformat(), "pageSize": "1000"},
    )
    assert answer.status_code == 200, answer.text
    events = reversed(answer.json()["items"])
    return [(event["actor"], event["details"]["attempted"], event["details"]["code"]) for event in events]
