"""What every command works with: the output choice, the consoles, the API client (signed in on first
use), and the few ways commands find tenants and print tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from cli import session
from cli.api import ApiClient, CliError
from cli.exit_codes import ExitCode

WIDE = 200
"""Columns of a table written to a pipe or a file: IDs stay whole."""


@dataclass
class Context:
    api: str | None
    output: str
    out: Console = field(default_factory=lambda: Console(width=None if sys.stdout.isatty() else WIDE))
    err: Console = field(default_factory=lambda: Console(stderr=True))
    _client: ApiClient | None = None

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            signed_in = session.load(self.api)
            self._client = ApiClient(signed_in.api, signed_in.token)
        return self._client

    def emit(self, data: Any, table: Table | None) -> None:
        if self.output == "json" or table is None:
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            self.out.print(table)


pass_context = click.make_pass_decorator(Context)


def resolve(mine: list[dict[str, Any]], names: Iterable[str]) -> list[dict[str, Any]]:
    """Tenants by ID or display name (any case); an unknown one is exit 5."""
    chosen: list[dict[str, Any]] = []
    for name in names:
        match = [t for t in mine if name.lower() in (t["tenantId"].lower(), t["displayName"].lower())]
        if not match:
            raise CliError(
                f"No tenant {name!r} among yours (`tenantatlas tenants` lists them).", ExitCode.NOT_FOUND
            )
        chosen.extend(t for t in match if t not in chosen)
    return chosen


def tenant_id_of(ctx: Context, name: str) -> str:
    return str(tenant_of(ctx, name)["tenantId"])


def tenant_of(ctx: Context, name: str) -> dict[str, Any]:
    return resolve(ctx.client.get("tenants")["items"], [name])[0]


def table_of(*columns: str) -> Table:
    table = Table(show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    return table


def items_table(items: list[dict[str, Any]]) -> Table:
    table = table_of("Item", "Name", "Action", "Outcome", "Why")
    for item in items:
        why = item.get("error") or item.get("reason") or ""
        table.add_row(
            item["itemId"],
            item.get("displayName") or "",
            item.get("action") or "",
            item["outcome"],
            short(why),
        )
    return table


def short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."
