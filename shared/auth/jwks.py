"""Signing keys of the token issuer, fetched from a JWKS and cached by key ID.

Why not `jwt.PyJWKClient`: it refetches on every unknown `kid`, so a caller sending random
key IDs makes each request a JWKS download. Here an unknown `kid` triggers at most one
refresh per `min_refresh_seconds`; keys are otherwise kept for `max_age_seconds`, and a failed
refresh keeps the keys we have (Entra rotates keys with weeks of overlap).
The same cache reads the dev JWKS from a `file://` URL, so local tokens take the same path.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt
import requests

from shared.auth.errors import SigningKeysUnavailable

logger = logging.getLogger(__name__)

JwksFetcher = Callable[[], Mapping[str, Any]]
"""Returns the JWKS document; raises OSError, ValueError or requests.RequestException on failure."""

SIGNING_ALGORITHM = "RS256"


def jwks_fetcher(url: str, session: requests.Session | None = None, timeout: float = 10.0) -> JwksFetcher:
    """A fetcher for an `https://` JWKS endpoint or a `file://` JWKS document."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
        return lambda: json.loads(path.read_text(encoding="utf-8"))
    if parts.scheme != "https":
        raise ValueError(f"JWKS URL must be https:// or file://, got {url!r}.")
    http = session or requests.Session()

    def fetch() -> Mapping[str, Any]:
        response = http.get(url, timeout=timeout)
        response.raise_for_status()
        document: Mapping[str, Any] = response.json()
        return document

    return fetch


class JwksCache:
    """Thread-safe cache of RSA verification keys by `kid`."""

    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        max_age_seconds: float = 24 * 3600,
        min_refresh_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._max_age = max_age_seconds
        self._min_refresh = min_refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None

    def get(self, kid: str) -> Any | None:
        """The public key for `kid`, refreshing when stale or when the kid is unknown (rate-limited).

        Raises SigningKeysUnavailable when no keys could be fetched at all.
        """
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self._max_age
            may_try = self._attempted_at is None or now - self._attempted_at >= self._min_refresh
            if (stale or kid not in self._keys) and may_try:
                self._refresh(now)
            if self._fetched_at is None:
                raise SigningKeysUnavailable("The signing keys of the token issuer could not be fetched.")
            return self._keys.get(kid)

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            keys = _parse_jwks(self._fetch())
        except (OSError, ValueError, requests.RequestException) as exc:
            logger.warning("JWKS fetch failed (%s); %d keys cached", type(exc).__name__, len(self._keys))
            return
        self._keys, self._fetched_at = keys, now


def _parse_jwks(document: Mapping[str, Any]) -> dict[str, Any]:
    """RSA signature keys by kid; keys of other types or uses are skipped, not fatal."""
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError("The JWKS document has no `keys` list.")
    keys: dict[str, Any] = {}
    for entry in entries:
        usable = (
            isinstance(entry, dict)
            and entry.get("kty") == "RSA"
            and entry.get("use", "sig") == "sig"
            and entry.get("alg", SIGNING_ALGORITHM) == SIGNING_ALGORITHM
            and isinstance(entry.get("kid"), str)
        )
        if not usable:
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=SIGNING_ALGORITHM).key
        except jwt.PyJWKError:
            logger.warning("Skipping an unreadable JWKS key")
    return keys
