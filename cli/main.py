"""The `tenantatlas` commands. Each prints a table (or `--output json`) on stdout, progress and errors on
stderr, and exits with a code of `cli.exit_codes` that scripts can rely on."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote

import click
from rich.console import Console

from cli import session
from cli.api import CliError
from cli.context import Context, items_table, pass_context, resolve, short, table_of, tenant_id_of
from cli.exit_codes import ExitCode, for_runs
from cli.follow import follow
from cli.restore import restore

BACKUP_ROLES = frozenset({"operator", "admin"})
OUTPUTS = ("table", "json")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--api", metavar="URL", help="The API's base URL, e.g. https://app.azurewebsites.net/api.")
@click.option("-o", "--output", type=click.Choice(OUTPUTS), default="table", show_default=True)
@click.version_option(package_name="tenantatlas")
@click.pass_context
def cli(ctx: click.Context, api: str | None, output: str) -> None:
    """TenantAtlas: back up and restore Intune configuration of managed tenants."""
    ctx.obj = Context(api, output)


@cli.command()
@click.option("--dev", "dev_principal", metavar="NAME", help="Local stack only: sign in as a demo principal.")
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=Path(".state"),
    show_default=True,
    help="With --dev: the local stack's state folder (holds its dev signing key).",
)
@click.option("--tenant", envvar="TENANTATLAS_LOGIN_TENANT", help="Entra: the MSP's tenant ID.")
@click.option("--client-id", envvar="TENANTATLAS_LOGIN_CLIENT_ID", help="Entra: the command line's app ID.")
@click.option(
    "--scope", envvar="TENANTATLAS_LOGIN_SCOPE", help="Entra: e.g. api://tenantatlas/access_as_user."
)
@pass_context
def login(
    ctx: Context,
    dev_principal: str | None,
    state_dir: Path,
    tenant: str | None,
    client_id: str | None,
    scope: str | None,
) -> ExitCode:
    """Sign in: Entra ID device code flow, or --dev NAME against the local stack."""
    api = ctx.api or session.DEFAULT_API
    if dev_principal:
        principal = session.login_dev(api, dev_principal, state_dir.resolve())
        ctx.err.print(f"Signed in to {api} as {dev_principal} ({principal}), local dev token.")
        return ExitCode.OK
    if not (tenant and client_id and scope):
        raise click.UsageError(
            "Entra sign-in needs --tenant, --client-id and --scope (or --dev NAME locally)."
        )
    account = session.login_entra(api, tenant, client_id, scope, lambda text: ctx.err.print(text))
    ctx.err.print(f"Signed in to {api} as {account}.")
    return ExitCode.OK


@cli.command()
def logout() -> ExitCode:
    """Forget the sign-in and the API."""
    session.logout()
    return ExitCode.OK


@cli.command()
@pass_context
def tenants(ctx: Context) -> ExitCode:
    """The tenants you hold a role on."""
    found = ctx.client.get("tenants")["items"]
    table = table_of("Tenant", "Tenant ID", "Role", "Status")
    for tenant in found:
        table.add_row(tenant["displayName"], tenant["tenantId"], tenant["role"], tenant["status"])
    ctx.emit(found, table)
    return ExitCode.OK


@cli.command()
@click.argument("names", nargs=-1, metavar="[TENANT]...")
@click.option("--all", "all_tenants", is_flag=True, help="Every tenant you may back up (operator or admin).")
@click.option("--wait", is_flag=True, help="Follow the runs to their end, one progress bar per tenant.")
@click.option("--timeout", type=float, default=3600, show_default=True, help="Seconds --wait waits.")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between polls.")
@pass_context
def backup(
    ctx: Context, names: tuple[str, ...], all_tenants: bool, wait: bool, timeout: float, interval: float
) -> ExitCode:
    """Back up tenants (by name or ID); with --wait, exit 0 only if every backup succeeded."""
    if all_tenants == bool(names):
        raise click.UsageError("Name tenants to back up, or give --all.")
    mine = ctx.client.get("tenants")["items"]
    chosen = [t for t in mine if t["role"] in BACKUP_ROLES] if all_tenants else resolve(mine, names)
    if not chosen:
        raise CliError("No tenant you may back up (operator or admin role).", ExitCode.FORBIDDEN)
    started = []
    for tenant in chosen:
        answer = ctx.client.post(f"tenants/{quote(tenant['tenantId'])}/backups")
        started.append((tenant["displayName"], answer.headers["Location"], answer.json()))
    if not wait:
        table = table_of("Tenant", "Run", "Status", "Reused")
        for label, _, run in started:
            table.add_row(label, run["id"], run["status"], "yes" if run["reused"] else "no")
        ctx.emit([{"tenant": label, "run": run} for label, _, run in started], table)
        return ExitCode.OK
    ended = follow(ctx.client, started, ctx.err, timeout=timeout, interval=interval)
    table = table_of("Tenant", "Run", "Status", "Items", "Failed")
    for (label, _, _), run in zip(started, ended, strict=True):
        counters = run["counters"]
        table.add_row(
            label,
            run["id"],
            run["status"],
            f"{counters['processed']}/{counters['total']}",
            str(counters["failed"]),
        )
    ctx.emit(
        [{"tenant": label, "run": run} for (label, _, _), run in zip(started, ended, strict=True)], table
    )
    return for_runs([run["status"] for run in ended])


cli.add_command(restore)


@cli.command()
@click.argument("tenant")
@click.option("--status", help="Only runs in this status (queued, running, succeeded, failed, ...).")
@click.option("--type", "run_type", help="Only runs of this type, e.g. backup.tenant.")
@click.option("--limit", type=int, default=20, show_default=True)
@pass_context
def runs(ctx: Context, tenant: str, status: str | None, run_type: str | None, limit: int) -> ExitCode:
    """A tenant's runs, newest first."""
    tenant_id = tenant_id_of(ctx, tenant)
    params = {k: v for k, v in (("status", status), ("type", run_type)) if v}
    found = list(ctx.client.pages(f"tenants/{tenant_id}/runs", params, limit))
    table = table_of("Run", "Type", "Status", "Created", "Items", "Failed")
    for run in found:
        counters = run["counters"]
        table.add_row(
            run["id"],
            run["type"],
            run["status"],
            run["createdAt"][:19],
            f"{counters['processed']}/{counters['total']}",
            str(counters["failed"]),
        )
    ctx.emit(found, table)
    return ExitCode.OK


