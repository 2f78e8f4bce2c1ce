"""Route templates without a server: the corner cases of ASP.NET-style routing the devhost follows."""

from __future__ import annotations

import pytest

from local.devhost.routes import RouteTemplate, RouteTemplateError


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("items/{id:int}", "items/42", {"id": "42"}),
        ("items/{id:int}", "items/4x", None),
        ("items/{id:int}", "items/99999999999", None),
        ("items/{id:long}", "items/99999999999", {"id": "99999999999"}),
        ("a/{b?}", "a", {}),
        ("a/{b?}", "a/x", {"b": "x"}),
        ("a/{b=dflt}", "a", {"b": "dflt"}),
        ("files/{*rest}", "files/x/y/z", {"rest": "x/y/z"}),
        ("n/{v:range(1,5)}", "n/5", {"v": "5"}),
        ("n/{v:range(1,5)}", "n/6", None),
        ("s/{v:minlength(3)}", "s/ab", None),
        ("s/{v:length(2)}", "s/ab", {"v": "ab"}),
        ("b/{v:bool}", "b/True", {"v": "True"}),
        ("r/{v:regex(^[0-9]+$)}", "r/123", {"v": "123"}),
        ("r/{v:regex(^[0-9]+$)}", "r/12a", None),
        ("Health", "health/", {}),
        ("x/{a}.{b}", "x/name.txt", {"a": "name", "b": "txt"}),
        ("a/{b}", "a/b/c", None),
    ],
)
def test_match(template: str, path: str, expected: dict[str, str] | None) -> None:
    assert RouteTemplate(template).match(path) == expected


def test_literal_segments_take_precedence() -> None:
    literal, parameter = RouteTemplate("things/latest"), RouteTemplate("things/{id}")
    assert literal.precedence < parameter.precedence


def test_unknown_constraint_is_an_error() -> None:
    with pytest.raises(RouteTemplateError, match="not supported"):
        RouteTemplate("a/{b:banana}")
