"""The Bicep reader the deploy tests stand on: a commented-out setting or a brace inside a string must
never make a setting look set, or the cross-check with shared/config/settings.py would pass wrongly."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.bicep import BicepFile, Expr, evaluate

SAMPLE = """
@minLength(1)
@allowed([
  'a'
  'b'
])
param mode string = 'a'
param uri string

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: 'x{y'
  properties: { a: 1, b: '}', c: [1, 2] }
  /* resource hidden 'config' = { name: 'appsettings' } */
  resource settings 'config' = {
    name: 'appsettings'
    properties: {
      // COMMENTED_OUT: 'yes'
      ESCAPED: 'it\\'s // not a comment'
      JOINED: '${uri},${mode == 'a' ? 'one' : 'two'}'
      PATH: storage.properties.primaryEndpoints.blob
      TERNARY: empty(uri) ? 'none' : uri
    }
  }
}
"""


def test_reads_settings_past_comments_and_brackets_inside_strings(tmp_path: Path) -> None:
    path = tmp_path / "sample.bicep"
    path.write_text(SAMPLE)
    site, settings = BicepFile(path).resources()
    assert site.body["name"].literal == "x{y"
    assert site.body["properties"] == {"a": Expr("1"), "b": Expr("'}'"), "c": [Expr("1"), Expr("2")]}
    assert site.span[0] < settings.span[0] < site.span[1], "the child lies within its parent"
    values = settings.body["properties"]
    assert set(values) == {"ESCAPED", "JOINED", "PATH", "TERNARY"}
    assert values["ESCAPED"].literal == "it's // not a comment"
    assert values["JOINED"].literal is None, "interpolated: not a plain literal"
    assert evaluate(values["JOINED"], {"uri": "https://u"}) == "https://u,<mode == 'a' ? 'one' : 'two'>"
    assert evaluate(values["PATH"], {"storage.properties.primaryEndpoints.blob": "https://b"}) == "https://b"
    assert values["TERNARY"] == Expr("empty(uri) ? 'none' : uri")


def test_reads_parameters_with_multi_line_decorators(tmp_path: Path) -> None:
    path = tmp_path / "sample.bicep"
    path.write_text(SAMPLE)
    params = BicepFile(path).params()
    assert set(params) == {"mode", "uri"}
    assert params["mode"].decorators["minLength"] == "1"
    assert "'b'" in params["mode"].decorators["allowed"]
    assert params["mode"].default == Expr("'a'")
    assert params["uri"].default is None
    assert params["uri"].decorators == {}
