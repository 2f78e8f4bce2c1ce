"""`$filter` as Graph accepts it for Intune lists: eq/ne/gt/ge/lt/le, and/or/not, parentheses,
startswith/endswith/contains on simple (or `a/b` path) properties, compiled once to a predicate."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import invalid_query

Predicate = Callable[[dict[str, Any]], bool]
Operand = Callable[[dict[str, Any]], Any]

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<punct>[(),])"
    r"|(?P<word>[A-Za-z0-9_@.:+/#-]+))"
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}
_FUNCTIONS: dict[str, Callable[[str, str], bool]] = {
    "startswith": lambda value, prefix: value.lower().startswith(prefix.lower()),
    "endswith": lambda value, suffix: value.lower().endswith(suffix.lower()),
    "contains": lambda value, part: part.lower() in value.lower(),
}
_NUMBER = re.compile(r"-?\d+(\.\d+)?$")


def compile_filter(text: str) -> Predicate:
    parser = _Parser(text)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise parser.error()
    return predicate


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                if text[position:].strip():
                    raise invalid_query(
                        f"Invalid filter clause: Syntax error at position {position} in '{text}'."
                    )
                break
            kind = match.lastgroup or "word"
            self.tokens.append((kind, match.group(kind), match.start(kind)))
            position = match.end()
        self.index = 0

    def error(self) -> Exception:
        token = self.peek()
        position = token[2] if token else len(self.text)
        return invalid_query(f"Invalid filter clause: Syntax error at position {position} in '{self.text}'.")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None or (value is not None and token[1].lower() != value):
            raise self.error()
        self.index += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].lower() in words

    def expression(self) -> Predicate:
        terms = [self.conjunction()]
        while self.at_word("or"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else lambda item: any(term(item) for term in terms)

    def conjunction(self) -> Predicate:
        terms = [self.unary()]
        while self.at_word("and"):
            self.take()
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else lambda item: all(term(item) for term in terms)

    def unary(self) -> Predicate:
        if self.at_word("not"):
            self.take()
            inner = self.unary()
            return lambda item: not inner(item)
        token = self.peek()
        if token is not None and token[1] == "(" and not self._parenthesised_operand():
            self.take()
            inner = self.expression()
            self.take(")")
            return inner
        left = self.operand()
        if self.at_word(*_COMPARE):
            compare = _COMPARE[self.take()[1].lower()]
            right = self.operand()
            return lambda item: compare(left(item), right(item))
        return lambda item: left(item) is True

    def _parenthesised_operand(self) -> bool:
        """`(microsoft.graph.managedApp/appAvailability) eq null`: brackets around one operand."""
        ahead = self.tokens[self.index : self.index + 4]
        return (
            len(ahead) == 4
            and ahead[1][0] in ("word", "string")
            and ahead[2][1] == ")"
            and ahead[3][1].lower() in _COMPARE
        )

    def operand(self) -> Operand:
        if self._parenthesised_operand():
            self.take("(")
            inner = self.operand()
            self.take(")")
            return inner
        kind, value, _ = self.take()
        if kind == "string":
            literal: Any = value[1:-1].replace("''", "'")
            return lambda item: literal
        if kind != "word":
            raise self.error()
        lowered = value.lower()
        if lowered in _FUNCTIONS and self.peek() is not None and self.peek()[1] == "(":  # type: ignore[index]
            return self.function(_FUNCTIONS[lowered])
        if lowered in ("true", "false", "null"):
            constant = {"true": True, "false": False, "null": None}[lowered]
            return lambda item: constant
        if _NUMBER.match(value):
            number = float(value) if "." in value else int(value)
            return lambda item: number
        path = [part for part in value.split("/") if part]
        return lambda item: _resolve(item, path)

    def function(self, test: Callable[[str, str], bool]) -> Operand:
        self.take("(")
        subject = self.operand()
        self.take(",")
        argument = self.operand()
        self.take(")")

        def call(item: dict[str, Any]) -> bool:
            value, probe = subject(item), argument(item)
            return isinstance(value, str) and isinstance(probe, str) and test(value, probe)

        return call


def _resolve(item: Any, path: list[str]) -> Any:
    for part in path:
        if part.startswith("microsoft.graph."):
            continue
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item
