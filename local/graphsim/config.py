"""Run-time conditions of the simulated service: latency, throttling, faults and token lifetime.

One immutable `SimConfig` is read from the `--config` file at start and replaced, section by
section, through the admin API; strict parsing turns a typo into a clear 400 instead of a
setting that silently does nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

RetryAfterStyle = Literal["integer", "decimal", "none"]
FaultAction = Literal["status", "drop", "apply_then_drop"]

_RETRY_AFTER_STYLES = ("integer", "decimal", "none")
_FAULT_ACTIONS = ("status", "drop", "apply_then_drop")
_SECTIONS = ("latency", "throttle", "faults", "tokens")
_RULE_KEYS = {"method", "path", "occurrences", "action", "status", "retry_after", "code", "message"}


class ConfigError(ValueError):
    """A configuration document is invalid; the message names the key and what is expected."""


@dataclass(frozen=True)
class LatencyConfig:
    """Each Graph request waits `base_ms` plus a uniform random part of up to `jitter_ms`."""

    base_ms: float = 0.0
    jitter_ms: float = 0.0


@dataclass(frozen=True)
class ThrottleConfig:
    """Intune's limits per `window_seconds`, multiplied by `scale` (0.01 makes tests quick)."""

    enabled: bool = True
    scale: float = 1.0
    window_seconds: float = 20.0
    retry_after: RetryAfterStyle = "integer"


@dataclass(frozen=True)
class FaultRule:
    """A scripted fault: the n-th matching request (1-based `occurrences`, all if empty) fails."""

    path: re.Pattern[str]
    method: str | None = None
    occurrences: frozenset[int] = frozenset()
    action: FaultAction = "status"
    status: int = 503
    retry_after: str | None = None
    code: str | None = None
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path.pattern,
            "occurrences": sorted(self.occurrences),
            "action": self.action,
            "status": self.status,
            "retry_after": self.retry_after,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class FaultConfig:
    """Random fault rates (0..1 per request) and scripted rules, checked rules first."""

    rate_503: float = 0.0
    rate_504: float = 0.0
    rate_drop: float = 0.0
    retry_after_503: str | None = "2"
    seed: int | None = None
    rules: tuple[FaultRule, ...] = ()


@dataclass(frozen=True)
class TokenConfig:
    """Access token lifetime; Entra randomises it between 60 and 90 minutes."""

    lifetime_min_seconds: int = 3600
    lifetime_max_seconds: int = 5400


@dataclass(frozen=True)
class SimConfig:
    latency: LatencyConfig = field(default_factory=LatencyConfig)
    throttle: ThrottleConfig = field(default_factory=ThrottleConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    tokens: TokenConfig = field(default_factory=TokenConfig)

    def to_json(self) -> dict[str, Any]:
        faults = dataclasses.asdict(self.faults) | {"rules": [rule.to_json() for rule in self.faults.rules]}
        return {
            "latency": dataclasses.asdict(self.latency),
            "throttle": dataclasses.asdict(self.throttle),
            "faults": faults,
            "tokens": dataclasses.asdict(self.tokens),
        }


def update_config(current: SimConfig, changes: Any) -> SimConfig:
    """Apply a partial document: given keys replace current values, `faults.rules` is replaced whole."""
    if not isinstance(changes, Mapping):
        raise ConfigError(f"The configuration must be a JSON object with any of: {', '.join(_SECTIONS)}.")
    unknown = set(changes) - set(_SECTIONS)
    if unknown:
        raise ConfigError(f"Unknown configuration section(s) {sorted(unknown)}; use {', '.join(_SECTIONS)}.")
    latency = _merge("latency", current.latency, changes.get("latency"))
    throttle = _merge("throttle", current.throttle, changes.get("throttle"))
    faults = _merge_faults(current.faults, changes.get("faults"))
    tokens = _merge("tokens", current.tokens, changes.get("tokens"))
    _check_ranges(latency, throttle, faults, tokens)
    return SimConfig(latency, throttle, faults, tokens)


def _merge[Section: (LatencyConfig, ThrottleConfig, FaultConfig, TokenConfig)](
    section: str, current: Section, changes: Any
) -> Section:
    if changes is None:
        return current
    if not isinstance(changes, Mapping):
        raise ConfigError(f"'{section}' must be a JSON object.")
    known = {f.name: f for f in dataclasses.fields(current)}
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in known or key == "rules":
            raise ConfigError(f"Unknown key '{section}.{key}'; known keys: {sorted(set(known) - {'rules'})}.")
        values[key] = _coerce(f"{section}.{key}", str(known[key].type), value)
    return dataclasses.replace(current, **values)


def _coerce(name: str, type_name: str, value: Any) -> Any:
    """Check a value against its field's declared type; the message says what was expected."""
    if value is None and type_name.endswith("| None"):
        return None
    if type_name == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"'{name}' must be true or false.")
        return value
    if type_name == "RetryAfterStyle":
        if value not in _RETRY_AFTER_STYLES:
            raise ConfigError(f"'{name}' must be one of {list(_RETRY_AFTER_STYLES)}.")
        return value
    if type_name == "str | None":
        return _retry_after_value(name, value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"'{name}' must be a number.")
    if type_name.startswith("int"):
        if not isinstance(value, int):
            raise ConfigError(f"'{name}' must be an integer.")
        return value
    return float(value)


