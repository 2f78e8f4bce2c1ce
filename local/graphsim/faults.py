"""Fault injection: random 503 / 504 / dropped connections, and scripted rules by occurrence.

Rules come first: each rule counts the requests it matches (method and a regex searched in
`/{version}{path}`), and fires on the listed occurrences. "apply_then_drop" lets the model apply
a write and then cuts the connection, the case where a client cannot know a write's outcome.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from local.graphsim.config import FaultAction, FaultConfig


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or after) answering normally."""

    action: FaultAction
    status: int = 503
    retry_after: str | None = None
    code: str | None = None
    message: str | None = None
    source: str = "random"
    """`random` or `rule:<index>`, for the request log."""


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._matches = [0] * len(config.rules)

    def configure(self, config: FaultConfig) -> None:
        """A new fault configuration restarts the rules' occurrence counts."""
        self.config = config
        self._rng = random.Random(config.seed)
        self._matches = [0] * len(config.rules)

    def rule_matches(self) -> list[int]:
        return list(self._matches)

    def decide(self, method: str, full_path: str) -> Fault | None:
        fault = self._scripted(method, full_path) if self.config.rules else None
        return fault if fault is not None else self._random()

    def _scripted(self, method: str, full_path: str) -> Fault | None:
        fired: Fault | None = None
        for index, rule in enumerate(self.config.rules):
            if (rule.method is not None and rule.method != method) or not rule.path.search(full_path):
                continue
            self._matches[index] += 1
            if fired is None and (not rule.occurrences or self._matches[index] in rule.occurrences):
                fired = Fault(
                    rule.action, rule.status, rule.retry_after, rule.code, rule.message, f"rule:{index}"
                )
        return fired

    def _random(self) -> Fault | None:
        config = self.config
        if not (config.rate_503 or config.rate_504 or config.rate_drop):
            return None
        draw = self._rng.random()
        if draw < config.rate_503:
            return Fault("status", 503, config.retry_after_503)
        if draw < config.rate_503 + config.rate_504:
            return Fault("status", 504)
        if draw < config.rate_503 + config.rate_504 + config.rate_drop:
            return Fault("drop")
        return None
