"""Just enough Bicep reading for the tests of infra/: no Bicep compiler is available here, and the
questions are structural (which app settings, which parameters), so a bracket-aware reader answers.

Strings (with `${...}` interpolation, escapes and `'''` verbatim strings) and comments are masked
before brackets are counted, so a brace or comma inside either never splits anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_FILLER = "s"
_RESOURCE = re.compile(r"\bresource\s+(\w+)\s+'([^']*)'(?:\s+existing)?\s*=")
_PARAM = re.compile(r"^param\s+(\w+)\s+(\w+)(?:\s*=\s*(.+))?$", re.DOTALL)
_DECORATOR = re.compile(r"^@(\w+)\((.*)\)$", re.DOTALL)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", "$": "$"}
_CLOSING = {"{": "}", "[": "]", "(": ")"}


@dataclass(frozen=True)
class Expr:
    """A value Bicep computes (a parameter, a property path, an interpolated string), as source text."""

    text: str

    @property
    def literal(self) -> str | None:
        """The string when the value is a plain string literal, else None."""
        if not _is_single_string(self.text) or "${" in self.text:
            return None
        return evaluate(self, {})

    @property
    def identifier(self) -> str | None:
        """The name when the value is a bare identifier (a parameter or variable), else None."""
        return self.text if re.fullmatch(r"[A-Za-z_]\w*", self.text) else None


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Expr | None
    decorators: Mapping[str, str]
    """Decorator name to its argument text: `minLength` -> `1`, `allowed` -> `['a', 'b']`."""


@dataclass(frozen=True)
class Resource:
    symbol: str
    type: str
    """`Microsoft.Web/sites@2024-04-01`, or just `config` for a nested child."""
    body: dict[str, Any]
    span: tuple[int, int]
    """Where the body object opens and closes in the file: a nested resource lies within its parent's."""


class BicepFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.clean, self.skeleton = _mask(self.text)

    def params(self) -> dict[str, Param]:
        """Top-level parameters with their decorators (the statements just above each)."""
        found: dict[str, Param] = {}
        decorators: dict[str, str] = {}
        for start, end in _members(self.skeleton, 0, len(self.skeleton)):
            line = self.clean[start:end]
            if (decorator := _DECORATOR.match(line)) is not None:
                decorators[decorator.group(1)] = decorator.group(2)
                continue
            if (param := _PARAM.match(line)) is not None:
                name, type_, default = param.groups()
                found[name] = Param(name, type_, Expr(default.strip()) if default else None, decorators)
            decorators = {}
        return found

    def resources(self) -> list[Resource]:
        """Every resource declaration, nested ones included, with its body object."""
        found = []
        for match in _RESOURCE.finditer(self.clean):
            if self.skeleton[match.start()] != "r":
                continue
            symbol, type_ = match.groups()
            opening = self.skeleton.index("{", match.end())
            closing = _closing(self.skeleton, opening)
            body = _object(self.clean, self.skeleton, opening + 1, closing)
            found.append(Resource(symbol, type_, body, (opening, closing)))
        return found


def evaluate(expr: Expr, values: Mapping[str, str]) -> str:
    """The string `expr` stands for: a literal as written, with each `${...}` (or the whole value
    when it is no string) replaced from `values` by its source text, or `<text>` when not there."""
    text = expr.text
    if not _is_single_string(text):
        return values.get(text, f"<{text}>")
    if text.startswith("'''"):
        return text[3:-3]
    out, i = [], 1
    while i < len(text) - 1:
        if text[i] == "\\":
            out.append(_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
        elif text.startswith("${", i):
            end = _interpolation_end(text, i + 2)
            inner = text[i + 2 : end - 1].strip()
            out.append(values.get(inner, f"<{inner}>"))
            i = end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _is_single_string(text: str) -> bool:
    return text.startswith("'") and _string_end(text, 0) == len(text)


def _mask(text: str) -> tuple[str, str]:
    """(text with comments blanked, that again with every string literal filled): same lengths."""
    clean, skeleton = list(text), list(text)
    i = 0
    while i < len(text):
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            clean[i:end] = skeleton[i:end] = " " * (end - i)
        elif text.startswith("/*", i):
            end = text.index("*/", i) + 2
            blank = [c if c == "\n" else " " for c in text[i:end]]
            clean[i:end] = skeleton[i:end] = blank
        elif text[i] == "'":
            end = _string_end(text, i)
            skeleton[i:end] = _FILLER * (end - i)
        else:
            end = i + 1
        i = end
    return "".join(clean), "".join(skeleton)


def _string_end(text: str, start: int) -> int:
    """Index just past the string literal opening at `start`."""
    if text.startswith("'''", start):
        return text.index("'''", start + 3) + 3
    i = start + 1
    while True:
        if text[i] == "\\":
            i += 2
        elif text.startswith("${", i):
            i = _interpolation_end(text, i + 2)
        elif text[i] == "'":
            return i + 1
        else:
            i += 1


def _interpolation_end(text: str, start: int) -> int:
    """Index just past the `}` closing an interpolation whose expression starts at `start`."""
    depth, i = 0, start
    while True:
        if text[i] == "'":
            i = _string_end(text, i)
            continue
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            if depth == 0:
                return i + 1
            depth -= 1
        i += 1


def _closing(skeleton: str, opening: int) -> int:
    """Index of the bracket closing the one at `opening`."""
    stack = []
    for i in range(opening, len(skeleton)):
        char = skeleton[i]
        if char in _CLOSING:
            stack.append(_CLOSING[char])
        elif stack and char == stack[-1]:
            stack.pop()
            if not stack:
                return i
    raise ValueError(f"unbalanced {skeleton[opening]!r} at {opening}")


def _members(skeleton: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of an object's or array's members: split at newlines and commas outside brackets."""
    spans, depth, begin = [], 0, start
    for i in range(start, end):
        char = skeleton[i]
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        elif char in "\n," and depth == 0:
            spans.append((begin, i))
            begin = i + 1
    spans.append((begin, end))
    return [_strip(skeleton, s, e) for s, e in spans if skeleton[s:e].strip()]


def _strip(skeleton: str, start: int, end: int) -> tuple[int, int]:
    while skeleton[start].isspace():
        start += 1
    while skeleton[end - 1].isspace():
        end -= 1
    return start, end


def _object(clean: str, skeleton: str, start: int, end: int) -> dict[str, Any]:
    """`key: value` members; nested resource declarations are left to `BicepFile.resources`."""
    body: dict[str, Any] = {}
    for s, e in _members(skeleton, start, end):
        if re.match(r"resource\s", clean[s:e]):
            continue
        colon = skeleton.index(":", s, e)
        key = clean[s:colon].strip()
        body[key.strip("'")] = _value(clean, skeleton, *_strip(skeleton, colon + 1, e))
    return body


def _value(clean: str, skeleton: str, start: int, end: int) -> Any:
    """An object as a dict, an array as a list, anything else (a loop included) as an Expr."""
    opening = skeleton[start]
    if opening in "{[" and _closing(skeleton, start) == end - 1 and not clean.startswith("[for", start):
        if opening == "{":
            return _object(clean, skeleton, start + 1, end - 1)
        return [_value(clean, skeleton, s, e) for s, e in _members(skeleton, start + 1, end - 1)]
    return Expr(clean[start:end])
