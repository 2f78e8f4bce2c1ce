"""Route templates of HTTP triggers, matched as the Functions host (ASP.NET Core routing) matches them.

Supports literal segments, `{name}`, optional `{name?}`, defaults `{name=value}`, catch-all `{*rest}`
and the inline constraints (`int`, `long`, `bool`, `guid`, `alpha`, `datetime`, `decimal`, `double`,
`float`, `min`, `max`, `range`, `length`, `minlength`, `maxlength`, `regex` without braces or colons).
A path that matches no template, or fails a constraint, is not routed (404), as on the real host.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

_PARAMETER = re.compile(r"\{([^{}]+)\}")
_CONSTRAINT = re.compile(r"^(\w+)(?:\((.*)\))?$")


class RouteTemplateError(ValueError):
    """A route template or one of its constraints cannot be understood."""


Check = Callable[[str], bool]


def _is_int(value: str, low: int, high: int) -> bool:
    return re.fullmatch(r"-?\d+", value) is not None and low <= int(value) <= high


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _constraint(spec: str) -> Check:
    match = _CONSTRAINT.match(spec)
    if match is None:
        raise RouteTemplateError(f"route constraint `{spec}` is not of the form name or name(args)")
    name, raw_args = match.group(1).lower(), match.group(2)
    args = [a.strip() for a in raw_args.split(",")] if raw_args is not None and name != "regex" else []
    simple: dict[str, Check] = {
        "int": lambda v: _is_int(v, -(2**31), 2**31 - 1),
        "long": lambda v: _is_int(v, -(2**63), 2**63 - 1),
        "bool": lambda v: v.lower() in ("true", "false"),
        "guid": _is_guid,
        "alpha": lambda v: re.fullmatch(r"[A-Za-z]+", v) is not None,
        "datetime": _is_datetime,
        "decimal": _is_number,
        "double": _is_number,
        "float": _is_number,
    }
    if name in simple:
        return simple[name]
    try:
        numbers = [int(a) for a in args]
        if name == "min":
            return lambda v: _is_int(v, numbers[0], 2**63)
        if name == "max":
            return lambda v: _is_int(v, -(2**63), numbers[0])
        if name == "range":
            return lambda v: _is_int(v, numbers[0], numbers[1])
        if name == "minlength":
            return lambda v: len(v) >= numbers[0]
        if name == "maxlength":
            return lambda v: len(v) <= numbers[0]
        if name == "length":
            low, high = (numbers[0], numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])
            return lambda v: low <= len(v) <= high
    except (ValueError, IndexError) as error:
        raise RouteTemplateError(f"route constraint `{spec}` has bad arguments") from error
    if name == "regex" and raw_args is not None:
        pattern = re.compile(raw_args, re.IGNORECASE)
        return lambda v: pattern.search(v) is not None
    raise RouteTemplateError(f"route constraint `{name}` is not supported by the devhost")


@dataclass(frozen=True)
class _Parameter:
    name: str
    group: str
    optional: bool
    default: str | None
    checks: tuple[Check, ...]


@dataclass
class RouteTemplate:
    """One compiled template; `match` gives the route parameters or None."""

    template: str
    pattern: re.Pattern[str] = field(init=False)
    parameters: list[_Parameter] = field(init=False, default_factory=list)
    precedence: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        regex, ranks = "", []
        segments = [s for s in self.template.strip("/").split("/") if s != ""]
        for segment in segments:
            segment_regex, rank = self._compile_segment(segment)
            optional_only = rank >= 4
            regex += f"(?:/{segment_regex})?" if optional_only else f"/{segment_regex}"
            ranks.append(rank)
        self.pattern = re.compile(f"^{regex}/?$", re.IGNORECASE)
        self.precedence = (*ranks, 9)

    def _compile_segment(self, segment: str) -> tuple[str, int]:
        """Regex for one segment and its rank: literal 1, constrained 2, plain 3, optional 4, catch-all 5."""
        parts, position, rank = [], 0, 1
        for found in _PARAMETER.finditer(segment):
            parts.append(re.escape(segment[position : found.start()]))
            parameter, rank = self._parameter(found.group(1), len(self.parameters))
            self.parameters.append(parameter)
            if rank == 5:
                parts.append(f"(?P<{parameter.group}>.*)")
            else:
                parts.append(f"(?P<{parameter.group}>[^/]+)")
            position = found.end()
        parts.append(re.escape(segment[position:]))
        return "".join(parts), rank

    @staticmethod
    def _parameter(body: str, index: int) -> tuple[_Parameter, int]:
        catch_all = body.startswith("*")
        body = body.lstrip("*")
        default = None
        if "=" in body:
            body, default = body.split("=", 1)
        optional = body.endswith("?") or default is not None
        body = body.rstrip("?")
        name, *constraints = body.split(":")
        if not name.isidentifier():
            raise RouteTemplateError(f"route parameter `{name}` is not a valid name")
        checks = tuple(_constraint(c) for c in constraints)
        rank = 5 if catch_all else 4 if optional else 2 if checks else 3
        return _Parameter(name, f"p{index}", optional or catch_all, default, checks), rank

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match("/" + path.strip("/") if path.strip("/") else "")
        if found is None:
            return None
        values: dict[str, str] = {}
        for parameter in self.parameters:
            value = found.group(parameter.group)
            if value is None or value == "":
                if parameter.default is not None:
                    values[parameter.name] = parameter.default
                elif not parameter.optional:
                    return None
                continue
            if not all(check(value) for check in parameter.checks):
                return None
            values[parameter.name] = value
        return values
