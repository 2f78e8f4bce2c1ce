"""`tenantatlas restore preview` and `restore live`: plan first, then write only what the plan holds,
after the operator typed the tenant's name (or `--yes` in a script)."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

import click

from cli.api import CliError
from cli.context import Context, items_table, pass_context, table_of, tenant_of
from cli.exit_codes import ExitCode, for_runs
from cli.follow import follow

TIMEOUT_SECONDS = 3600


@click.group()
def restore() -> None:
    """Preview a restore, then run it live."""


@restore.command("preview")
@click.argument("tenant")
@click.option("--backup", "backup_id", help="Restore from this backup set.")
@click.option(
    "--version", "versions", multiple=True, metavar="TYPE:POLICY:VERSION", help="Or these versions."
)
@click.option("--type", "types", multiple=True, help="Only this catalog type (repeatable).")
@click.option("--source-tenant", help="Restore from another tenant's backup (reader role there).")
@click.option("--timeout", type=float, default=TIMEOUT_SECONDS, show_default=True)
@pass_context
def preview(
    ctx: Context,
    tenant: str,
    backup_id: str | None,
    versions: tuple[str, ...],
    types: tuple[str, ...],
    source_tenant: str | None,
    timeout: float,
) -> ExitCode:
    """Plan a restore (read-only): what it would create, update, leave or skip."""
    if bool(backup_id) == bool(versions):
        raise click.UsageError("Give --backup ID or --version TYPE:POLICY:VERSION (repeatable).")
    target = tenant_of(ctx, tenant)
    source: dict[str, Any] = (
        {"backupId": backup_id} if backup_id else {"versions": [_version(v) for v in versions]}
    )
    if source_tenant:
        source["tenantId"] = source_tenant
    body: dict[str, Any] = {"mode": "preview", "source": source, **({"types": list(types)} if types else {})}
    run = _start_and_follow(ctx, target, body, timeout)
    items = _items(ctx, target, run["id"])
    _show_plan(ctx, run, items)
    return for_runs([run["status"]])


@restore.command("live")
@click.argument("tenant")
@click.option(
    "--preview", "preview_id", required=True, metavar="RUN", help="The finished preview to restore."
)
@click.option("--item", "items", multiple=True, help="Only this item of the preview (repeatable).")
@click.option("--override-conflicts", is_flag=True, help="Write items that changed since the preview too.")
@click.option("--yes", is_flag=True, help="Do not ask for the tenant's name (scripts).")
@click.option("--timeout", type=float, default=TIMEOUT_SECONDS, show_default=True)
@pass_context
def live(
    ctx: Context,
    tenant: str,
    preview_id: str,
    items: tuple[str, ...],
    override_conflicts: bool,
    yes: bool,
    timeout: float,
) -> ExitCode:
    """Write a preview's plan to the tenant (admin): shows the plan, asks for the tenant's name."""
    target = tenant_of(ctx, tenant)
    planned = [i for i in _items(ctx, target, preview_id) if not items or i["itemId"] in items]
    ctx.err.print(items_table([i for i in planned if i.get("action") not in ("unchanged", "skip")]))
    ctx.err.print(f"Plan: {_counts(planned)}")
    if not yes:
        typed = click.prompt(f"Type the tenant's name ({target['displayName']}) to write to it", err=True)
        if typed.strip() != target["displayName"]:
            raise CliError("The name does not match; nothing was written.", ExitCode.ABORTED)
    body: dict[str, Any] = {
        "mode": "live",
        "previewRunId": preview_id,
        "confirm": True,
        "overrideConflicts": override_conflicts,
    }
    if items:
        body["items"] = list(items)
    run = _start_and_follow(ctx, target, body, timeout)
    done = _items(ctx, target, run["id"])
    _show_plan(ctx, run, done)
    return for_runs([run["status"]])


def _start_and_follow(
    ctx: Context, target: dict[str, Any], body: dict[str, Any], timeout: float
) -> dict[str, Any]:
    answer = ctx.client.post(f"tenants/{quote(target['tenantId'])}/restores", body)
    label = f"{target['displayName']} ({body['mode']})"
    (run,) = follow(
        ctx.client,
        [(label, answer.headers["Location"], answer.json())],
        ctx.err,
        timeout=timeout,
        interval=1.0,
    )
    return run


def _items(ctx: Context, target: dict[str, Any], run_id: str) -> list[dict[str, Any]]:
    path = f"tenants/{quote(target['tenantId'])}/runs/{quote(run_id, safe='')}/items"
    return list(ctx.client.pages(path, {"pageSize": "1000"}))


def _show_plan(ctx: Context, run: dict[str, Any], items: list[dict[str, Any]]) -> None:
    table = table_of("Run", "Status", "Plan")
    table.add_row(run["id"], run["status"], _counts(items))
    ctx.emit({"run": run, "items": items}, table)
    if ctx.output == "table":
        ctx.out.print(items_table(items))


def _counts(items: list[dict[str, Any]]) -> str:
    counts = Counter(item.get("action") or item["outcome"] for item in items)
    return ", ".join(f"{count} {action}" for action, count in sorted(counts.items())) or "nothing"


def _version(value: str) -> dict[str, str]:
    parts = value.split(":")
    if len(parts) != 3 or not all(parts):
        raise click.UsageError(f"--version is TYPE:POLICY:VERSION, not {value!r}.")
    return {"type": parts[0], "policyId": parts[1], "versionId": parts[2]}
