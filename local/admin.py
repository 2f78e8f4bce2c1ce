"""Register managed tenants and grant roles in the app's storage (the demo and local runs use it).

    python -m local.admin add-tenant --tenant-id GUID --name Contoso --credential-ref msp-app [--cloud usgov]
    python -m local.admin grant --tenant-id GUID --role operator (--principal user:GUID | --user NAME)
    python -m local.admin revoke --tenant-id GUID (--principal KEY | --user NAME)
    python -m local.admin list

Storage comes from the app's settings (AzureWebJobsStorage, or local.settings.json).
`--user NAME` stands for the demo principal that `python -m local.tokens mint --principal NAME` signs.
"""

from __future__ import annotations

import argparse
import sys

from local.tokens import demo_object_id
from shared.auth.memberships import MembershipStore
from shared.auth.roles import Role
from shared.config.errors import ConfigurationError
from shared.config.settings import get_settings
from shared.http.problems import ProblemError
from shared.storage import StorageAccount
from shared.tenants import TenantRegistry, TenantStatus

GRANTED_BY = "local-admin"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local.admin", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-tenant", help="register a managed tenant")
    add.add_argument("--tenant-id", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--credential-ref", required=True, help="names the Graph credential, e.g. msp-app")
    add.add_argument("--cloud", default="public")
    add.add_argument("--disabled", action="store_true")
    for name, helptext in (("grant", "give a principal a role on a tenant"), ("revoke", "remove a role")):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("--tenant-id", required=True)
        who = command.add_mutually_exclusive_group(required=True)
        who.add_argument("--principal", help="user:<object id> or app:<client id>")
        who.add_argument("--user", help="a demo user name, as given to local.tokens mint --principal")
        if name == "grant":
            command.add_argument("--role", required=True, choices=[str(role) for role in Role])
    commands.add_parser("list", help="tenants with their members")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with StorageAccount(get_settings().storage.config) as account:
            registry = TenantRegistry(account)
            memberships = MembershipStore(account, registry)
            _run(args, registry, memberships)
    except (ConfigurationError, ProblemError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _run(args: argparse.Namespace, registry: TenantRegistry, memberships: MembershipStore) -> None:
    if args.command == "add-tenant":
        status = TenantStatus.DISABLED if args.disabled else TenantStatus.ACTIVE
        tenant = registry.add(args.tenant_id, args.name, args.cloud, args.credential_ref, status=status)
        print(f"added tenant {tenant.tenant_id} ({tenant.display_name}, {tenant.cloud}, {tenant.status})")
    elif args.command in ("grant", "revoke"):
        principal = args.principal or f"user:{demo_object_id(args.user)}"
        if args.command == "grant":
            membership = memberships.grant(principal, args.tenant_id, Role(args.role), GRANTED_BY)
            print(f"granted {membership.role} on {membership.tenant_id} to {membership.principal}")
        else:
            memberships.revoke(principal, args.tenant_id)
            print(f"revoked {principal} on {args.tenant_id}")
    else:
        for tenant in registry.list():
            print(f"{tenant.tenant_id}  {tenant.display_name}  cloud={tenant.cloud}  "
                  f"credential={tenant.credential_ref}  {tenant.status}")


if __name__ == "__main__":
    sys.exit(main())
