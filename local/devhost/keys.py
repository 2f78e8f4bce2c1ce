"""Host keys (master, default function key, durable extension system key) and auth-level checks.

Keys are generated on first start and kept in the state folder (mode 0600), never in the repo, so a
restarted devhost keeps answering the status URLs it handed out before.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

KEYS_FILE = "host-keys.json"
DURABLE_SYSTEM_KEY = "durabletask_extension"


@dataclass(frozen=True)
class HostKeys:
    master: str
    function_default: str
    durable_extension: str

    def as_json(self) -> dict[str, object]:
        return {
            "masterKey": self.master,
            "functionKeys": {"default": self.function_default},
            "systemKeys": {DURABLE_SYSTEM_KEY: self.durable_extension},
        }


def read_keys(path: Path) -> HostKeys:
    data = json.loads(path.read_text())
    return HostKeys(
        master=data["masterKey"],
        function_default=data["functionKeys"]["default"],
        durable_extension=data["systemKeys"][DURABLE_SYSTEM_KEY],
    )


def load_or_create_keys(state_dir: Path) -> tuple[HostKeys, Path]:
    """The keys of this state folder, and the file that holds them."""
    path = state_dir / KEYS_FILE
    if path.exists():
        return read_keys(path), path
    keys = HostKeys(*(secrets.token_urlsafe(32) for _ in range(3)))
    state_dir.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(keys.as_json(), indent=2))
    return keys, path


def presented_key(request: web.Request) -> str | None:
    """The key a caller sent, from the `x-functions-key` header or the `code` query parameter."""
    return request.headers.get("x-functions-key") or request.query.get("code")


def _equals(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def is_authorized(request: web.Request, auth_level: str, keys: HostKeys) -> bool:
    """Anonymous lets everyone in; function takes a function key or the master key; admin the master key."""
    level = auth_level.lower()
    if level == "anonymous":
        return True
    key = presented_key(request)
    if _equals(key, keys.master):
        return True
    return level == "function" and _equals(key, keys.function_default)


def is_durable_caller(request: web.Request, keys: HostKeys) -> bool:
    """The public durable webhooks take the extension's system key (as in status URLs) or the master key."""
    key = presented_key(request)
    return _equals(key, keys.durable_extension) or _equals(key, keys.master)
