"""Diff two stored versions of one policy: which versions a request means, and what changed between them.

`to` defaults to the latest version and `from` to the one captured before `to`, so "what changed
since the last capture" needs no version IDs at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.intune.diff import PolicyDiff, diff_policies
from shared.intune.errors import VersionNotFound
from shared.intune.versions import PolicyVersion, get_version, get_version_content, list_versions
from shared.storage import StorageAccount


@dataclass(frozen=True)
class VersionDiff:
    """The two versions compared and the field-level diff from `before` to `after`."""

    before: PolicyVersion
    after: PolicyVersion
    diff: PolicyDiff

    def to_api(self) -> dict[str, Any]:
        return {**self.diff.to_api(), "from": self.before.to_api(), "to": self.after.to_api()}


def diff_versions(
    account: StorageAccount,
    tenant_id: str,
    policy_type: str,
    policy_id: str,
    from_id: str | None,
    to_id: str | None,
) -> VersionDiff:
    """Resolve both versions of this policy (`version.not_found` for another policy's), then diff them."""
    after = (
        _of_policy(account, tenant_id, to_id, policy_type, policy_id)
        if to_id is not None
        else _latest(account, tenant_id, policy_type, policy_id)
    )
    if from_id is None:
        if after.previous_version_id is None:
            raise VersionNotFound(
                f"Version '{after.version_id}' is the first one of this policy; capture it again "
                "or name both versions with `from` and `to`."
            )
        from_id = after.previous_version_id
    before = _of_policy(account, tenant_id, from_id, policy_type, policy_id)
    diff = diff_policies(
        policy_type, get_version_content(account, before), get_version_content(account, after)
    )
    return VersionDiff(before, after, diff)


def _of_policy(
    account: StorageAccount, tenant_id: str, version_id: str, policy_type: str, policy_id: str
) -> PolicyVersion:
    return get_version(account, tenant_id, version_id, policy_type=policy_type, policy_id=policy_id)


def _latest(account: StorageAccount, tenant_id: str, policy_type: str, policy_id: str) -> PolicyVersion:
    page = list_versions(account, tenant_id, policy_type, policy_id, page_size=1)
    if not page.items:
        raise VersionNotFound("This policy has no captured version yet; capture a snapshot first.")
    return page.items[0]
