"""`make connector`: write the custom connector's definition, `connector/apiDefinition.swagger.json`, from
the app's routes (the same document `GET /api/openapi.json` serves, in Swagger 2.0).

    python -m local.connector            write it
    python -m local.connector --check    exit 1 if the committed file differs from what the routes give
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from local.stack import REPO_ROOT
from shared.api.swagger import connector_definition
from triggers.openapi import api_document

DEFINITION = REPO_ROOT / "connector" / "apiDefinition.swagger.json"


def generated() -> str:
    """The definition's text: sorted keys, two-space indent, a final newline (stable diffs)."""
    definition = connector_definition(api_document())
    return json.dumps(definition, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.connector", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=DEFINITION)
    args = parser.parse_args(argv)
    text = generated()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is not what the routes give: run `make connector`.", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