@cli.group()
def run() -> None:
    """One run."""


@run.command("show")
@click.argument("tenant")
@click.argument("run_id", metavar="RUN")
@click.option("--items", is_flag=True, help="List its items too.")
@click.option("--outcome", help="With --items: only succeeded, failed, skipped or conflict.")
@pass_context
def run_show(ctx: Context, tenant: str, run_id: str, items: bool, outcome: str | None) -> ExitCode:
    """A run with its counters (and items); exits as the run ended (1 failed, 8 partial)."""
    tenant_id = tenant_id_of(ctx, tenant)
    found = ctx.client.get(f"tenants/{tenant_id}/runs/{quote(run_id, safe='')}")
    listed = []
    if items:
        params = {"outcome": outcome} if outcome else {}
        listed = list(ctx.client.pages(f"tenants/{tenant_id}/runs/{quote(run_id, safe='')}/items", params))
    table = table_of("Field", "Value")
    for key in ("id", "type", "status", "requestedBy", "createdAt", "startedAt", "endedAt", "error"):
        table.add_row(key, str(found.get(key) if found.get(key) is not None else ""))
    table.add_row("counters", json.dumps(found["counters"]))
    ctx.emit({**found, "items": listed} if items else found, table)
    if items and ctx.output == "table":
        ctx.out.print(items_table(listed))
    active = found["status"] in ("queued", "running")
    return ExitCode.OK if active else for_runs([found["status"]])


@cli.command()
@click.argument("tenant")
@click.argument("policy_type", metavar="TYPE")
@click.argument("policy_id", metavar="POLICY")
@click.option("--from", "from_version", help="The older version (default: the one before --to).")
@click.option("--to", "to_version", help="The newer version (default: the latest).")
@pass_context
def diff(
    ctx: Context,
    tenant: str,
    policy_type: str,
    policy_id: str,
    from_version: str | None,
    to_version: str | None,
) -> ExitCode:
    """What changed between two captured versions of a policy."""
    tenant_id = tenant_id_of(ctx, tenant)
    params = {k: v for k, v in (("from", from_version), ("to", to_version)) if v}
    path = f"tenants/{tenant_id}/policies/{quote(policy_type, safe='')}/{quote(policy_id, safe='')}/diff"
    found = ctx.client.get(path, params=params)
    table = table_of("Change", "Path", "Before", "After")
    for change in found["changes"]:
        table.add_row(change["op"], change["path"], short(change["before"]), short(change["after"]))
    ctx.emit(found, table)
    if ctx.output == "table":
        ctx.err.print(
            f"{found['from']['capturedAt'][:19]} -> {found['to']['capturedAt'][:19]}: {found['summary']}"
        )
    return ExitCode.OK


@cli.command()
@click.argument("tenant")
@click.argument("backup_id", metavar="BACKUP", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(("markdown", "html")), default="markdown", show_default=True
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (default: as-built-<tenant>-<backup>.md or .html here); - for stdout.",
)
@pass_context
def export(ctx: Context, tenant: str, backup_id: str | None, fmt: str, out_path: Path | None) -> ExitCode:
    """Write a backup's as-built report (the latest backup when none is named)."""
    tenant_id = tenant_id_of(ctx, tenant)
    if backup_id is None:
        latest = next(ctx.client.pages(f"tenants/{tenant_id}/backups", limit=1), None)
        if latest is None:
            raise CliError(
                f"Tenant {tenant} has no backup yet: run `tenantatlas backup` first.", ExitCode.NOT_FOUND
            )
        backup_id = str(latest["id"])
    suffix = "/html" if fmt == "html" else ""
    answer = ctx.client.call("GET", f"tenants/{tenant_id}/backups/{quote(backup_id, safe='')}/report{suffix}")
    if out_path is not None and str(out_path) == "-":
        click.echo(answer.text, nl=False)
        return ExitCode.OK
    target = out_path or Path(f"as-built-{tenant_id}-{backup_id}.{'html' if fmt == 'html' else 'md'}")
    target.write_text(answer.text, encoding="utf-8")
    ctx.err.print(f"Wrote {target} ({len(answer.content)} bytes)", highlight=False)
    return ExitCode.OK


def main(argv: list[str] | None = None) -> int:
    """The console script: run the command, print a CliError on stderr, exit with its code."""
    try:
        result = cli.main(args=argv, prog_name="tenantatlas", standalone_mode=False)
    except CliError as error:
        Console(stderr=True).print(f"[red]error:[/red] {error}", highlight=False)
        return int(error.code)
    except click.exceptions.Abort:
        Console(stderr=True).print("Aborted.")
        return int(ExitCode.ABORTED)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


if __name__ == "__main__":
    sys.exit(main())