def _retry_after_value(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"'{name}' must be a number of seconds (e.g. 2 or 1.5) or null for no header.")
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"'{name}' must be a number of seconds, got {value!r}.") from None
    if seconds < 0:
        raise ConfigError(f"'{name}' must not be negative.")
    return str(value)


def _merge_faults(current: FaultConfig, changes: Any) -> FaultConfig:
    if changes is None:
        return current
    if not isinstance(changes, Mapping):
        raise ConfigError("'faults' must be a JSON object.")
    rules = changes.get("rules")
    merged = _merge("faults", current, {k: v for k, v in changes.items() if k != "rules"})
    if rules is None:
        return merged
    if not isinstance(rules, list):
        raise ConfigError("'faults.rules' must be a list of rule objects.")
    return dataclasses.replace(merged, rules=tuple(_parse_rule(i, rule) for i, rule in enumerate(rules)))


def _parse_rule(index: int, rule: Any) -> FaultRule:
    where = f"faults.rules[{index}]"
    if not isinstance(rule, Mapping):
        raise ConfigError(f"'{where}' must be a JSON object.")
    unknown = set(rule) - _RULE_KEYS
    if unknown:
        raise ConfigError(f"Unknown key(s) {sorted(unknown)} in '{where}'.")
    try:
        path = re.compile(str(rule.get("path", "")))
    except re.error as exc:
        raise ConfigError(f"'{where}.path' is not a valid regular expression: {exc}.") from None
    method = rule.get("method")
    if method is not None and not isinstance(method, str):
        raise ConfigError(f"'{where}.method' must be an HTTP method such as PATCH.")
    occurrences = rule.get("occurrences", [])
    if not isinstance(occurrences, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in occurrences
    ):
        raise ConfigError(f"'{where}.occurrences' must be a list of 1-based integers (empty: every match).")
    action = rule.get("action", "status")
    if action not in _FAULT_ACTIONS:
        raise ConfigError(f"'{where}.action' must be one of {list(_FAULT_ACTIONS)}.")
    status = rule.get("status", 503)
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ConfigError(f"'{where}.status' must be an HTTP error status between 400 and 599.")
    retry_after = rule.get("retry_after")
    for key in ("code", "message"):
        if rule.get(key) is not None and not isinstance(rule.get(key), str):
            raise ConfigError(f"'{where}.{key}' must be a string.")
    return FaultRule(
        path=path,
        method=method.upper() if method else None,
        occurrences=frozenset(occurrences),
        action=action,
        status=status,
        retry_after=None if retry_after is None else _retry_after_value(f"{where}.retry_after", retry_after),
        code=rule.get("code"),
        message=rule.get("message"),
    )


def _check_ranges(
    latency: LatencyConfig, throttle: ThrottleConfig, faults: FaultConfig, tokens: TokenConfig
) -> None:
    if latency.base_ms < 0 or latency.jitter_ms < 0:
        raise ConfigError("'latency.base_ms' and 'latency.jitter_ms' must not be negative.")
    if throttle.scale <= 0 or throttle.window_seconds <= 0:
        raise ConfigError("'throttle.scale' and 'throttle.window_seconds' must be positive.")
    rates = (faults.rate_503, faults.rate_504, faults.rate_drop)
    if any(rate < 0 for rate in rates) or sum(rates) > 1:
        raise ConfigError("Fault rates must be between 0 and 1 and add up to at most 1.")
    if not 1 <= tokens.lifetime_min_seconds <= tokens.lifetime_max_seconds:
        raise ConfigError("'tokens' needs 1 <= lifetime_min_seconds <= lifetime_max_seconds.")
